/**
 * The one place that runs py-spy (the only execa import of the feature). Maps py-spy's failures to typed
 * errors the editor and the CLI turn into actions: not found, permission (ptrace), process gone, not
 * Python, time-out, unparseable output.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { parseDump, UnparseableDumpError } from './dumpParser';
import type { ParsedDump } from './types';

export { UnparseableDumpError };

/** Base of every py-spy failure; `stderr` is py-spy's own explanation (for the log). */
export class PySpyError extends Error {
  constructor(
    message: string,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'PySpyError';
  }
}

/** The py-spy executable does not exist / is not executable. */
export class PySpyNotFoundError extends PySpyError {
  constructor(readonly pyspyPath: string) {
    super(`py-spy not found: ${pyspyPath}`);
    this.name = 'PySpyNotFoundError';
  }
}

/** The kernel refused ptrace/process_vm_readv (other user, yama ptrace_scope, container without SYS_PTRACE). */
export class PySpyPermissionError extends PySpyError {
  constructor(
    readonly pid: number,
    stderr: string,
  ) {
    super(
      `Permission denied attaching py-spy to process ${pid}. Attaching needs ptrace rights: the same user with ` +
        'kernel.yama.ptrace_scope 0 (or 1 for descendants), root/sudo, or in Docker the SYS_PTRACE capability.',
      stderr,
    );
    this.name = 'PySpyPermissionError';
  }
}

/** The process does not exist (any more). */
export class ProcessGoneError extends PySpyError {
  constructor(
    readonly pid: number,
    stderr = '',
  ) {
    super(`Process ${pid} is not running.`, stderr);
    this.name = 'ProcessGoneError';
  }
}

/** The process exists but py-spy found no Python interpreter in it. */
export class NotPythonError extends PySpyError {
  constructor(
    readonly pid: number,
    stderr: string,
  ) {
    super(`Process ${pid} is not a Python process (py-spy found no Python interpreter in it).`, stderr);
    this.name = 'NotPythonError';
  }
}

/**
 * This py-spy cannot read the target's Python ("Unsupported version of Python: 3.12.1"): py-spy 0.3.x knows
 * CPython up to 3.11. Says which release is needed and how to upgrade.
 */
export class PySpyUnsupportedPythonError extends PySpyError {
  constructor(
    readonly pythonVersion: string,
    stderr: string,
    readonly pyspyPath = 'py-spy',
  ) {
    super(
      `${pyspyPath} is too old to read Python ${pythonVersion}: it needs py-spy ${minimumPySpyFor(pythonVersion)} or ` +
        'newer. Upgrade it with `pip install --upgrade py-spy` (in the environment it came from).',
      stderr,
    );
    this.name = 'PySpyUnsupportedPythonError';
  }
}

/** The first py-spy release that reads this CPython (measured by the runtime matrix, test/live/runtimeMatrix). */
export function minimumPySpyFor(pythonVersion: string): string {
  const [maj, min] = pythonVersion.split('.').map(Number);
  if (maj !== 3 || !(min >= 0)) return '0.4.3';
  if (min <= 11) return '0.3.14';
  if (min <= 13) return '0.4.0';
  return '0.4.1';
}

/** py-spy did not finish within the time-out (it was killed). */
export class PySpyTimeoutError extends PySpyError {
  constructor(readonly timeoutMs: number) {
    super(`py-spy did not finish within ${Math.round(timeoutMs / 1000)} s.`);
    this.name = 'PySpyTimeoutError';
  }
}

/** The caller cancelled the capture. */
export class PySpyCancelledError extends PySpyError {
  constructor() {
    super('py-spy capture cancelled.');
    this.name = 'PySpyCancelledError';
  }
}

/** Options of one py-spy run. */
export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Runs py-spy through another command, e.g. `['docker', 'exec', 'api-1']`: py-spy's path and the pid are
   * then inside the container. Its "not found" is exit 126/127 of that command.
   */
  via?: string[];
}

/** Result of one py-spy run that exited 0. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Classifies py-spy's stderr of a failed run. Exported for unit tests on recorded messages.
 * py-spy 0.4 prints e.g. "Failed to get process executable name. Check that the process is running.
 * Caused by: No such file or directory (os error 2)" for a missing pid, "Permission denied (os error 13)" or
 * "Operation not permitted (os error 1)" for ptrace refusals, and "Failed to find python version from
 * target process" for non-Python processes.
 */
export function classifyPySpyFailure(
  pid: number | undefined,
  stderr: string,
  processExists: boolean,
): PySpyError {
  const p = pid ?? 0;
  if (pid !== undefined && !processExists) return new ProcessGoneError(p, stderr);
  const unsupported = /Unsupported version of Python:?\s*(\d+\.\d+(?:\.\d+)?)/i.exec(stderr);
  if (unsupported) return new PySpyUnsupportedPythonError(unsupported[1], stderr);
  if (
    /No such process|No such file or directory \(os error 2\)|process is running/i.test(stderr) &&
    !processExists
  ) {
    return new ProcessGoneError(p, stderr);
  }
  if (/Permission denied|Operation not permitted|os error (1|13)\b|ptrace/i.test(stderr)) {
    return new PySpyPermissionError(p, stderr);
  }
  if (
    /Failed to find python version|not a python|python interpreter|Failed to get python|libpython/i.test(
      stderr,
    )
  ) {
    return new NotPythonError(p, stderr);
  }
  if (/No such file or directory \(os error 2\)/.test(stderr)) return new ProcessGoneError(p, stderr);
  const first = stderr.split('\n').find((l) => l.trim()) ?? 'no output';
  return new PySpyError(`py-spy failed: ${first.replace(/^Error:\s*/, '')}`, stderr);
}

const pidOf = (args: readonly string[]): number | undefined => {
  const i = args.indexOf('--pid');
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isInteger(v) ? v : undefined;
};

/**
 * Runs py-spy with an argument array (never a shell), with a time-out and an abort signal.
 * @throws PySpyNotFoundError | PySpyPermissionError | ProcessGoneError | NotPythonError | PySpyTimeoutError |
 *   PySpyCancelledError | PySpyError
 */
export async function runPySpy(
  pyspyPath: string,
  args: readonly string[],
  opts: RunOptions,
): Promise<RunResult> {
  const pid = pidOf(args);
  const [command, ...commandArgs] = opts.via?.length
    ? [...opts.via, pyspyPath, ...args]
    : [pyspyPath, ...args];
  const result = await execa(command, commandArgs, {
    reject: false,
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    stdin: 'ignore',
    // py-spy prints a Rust backtrace on errors only when asked; keep stderr short and stable.
    env: { RUST_BACKTRACE: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  if (result.timedOut) throw new PySpyTimeoutError(opts.timeoutMs);
  if (result.isCanceled) throw new PySpyCancelledError();
  const code = (result as { code?: string }).code;
  if (
    code === 'ENOENT' ||
    code === 'EACCES' ||
    (result.failed && result.exitCode === undefined && !result.signal) ||
    (opts.via?.length && (result.exitCode === 126 || result.exitCode === 127))
  ) {
    throw new PySpyNotFoundError(pyspyPath);
  }
  if (result.exitCode !== 0) {
    // Through `docker exec` the pid is the container's: /proc here says nothing about it.
    const exists = pid === undefined || !!opts.via?.length || existsSync(`/proc/${pid}`);
    const err = classifyPySpyFailure(pid, stderr || stdout, exists);
    if (err instanceof PySpyUnsupportedPythonError)
      throw new PySpyUnsupportedPythonError(err.pythonVersion, err.stderr, pyspyPath);
    throw err;
  }
  return { stdout, stderr };
}

/** Options of {@link captureDump}. */
export interface CaptureOptions extends RunOptions {
  locals?: boolean;
  native?: boolean;
  nonblocking?: boolean;
}

/** The argument array of `py-spy dump` for these options (always `--json`). */
export function dumpArgs(pid: number, opts: Omit<CaptureOptions, 'timeoutMs' | 'signal'> = {}): string[] {
  const args = ['dump', '--pid', String(pid), '--json'];
  if (opts.locals) args.push('--locals');
  if (opts.native) args.push('--native');
  if (opts.nonblocking) args.push('--nonblocking');
  return args;
}

/**
 * `py-spy dump --pid N --json [...]`, parsed. A missing pid is reported before py-spy runs.
 * @throws the errors of {@link runPySpy}, and UnparseableDumpError (with the raw text).
 */
export async function captureDump(
  pyspyPath: string,
  pid: number,
  opts: CaptureOptions,
): Promise<{ dump: ParsedDump; raw: string }> {
  if (process.platform === 'linux' && !opts.via && !existsSync(`/proc/${pid}`))
    throw new ProcessGoneError(pid);
  const { stdout } = await runPySpy(pyspyPath, dumpArgs(pid, opts), opts);
  return { dump: parseDump(stdout, pid), raw: stdout };
}
