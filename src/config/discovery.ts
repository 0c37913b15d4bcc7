/**
 * Finds the configuration of each file like Ruff: the closest `backend-hang.toml` / `.backend-hang.toml`, or
 * `pyproject.toml` with a `[tool.backend-hang]` table, in the file's directory or above (the closest one wins,
 * no merging). Command-line overrides apply on top. Node `fs`, no `vscode`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SEVERITY } from '../diagnostics/rules';
import { RULE_CODES, type RuleCode } from '../diagnostics/types';
import { lowerBoundOf, requiresPythonOf, type PythonVersion } from '../codeActions/pythonVersion';
import { matchesPattern, namesMatcher } from './glob';
import {
  DEFAULT_EXCLUDE,
  DEFAULT_NOQA_ALIASES,
  expandSelectors,
  parseSettings,
  type SeverityLevel,
  type Settings,
} from './settings';
import { parseToml, type TomlTable } from './toml';
import { ruffSettingsIn, type RuffSettings } from './ruffConfig';

/** Everything the checks and fixes need to know about one project (one config file, or none). */
export interface ResolvedConfig {
  /** The config file in force, if any. */
  file?: string;
  /** Directory relative patterns are resolved against (the config file's, else the working directory). */
  root: string;
  select: ReadonlySet<RuleCode>;
  exclude: readonly string[];
  perFileIgnores: readonly [pattern: string, codes: readonly RuleCode[]][];
  severity: Readonly<Record<RuleCode, SeverityLevel>>;
  httpTimeout: number;
  /** target-version, else `requires-python` of the nearest pyproject.toml; undefined: the default (3.9). */
  targetVersion?: PythonVersion;
  /** target-version was set (config file or command line), not inferred from requires-python. */
  explicitTarget: boolean;
  src: readonly string[];
  respectGitignore: boolean;
  noqaAliases: Readonly<Record<string, readonly string[]>>;
}

/** Options of the resolver: overrides from the command line (or the editor's settings). */
export interface ResolverOptions {
  /** Settings that win over every config file. */
  overrides?: Settings;
  /** `--config FILE`: use this file for every path, no discovery. */
  configFile?: string;
  /** `--isolated`: ignore all config files. */
  isolated?: boolean;
  /** Where problems in config files are reported. */
  warn?: (message: string) => void;
  /** The working directory (root of paths when no config file is found). */
  cwd?: string;
}

const NAMES = ['.backend-hang.toml', 'backend-hang.toml', 'pyproject.toml'];

function readText(file: string): string | undefined {
  // Asked for every directory a check walks: most have no such file, and a failed read costs an exception.
  if (!fs.existsSync(file)) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Resolves and caches per-directory configuration. */
interface PatternKinds {
  names: string[];
  paths: string[];
  /** Whether any of `names` matches a name (one regex for them all). */
  anyName: (name: string) => boolean;
}
const kinds = new WeakMap<readonly string[], PatternKinds>();
/**
 * Exclude patterns split once per list (a walk asks about every entry): those without a `/` match the entry's
 * name, the others its path relative to the config's root.
 */
function byKind(patterns: readonly string[]): PatternKinds {
  let split = kinds.get(patterns);
  if (!split) {
    const names: string[] = [];
    const paths: string[] = [];
    for (const p of patterns) (p.replace(/\/+$/, '').includes('/') ? paths : names).push(p);
    split = { names, paths, anyName: namesMatcher(names) };
    kinds.set(patterns, split);
  }
  return split;
}

export class ConfigResolver {
  private readonly byDir = new Map<string, ResolvedConfig>();
  private readonly byFile = new Map<string, ResolvedConfig>();
  private readonly warned = new Set<string>();

  constructor(private readonly options: ResolverOptions = {}) {}

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.options.warn?.(message);
  }

  /** The settings table of `file` (`[tool.backend-hang]` for pyproject.toml), or undefined when it has none. */
  private load(file: string): { settings: Settings; table: TomlTable } | undefined {
    const text = readText(file);
    if (text === undefined) return undefined;
    const isPyproject = path.basename(file) === 'pyproject.toml';
    if (isPyproject && !/^\s*\[\s*tool\s*\.\s*["']?backend-hang["']?\s*[.\]]/m.test(text)) return undefined;
    let doc: TomlTable;
    try {
      doc = parseToml(text);
    } catch (err) {
      this.warn(`${file}: not valid TOML (${(err as Error).message}); its settings are ignored`);
      return undefined;
    }
    const tool = doc.tool;
    const table = isPyproject
      ? ((typeof tool === 'object' && !Array.isArray(tool) ? tool['backend-hang'] : undefined) as
          TomlTable | undefined)
      : doc;
    if (!table) return undefined;
    const settings = parseSettings(table, (m) => this.warn(`${file}: ${m}`));
    return { settings, table: doc };
  }

  /** The configuration in force for files in `dir`. */
  forDirectory(dir: string): ResolvedConfig {
    const key = path.resolve(dir);
    const cached = this.byDir.get(key);
    if (cached) return cached;
    let result: ResolvedConfig;
    if (this.options.configFile) result = this.resolveFile(path.resolve(this.options.configFile));
    else if (this.options.isolated) result = this.build(undefined, undefined, key);
    else {
      const parent = path.dirname(key);
      const here = NAMES.map((n) => path.join(key, n)).find((f) => this.hasSettings(f));
      result = here
        ? this.resolveFile(here)
        : parent === key
          ? this.build(undefined, undefined, key)
          : this.inherit(this.forDirectory(parent), key);
    }
    this.byDir.set(key, result);
    return result;
  }

  /**
   * A directory without its own config: the parent's. Without an explicit target-version, a pyproject.toml
   * here (even without a [tool.backend-hang] table) says which Python the code runs on: its requires-python
   * wins, so a nested 3.7 package never gets `cancel_futures` (3.9+) from a parent's requires-python.
   */
  private inherit(parent: ResolvedConfig, dir: string): ResolvedConfig {
    if (parent.explicitTarget) return parent;
    const version = requiresPython(path.join(dir, 'pyproject.toml'));
    return version ? { ...parent, targetVersion: version } : parent;
  }

  private readonly loaded = new Map<string, ReturnType<ConfigResolver['load']>>();
  private hasSettings(file: string): boolean {
    if (!this.loaded.has(file)) this.loaded.set(file, fs.existsSync(file) ? this.load(file) : undefined);
    return this.loaded.get(file) !== undefined;
  }

  private resolveFile(file: string): ResolvedConfig {
    const cached = this.byFile.get(file);
    if (cached) return cached;
    if (!this.loaded.has(file)) this.loaded.set(file, this.load(file));
    const loaded = this.loaded.get(file);
    if (!loaded && this.options.configFile) this.warn(`${file}: no backend-hang settings found`);
    const dir = path.dirname(file);
    const result = this.build(loaded ? file : undefined, loaded?.settings, dir);
    this.byFile.set(file, result);
    return result;
  }

  private build(file: string | undefined, fromFile: Settings | undefined, dir: string): ResolvedConfig {
    const o = this.options.overrides ?? {};
    const s: Settings = { ...fromFile };
    // Command-line values replace the file's (Ruff: --select replaces select, --extend-* add to it).
    for (const [k, v] of Object.entries(o))
      if (v !== undefined && !k.startsWith('extend')) (s as Record<string, unknown>)[k] = v;
    const selectors = [...(s.select ?? ['BHD']), ...(s.extendSelect ?? []), ...(o.extendSelect ?? [])];
    const selected = new Set(expandSelectors(selectors).codes);
    for (const code of expandSelectors((s.ignore ?? []).filter((c) => /^BHD/i.test(c))).codes)
      selected.delete(code);
    const severity = { ...DEFAULT_SEVERITY } as Record<RuleCode, SeverityLevel>;
    for (const [c, level] of Object.entries(s.severity ?? {})) severity[c as RuleCode] = level;
    for (const c of RULE_CODES) if (severity[c] === 'off') selected.delete(c);
    const aliases: Record<string, readonly string[]> = { ...DEFAULT_NOQA_ALIASES, ...(s.noqaAliases ?? {}) };
    const root = file ? dir : path.resolve(this.options.cwd ?? dir);
    return {
      ...(file ? { file } : {}),
      root,
      select: selected,
      exclude: [
        ...(s.exclude ?? DEFAULT_EXCLUDE),
        ...(fromFile?.extendExclude ?? []),
        ...(o.extendExclude ?? []),
      ],
      perFileIgnores: Object.entries(s.perFileIgnores ?? {}).map(
        ([pattern, codes]) => [pattern, expandSelectors(codes.filter((c) => /^BHD/i.test(c))).codes] as const,
      ),
      severity,
      httpTimeout: s.httpTimeout ?? 10,
      targetVersion: s.targetVersion ?? requiresPython(path.join(dir, 'pyproject.toml')),
      explicitTarget: s.targetVersion !== undefined,
      src: s.src ?? ['.'],
      respectGitignore: s.respectGitignore ?? true,
      noqaAliases: aliases,
    };
  }

  /**
   * Whether an entry met while walking a directory is excluded: a pattern without `/` is matched against the
   * entry's own name (its parents were matched when the walk entered them), others against its path from the
   * config's directory. A path given explicitly is never matched this way (Ruff checks it anyway).
   */
  excludedEntry(full: string): boolean {
    return this.excludedPath(path.resolve(full));
  }

  /** excludedEntry for an absolute, normalised path (the walk has one already). */
  excludedPath(absolute: string): boolean {
    const dir = path.dirname(absolute);
    let settings = this.entrySettings.get(dir);
    if (!settings) {
      settings = { config: this.forDirectory(dir), ruff: this.ruffFor(dir) };
      this.entrySettings.set(dir, settings);
    }
    const { config, ruff } = settings;
    const base = path.basename(absolute);
    const matches = (patterns: readonly string[], root: string): boolean => {
      const { paths, anyName } = byKind(patterns);
      if (anyName(base)) return true;
      if (paths.length === 0) return false;
      const rel = path.relative(root, absolute).split(path.sep).join('/');
      return !rel.startsWith('..') && paths.some((p) => matchesPattern(p, rel));
    };
    return matches(config.exclude, config.root) || (ruff !== undefined && matches(ruff.exclude, ruff.root));
  }

  /** Directory -> its configuration and Ruff exclusions (excludedEntry asks for every entry of a walk). */
  private readonly entrySettings = new Map<
    string,
    { config: ResolvedConfig; ruff: (RuffSettings & { root: string }) | undefined }
  >();

  private readonly ruffByDir = new Map<string, (RuffSettings & { root: string }) | undefined>();
  /** The closest Ruff config's exclusions (none with --config / --isolated). */
  private ruffFor(dir: string): (RuffSettings & { root: string }) | undefined {
    if (this.options.configFile || this.options.isolated) return undefined;
    const key = path.resolve(dir);
    if (this.ruffByDir.has(key)) return this.ruffByDir.get(key);
    const here = ruffSettingsIn(key);
    const parent = path.dirname(key);
    const result = here ? { ...here, root: key } : parent === key ? undefined : this.ruffFor(parent);
    this.ruffByDir.set(key, result);
    return result;
  }

  /**
   * A directory's configuration as a file's answer, one object per (configuration, excluded): the files of a
   * directory share it, and what is derived from it per object (the cache's key of the settings) once.
   */
  private readonly plainConfigs = new WeakMap<ResolvedConfig, (ResolvedConfig & { excluded: boolean })[]>();
  private plain(config: ResolvedConfig, excluded: boolean): ResolvedConfig & { excluded: boolean } {
    let pair = this.plainConfigs.get(config);
    if (!pair) this.plainConfigs.set(config, (pair = []));
    return (pair[excluded ? 1 : 0] ??= { ...config, excluded });
  }

  /** Absolute file -> forFile's answer (a check asks about each file more than once). */
  private readonly fileConfigs = new Map<string, ResolvedConfig & { excluded: boolean }>();

  /** The configuration of one file, with its `per-file-ignores` applied to `select`. */
  forFile(file: string): ResolvedConfig & { excluded: boolean } {
    const absolute = path.resolve(file);
    let known = this.fileConfigs.get(absolute);
    if (!known) this.fileConfigs.set(absolute, (known = this.configOfFile(absolute)));
    return known;
  }

  private configOfFile(absolute: string): ResolvedConfig & { excluded: boolean } {
    const config = this.forDirectory(path.dirname(absolute));
    const rel = path.relative(config.root, absolute).split(path.sep).join('/');
    const ruff = this.ruffFor(path.dirname(absolute));
    const ruffRel = ruff && path.relative(ruff.root, absolute).split(path.sep).join('/');
    const excluded =
      (!rel.startsWith('..') && anyMatches(config.exclude, rel)) ||
      (ruffRel !== undefined && !ruffRel.startsWith('..') && anyMatches(ruff!.exclude, ruffRel));
    const ignored = config.perFileIgnores.filter(
      ([p]) => matchesPattern(p, rel) || matchesPattern(p, path.basename(absolute)),
    );
    // Ruff's per-file-ignores of the same problems (ASYNC251 -> BHD006, S113 -> BHD005; a prefix such as
    // "ASYNC" covers its codes), through the noqa aliases.
    const ruffIgnored =
      ruffRel !== undefined && !ruffRel.startsWith('..')
        ? ruff!.perFileIgnores
            .filter(([p]) => matchesPattern(p, ruffRel) || matchesPattern(p, path.basename(absolute)))
            .map(([, codes]) => aliasedCodes(codes, config.noqaAliases))
        : [];
    if (ignored.length === 0 && ruffIgnored.every((c) => c.length === 0)) return this.plain(config, excluded);
    const select = new Set(config.select);
    for (const [, codes] of ignored) for (const c of codes) select.delete(c);
    for (const codes of ruffIgnored) for (const c of codes) select.delete(c);
    return { ...config, select, excluded };
  }
}

/** `patterns.some((p) => matchesPattern(p, rel))`, the name patterns tested together on each part of `rel`. */
function anyMatches(patterns: readonly string[], rel: string): boolean {
  const { paths, anyName } = byKind(patterns);
  return rel.split('/').some(anyName) || paths.some((p) => matchesPattern(p, rel));
}

/** Our rules whose aliases `codes` (other tools' codes or prefixes, or ALL) name. */
function aliasedCodes(
  codes: readonly string[],
  aliases: Readonly<Record<string, readonly string[]>>,
): RuleCode[] {
  return RULE_CODES.filter((rule) =>
    codes.some((c) => c === 'ALL' || (aliases[rule] ?? []).some((alias) => alias.startsWith(c))),
  );
}

/** The lower bound of `requires-python` in a pyproject.toml, if it exists and says. */
function requiresPython(file: string): PythonVersion | undefined {
  const text = readText(file);
  const spec = text === undefined ? undefined : requiresPythonOf(text);
  return spec ? lowerBoundOf(spec) : undefined;
}
