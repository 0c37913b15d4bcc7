/**
 * Which Python the fixes target: the `backendHang.pythonVersion` setting, else `requires-python` (or Poetry's
 * `python` dependency) of the nearest pyproject.toml, else 3.9. Only the version matters for
 * `shutdown(cancel_futures=True)`, which exists from 3.9.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type PythonVersion = [major: number, minor: number];

/** What we assume when nothing says otherwise. */
export const DEFAULT_PYTHON_VERSION: PythonVersion = [3, 9];

/** Parses "3.8" / "3.10" (a setting value); undefined for anything else, including "". */
export function parseVersionSetting(value: string | undefined): PythonVersion | undefined {
  const m = /^\s*(\d+)\.(\d+)\s*$/.exec(value ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * The lowest Python version a PEP 440 specifier set admits, as far as it bounds it from below
 * (">=3.8,<4" -> 3.8, "~=3.10" -> 3.10, ">3.8" -> 3.8 (3.8.1 is admitted), "==3.11.*" -> 3.11, Poetry "^3.8"
 * -> 3.8, Poetry alternatives "^3.7 || ^3.10" -> 3.7). Undefined when no clause gives a lower bound.
 */
export function lowerBoundOf(specifier: string): PythonVersion | undefined {
  let lowest: PythonVersion | undefined;
  // Poetry's `||` (or `|`) separates alternatives: the lowest admitted version is the lowest alternative's.
  for (const alternative of specifier.split(/\|\|?/)) {
    let best: PythonVersion | undefined;
    for (const clause of alternative.split(',')) {
      const m = /^\s*(>=|~=|==|===|\^|~|>)?\s*(\d+)(?:\.(\d+))?/.exec(clause);
      if (!m) continue; // '<4', '!=3.5', '<=3.11' give no lower bound
      // ">3.8" admits 3.8.1, which has no cancel_futures: the minor version itself is the honest bound.
      const v: PythonVersion = [Number(m[2]), m[3] === undefined ? 0 : Number(m[3])];
      if (!best || compareVersions(v, best) > 0) best = v;
    }
    if (!best) return undefined; // an alternative unbounded below: nothing can be concluded
    if (!lowest || compareVersions(best, lowest) < 0) lowest = best;
  }
  return lowest;
}

/** Reads `requires-python` ([project]) or `python` ([tool.poetry.dependencies]) from pyproject.toml text. */
export function requiresPythonOf(pyprojectToml: string): string | undefined {
  let section = '';
  for (const raw of pyprojectToml.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      continue;
    }
    const kv = /^("?)([\w-]+)\1\s*=\s*(["'])(.*?)\3/.exec(line);
    if (!kv) continue;
    if (section === 'project' && kv[2] === 'requires-python') return kv[4];
    if (section === 'tool.poetry.dependencies' && kv[2] === 'python') return kv[4];
  }
  return undefined;
}

/** -1, 0, 1 like a comparator. */
export function compareVersions(a: PythonVersion, b: PythonVersion): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** Pure resolution: setting, else the pyproject text's lower bound, else 3.9. */
export function resolvePythonVersion(
  setting: string | undefined,
  pyprojectToml: string | undefined,
): PythonVersion {
  const fromSetting = parseVersionSetting(setting);
  if (fromSetting) return fromSetting;
  const spec = pyprojectToml === undefined ? undefined : requiresPythonOf(pyprojectToml);
  return (spec && lowerBoundOf(spec)) || DEFAULT_PYTHON_VERSION;
}

/** The text of the nearest pyproject.toml in `fromDir` or its ancestors, or undefined. */
export function readNearestPyproject(fromDir: string): string | undefined {
  let dir = path.resolve(fromDir);
  for (;;) {
    try {
      return fs.readFileSync(path.join(dir, 'pyproject.toml'), 'utf8');
    } catch {
      // Not here (or unreadable): keep walking up.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The target version for a file on disk: setting, nearest pyproject.toml, else 3.9. */
export function pythonVersionForFile(filePath: string, setting?: string): PythonVersion {
  if (parseVersionSetting(setting)) return resolvePythonVersion(setting, undefined);
  return resolvePythonVersion(undefined, readNearestPyproject(path.dirname(filePath)));
}
