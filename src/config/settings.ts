/**
 * `[tool.backend-hang]` (pyproject.toml) / backend-hang.toml settings (pure): validated from the TOML table,
 * with Ruff's names and meanings. Unknown keys and bad values are reported as warnings, never fatal.
 */
import { RULE_CODES, type RuleCode } from '../diagnostics/types';
import { parseVersionSetting, type PythonVersion } from '../codeActions/pythonVersion';
import type { TomlTable, TomlValue } from './toml';

export type SeverityLevel = 'error' | 'warning' | 'information' | 'hint' | 'off';

/** Ruff's default `exclude`: folders no linter should walk into. */
export const DEFAULT_EXCLUDE: readonly string[] = [
  '.bzr',
  '.direnv',
  '.eggs',
  '.git',
  '.git-rewrite',
  '.hg',
  '.ipynb_checkpoints',
  '.mypy_cache',
  '.nox',
  '.pants.d',
  '.pyenv',
  '.pytest_cache',
  '.pytype',
  '.ruff_cache',
  '.svn',
  '.tox',
  '.venv',
  '.vscode',
  '__pypackages__',
  '_build',
  'buck-out',
  'build',
  'dist',
  'node_modules',
  'site-packages',
  'venv',
  '__pycache__',
];

export { DEFAULT_NOQA_ALIASES } from '../diagnostics/noqa';

/** The settings of one config file, as written (undefined: not set there). */
export interface Settings {
  select?: string[];
  extendSelect?: string[];
  ignore?: string[];
  exclude?: string[];
  extendExclude?: string[];
  perFileIgnores?: Record<string, string[]>;
  severity?: Partial<Record<RuleCode, SeverityLevel>>;
  httpTimeout?: number;
  targetVersion?: PythonVersion;
  src?: string[];
  respectGitignore?: boolean;
  noqaAliases?: Record<string, string[]>;
}

const LEVELS = new Set(['error', 'warning', 'information', 'info', 'hint', 'off', 'none']);

/** "py38", "3.8", "py310" -> [3, 8] / [3, 10]. */
export function parseTargetVersion(value: string): PythonVersion | undefined {
  const m = /^py(\d)(\d+)$/i.exec(value.trim());
  return m ? [Number(m[1]), Number(m[2])] : parseVersionSetting(value);
}

/** Rule selectors: a code (`BHD001`), a prefix (`BHD00`, `BHD`) or `ALL`. */
export function expandSelectors(selectors: readonly string[]): { codes: RuleCode[]; unknown: string[] } {
  const codes = new Set<RuleCode>();
  const unknown: string[] = [];
  for (const raw of selectors) {
    const s = raw.trim().toUpperCase();
    const matching = s === 'ALL' ? RULE_CODES : RULE_CODES.filter((c) => c.startsWith(s) && s.length >= 3);
    if (matching.length === 0) unknown.push(raw);
    for (const c of matching) codes.add(c);
  }
  return { codes: RULE_CODES.filter((c) => codes.has(c)), unknown };
}

/** Parses a settings table; problems go to `warn` (with the key they concern). */
export function parseSettings(table: TomlTable, warn: (message: string) => void): Settings {
  const out: Settings = {};
  const strings = (key: string, v: TomlValue): string[] | undefined => {
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    warn(`'${key}' must be a list of strings`);
    return undefined;
  };
  const codes = (key: string, v: TomlValue): string[] | undefined => {
    const list = strings(key, v);
    if (!list) return undefined;
    const { unknown } = expandSelectors(list);
    // Other tools' codes are fine in `ignore` of a shared config; only unknown BHD codes are mistakes.
    for (const u of unknown) if (/^BHD/i.test(u)) warn(`'${key}': unknown rule code '${u}'`);
    return list;
  };
  for (const [rawKey, v] of Object.entries(table)) {
    const key = rawKey.replace(/_/g, '-');
    switch (key) {
      case 'select':
      case 'extend-select':
      case 'ignore': {
        const list = codes(key, v);
        if (list) out[key === 'select' ? 'select' : key === 'ignore' ? 'ignore' : 'extendSelect'] = list;
        break;
      }
      case 'exclude':
      case 'extend-exclude': {
        const list = strings(key, v);
        if (list) out[key === 'exclude' ? 'exclude' : 'extendExclude'] = list;
        break;
      }
      case 'src':
      case 'roots': {
        const list = strings(key, v);
        if (list) out.src = list;
        break;
      }
      case 'per-file-ignores':
      case 'extend-per-file-ignores': {
        if (typeof v !== 'object' || Array.isArray(v)) {
          warn(`'${key}' must be a table of pattern = [codes]`);
          break;
        }
        out.perFileIgnores ??= {};
        for (const [pattern, list] of Object.entries(v)) {
          const c = codes(`${key}.${pattern}`, list);
          if (c) out.perFileIgnores[pattern] = c;
        }
        break;
      }
      case 'severity': {
        if (typeof v !== 'object' || Array.isArray(v)) {
          warn(`'severity' must be a table like { BHD005 = "error" }`);
          break;
        }
        out.severity = {};
        for (const [code, level] of Object.entries(v)) {
          const c = code.toUpperCase() as RuleCode;
          if (!RULE_CODES.includes(c)) warn(`'severity': unknown rule code '${code}'`);
          else if (typeof level !== 'string' || !LEVELS.has(level.toLowerCase()))
            warn(`'severity.${code}' must be one of error, warning, information, hint, off`);
          else {
            const l = level.toLowerCase();
            out.severity[c] = (l === 'info' ? 'information' : l === 'none' ? 'off' : l) as SeverityLevel;
          }
        }
        break;
      }
      case 'http-timeout':
        if (typeof v === 'number' && v > 0 && Number.isFinite(v)) out.httpTimeout = v;
        else warn(`'http-timeout' must be a positive number of seconds`);
        break;
      case 'target-version': {
        const version = typeof v === 'string' ? parseTargetVersion(v) : undefined;
        if (version) out.targetVersion = version;
        else warn(`'target-version' must look like "py39" or "3.9"`);
        break;
      }
      case 'respect-gitignore':
        if (typeof v === 'boolean') out.respectGitignore = v;
        else warn(`'respect-gitignore' must be true or false`);
        break;
      case 'noqa-aliases': {
        if (typeof v !== 'object' || Array.isArray(v)) {
          warn(`'noqa-aliases' must be a table like { BHD006 = ["ASYNC251"] }`);
          break;
        }
        out.noqaAliases = {};
        for (const [code, list] of Object.entries(v)) {
          const l = strings(`noqa-aliases.${code}`, list);
          if (l) out.noqaAliases[code.toUpperCase()] = l.map((x) => x.toUpperCase());
        }
        break;
      }
      case 'lint': {
        // Ruff keeps rule settings under [tool.ruff.lint]: accept [tool.backend-hang.lint] the same way.
        if (typeof v !== 'object' || Array.isArray(v)) warn(`'lint' must be a table`);
        else Object.assign(out, parseSettings(v, warn));
        break;
      }
      default:
        warn(`unknown setting '${rawKey}'`);
    }
  }
  return out;
}
