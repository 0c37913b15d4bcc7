/**
 * What a project already told Ruff about files that are not its own (Node `fs`, no `vscode`): `exclude` and
 * `extend-exclude` of `[tool.ruff]` in pyproject.toml, `ruff.toml` or `.ruff.toml`. Vendored and generated code a
 * repository keeps out of Ruff stays out of backend-hang too, without a [tool.backend-hang] table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseToml, type TomlTable, type TomlValue } from './toml';

/** Ruff's exclusion patterns found in `dir` (relative to it), or undefined when no Ruff config is there. */
export function ruffExcludesIn(dir: string): string[] | undefined {
  for (const name of ['.ruff.toml', 'ruff.toml', 'pyproject.toml']) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
      continue;
    }
    if (name === 'pyproject.toml' && !/^\s*\[\s*tool\s*\.\s*ruff\s*[.\]]/m.test(text)) continue;
    let doc: TomlTable;
    try {
      doc = parseToml(text);
    } catch {
      continue; // Ruff reports its own config's errors; ours is not the place
    }
    const tool = doc.tool;
    const table = name === 'pyproject.toml' ? tableOf(isTable(tool) ? tool.ruff : undefined) : doc;
    if (!table) continue;
    const strings = (v: TomlValue | undefined): string[] =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    return [...strings(table.exclude), ...strings(table['extend-exclude'])];
  }
  return undefined;
}

function isTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function tableOf(v: TomlValue | undefined): TomlTable | undefined {
  return isTable(v) ? v : undefined;
}
