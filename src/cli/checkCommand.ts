/**
 * `backend-hang check [--format text|json|sarif] [--select BHD001,...] [--fix] PATH...`
 * Exit codes: 0 no findings, 1 findings, 2 usage or I/O error (with a message on stderr).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkSource } from '../diagnostics/analyze';
import { findPythonFiles } from '../diagnostics/pythonFiles';
import { toJsonRecords, toSarif, toText, type FileFindings } from '../diagnostics/report';
import { RULE_CODES, type Finding, type RuleCode } from '../diagnostics/types';

declare const VERSION: string;

const USAGE = 'Usage: backend-hang check [--format text|json|sarif] [--select BHD001,...] [--fix] PATH...';

/** Parsed command line of `check`. */
export interface CheckOptions {
  format: 'text' | 'json' | 'sarif';
  select: RuleCode[] | undefined;
  fix: boolean;
  paths: string[];
}

/** A command-line mistake: reported with the usage line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses `check`'s arguments (pure). Throws UsageError. */
export function parseCheckArgs(args: readonly string[]): CheckOptions {
  const options: CheckOptions = { format: 'text', select: undefined, fix: false, paths: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      options.paths.push(...args.slice(i + 1));
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
    switch (name) {
      case '--format': {
        const format = value();
        if (format !== 'text' && format !== 'json' && format !== 'sarif') {
          throw new UsageError(`unknown format '${format}' (expected text, json or sarif)`);
        }
        options.format = format;
        break;
      }
      case '--select': {
        const codes = value()
          .split(',')
          .map((c) => c.trim().toUpperCase())
          .filter((c) => c.length > 0);
        const unknown = codes.filter((c) => !(RULE_CODES as readonly string[]).includes(c));
        if (unknown.length > 0) {
          throw new UsageError(`unknown rule code ${unknown.join(', ')} (known: ${RULE_CODES.join(', ')})`);
        }
        if (codes.length === 0) throw new UsageError('--select needs at least one rule code');
        options.select = [...new Set(codes as RuleCode[])];
        break;
      }
      case '--fix':
        options.fix = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`);
        options.paths.push(arg);
    }
  }
  if (options.paths.length === 0) throw new UsageError('no PATH given');
  return options;
}

/** How a path is shown: relative to the working directory when inside it, else absolute. */
function displayPath(file: string, cwd: string): string {
  const absolute = path.resolve(cwd, file);
  const relative = path.relative(cwd, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

/**
 * Checks files one after the other, on one thread: a worker_threads helper taking every other file was
 * measured slower (its isolate, bundle and module start-up cost more than the half of the work it takes
 * over, on a loaded 2-core machine). Reads are synchronous on purpose: for a thousand small files they beat
 * promise-based reads (no thread-pool round trips), and parsing is synchronous anyway. A file whose bytes hold
 * neither "requests" nor "async" cannot have a finding (see mightContainFindings) and is not even decoded.
 */
async function checkFiles(
  files: readonly string[],
  select: RuleCode[] | undefined,
  cwd: string,
): Promise<{ results: FileFindings[]; errors: string[] }> {
  const results: FileFindings[] = [];
  const errors: string[] = [];
  // BACKEND_HANG_FULL_PARSE=1: parse whole files (the bench checks that planned parsing finds the same).
  const regions = process.env.BACKEND_HANG_FULL_PARSE !== '1';
  let buffer = Buffer.allocUnsafe(1 << 20);
  for (const file of files) {
    let bytes: Buffer;
    try {
      // One reused buffer instead of a new one per file: a thousand files' worth of garbage otherwise.
      const fd = openSync(file, 'r');
      try {
        let length = 0;
        for (let n; (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0;) {
          length += n;
          if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
        }
        bytes = buffer.subarray(0, length);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      errors.push(
        `${file}: ${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(err)}`,
      );
      continue;
    }
    if (!bytes.includes('requests') && !bytes.includes('async')) continue;
    const source = bytes.toString('utf8');
    const findings = await checkSource(source, { ...(select ? { select } : {}), regions });
    if (findings.length > 0)
      results.push({ file: displayPath(file, cwd), findings: await confirmFixable(findings, source, file) });
  }
  return { results, errors };
}

/**
 * `fixable` as `--fix` would find it on this file (same target Python version). The fix engine is loaded only
 * when a file has a finding a fix exists for.
 */
async function confirmFixable(findings: Finding[], source: string, file: string): Promise<Finding[]> {
  if (!findings.some((f) => f.fixable)) return findings;
  const [fixes, versions, treeSitter] = await Promise.all([
    import('../codeActions/fixes'),
    import('../codeActions/pythonVersion'),
    import('../python/treeSitter'),
  ]);
  const parser = await treeSitter.createPythonParser();
  try {
    const pythonVersion = versions.pythonVersionForFile(path.resolve(file));
    return fixes.confirmFixable(findings, source, parser, fixes.fixOptionsFor(source, { pythonVersion }));
  } finally {
    parser.delete();
  }
}

/**
 * Writes the report to stdout with plain `write(2)` calls: touching `process.stdout` initialises Node's stream
 * machinery, a visible share of a short check's wall time. Falls back to the stream when the descriptor
 * would block (a non-blocking pipe).
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

/** Runs `backend-hang check`; returns the exit code. */
export async function runCheckCommand(args: string[]): Promise<number> {
  let options: CheckOptions;
  try {
    options = parseCheckArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`backend-hang check: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const cwd = process.cwd();
  const { files, errors: pathErrors } = await findPythonFiles(options.paths);
  const errors = pathErrors.map((e) => e.message);

  // ---- --fix (engineer D, src/cli/fixFiles.ts): fix the files first (atomic writes, only changed files),
  // say what changed (stdout for text, stderr for json/sarif so their stdout stays one document), then the
  // check below reports what is left. A file that cannot be fixed (unreadable, not UTF-8) is an error: exit 2.
  if (options.fix) {
    // Loaded on demand: the fix engine is not needed (nor initialised) by a plain check.
    const { describeFixes, fixFiles } = await import('./fixFiles');
    const reports = await fixFiles(files, { select: options.select });
    const say = options.format === 'text' ? process.stdout : process.stderr;
    for (const line of describeFixes(reports, (f) => displayPath(f, cwd))) say.write(`${line}\n`);
    for (const r of reports) if (r.error) errors.push(r.error);
  }
  // ---- end of --fix

  const { results, errors: readErrors } = await checkFiles(files, options.select, cwd);
  errors.push(...readErrors);
  let output: string;
  switch (options.format) {
    case 'json':
      output = `${JSON.stringify(toJsonRecords(results), null, 2)}\n`;
      break;
    case 'sarif':
      output = `${JSON.stringify(
        toSarif(results, {
          version: typeof VERSION === 'string' ? VERSION : '0.0.0',
          srcRoot: pathToFileURL(cwd + path.sep).href,
          informationUri: 'https://github.com/backend-hang/backend-hang-debug',
        }),
        null,
        2,
      )}\n`;
      break;
    default:
      output = toText(results);
  }
  writeStdout(output);
  for (const e of errors) process.stderr.write(`backend-hang check: ${e}\n`);
  if (errors.length > 0) return 2;
  return results.length > 0 ? 1 : 0;
}
