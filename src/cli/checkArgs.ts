/**
 * `backend-hang check`'s command line (pure): Ruff's option names and meanings where Ruff has them.
 */
import { RULE_CODES } from '../diagnostics/types';
import { expandSelectors, parseTargetVersion } from '../config/settings';
import type { PythonVersion } from '../codeActions/pythonVersion';

export const CHECK_USAGE = 'Usage: backend-hang check [OPTIONS] [PATH]...';

export const CHECK_HELP = `Check Python files for code that blocks the event loop (rules ${RULE_CODES.join(', ')}).

${CHECK_USAGE}

Arguments:
  [PATH]...  Files or directories to check [default: .]

Fixes:
      --fix                  Apply the safe fixes, then report what is left
      --unsafe-fixes         Also apply (with --fix/--diff) or count as fixable the unsafe fixes
      --no-unsafe-fixes      Only safe fixes (the default)
      --diff                 Print what --fix would change as a unified diff; change nothing (exit 1 if any)
      --http-timeout <S>     Timeout (seconds) the BHD005 fix adds [default: config's http-timeout, else 10]
      --target-version <V>   Python the fixes target, e.g. py38 or 3.8 [default: target-version, else
                             requires-python, else 3.9]

Rule selection:
      --select <CODES>       Rules (codes or prefixes, comma-separated); replaces the config's \`select\`
      --extend-select <CODES>  Rules added to the selection
      --ignore <CODES>       Rules not to report

File selection:
      --exclude <GLOBS>      Patterns to skip (replaces the config's \`exclude\`), comma-separated
      --extend-exclude <GLOBS>  Patterns to skip besides \`exclude\`
      --respect-gitignore    Skip what .gitignore files ignore (the default)
      --no-respect-gitignore  Walk into git-ignored files too
      --force-exclude        Apply exclusions to paths given on the command line too

Configuration:
      --config <FILE>        Use this pyproject.toml / backend-hang.toml for every file
      --isolated             Ignore all configuration files

Cache (results of unchanged files are reused, like Ruff's):
  -n, --no-cache             Check every file again (also BACKEND_HANG_NO_CACHE=1)
      --cache-dir <DIR>      Where the cache lives [default: .backend-hang-cache in the working directory;
                             env: BACKEND_HANG_CACHE_DIR]
                             (The CLI's own start is cached apart: V8's bytecode of its bundle, per user in
                             ~/.cache/backend-hang; BACKEND_HANG_CODE_CACHE=0 turns it off, =DIR moves it)

Output:
      --output-format <F>    full (source line and caret), concise, json, sarif [default: full]
      --format <F>           Same as --output-format (text = concise)
      --statistics           Print the number of findings per rule instead of the findings
      --exit-zero            Exit 0 even when there are findings
      --color <WHEN>         auto, always or never [default: auto: on a terminal unless NO_COLOR is set]
  -q, --quiet                Print findings only (no summary, no "fixed" lines)
  -v, --verbose              Also print to stderr how the check ran: files found, from the cache, checked
                             on how many threads (files per thread), time taken, code cache used or not
  -h, --help                 Print this help

Exit status: 0 no findings (or --exit-zero), 1 findings (or --diff with changes), 2 usage, I/O or config error.
Configuration: [tool.backend-hang] in pyproject.toml or backend-hang.toml, found from each file upward.`;

export type OutputFormat = 'full' | 'concise' | 'json' | 'sarif';

/** Parsed command line of `check`. */
export interface CheckOptions {
  format: OutputFormat;
  /** Rule selectors given with --select (undefined: the config's). */
  select?: string[];
  extendSelect?: string[];
  ignore?: string[];
  fix: boolean;
  unsafeFixes: boolean;
  diff: boolean;
  statistics: boolean;
  exitZero: boolean;
  quiet: boolean;
  /** -v/--verbose: how the check ran, on stderr. */
  verbose: boolean;
  color: 'auto' | 'always' | 'never';
  httpTimeout?: number;
  targetVersion?: PythonVersion;
  exclude?: string[];
  extendExclude?: string[];
  respectGitignore?: boolean;
  forceExclude: boolean;
  config?: string;
  isolated: boolean;
  /** --no-cache: no cache read or written. */
  noCache: boolean;
  cacheDir?: string;
  help: boolean;
  paths: string[];
}

/** A command-line mistake: reported with the usage line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function codesOf(name: string, text: string): string[] {
  const codes = text
    .split(',')
    .map((c) => c.trim().toUpperCase())
    .filter((c) => c.length > 0);
  if (codes.length === 0) throw new UsageError(`${name} needs at least one rule code`);
  const { unknown } = expandSelectors(codes);
  // --ignore may name other tools' codes (shared command lines); --select/--extend-select may not.
  const wrong = name === '--ignore' ? unknown.filter((c) => /^BHD/.test(c)) : unknown;
  if (wrong.length > 0)
    throw new UsageError(`unknown rule code ${wrong.join(', ')} (known: ${RULE_CODES.join(', ')})`);
  return [...new Set(codes)];
}

const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Parses `check`'s arguments (pure). Throws UsageError. */
export function parseCheckArgs(args: readonly string[]): CheckOptions {
  const o: CheckOptions = {
    format: 'full',
    fix: false,
    unsafeFixes: false,
    diff: false,
    statistics: false,
    exitZero: false,
    quiet: false,
    verbose: false,
    color: 'auto',
    forceExclude: false,
    isolated: false,
    noCache: false,
    help: false,
    paths: [],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      o.paths.push(...args.slice(i + 1));
      break;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${name} needs a value`);
      return next;
    };
    const flag = (): true => {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
      return true;
    };
    switch (name) {
      case '--format':
      case '--output-format': {
        const f = value();
        const format = f === 'text' ? 'concise' : f;
        if (format !== 'full' && format !== 'concise' && format !== 'json' && format !== 'sarif')
          throw new UsageError(`unknown format '${f}' (expected full, concise, json or sarif)`);
        o.format = format;
        break;
      }
      case '--select':
        o.select = codesOf(name, value());
        break;
      case '--extend-select':
        o.extendSelect = codesOf(name, value());
        break;
      case '--ignore':
        o.ignore = codesOf(name, value());
        break;
      case '--fix':
        o.fix = flag();
        break;
      case '--no-fix':
        flag();
        o.fix = false;
        break;
      case '--unsafe-fixes':
        o.unsafeFixes = flag();
        break;
      case '--no-unsafe-fixes':
        flag();
        o.unsafeFixes = false;
        break;
      case '--diff':
        o.diff = flag();
        break;
      case '--statistics':
        o.statistics = flag();
        break;
      case '--exit-zero':
        o.exitZero = flag();
        break;
      case '-q':
      case '--quiet':
        o.quiet = flag();
        break;
      case '-v':
      case '--verbose':
        o.verbose = flag();
        break;
      case '--color': {
        const when = value();
        if (when !== 'auto' && when !== 'always' && when !== 'never')
          throw new UsageError(`--color must be auto, always or never, not '${when}'`);
        o.color = when;
        break;
      }
      case '--http-timeout': {
        const text = value();
        const n = Number(text);
        if (!(n > 0) || !Number.isFinite(n))
          throw new UsageError(`--http-timeout must be a positive number of seconds, not '${text}'`);
        o.httpTimeout = n;
        break;
      }
      case '--target-version': {
        const text = value();
        const v = parseTargetVersion(text);
        if (!v) throw new UsageError(`--target-version must look like py39 or 3.9, not '${text}'`);
        o.targetVersion = v;
        break;
      }
      case '--exclude':
        o.exclude = list(value());
        break;
      case '--extend-exclude':
        o.extendExclude = [...(o.extendExclude ?? []), ...list(value())];
        break;
      case '--respect-gitignore':
        o.respectGitignore = flag();
        break;
      case '--no-respect-gitignore':
        flag();
        o.respectGitignore = false;
        break;
      case '--force-exclude':
        o.forceExclude = flag();
        break;
      case '--config':
        o.config = value();
        break;
      case '--isolated':
        o.isolated = flag();
        break;
      case '-n':
      case '--no-cache':
        o.noCache = flag();
        break;
      case '--cache-dir':
        o.cacheDir = value();
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`);
        o.paths.push(arg);
    }
  }
  if (o.diff && o.fix) throw new UsageError('--diff and --fix cannot be used together');
  return o;
}
