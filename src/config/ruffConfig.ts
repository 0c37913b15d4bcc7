/**
 * What a project already told Ruff (Node `fs`, no `vscode`), from `[tool.ruff]` in pyproject.toml, `ruff.toml` or
 * `.ruff.toml`: `exclude`/`extend-exclude` (vendored and generated code stays out of backend-hang too) and
 * `per-file-ignores` (top level or under `lint`): a file where Ruff ignores ASYNC251 is one where blocking sleeps
 * are accepted, so BHD006 is ignored there as well (through the noqa aliases).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseToml, type TomlTable, type TomlValue } from './toml';

/** The Ruff settings that matter here; patterns are relative to the config's directory. */
export interface RuffSettings {
  exclude: string[];
  perFileIgnores: [pattern: string, codes: string[]][];
}

/** Ruff's settings found in `dir`, or undefined when no Ruff config is there. */
export function ruffSettingsIn(dir: string): RuffSettings | undefined {
  for (const name of ['.ruff.toml', 'ruff.toml', 'pyproject.toml']) {
    const file = path.join(dir, name);
    // Asked for every directory a check walks: most have none, and a failed read costs an exception.
    if (!fs.existsSync(file)) continue;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
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
    const perFile: [string, string[]][] = [];
    for (const t of [table, tableOf(table.lint)])
      for (const key of ['per-file-ignores', 'extend-per-file-ignores'])
        for (const [pattern, codes] of Object.entries(tableOf(t?.[key]) ?? {}))
          perFile.push([pattern, strings(codes).map((c) => c.toUpperCase())]);
    return {
      exclude: [...strings(table.exclude), ...strings(table['extend-exclude'])],
      perFileIgnores: perFile,
    };
  }
  return undefined;
}

function isTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function tableOf(v: TomlValue | undefined): TomlTable | undefined {
  return isTable(v) ? v : undefined;
}
