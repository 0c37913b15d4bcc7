/**
 * `backend-hang check [OPTIONS] [PATH]...` (options: src/cli/checkArgs.ts; output: src/cli/checkOutput.ts).
 * Exit codes: 0 no findings (or --exit-zero), 1 findings or --diff with changes, 2 usage, I/O or config error.
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkSource, preloadParser } from '../diagnostics/analyze';
import { ProjectIndex } from '../diagnostics/callGraph/projectIndex';
import { rootsForFiles } from '../diagnostics/callGraph/roots';
import type { Finding, RuleCode, Severity } from '../diagnostics/types';
import type { Parser, Tree } from '../python/treeSitter';
import type { CheckedFinding } from '../codeActions/fixStatus';
import { ConfigResolver, type ResolvedConfig } from '../config/discovery';
import { collectPythonFiles } from '../config/fileWalk';
import type { Settings } from '../config/settings';
import { CHECK_HELP, CHECK_USAGE, parseCheckArgs, UsageError, type CheckOptions } from './checkArgs';
import {
  paintWith,
  summary,
  toConcise,
  toFull,
  toJson,
  toSarifLog,
  toStatistics,
  type CheckReport,
  type FileReport,
  type SyntaxProblem,
} from './checkOutput';
import { decodeUtf8, NotUtf8Error } from './sourceText';

export { parseCheckArgs, UsageError, type CheckOptions } from './checkArgs';

declare const VERSION: string;

/** How a path is shown: relative to the working directory when inside it, else absolute. */
function displayPath(file: string, cwd: string): string {
  const absolute = path.resolve(cwd, file);
  const relative = path.relative(cwd, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

/**
 * The configured import roots (`src`/`roots`, like Ruff's `src`) of the projects the files belong to: where
 * BHD007 resolves `from app.services import x` besides the roots found from the files themselves.
 */
export function srcRoots(files: readonly string[], resolver: ConfigResolver): string[] {
  const roots = new Set<string>();
  for (const file of files) {
    const config = resolver.forFile(file);
    if (config.file) for (const s of config.src) roots.add(path.resolve(config.root, s));
  }
  return [...roots];
}

/** Reads a file into a reused buffer (synchronous on purpose: see checkFiles). */
function readBytes(file: string, state: { buffer: Buffer }): Buffer {
  const fd = openSync(file, 'r');
  try {
    let length = 0;
    for (let n; (n = readSync(fd, state.buffer, length, state.buffer.length - length, null)) > 0;) {
      length += n;
      if (length === state.buffer.length)
        state.buffer = Buffer.concat([state.buffer, Buffer.allocUnsafe(state.buffer.length)]);
    }
    return state.buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks files one after the other, on one thread (a worker_threads helper was measured slower on a loaded
 * 2-core machine). Reads are synchronous on purpose: for a thousand small files they beat promise-based reads.
 * A file whose bytes hold neither "requests" nor "async" cannot have a finding and is not even decoded (so
 * neither its encoding nor its syntax is looked at). Files with findings are parsed in full once more (one
 * tree shared by the fix check, the E999 check and the noqa aliases).
 */
async function checkFiles(
  files: readonly string[],
  resolver: ConfigResolver,
  cwd: string,
): Promise<{ reports: FileReport[]; syntaxErrors: SyntaxProblem[]; errors: string[] }> {
  const reports: FileReport[] = [];
  const syntaxErrors: SyntaxProblem[] = [];
  const errors: string[] = [];
  // BACKEND_HANG_FULL_PARSE=1: parse whole files (the bench checks that planned parsing finds the same).
  const regions = process.env.BACKEND_HANG_FULL_PARSE !== '1';
  const state = { buffer: Buffer.allocUnsafe(1 << 20) };
  // BHD007 (src/diagnostics/callGraph): modules resolve from the checked files' project roots.
  // The files do not change during a check: summaries are kept without re-reading (stable). Installed
  // packages count only when checked (checked: the site-packages beside a checked package is third-party).
  const project = new ProjectIndex({
    roots: rootsForFiles(files, [cwd, ...srcRoots(files, resolver)]),
    stable: true,
    checked: files,
  });
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readBytes(file, state);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      errors.push(
        `${file}: ${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code === 'ENOENT' ? 'no such file or directory' : String(err)}`,
      );
      continue;
    }
    if (!bytes.includes('requests') && !bytes.includes('async')) continue;
    let source: string;
    try {
      source = decodeUtf8(file, bytes).text;
    } catch (err) {
      if (!(err instanceof NotUtf8Error)) throw err;
      errors.push(err.message.replace(/; left untouched$/, '; not checked'));
      continue;
    }
    const config = resolver.forFile(file);
    if (config.select.size === 0) continue;
    const findings = await checkSource(source, { select: [...config.select], regions, project, file });
    // Syntax errors are looked for in files with findings only: a full parse of every file would cost about
    // half the check again, and tree-sitter's grammar misreads a few valid constructs (a false E999 on a file
    // that has nothing to report would be noise). Files with findings are parsed in full anyway (fixes).
    if (findings.length === 0) continue;
    const shown = displayPath(file, cwd);
    const { confirmed, kept } = await withTree(source, async (tree, parser) => {
      const confirmed = await confirmFixable(findings, source, file, config, tree, parser);
      return { confirmed, kept: await applyAliases(confirmed.findings, source, config, tree) };
    });
    if (confirmed.syntax) syntaxErrors.push({ file: shown, ...confirmed.syntax });
    if (kept.length > 0) reports.push({ file: shown, findings: kept, source });
  }
  return { reports, syntaxErrors, errors };
}

/** One parser for the files with findings, created on the first (the fix engine's, not the planner's). */
let reportParser: Promise<Parser> | undefined;

/** Runs `use` on a whole-file parse of `source` (deleted afterwards; undefined when it could not parse). */
async function withTree<T>(
  source: string,
  use: (tree: Tree | undefined, parser: Parser) => Promise<T>,
): Promise<T> {
  reportParser ??= import('../python/treeSitter').then((m) => m.createPythonParser());
  const parser = await reportParser;
  const tree = parser.parse(source) ?? undefined;
  try {
    return await use(tree, parser);
  } finally {
    tree?.delete();
  }
}

/**
 * Each finding's fix status as `--fix` would find it on this file (same target Python, http-timeout, test-file
 * rule), and the file's first syntax error, on the caller's `tree` of `source`. The fix engine is loaded only
 * for files with findings.
 */
async function confirmFixable(
  findings: Finding[],
  source: string,
  file: string,
  config: ResolvedConfig,
  tree: Tree | undefined,
  parser: Parser,
): Promise<{ findings: CheckedFinding[]; syntax?: { line: number; column: number; message: string } }> {
  const [fixes, status, versions, applicability, text] = await Promise.all([
    import('../codeActions/fixes'),
    import('../codeActions/fixStatus'),
    import('../codeActions/pythonVersion'),
    import('../codeActions/applicability'),
    import('./sourceText'),
  ]);
  const syntax = tree ? text.syntaxProblem(tree) : undefined;
  if (syntax) {
    // A file that does not parse is never fixed.
    return {
      findings: findings.map((f) => ({ ...f, fixable: false, noFixReason: 'the file has a syntax error' })),
      syntax,
    };
  }
  const pythonVersion = config.targetVersion ?? versions.pythonVersionForFile(path.resolve(file));
  const options = fixes.fixOptionsFor(source, {
    pythonVersion,
    httpTimeoutSeconds: config.httpTimeout,
    testFile: applicability.isTestFile(path.resolve(file), config.root),
  });
  return { findings: status.confirmFixable(findings, source, parser, options, tree) };
}

/** Drops findings suppressed by other tools' codes configured in `noqa-aliases` (the defaults apply already). */
async function applyAliases(
  findings: CheckedFinding[],
  source: string,
  config: ResolvedConfig,
  tree: Tree | undefined,
): Promise<CheckedFinding[]> {
  const noqa = await import('../diagnostics/noqa');
  if (JSON.stringify(config.noqaAliases) === JSON.stringify(noqa.DEFAULT_NOQA_ALIASES)) return findings;
  if (!tree) return findings;
  const kept = new Set(noqa.applyNoqa(tree, source, findings, config.noqaAliases));
  return findings.filter((f) => kept.has(f));
}

/**
 * Writes to stdout with plain `write(2)` calls: touching `process.stdout` initialises Node's stream machinery,
 * a visible share of a short check's wall time. Falls back to the stream when the descriptor would block.
 */
function writeStdout(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written, bytes.length - written);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    process.stdout.write(bytes.subarray(written));
  }
}

/** Colour: --color always/never, else a terminal without NO_COLOR (FORCE_COLOR forces it). */
function useColor(options: CheckOptions): boolean {
  if (options.color !== 'auto') return options.color === 'always';
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(process.stdout.isTTY);
}

function overridesOf(o: CheckOptions): Settings {
  const s: Settings = {};
  if (o.select) s.select = o.select;
  if (o.extendSelect) s.extendSelect = o.extendSelect;
  if (o.ignore) s.ignore = o.ignore;
  if (o.httpTimeout !== undefined) s.httpTimeout = o.httpTimeout;
  if (o.targetVersion) s.targetVersion = o.targetVersion;
  if (o.exclude) s.exclude = o.exclude;
  if (o.extendExclude) s.extendExclude = o.extendExclude;
  return s;
}

/** Runs `backend-hang check`; returns the exit code. */
export async function runCheckCommand(args: string[]): Promise<number> {
  let options: CheckOptions;
  try {
    options = parseCheckArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(
      `backend-hang check: ${err.message}\n${CHECK_USAGE}\nFor more information, try 'backend-hang check --help'.\n`,
    );
    return 2;
  }
  if (options.help) {
    writeStdout(`${CHECK_HELP}\n`);
    return 0;
  }
  preloadParser();
  const cwd = process.cwd();
  const warnings: string[] = [];
  const resolver = new ConfigResolver({
    overrides: overridesOf(options),
    configFile: options.config,
    isolated: options.isolated,
    warn: (m) => warnings.push(m),
    cwd,
  });
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  if (options.config) {
    try {
      decodeUtf8(options.config, readFileSync(options.config));
    } catch (err) {
      say(
        `backend-hang check: --config ${options.config}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      );
      return 2;
    }
  }
  // Like `ruff check`: no path means the working directory.
  const paths = options.paths.length > 0 ? options.paths : ['.'];
  const { files, errors: pathErrors } = collectPythonFiles(paths, resolver, {
    respectGitignore: options.respectGitignore,
    forceExclude: options.forceExclude,
  });
  const errors = pathErrors.map((e) => e.message);
  for (const w of warnings.splice(0)) say(`warning: ${w}`);
  if (files.length === 0 && errors.length === 0) {
    say('warning: No Python files found under the given path(s)');
    if (options.format === 'json') writeStdout('[]\n');
    return 0;
  }
  const paint = paintWith(useColor(options));

  // --fix / --diff: fix (or compute the fixes of) the files first; the check below reports what is left.
  let diffChanges = 0;
  if (options.fix || options.diff) {
    const { describeFixes, fixFiles } = await import('./fixFiles');
    const reports = await fixFiles(files, {
      unsafeFixes: options.unsafeFixes,
      dryRun: options.diff,
      configFor: (f) => resolver.forFile(f),
      srcRoots: srcRoots(files, resolver),
    });
    for (const r of reports) if (r.error) errors.push(r.error);
    if (options.diff) {
      const { unifiedDiff } = await import('./sourceText');
      const diffs = reports.filter((r) => r.before !== undefined && r.after !== undefined);
      diffChanges = diffs.reduce((n, r) => n + r.applied.length, 0);
      writeStdout(diffs.map((r) => unifiedDiff(displayPath(r.file, cwd), r.before!, r.after!)).join('\n'));
      const hidden = reports.reduce((n, r) => n + (r.unsafe?.length ?? 0), 0);
      if (!options.quiet) {
        say(
          diffChanges
            ? `Would fix ${diffChanges} ${diffChanges === 1 ? 'finding' : 'findings'}.`
            : 'No fixes available.',
        );
        if (hidden) say(`${hidden} more ${hidden === 1 ? 'fix' : 'fixes'} available with --unsafe-fixes.`);
      }
      for (const e of errors) say(`backend-hang check: ${e}`);
      return errors.length ? 2 : diffChanges > 0 ? 1 : 0;
    }
    // stdout for text, stderr for json/sarif so their stdout stays one document.
    const text = options.format === 'full' || options.format === 'concise';
    if (!options.quiet)
      for (const line of describeFixes(reports, (f) => displayPath(f, cwd)))
        if (text) writeStdout(`${line}\n`);
        else say(line);
  }

  const { reports, syntaxErrors, errors: readErrors } = await checkFiles(files, resolver, cwd);
  errors.push(...readErrors);
  const severityCache = new Map<string, Readonly<Record<RuleCode, string>>>();
  const report: CheckReport = {
    files: reports,
    syntaxErrors,
    unsafeFixes: options.unsafeFixes,
    severity: (file: string, code: RuleCode): Severity => {
      let s = severityCache.get(file);
      if (!s) severityCache.set(file, (s = resolver.forFile(path.resolve(cwd, file)).severity));
      const level = s[code];
      return (level === 'off' ? 'hint' : level) as Severity;
    },
  };
  let output: string;
  if (options.statistics && options.format !== 'json' && options.format !== 'sarif')
    output = toStatistics(report);
  else if (options.format === 'json') output = `${JSON.stringify(toJson(report), null, 2)}\n`;
  else if (options.format === 'sarif')
    output = `${JSON.stringify(
      toSarifLog(report, {
        version: typeof VERSION === 'string' ? VERSION : '0.0.0',
        srcRoot: pathToFileURL(cwd + path.sep).href,
        informationUri: 'https://github.com/backend-hang/backend-hang-debug',
      }),
      null,
      2,
    )}\n`;
  else output = options.format === 'concise' ? toConcise(report, paint) : toFull(report, paint);
  if (options.format !== 'json' && options.format !== 'sarif' && !options.quiet && files.length > 0)
    output += `${summary(report, paint).join('\n')}\n`;
  writeStdout(output);
  for (const w of warnings) say(`warning: ${w}`);
  for (const e of errors) say(`backend-hang check: error: ${e}`);
  if (errors.length > 0) return 2;
  const count = reports.reduce((n, r) => n + r.findings.length, 0) + syntaxErrors.length;
  return count > 0 && !options.exitZero ? 1 : 0;
}
