/**
 * The one place the server checks take stacks: py-spy on each serving process of a listener, diagnosed, in
 * `backend-hang dump --format json`'s shape. Everything py-spy-specific the checks need sits behind
 * {@link captureServer}, so a new locator or a manager→workers capture can replace its inside in one place.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { toCaptureJson } from '../pyspyView/captureFormat';
import { diagnose, type SourceLineReader } from '../pyspyView/diagnosis';
import { locatePySpy } from '../pyspyView/pyspyLocator';
import { captureDump, PySpyError } from '../pyspyView/runner';
import type { ListenerInfo, ListenerProcess, ServerCapture } from './types';

/** Options of {@link captureServer}. */
export interface CaptureServerOptions {
  /** An explicit py-spy (`--pyspy`, `backendHang.pyspy.path`): used as is, even when missing. */
  pyspyPath?: string;
  /** The selected interpreter (editor) or $VIRTUAL_ENV's python (CLI). */
  interpreterPath?: string;
  pathEnv?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** For tests. */
  procRoot?: string;
}

/**
 * Directories of the target's own Python environment: where its executable really is (/proc/PID/exe), and the
 * paths it was started by (argv[0] `/venv/bin/python`, argv[1] `/venv/bin/uvicorn`). The latter matter
 * because a venv's `python` is a symlink to the base interpreter, so /proc/PID/exe alone misses the venv.
 */
export function targetEnvDirs(pid: number, procRoot = '/proc'): string[] {
  const dirs: string[] = [];
  try {
    dirs.push(path.dirname(readlinkSync(`${procRoot}/${pid}/exe`)));
  } catch {
    // Not ours to read, or gone: the argv paths may still tell.
  }
  try {
    const argv = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    for (const a of argv.slice(0, 2)) if (path.isAbsolute(a)) dirs.push(path.dirname(a));
  } catch {
    // Gone meanwhile.
  }
  return [...new Set(dirs)];
}

/**
 * Which py-spy to run for `pid`: an explicit path first; then a py-spy next to the server's own interpreter
 * (the venv that serves is the one that has py-spy installed beside uvicorn); then the locator's usual
 * order (interpreter, PATH).
 */
export function pySpyFor(
  pid: number,
  opts: CaptureServerOptions,
  exists: (f: string) => boolean = existsSync,
): string | undefined {
  if (opts.pyspyPath) return opts.pyspyPath;
  for (const dir of targetEnvDirs(pid, opts.procRoot)) {
    const candidate = path.join(dir, 'py-spy');
    if (exists(candidate)) return candidate;
  }
  return locatePySpy({ interpreterPath: opts.interpreterPath, pathEnv: opts.pathEnv, exists })?.path;
}

/** Reads one line of a local file (the diagnosis names C calls from the text of the user's line). */
const readSourceLine: SourceLineReader = (file, line) => {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/)[line - 1];
  } catch {
    return undefined; // a container path, or gone: the stack alone still tells
  }
};

/**
 * Dumps every serving process of `listener` (the server, or each worker of a manager) in parallel and
 * diagnoses each. Never rejects: failures (py-spy missing, ptrace refused, process gone) come back as
 * `failures` with a message that says what to do.
 */
export async function captureServer(
  listener: ListenerInfo,
  opts: CaptureServerOptions = {},
): Promise<ServerCapture> {
  const targets: ListenerProcess[] = listener.serving.length > 0 ? listener.serving : [listener];
  const result: ServerCapture = { captures: [], failures: [] };
  await Promise.all(
    targets.map(async (t) => {
      const pyspy = pySpyFor(t.pid, { pathEnv: process.env.PATH, ...opts });
      if (!pyspy) {
        result.failures.push({
          pid: t.pid,
          kind: 'PySpyNotFoundError',
          message:
            "py-spy not found (not beside the server's Python, nor on PATH). Install it (pip install py-spy) or pass its path.",
        });
        return;
      }
      result.pyspy ??= pyspy;
      try {
        const capturedAt = new Date();
        const { dump } = await captureDump(pyspy, t.pid, {
          timeoutMs: opts.timeoutMs ?? 30_000,
          signal: opts.signal,
        });
        const diagnosis = diagnose(dump, { sourceLine: readSourceLine });
        result.captures.push({
          pid: t.pid,
          role: t.role,
          ...(t.workerIndex !== undefined ? { workerIndex: t.workerIndex } : {}),
          capture: toCaptureJson(dump, diagnosis, capturedAt),
        });
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        result.failures.push({
          pid: t.pid,
          kind: err instanceof PySpyError ? err.name : 'Error',
          message: err.message,
        });
      }
    }),
  );
  result.captures.sort((a, b) => a.pid - b.pid);
  return result;
}
