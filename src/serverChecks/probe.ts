/**
 * HTTP probes, like `curl -m 5`: one GET per path on a fresh connection, a hard time-out per request, all paths
 * in parallel; and the verdict a person draws from them (healthy, hung, down, unhealthy).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { ProbeError, ProbeResult, Verdict } from './types';

/** Options of {@link probe}. */
export interface ProbeOptions {
  timeoutMs: number;
  /** Extra request headers (e.g. `accept`). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Bodies are read (a hang can sit between headers and body) but not kept beyond this many bytes. */
const MAX_BODY_BYTES = 256 * 1024;

/** Maps a socket/HTTP error to a {@link ProbeError}. Exported for tests. */
export function classifyError(err: NodeJS.ErrnoException, connected: boolean): ProbeError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(err.message)) return 'reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return 'unreachable';
  if (/CERT|SSL|TLS|self.signed/i.test(code + err.message)) return 'tls';
  if (code === 'ETIMEDOUT') return connected ? 'timeout' : 'connect-timeout';
  return 'other';
}

/** `base` + `path` (path absolute from the server root; the base's own path is kept as a prefix). */
export function joinUrl(base: string, path: string): URL {
  const u = new URL(base);
  const prefix = u.pathname.replace(/\/+$/, '');
  const p = path.startsWith('/') ? path : `/${path}`;
  u.pathname = `${prefix}${p}`.replace(/^\/\//, '/');
  u.search = '';
  u.hash = '';
  return u;
}

/**
 * GETs `base`+`path` once. Never rejects: every outcome is a {@link ProbeResult}. A fresh connection each time
 * (no keep-alive agent) so a stuck pooled socket can never answer for a new probe.
 */
export function probe(base: string, path: string, opts: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  const url = joinUrl(base, path);
  return new Promise((resolve) => {
    let connected = false;
    let done = false;
    let status: number | null = null;
    let location: string | undefined;
    const finish = (r: Partial<ProbeResult> & Pick<ProbeResult, 'error' | 'timedOut'>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve({
        path,
        status,
        ms: Math.round(performance.now() - started),
        connected,
        ...(location ? { location } : {}),
        ...r,
      });
    };
    const get = url.protocol === 'https:' ? https.get : http.get;
    const req = get(
      url,
      { agent: false, headers: { 'user-agent': 'backend-hang', ...opts.headers } },
      (res) => {
        status = res.statusCode ?? null;
        if (status !== null && status >= 300 && status < 400 && res.headers.location) {
          location = res.headers.location;
        }
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // A health path that streams forever is answered enough once this much arrived.
          if (bytes > MAX_BODY_BYTES) finish({ error: null, timedOut: false });
        });
        res.on('end', () => finish({ error: null, timedOut: false }));
        res.on('error', (err) =>
          finish({ error: classifyError(err, true), timedOut: false, message: err.message }),
        );
      },
    );
    req.on('socket', (socket) => {
      // A reused socket never happens with agent:false; 'connect' fires once the TCP handshake is done.
      socket.once('connect', () => {
        connected = true;
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ error: classifyError(err, connected), timedOut: false, message: err.message }),
    );
    const timer = setTimeout(
      () =>
        finish({
          error: connected ? 'timeout' : 'connect-timeout',
          timedOut: true,
          message: `no answer within ${(opts.timeoutMs / 1000).toFixed(1)} s`,
        }),
      opts.timeoutMs,
    );
    const onAbort = (): void => finish({ error: 'other', timedOut: false, message: 'cancelled' });
    opts.signal?.addEventListener('abort', onAbort);
  });
}

/** Probes every path of `base` at once (like several `curl -m 5` side by side). */
export function probeAll(base: string, paths: readonly string[], opts: ProbeOptions): Promise<ProbeResult[]> {
  return Promise.all(paths.map((p) => probe(base, p, opts)));
}

/** Whether a probe counts as answered well: a 2xx/3xx in time. */
export function answered(p: ProbeResult): boolean {
  return p.error === null && !p.timedOut && p.status !== null && p.status < 400;
}

/**
 * Pure: the verdict. `hung` when any probe connected and then got no answer in time (the event loop is not
 * reading: the kernel still accepts into the backlog), before anything else, since that is the case worth a
 * capture; `down` when no probe reached the server (refused, no route, DNS, connect time-out); `unhealthy`
 * when the server answered with an error status or dropped the connection; otherwise `healthy`.
 */
export function verdictOf(probes: readonly ProbeResult[]): Verdict {
  if (probes.some((p) => p.timedOut && p.connected)) return 'hung';
  const unreached = (p: ProbeResult): boolean =>
    !p.connected &&
    (p.error === 'refused' ||
      p.error === 'dns' ||
      p.error === 'unreachable' ||
      p.error === 'connect-timeout');
  if (probes.length > 0 && probes.every(unreached)) return 'down';
  if (probes.some((p) => !answered(p))) return 'unhealthy';
  return 'healthy';
}

/** One probe for people: `200 in 12 ms`, `no answer within 5.0 s`, `connection refused`, `307 → /x`. */
export function describeProbe(p: ProbeResult): string {
  if (p.timedOut) {
    return p.connected
      ? `no answer within ${(p.ms / 1000).toFixed(1)} s (connected, then silence)`
      : `could not connect within ${(p.ms / 1000).toFixed(1)} s`;
  }
  switch (p.error) {
    case 'refused':
      return 'connection refused (nothing listening)';
    case 'reset':
      return `connection reset without an answer after ${p.ms} ms`;
    case 'dns':
      return 'host name does not resolve';
    case 'unreachable':
      return 'host unreachable';
    case 'tls':
      return `TLS error: ${p.message ?? ''}`.trim();
    case 'other':
      return p.message ?? 'failed';
    default:
      break;
  }
  const redirect = p.location ? ` → ${p.location} (not followed)` : '';
  const hint = p.status === 404 ? ' (is the path right?)' : '';
  return `${p.status} in ${p.ms} ms${redirect}${hint}`;
}
