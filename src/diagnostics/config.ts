/**
 * Diagnostics settings, parsed from raw configuration values (pure; the glue reads them with
 * `vscode.workspace.getConfiguration('backendHang')`).
 */
import { DEFAULT_SEVERITY } from './rules';
import { RULE_CODES, type RuleCode, type Severity } from './types';

/** Severity per rule, or 'off'. */
export type RuleSetting = Severity | 'off';

/** What the editor glue needs to know. */
export interface DiagnosticsConfig {
  enable: boolean;
  severity: Readonly<Record<RuleCode, RuleSetting>>;
  /** Glob patterns of files not to check (`backendHang.exclude`). */
  exclude: readonly string[];
  /** Rules whose `backendHang.severity.*` the user set (these win over the project's config file). */
  explicit: ReadonlySet<RuleCode>;
}

/** What a project's config file (pyproject.toml / backend-hang.toml) says for one file. */
export interface ProjectRules {
  /** Rules selected for the file (select/ignore/per-file-ignores applied). */
  select: ReadonlySet<RuleCode>;
  severity: Readonly<Record<RuleCode, RuleSetting>>;
}

/** Folders Check Workspace never enters, whatever `backendHang.exclude` says. */
export const ALWAYS_EXCLUDED = [
  '**/.venv/**',
  '**/venv/**',
  '**/node_modules/**',
  '**/.git/**',
  '**/__pycache__/**',
];

const SETTINGS: ReadonlySet<string> = new Set(['error', 'warning', 'information', 'hint', 'off']);

/**
 * Builds the config from raw values (anything unexpected falls back to the default):
 * `get(key)` returns the value of `backendHang.<key>`.
 */
export function parseDiagnosticsConfig(
  get: (key: string) => unknown,
  isSet: (key: string) => boolean = () => false,
): DiagnosticsConfig {
  const enable = get('diagnostics.enable');
  const severity = {} as Record<RuleCode, RuleSetting>;
  for (const code of RULE_CODES) {
    const value = get(`severity.${code}`);
    severity[code] =
      typeof value === 'string' && SETTINGS.has(value) ? (value as RuleSetting) : DEFAULT_SEVERITY[code];
  }
  const exclude = get('exclude');
  return {
    enable: enable !== false,
    explicit: new Set(RULE_CODES.filter((code) => isSet(`severity.${code}`))),
    severity,
    exclude: Array.isArray(exclude)
      ? exclude.filter((g): g is string => typeof g === 'string' && g.length > 0)
      : [],
  };
}

/**
 * Severity per rule for one file: a severity the user set in VS Code wins; else the project's config file
 * decides (a rule it does not select for the file is 'off'); else the setting's default.
 */
export function fileSeverity(
  config: DiagnosticsConfig,
  project: ProjectRules | undefined,
): Readonly<Record<RuleCode, RuleSetting>> {
  if (!project) return config.severity;
  const out = {} as Record<RuleCode, RuleSetting>;
  for (const code of RULE_CODES)
    out[code] = config.explicit.has(code)
      ? config.severity[code]
      : project.select.has(code)
        ? project.severity[code]
        : 'off';
  return out;
}

/** The rules that are not 'off'. */
export function enabledRules(config: DiagnosticsConfig): RuleCode[] {
  return RULE_CODES.filter((code) => config.severity[code] !== 'off');
}

/** One glob for `findFiles`' exclude argument: the user's patterns plus the folders always skipped. */
export function excludeGlob(config: DiagnosticsConfig): string {
  const all = [...new Set([...config.exclude, ...ALWAYS_EXCLUDED])];
  return all.length === 1 ? all[0]! : `{${all.join(',')}}`;
}
