/** Pure: triage and verify results as the CLI's text and as the issue's JSON shapes. */
import { triageChecklist, verdictHeadline, verifyChecklist } from './checklist';
import type {
  CheckItem,
  CheckStatus,
  ListenerInfo,
  ProcessCapture,
  TriageResult,
  VerifyResult,
} from './types';

const MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '-', info: '·' };

/** Checklist lines: `  ✓ /health answers      200 in 3 ms`. */
export function formatChecklist(items: readonly CheckItem[]): string[] {
  const width = Math.min(48, Math.max(...items.map((i) => i.label.length)));
  return items.map((i) => `  ${MARK[i.status]} ${i.label.padEnd(width)}  ${i.detail}`);
}

/**
 * A frame's file as people read it: library files from `site-packages/` or `pythonX.Y/` on (py-spy's short
 * form), the user's own files relative to the current directory when below it.
 */
export function displayPath(file: string, cwd = process.cwd()): string {
  const site = file.lastIndexOf('/site-packages/');
  if (site >= 0) return file.slice(site + '/site-packages/'.length);
  const lib = /\/lib\/python\d+(\.\d+)?\//.exec(file);
  if (lib) return file.slice(lib.index + lib[0].length);
  return cwd && file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

/** A capture in short: what blocks the loop, where to fix it, and the loop thread's stack. */
export function formatCaptureSummary(c: ProcessCapture): string[] {
  const out = [
    `Stacks of pid ${c.pid} (${c.role}${c.workerIndex !== undefined ? ` ${c.workerIndex}` : ''}):`,
  ];
  if (c.capture.findings.length === 0)
    out.push('  event loop not blocked (idle in its selector, or running)');
  for (const f of c.capture.findings) {
    out.push(`  EVENT LOOP BLOCKED: ${f.message}`);
    if (f.frame) out.push(`  fix here: ${f.frame.file}:${f.frame.line} (${f.frame.function})`);
  }
  for (const t of c.capture.threads.filter((x) => x.eventLoop)) {
    out.push(`  Thread ${t.osThreadId} "${t.name}" [event loop]`);
    for (const fr of t.frames.slice(0, 14)) {
      out.push(
        `      ${fr.function} (${displayPath(fr.file)}:${fr.line})${fr.library ? '' : '   <- your code'}`,
      );
    }
    if (t.frames.length > 14) out.push(`      ... ${t.frames.length - 14} more frames`);
  }
  return out;
}

function nextSteps(url: string, capture: ProcessCapture | undefined, streamHint: string): string[] {
  const frame = capture?.capture.findings.find((f) => f.frame)?.frame;
  if (!frame) return [];
  return [
    'Next:',
    `  fix it:   backend-hang check --fix ${frame.file}`,
    `  prove it: backend-hang verify ${url} --stream ${streamHint}`,
  ];
}

/** `backend-hang triage --format text`. */
export function formatTriageText(r: TriageResult): string {
  const out = [`${r.url}: ${verdictHeadline(r.verdict)} (${(r.durationMs / 1000).toFixed(1)} s)`];
  out.push(...formatChecklist(triageChecklist(r)));
  for (const c of r.captures) out.push('', ...formatCaptureSummary(c));
  for (const f of r.captureFailures) out.push('', `Capture of pid ${f.pid} failed (${f.kind}): ${f.message}`);
  if (r.verdict === 'hung' || r.verdict === 'partly-hung') {
    const steps = nextSteps(r.url, r.capture, 'PATH');
    if (steps.length) out.push('', ...steps);
  } else if (r.verdict === 'down') {
    out.push('', 'Is the server running on this port? (uvicorn app.main:app --port N)');
  }
  return `${out.join('\n')}\n`;
}

/** `backend-hang verify --format text`. */
export function formatVerifyText(r: VerifyResult): string {
  const out = [
    `${r.url}: ${verdictHeadline(r.verdict)} (${r.rounds.length} round${r.rounds.length === 1 ? '' : 's'}, limit ${r.maxLatencyMs} ms, ${(r.durationMs / 1000).toFixed(1)} s)`,
  ];
  out.push(...formatChecklist(verifyChecklist(r)));
  for (const c of r.captures) out.push('', ...formatCaptureSummary(c));
  for (const f of r.captureFailures) out.push('', `Capture of pid ${f.pid} failed (${f.kind}): ${f.message}`);
  if (r.verdict === 'fail') {
    const frame = r.capture?.capture.findings.find((f) => f.frame)?.frame;
    if (frame)
      out.push(
        '',
        'Next:',
        `  fix it:   backend-hang check --fix ${frame.file}`,
        '  then restart the server and run verify again',
      );
  }
  return `${out.join('\n')}\n`;
}

/** The issue's `listener` object (plus command, uptime, fd limit and the serving processes). */
function listenerJson(l: ListenerInfo | null): Record<string, unknown> | null {
  if (!l) return null;
  return {
    pid: l.pid,
    role: l.role,
    fds: l.fds,
    threads: l.threads,
    rssBytes: l.rssBytes,
    port: l.port,
    command: l.command,
    uptimeSeconds: l.uptimeSeconds,
    fdLimit: l.fdLimit,
    serving: l.serving.map((s) => ({
      pid: s.pid,
      role: s.role,
      ...(s.workerIndex !== undefined ? { workerIndex: s.workerIndex } : {}),
      fds: s.fds,
      threads: s.threads,
      rssBytes: s.rssBytes,
    })),
  };
}

/** Every capture when there were several (a manager's workers), each with its pid and role. */
function capturesJson(captures: readonly ProcessCapture[]): Record<string, unknown> {
  return captures.length > 1
    ? {
        captures: captures.map((c) => ({
          pid: c.pid,
          role: c.role,
          ...(c.workerIndex !== undefined ? { workerIndex: c.workerIndex } : {}),
          capture: c.capture,
        })),
      }
    : {};
}

/**
 * `backend-hang triage --format json`: `{url, verdict, probes: [{path, status, ms, timedOut, error}], listener:
 * {pid, role, fds, threads, rssBytes, ...} | null, capture?: <backend-hang dump JSON>}`; with several serving
 * processes `capture` is the one whose loop is blocked and `captures` lists them all.
 */
export function triageJson(r: TriageResult): Record<string, unknown> {
  return {
    url: r.url,
    verdict: r.verdict,
    probes: r.probes.map((p) => ({
      path: p.path,
      status: p.status,
      ms: p.ms,
      timedOut: p.timedOut,
      error: p.error,
      ...(p.location ? { location: p.location } : {}),
    })),
    listener: listenerJson(r.listener),
    ...(r.listenerNote ? { listenerNote: r.listenerNote } : {}),
    ...(r.capture ? { capture: r.capture.capture } : {}),
    ...capturesJson(r.captures),
    ...(r.captureFailures.length ? { captureErrors: r.captureFailures } : {}),
    checklist: triageChecklist(r),
    durationMs: r.durationMs,
  };
}

/**
 * `backend-hang verify --format json`: `{verdict: "pass"|"fail"|"error", rounds: [{abortAfterMs, healthMs,
 * timedOut}], duringStream: [...], capture?}` plus the URL, limit and checklist.
 */
export function verifyJson(r: VerifyResult): Record<string, unknown> {
  return {
    url: r.url,
    verdict: r.verdict,
    ...(r.error ? { error: r.error } : {}),
    stream: r.streamPath,
    health: r.healthPath,
    maxLatencyMs: r.maxLatencyMs,
    rounds: r.rounds.map((x) => ({
      round: x.round,
      abortAfterMs: x.abortAfterMs,
      healthMs: x.healthMs,
      timedOut: x.timedOut,
      status: x.status,
      error: x.error,
      streamEnded: x.streamEnded,
    })),
    duringStream: r.duringStream,
    skippedRounds: r.skippedRounds,
    listener: listenerJson(r.listener),
    ...(r.capture ? { capture: r.capture.capture } : {}),
    ...capturesJson(r.captures),
    ...(r.captureFailures.length ? { captureErrors: r.captureFailures } : {}),
    checklist: verifyChecklist(r),
    durationMs: r.durationMs,
  };
}
