/**
 * The one place the server checks take stacks: py-spy on each serving process of a listener, diagnosed, in
 * `backend-hang dump --format json`'s shape. Everything py-spy-specific the checks need sits behind
 * {@link captureServer}, so a new locator or a manager→workers capture can replace its inside in one place.
 */
import { blockedFindings, toCaptureJson } from '../pyspyView/captureFormat';
import { captureProcess } from '../pyspyView/captureProcess';
import { PySpyError } from '../pyspyView/runner';
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
      try {
        // The shared pipeline (src/pyspyView/captureProcess): py-spy beside the server first, a too-old py-spy
        // skipped for the next, frame files under a chroot/container root, static links to the line to fix.
        const { dump, diagnosis, capturedAt, pyspy } = await captureProcess(t.pid, {
          configured: opts.pyspyPath,
          interpreterPath: opts.interpreterPath,
          pathEnv: opts.pathEnv ?? process.env.PATH,
          timeoutMs: opts.timeoutMs ?? 30_000,
          signal: opts.signal,
          check: async (source) => (await import('../diagnostics/analyze')).checkSource(source),
        });
        if (pyspy) result.pyspy ??= pyspy.path;
        result.captures.push({
          pid: t.pid,
          role: t.role,
          ...(t.workerIndex !== undefined ? { workerIndex: t.workerIndex } : {}),
          // The checks are about the blocked loop: asyncio task findings (3.14 targets) stay in the capture view.
          capture: blockedOnly(toCaptureJson(dump, diagnosis, capturedAt)),
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

/** A capture JSON with only its blocked-loop findings (what {@link ServerCapture} holds). */
function blockedOnly(json: ReturnType<typeof toCaptureJson>): ServerCapture['captures'][number]['capture'] {
  return { ...json, findings: blockedFindings(json) };
}
