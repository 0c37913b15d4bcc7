/**
 * Triage orchestration (the seed's checklist, steps 1–4): probe `/` and the health paths in parallel, find the
 * listener meanwhile, and when a probe hangs capture the serving processes' stacks at once — before someone
 * restarts the server and the evidence is gone. Pure apart from the functions passed in.
 */
import { probeAll as realProbeAll, verdictOf } from './probe';
import { isLoopbackUrl, portOf } from './target';
import type {
  CaptureFn,
  ListenerInfo,
  ListenerLookup,
  ProbeResult,
  ProcessCapture,
  ServerCapture,
  TriageResult,
} from './types';

/** Options of {@link runTriage}. */
export interface TriageOptions {
  /** Normalised base URL (see `normalizeUrl`). */
  url: string;
  /** Health paths probed beside `/` (default `/health`). */
  healthPaths?: readonly string[];
  /** Per-probe time-out (default 5 s, like `curl -m 5`). */
  timeoutMs?: number;
  /** Capture stacks when hung (default true). */
  capture?: boolean;
}

/** What {@link runTriage} calls out to (real implementations in the CLI and the editor; fakes in tests). */
export interface TriageDeps {
  findListener: ListenerLookup;
  capture: CaptureFn;
  probeAll?: typeof realProbeAll;
}

/** The default health paths and time-out of the issue. */
export const TRIAGE_DEFAULTS = { healthPaths: ['/health'], timeoutMs: 5000 } as const;

/** `/` first, then the health paths, without duplicates. */
export function triagePaths(healthPaths: readonly string[]): string[] {
  return [...new Set(['/', ...healthPaths])];
}

/** The capture that explains the hang: the first serving process whose loop is blocked, else the first. */
export function primaryCapture(captures: readonly ProcessCapture[]): ProcessCapture | undefined {
  return captures.find((c) => c.capture.findings.length > 0) ?? captures[0];
}

/** Looks the listener up only for loopback URLs; the note says why there is none. */
export async function lookUpListener(
  url: string,
  find: ListenerLookup,
): Promise<{ listener: ListenerInfo | null; note?: string }> {
  if (!isLoopbackUrl(url))
    return { listener: null, note: 'not this machine: no process check, no stack capture' };
  if (process.platform !== 'linux') return { listener: null, note: 'the process check needs Linux /proc' };
  try {
    const l = await find(portOf(url));
    return l ? { listener: l } : { listener: null, note: `nothing listens on port ${portOf(url)}` };
  } catch (err) {
    // ListenerHiddenError's message already says what to do.
    const msg = err instanceof Error ? err.message : String(err);
    return {
      listener: null,
      note: err instanceof Error && err.name === 'ListenerHiddenError' ? msg : `process check failed: ${msg}`,
    };
  }
}

/** Captures when there is something to capture; an empty result otherwise. */
export async function captureIfPossible(
  listener: ListenerInfo | null,
  capture: CaptureFn,
): Promise<ServerCapture> {
  if (!listener) return { captures: [], failures: [] };
  try {
    return await capture(listener);
  } catch (err) {
    return {
      captures: [],
      failures: [
        { pid: listener.pid, kind: 'Error', message: err instanceof Error ? err.message : String(err) },
      ],
    };
  }
}

/** Runs one triage. Never rejects for server trouble: that is the verdict. */
export async function runTriage(opts: TriageOptions, deps: TriageDeps): Promise<TriageResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const timeoutMs = opts.timeoutMs ?? TRIAGE_DEFAULTS.timeoutMs;
  const paths = triagePaths(opts.healthPaths ?? TRIAGE_DEFAULTS.healthPaths);
  // The /proc scan runs while the probes wait: on a hung server it is free, on a healthy one it is short.
  const [probes, found] = await Promise.all([
    (deps.probeAll ?? realProbeAll)(opts.url, paths, { timeoutMs }),
    lookUpListener(opts.url, deps.findListener),
  ]);
  let verdict = verdictOf(probes);
  // Several workers share the socket: a worker whose loop is blocked stops accepting, so the probes land on
  // the healthy ones and pass, while the requests the stuck worker had accepted hang. Only its stacks tell.
  const severalWorkers = verdict === 'healthy' && (found.listener?.serving.length ?? 0) > 1;
  const wantsCapture = (verdict === 'hung' || severalWorkers) && opts.capture !== false;
  const captured = wantsCapture
    ? await captureIfPossible(found.listener, deps.capture)
    : { captures: [], failures: [] };
  if (severalWorkers && captured.captures.some((c) => c.capture.findings.length > 0)) verdict = 'partly-hung';
  const capture = primaryCapture(captured.captures);
  return {
    kind: 'triage',
    url: opts.url,
    verdict,
    probes: probes as ProbeResult[],
    listener: found.listener,
    ...(found.note ? { listenerNote: found.note } : {}),
    ...(capture ? { capture } : {}),
    captures: captured.captures,
    captureFailures: captured.failures,
    startedAt,
    durationMs: Math.round(performance.now() - started),
  };
}
