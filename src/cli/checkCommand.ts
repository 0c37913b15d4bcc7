/**
 * `backend-hang check [--format text|json|sarif] [--select BHD001,...] [--fix] PATH...`
 * Exit codes: 0 no findings, 1 findings, 2 usage or I/O error (with a message on stderr).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkSource } from '../diagnostics/analyze';
import { findPythonFiles } from '../diagnostics/pythonFiles';
import { toJsonRecords, toSarif, toText, type FileFindings } from '../diagnostics/report';
import { RULE_CODES, type RuleCode } from '../diagnostics/types';

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
 * Checks files one after the other. Reads are synchronous on purpose: for a thousand small files they beat
 * promise-based reads (no thread-pool round trips), and parsing is synchronous anyway. A file whose bytes hold
 * neither "requests" nor "async" cannot have a finding (see mightContainFindings) and is not even decoded.
 */
async function checkFiles(
  files: readonly string[],
  select: RuleCode[] | undefined,
  cwd: string,
  indices?: readonly number[],
): Promise<IndexedResults> {
  const results: IndexedResults['results'] = [];
  const errors: IndexedResults['errors'] = [];
  // BACKEND_HANG_FULL_PARSE=1: parse whole files (the bench checks that planned parsing finds the same).
  const regions = process.env.BACKEND_HANG_FULL_PARSE !== '1';
  let buffer = Buffer.allocUnsafe(1 << 20);
  for (const index of indices ?? files.keys()) {
    const file = files[index]!;
    let bytes: Buffer;
    try {
      // One reused buffer instead of a new one per file: a thousand files' worth of garbage otherwise.
      const fd = openSync(file, 'r');
      try {
        const size = fstatSync(fd).size;
        if (size + 1 > buffer.length) buffer = Buffer.allocUnsafe(Math.max(size + 1, buffer.length * 2));
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
      errors.push({
        index,
        message: `${file}: ${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(err)}`,
      });
      continue;
    }
    if (!bytes.includes('requests') && !bytes.includes('async')) continue;
    const findings = await checkSource(bytes.toString('utf8'), { ...(select ? { select } : {}), regions });
    if (findings.length > 0) results.push({ index, file: displayPath(file, cwd), findings });
  }
  return { results, errors };
}

/** Per-file outcome of checkFiles, with each file's position in the list (halves are merged back in order). */
interface IndexedResults {
  results: (FileFindings & { index: number })[];
  errors: { index: number; message: string }[];
}

/** What the worker of a check receives (workerData.role tells src/cli.ts to run `runCheckWorker`). */
interface CheckJob {
  files: string[];
  indices: number[];
  select: RuleCode[] | undefined;
  cwd: string;
}

/** Marks a worker thread started by `startHelper` (see src/cli.ts). */
export const CHECK_WORKER_ROLE = 'backend-hang-check';

/** Below this many files a second thread does not pay for its start-up. */
const MIN_FILES_FOR_WORKER = 200;

/**
 * Body of the helper thread: waits for one CheckJob, checks its files, posts the IndexedResults back.
 * Runs in a worker_threads Worker on the same bundle (dist/cli.js).
 */
export function runCheckWorker(port: import('node:worker_threads').MessagePort): void {
  port.once('message', (job: CheckJob) => {
    void checkFiles(job.files, job.select, job.cwd, job.indices).then(
      (r) => {
        port.postMessage(r);
        port.close();
      },
      (err: unknown) => {
        port.postMessage({ failed: err instanceof Error ? err.message : String(err) });
        port.close();
      },
    );
  });
}

/**
 * A helper thread for a big check (both cores: ruff uses them too). Started before the directory walk so its
 * start-up (a V8 isolate, the bundle) overlaps the walk; it takes every other file. Undefined when not worth
 * it or not possible (no bundle path, BACKEND_HANG_WORKERS=0).
 */
function startHelper(script: string | undefined, paths: readonly string[]): Worker | undefined {
  if (!script || process.env.BACKEND_HANG_WORKERS === '0') return undefined;
  const anyDirectory = paths.some((p) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  });
  if (!anyDirectory) return undefined;
  const worker = new Worker(script, { workerData: { role: CHECK_WORKER_ROLE } });
  // Until it has a job, it must not keep the process alive (a small walk terminates it).
  worker.unref();
  return worker;
}

/** Checks `files`, on two threads when `helper` is there and there are enough files. */
async function checkAll(
  files: readonly string[],
  select: RuleCode[] | undefined,
  cwd: string,
  helper: Worker | undefined,
): Promise<{ results: FileFindings[]; errors: string[] }> {
  let merged: IndexedResults;
  if (helper && files.length >= MIN_FILES_FOR_WORKER) {
    const mine: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < files.length; i++) (i % 2 === 0 ? mine : theirs).push(i);
    helper.ref();
    const answer = new Promise<IndexedResults>((resolve, reject) => {
      helper.once('message', (m: IndexedResults | { failed: string }) =>
        'failed' in m ? reject(new Error(m.failed)) : resolve(m),
      );
      helper.once('error', reject);
    });
    const job: CheckJob = { files: [...files], indices: theirs, select, cwd };
    helper.postMessage(job);
    const own = await checkFiles(files, select, cwd, mine);
    const other = await answer;
    void helper.terminate();
    merged = {
      results: [...own.results, ...other.results].sort((a, b) => a.index - b.index),
      errors: [...own.errors, ...other.errors].sort((a, b) => a.index - b.index),
    };
  } else {
    if (helper) void helper.terminate();
    merged = await checkFiles(files, select, cwd);
  }
  return {
    results: merged.results.map(({ file, findings }) => ({ file, findings })),
    errors: merged.errors.map((e) => e.message),
  };
}

/** Runs `backend-hang check`; returns the exit code. */
export async function runCheckCommand(args: string[], workerScript?: string): Promise<number> {
  let options: CheckOptions;
  try {
    options = parseCheckArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`backend-hang check: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const cwd = process.cwd();
  const helper = options.fix ? undefined : startHelper(workerScript, options.paths);
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

  const { results, errors: readErrors } = await checkAll(files, options.select, cwd, helper);
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
  process.stdout.write(output);
  for (const e of errors) process.stderr.write(`backend-hang check: ${e}\n`);
  if (errors.length > 0) return 2;
  return results.length > 0 ? 1 : 0;
}
