/**
 * `backend-hang check [OPTIONS] [PATH]...` (options: src/cli/checkArgs.ts; output: src/cli/checkOutput.ts).
 * Exit codes: 0 no findings (or --exit-zero), 1 findings or --diff with changes, 2 usage, I/O or config error.
 */
import { readFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { preloadParser } from '../diagnostics/analyze';
import type { RuleCode, Severity } from '../diagnostics/types';
import { ConfigResolver, type ResolverOptions } from '../config/discovery';
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
} from './checkOutput';
import { checkRoots, displayPath, srcRoots } from './checkFiles';
import { CheckCache } from './checkCache';
import { describeRun, runCheck } from './parallelCheck';
import { describeCodeCache } from './codeCache';
import { decodeUtf8 } from './sourceText';

export { parseCheckArgs, UsageError, type CheckOptions } from './checkArgs';

declare const VERSION: string;

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

/**
 * Runs `backend-hang check`; returns the exit code. `workerScript`: the CLI bundle, started as worker threads
 * to check a large tree on several cores (./parallelCheck); without it everything runs on this thread.
 */
export async function runCheckCommand(args: string[], workerScript?: string): Promise<number> {
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
  const started = performance.now();
  preloadParser();
  // Like `ruff check`: no path means the working directory.
  const paths = options.paths.length > 0 ? options.paths : ['.'];
  const cwd = process.cwd();
  const warnings: string[] = [];
  const resolverOptions: Omit<ResolverOptions, 'warn'> = {
    overrides: overridesOf(options),
    configFile: options.config,
    isolated: options.isolated,
    cwd,
  };
  const resolver = new ConfigResolver({ ...resolverOptions, warn: (m) => warnings.push(m) });
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
  const { files, errors: pathErrors } = collectPythonFiles(paths, resolver, {
    respectGitignore: options.respectGitignore,
    forceExclude: options.forceExclude,
  });
  const errors = pathErrors.map((e) => e.message);
  const warned = new Set(warnings);
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
      const { unifiedDiff } = await import('./unifiedDiff');
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

  // The cache (like Ruff's): on unless --no-cache / BACKEND_HANG_NO_CACHE; only for the CLI bundle (workerScript).
  const noCache = options.noCache || ['1', 'true'].includes(process.env.BACKEND_HANG_NO_CACHE ?? '');
  const cacheDir = options.cacheDir ?? process.env.BACKEND_HANG_CACHE_DIR ?? '.backend-hang-cache';
  const cache = noCache || !workerScript ? undefined : CheckCache.open(cacheDir, cwd, workerScript);
  const job = { files, roots: () => checkRoots(files, resolver, cwd), cwd, resolver: resolverOptions };
  const checked = await runCheck(job, resolver, workerScript, cache);
  const { reports, syntaxErrors } = checked;
  errors.push(...checked.errors);
  for (const w of checked.warnings) if (!warned.has(w) && !warnings.includes(w)) warnings.push(w);
  const severityCache = new Map<string, Readonly<Record<RuleCode, string>>>();
  const report: CheckReport = {
    files: reports,
    syntaxErrors,
    unsafeFixes: options.unsafeFixes,
    show: (file) => displayPath(file, cwd),
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
  if (options.verbose) {
    for (const line of describeRun(files.length, checked.stats, performance.now() - started))
      say(`backend-hang check: ${line}`);
    const start = describeCodeCache();
    if (start) say(`backend-hang check: ${start}`);
  }
  if (errors.length > 0) return 2;
  const count = reports.reduce((n, r) => n + r.findings.length, 0) + syntaxErrors.length;
  return count > 0 && !options.exitZero ? 1 : 0;
}
