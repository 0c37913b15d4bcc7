/**
 * Verify orchestration (the seed's step 6, "prove the fix"): probe health while a stream is open; open the
 * stream, leave after S seconds like a closed browser tab, then probe health; N rounds. Pass when every probe
 * answered within the latency limit. On the first failure the stacks are captured at once (the hang is live
 * right now) and the remaining rounds are skipped. Pure apart from the functions passed in.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { joinUrl, probe as realProbe } from './probe';
import { captureIfPossible, lookUpListener, primaryCapture } from './triage';
import type {
  CaptureFn,
  DuringStreamProbe,
  ListenerLookup,
  ProbeResult,
  VerifyResult,
  VerifyRound,
} from './types';

/** Options of {@link runVerify}. */
export interface VerifyOptions {
  url: string;
  streamPath: string;
  healthPath?: string;
  /** When the client leaves the stream (default 1000 ms). */
  abortAfterMs?: number;
  rounds?: number;
  /** A probe slower than this fails (default 1000 ms). */
  maxLatencyMs?: number;
  /** Give up on one probe after this long (default max(5 s, limit + 1 s)): tells "slow" from "no answer". */
  probeTimeoutMs?: number;
  /** After the abort, wait this long for the server to notice the disconnect (default 250 ms). */
  settleMs?: number;
  capture?: boolean;
}

/** What {@link runVerify} calls out to. */
export interface VerifyDeps {
  findListener: ListenerLookup;
  capture: CaptureFn;
  probe?: typeof realProbe;
  openStream?: typeof openStream;
}

/** Defaults of the issue. */
export const VERIFY_DEFAULTS = {
  healthPath: '/health',
  abortAfterMs: 1000,
  rounds: 3,
  maxLatencyMs: 1000,
} as const;

/** An open streaming request. */
export interface OpenStream {
  /** Resolves with the status once headers arrived, or with the error when the request failed first. */
  headers: Promise<{ status: number | null; error?: string; code?: string }>;
  /** True once the server ended the stream by itself. */
  ended(): boolean;
  /** Closes the connection (the client goes away). */
  abort(): void;
}

/** Opens GET `base`+`path` as an SSE client would, reading (and dropping) whatever arrives. */
export function openStream(base: string, path: string): OpenStream {
  const url = joinUrl(base, path);
  let ended = false;
  let resolveHeaders!: (v: { status: number | null; error?: string; code?: string }) => void;
  const headers = new Promise<{ status: number | null; error?: string; code?: string }>(
    (r) => (resolveHeaders = r),
  );
  const get = url.protocol === 'https:' ? https.get : http.get;
  const req = get(
    url,
    { agent: false, headers: { accept: 'text/event-stream', 'user-agent': 'backend-hang' } },
    (res) => {
      resolveHeaders({ status: res.statusCode ?? null });
      res.resume();
      res.on('end', () => (ended = true));
      res.on('error', () => undefined); // our own abort
    },
  );
  req.on('error', (err: NodeJS.ErrnoException) =>
    resolveHeaders({ status: null, error: err.message, code: err.code }),
  );
  return { headers, ended: () => ended, abort: () => req.destroy() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether one probe passes the limit. */
export function withinLimit(p: ProbeResult, maxLatencyMs: number): boolean {
  return !p.timedOut && p.error === null && p.status !== null && p.status < 400 && p.ms <= maxLatencyMs;
}

/** Runs verify. Never rejects for server trouble: that is the verdict (or `error` when it could not run). */
export async function runVerify(opts: VerifyOptions, deps: VerifyDeps): Promise<VerifyResult> {
  const started = performance.now();
  const healthPath = opts.healthPath ?? VERIFY_DEFAULTS.healthPath;
  const abortAfterMs = opts.abortAfterMs ?? VERIFY_DEFAULTS.abortAfterMs;
  const roundsWanted = opts.rounds ?? VERIFY_DEFAULTS.rounds;
  const maxLatencyMs = opts.maxLatencyMs ?? VERIFY_DEFAULTS.maxLatencyMs;
  const timeoutMs = opts.probeTimeoutMs ?? Math.max(5000, maxLatencyMs + 1000);
  const settleMs = opts.settleMs ?? 250;
  const probe = deps.probe ?? realProbe;
  const open = deps.openStream ?? openStream;
  const result: VerifyResult = {
    kind: 'verify',
    url: opts.url,
    streamPath: opts.streamPath,
    healthPath,
    maxLatencyMs,
    verdict: 'pass',
    rounds: [],
    duringStream: [],
    skippedRounds: 0,
    listener: null,
    captures: [],
    captureFailures: [],
    startedAt: new Date().toISOString(),
    durationMs: 0,
  };
  const finish = (): VerifyResult => ({ ...result, durationMs: Math.round(performance.now() - started) });
  const health = (): Promise<ProbeResult> => probe(opts.url, healthPath, { timeoutMs });

  // The baseline: a server that does not answer before any stream cannot prove a fix either way.
  // The listener is looked up meanwhile (cheap), so a pass also shows who served it.
  const [baseline, found] = await Promise.all([health(), lookUpListener(opts.url, deps.findListener)]);
  result.listener = found.listener;
  if (found.note) result.listenerNote = found.note;
  if (!baseline.connected && !baseline.timedOut) {
    result.verdict = 'error';
    result.error = `${opts.url}${healthPath}: ${baseline.message ?? baseline.error} — is the server running?`;
    return finish();
  }
  let failed = !withinLimit(baseline, maxLatencyMs);
  if (failed) {
    result.error = `${healthPath} did not answer within the limit before any stream was opened`;
    result.skippedRounds = roundsWanted;
  }

  for (let round = 1; round <= roundsWanted && !failed; round++) {
    const t0 = performance.now();
    const stream = open(opts.url, opts.streamPath);
    const head = await Promise.race([stream.headers, sleep(abortAfterMs).then(() => undefined)]);
    if (head && (head.status === null || head.status >= 400)) {
      stream.abort();
      result.verdict = 'error';
      result.error =
        head.status === null
          ? `could not open ${opts.streamPath}: ${head.error ?? 'no answer'}`
          : `${opts.streamPath} answered ${head.status}: is the stream path right (--stream)?`;
      return finish();
    }
    // While the stream is open (its workers busy): health must still answer.
    const during = health().then((p): DuringStreamProbe => ({
      round,
      healthMs: p.ms,
      timedOut: p.timedOut,
      status: p.status,
      error: p.error,
    }));
    await sleep(Math.max(0, abortAfterMs - (performance.now() - t0)));
    const streamEnded = stream.ended();
    stream.abort();
    await sleep(settleMs);
    const after = await health();
    const row: VerifyRound = {
      round,
      abortAfterMs,
      healthMs: after.ms,
      timedOut: after.timedOut,
      status: after.status,
      error: after.error,
      streamEnded,
    };
    result.rounds.push(row);
    const d = await during;
    result.duringStream.push(d);
    const duringPassed =
      !d.timedOut && d.error === null && d.status !== null && d.status < 400 && d.healthMs <= maxLatencyMs;
    failed = !withinLimit(after, maxLatencyMs) || !duringPassed;
    if (failed) result.skippedRounds = roundsWanted - round;
  }
  if (!failed) return finish();

  result.verdict = 'fail';
  if (opts.capture !== false) {
    const captured = await captureIfPossible(found.listener, deps.capture);
    result.captures = captured.captures;
    result.captureFailures = captured.failures;
    const primary = primaryCapture(captured.captures);
    if (primary) result.capture = primary;
  }
  return finish();
}
