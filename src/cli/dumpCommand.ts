/**
 * `backend-hang dump --pid N [--format text|json] [--locals] [--native] [--pyspy PATH] [--timeout S]`:
 * runs py-spy through the same runner, parser and diagnosis as the editor. Exit 0 when the capture worked
 * (findings or not), 2 with a clear message when it did not.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Finding } from '../diagnostics/types';
import {
  formatCaptureText,
  toCaptureJson,
  type CaptureJson,
  type MultiCaptureJson,
} from '../pyspyView/captureFormat';
import { captureServing, PySpyNotLocatedError, type ProcessCapture } from '../pyspyView/captureProcess';
import type { SourceLineReader } from '../pyspyView/diagnosis';
import { PySpyError, PySpyNotFoundError, UnparseableDumpError } from '../pyspyView/runner';

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
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n${HELP}`);
    return 0;
  }
  let opts: DumpArgs;
  try {
    opts = parseDumpArgs(args);
  } catch (err) {
    process.stderr.write(`backend-hang dump: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const captures = await captureServing(opts.pid, {
      timeoutMs: opts.timeoutSeconds * 1000,
      locals: opts.locals,
      native: opts.native,
      configured: opts.pyspy ?? process.env.BACKEND_HANG_PYSPY,
      interpreterPath: process.env.VIRTUAL_ENV ? `${process.env.VIRTUAL_ENV}/bin/python` : undefined,
      pathEnv: process.env.PATH,
      check: staticCheck,
    });
    process.stdout.write(
      opts.format === 'json'
        ? `${JSON.stringify(capturesJson(opts.pid, captures), null, 2)}\n`
        : `${captures.map(captureText).join('\n\n')}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof PySpyNotFoundError || err instanceof PySpyNotLocatedError) {
      process.stderr.write(`backend-hang dump: ${err.message}\n`);
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

const HELP = `
Dumps every thread of a running Python server with py-spy and says whether its event loop is blocked, in which
call, and which line of your code to fix (with the static finding of \`backend-hang check\` on it).
For a manager (uvicorn --workers/--reload, gunicorn, hypercorn) each serving process is dumped.
py-spy is looked for beside the server (its venv, its chroot/container), then --pyspy / $BACKEND_HANG_PYSPY,
$VIRTUAL_ENV/bin, PATH. Exit 0 when the capture worked (blocked or not), 2 when it did not.
`;

/** The static check of a frame's file, loaded only when a finding has a frame. */
export async function staticCheck(source: string): Promise<Finding[]> {
  const { checkSource } = await import('../diagnostics/analyze');
  return checkSource(source);
}

/** One capture as JSON, or a manager's captures together. */
export function capturesJson(pid: number, captures: ProcessCapture[]): CaptureJson | MultiCaptureJson {
  const one = (c: ProcessCapture): CaptureJson => ({
    ...toCaptureJson(c.dump, c.diagnosis, c.capturedAt),
    pyspy: c.pyspy.path,
    ...(c.role ? { role: c.role } : {}),
  });
  if (captures.length === 1 && captures[0].pid === pid) return one(captures[0]);
  const processes = captures.map(one);
  return {
    pid,
    role: 'manager',
    processes,
    findings: processes.flatMap((p) => p.findings.map((f) => ({ ...f, pid: p.pid }))),
  };
}

/** One capture as text: the diagnosis with its static links, then the threads. */
export function captureText(c: ProcessCapture): string {
  const who = c.role === 'worker' && c.workerIndex ? `worker ${c.workerIndex}` : (c.role ?? '');
  return `${who ? `[${who}] ` : ''}${formatCaptureText(c.dump, c.diagnosis, c.capturedAt)}\n(py-spy: ${c.pyspy.path}, from ${c.pyspy.source})`;
}

/** Reads a line of a frame's file when it exists here (py-spy's --json paths are absolute). */
export const readSourceLine: SourceLineReader = (file, line) =>
  existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/)[line - 1] : undefined;
