/**
 * `backend-hang dump --pid N [--format text|json] [--locals] [--native] [--pyspy PATH] [--timeout S]`:
 * runs py-spy through the same runner, parser and diagnosis as the editor. Exit 0 when the capture worked
 * (findings or not), 2 with a clear message when it did not.
 */
import { existsSync, readFileSync } from 'node:fs';
import { checkSource } from '../diagnostics/analyze';
import type { BlockedLoopFinding, Diagnosis } from '../pyspyView/types';
import { formatCaptureText, toCaptureJson } from '../pyspyView/captureFormat';
import { diagnose, type SourceLineReader } from '../pyspyView/diagnosis';
import { locatePySpy, pySpyCandidates } from '../pyspyView/pyspyLocator';
import { captureDump, PySpyError, PySpyNotFoundError, UnparseableDumpError } from '../pyspyView/runner';

/** Parsed command-line options of `dump`. */
export interface DumpArgs {
  pid: number;
  format: 'text' | 'json';
  locals: boolean;
  native: boolean;
  pyspy?: string;
  timeoutSeconds: number;
}

/** A usage error (exit 2, message plus usage). */
export class DumpUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DumpUsageError';
  }
}

/** Pure: parses `dump`'s arguments. @throws DumpUsageError */
export function parseDumpArgs(args: string[]): DumpArgs {
  const out: Partial<DumpArgs> = { format: 'text', locals: false, native: false, timeoutSeconds: 30 };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes('=')
      ? (args[i].split(/=(.*)/s, 2) as [string, string])
      : [args[i], undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new DumpUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--pid': {
        const v = value();
        if (!/^\d+$/.test(v)) throw new DumpUsageError(`--pid must be a process id, got '${v}'`);
        out.pid = Number(v);
        break;
      }
      case '--format': {
        const v = value();
        if (v !== 'text' && v !== 'json')
          throw new DumpUsageError(`--format must be text or json, got '${v}'`);
        out.format = v;
        break;
      }
      case '--locals':
        out.locals = true;
        break;
      case '--native':
        out.native = true;
        break;
      case '--pyspy':
        out.pyspy = value();
        break;
      case '--timeout': {
        const v = Number(value());
        if (!(v > 0)) throw new DumpUsageError('--timeout must be a positive number of seconds');
        out.timeoutSeconds = v;
        break;
      }
      default:
        throw new DumpUsageError(`unknown option '${args[i]}'`);
    }
  }
  if (out.pid === undefined) throw new DumpUsageError('--pid is required');
  return out as DumpArgs;
}

const USAGE =
  'usage: backend-hang dump --pid N [--format text|json] [--locals] [--native] [--pyspy PATH] [--timeout S]';

/** Runs `backend-hang dump`; resolves to the exit code. */
export async function runDumpCommand(args: string[]): Promise<number> {
  let opts: DumpArgs;
  try {
    opts = parseDumpArgs(args);
  } catch (err) {
    process.stderr.write(`backend-hang dump: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const located = locatePySpy({
    configured: opts.pyspy ?? process.env.BACKEND_HANG_PYSPY,
    interpreterPath: process.env.VIRTUAL_ENV ? `${process.env.VIRTUAL_ENV}/bin/python` : undefined,
    pathEnv: process.env.PATH,
    exists: existsSync,
  });
  if (!located) {
    const tried = pySpyCandidates({ pathEnv: process.env.PATH }).length;
    process.stderr.write(
      `backend-hang dump: py-spy not found (looked in ${tried} PATH directories). Install it (pip install py-spy) ` +
        'or pass --pyspy PATH.\n',
    );
    return 2;
  }
  try {
    const capturedAt = new Date();
    const { dump } = await captureDump(located.path, opts.pid, {
      timeoutMs: opts.timeoutSeconds * 1000,
      locals: opts.locals,
      native: opts.native,
    });
    const diagnosis = diagnose(dump, { sourceLine: readSourceLine });
    process.stdout.write(
      opts.format === 'json'
        ? `${JSON.stringify(toCaptureJson(dump, diagnosis), null, 2)}\n`
        : `${formatCaptureText(dump, diagnosis, capturedAt)}\n${await staticFindingsText(diagnosis)}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof PySpyNotFoundError) {
      process.stderr.write(
        `backend-hang dump: ${err.message}. Install it (pip install py-spy) or pass --pyspy PATH.\n`,
      );
    } else if (err instanceof UnparseableDumpError) {
      process.stderr.write(`backend-hang dump: ${err.message}\n--- py-spy output ---\n${err.raw}\n`);
    } else if (err instanceof PySpyError) {
      process.stderr.write(
        `backend-hang dump: ${err.message}\n${err.stderr ? `${err.stderr.trim()}\n` : ''}`,
      );
    } else {
      throw err;
    }
    return 2;
  }
}

/** Reads a line of a frame's file when it exists here (py-spy's --json paths are absolute). */
export const readSourceLine: SourceLineReader = (file, line) =>
  existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/)[line - 1] : undefined;

/**
 * Links each blocked-loop finding to what `backend-hang check` reports on that line of the (local) file, as the
 * editor links the frame to its squiggle. Empty when the file is not here (a container path) or has no finding.
 */
async function staticFindingsText(diagnosis: Diagnosis): Promise<string> {
  const lines: string[] = [];
  for (const finding of diagnosis.findings) {
    const frame: BlockedLoopFinding['frame'] = finding.frame;
    if (!frame || !existsSync(frame.file)) continue;
    let found;
    try {
      found = await checkSource(readFileSync(frame.file, 'utf8'));
    } catch {
      continue; // unreadable now: the dump itself is still the answer
    }
    for (const f of found.filter((f) => f.range.start.row + 1 === frame.line)) {
      lines.push(`${f.code} at ${frame.file}:${frame.line}: ${f.message}`);
      if (f.fixable) lines.push(`  fix it: backend-hang check --fix ${frame.file}`);
    }
  }
  return lines.length ? `\nStatic check of the blocked line:\n${lines.join('\n')}\n` : '';
}
