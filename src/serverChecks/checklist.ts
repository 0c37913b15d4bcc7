/**
 * Pure: triage and verify results as the seed's checklist (root answers, health answers, listener, fds,
 * stacks, abort does not freeze). The CLI's text, the Checks view and the before/after comparison all read
 * these items, so the three always agree.
 */
import { formatUptime } from '../pyspyView/processes';
import { answered, describeProbe } from './probe';
import type {
  CaptureFailure,
  CheckItem,
  ListenerInfo,
  ProcessCapture,
  TriageResult,
  Verdict,
  VerifyResult,
} from './types';

/** Above this share of the open-files limit, the fd count is flagged as a possible leak. */
export const FD_WARN_SHARE = 0.8;

/** `61.2 MB`. */
export function formatBytes(n: number | null): string {
  if (n === null) return '?';
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** A command line with the interpreter and script paths cut to their names: `python uvicorn app.main:app ...`. */
export function shortCommand(command: string): string {
  return command
    .split(' ')
    .map((a, i) => (i < 2 && a.startsWith('/') ? a.slice(a.lastIndexOf('/') + 1) : a))
    .join(' ');
}

/** `pid 123 (server)`, `pid 124 (worker 2)`. */
export function processLabel(p: { pid: number; role: string; workerIndex?: number }): string {
  return `pid ${p.pid} (${p.role === 'worker' && p.workerIndex !== undefined ? `worker ${p.workerIndex}` : p.role})`;
}

function listenerItem(
  listener: ListenerInfo | null,
  note: string | undefined,
  port: string,
  down: boolean,
): CheckItem {
  if (!listener) {
    return {
      id: 'listener',
      label: `listener on port ${port}`,
      status: down
        ? 'fail'
        : note?.startsWith('nothing listens') || note?.includes('another user')
          ? 'warn'
          : 'skip',
      detail: note ?? 'not looked up',
    };
  }
  const serving =
    listener.serving.length > 1 || listener.serving[0]?.pid !== listener.pid
      ? ` · serves: ${listener.serving.map(processLabel).join(', ')}`
      : '';
  return {
    id: 'listener',
    label: `listener on port ${port}`,
    status: 'pass',
    detail: `${processLabel(listener)} · up ${formatUptime(listener.uptimeSeconds ?? undefined)}${serving} · ${shortCommand(listener.command)}`,
  };
}

function fdsItem(listener: ListenerInfo | null): CheckItem {
  if (!listener || listener.fds === null) {
    return {
      id: 'fds',
      label: 'open file descriptors',
      status: 'skip',
      detail: listener ? 'not readable' : 'no local process',
    };
  }
  // Workers hold their own fds: the busiest process is the one that would run out.
  const procs = [listener, ...listener.serving.filter((s) => s.pid !== listener.pid)];
  const worst = procs.reduce((a, b) =>
    (b.fds ?? 0) / (b.fdLimit ?? Infinity) > (a.fds ?? 0) / (a.fdLimit ?? Infinity) ? b : a,
  );
  const share = worst.fdLimit ? (worst.fds ?? 0) / worst.fdLimit : 0;
  const of = worst.fdLimit ? ` of ${worst.fdLimit}` : '';
  const who = procs.length > 1 ? ` (${processLabel(worst)})` : '';
  return {
    id: 'fds',
    label: 'open file descriptors',
    status: share >= FD_WARN_SHARE ? 'warn' : 'pass',
    detail:
      `${worst.fds}${of}${who}${share >= FD_WARN_SHARE ? ' — near the limit: a leak?' : ' — no leak'}` +
      ` · ${worst.threads ?? '?'} threads · RSS ${formatBytes(worst.rssBytes)}`,
  };
}

/** The stacks item: the blocked line when a capture found one; otherwise why there is none. */
export function stacksItem(
  capture: ProcessCapture | undefined,
  failures: readonly CaptureFailure[],
  reason: { needed: boolean; hasListener: boolean; notNeeded?: string },
): CheckItem {
  const finding = capture?.capture.findings[0];
  if (capture && finding) {
    const where = finding.frame
      ? ` at ${shortPath(finding.frame.file)}:${finding.frame.line} (${finding.frame.function})`
      : '';
    return {
      id: 'stacks',
      label: 'stacks',
      status: 'fail',
      // The blocked line first: it is what the narrow tree column shows.
      detail: `event loop blocked in ${finding.blockingCall}${where} · ${processLabel(capture)}`,
      ...(finding.frame ? { location: finding.frame } : {}),
    };
  }
  if (capture) {
    return {
      id: 'stacks',
      label: 'stacks',
      status: 'pass',
      detail: `${processLabel(capture)}: event loop not blocked`,
    };
  }
  if (failures.length > 0) {
    return {
      id: 'stacks',
      label: 'stacks',
      status: 'fail',
      detail: `capture failed: ${failures[0].message}`,
    };
  }
  if (!reason.needed)
    return { id: 'stacks', label: 'stacks', status: 'skip', detail: reason.notNeeded ?? 'not needed' };
  return {
    id: 'stacks',
    label: 'stacks',
    status: 'skip',
    detail: reason.hasListener ? 'not captured' : 'no local process to capture',
  };
}

/** Why triage took no stacks, by verdict. */
const NOT_NEEDED: Record<Verdict, string> = {
  healthy: 'not needed: the server answers',
  unhealthy: 'not needed: the server answers (with errors: see its log)',
  down: 'nothing to capture: no server answers',
  hung: 'not captured',
  'partly-hung': 'not captured',
};

/** The last four path segments (`app/api/routes/stream.py`) for the one-line detail. */
export function shortPath(file: string): string {
  return file.split('/').slice(-4).join('/');
}

/** The triage checklist. */
export function triageChecklist(r: TriageResult): CheckItem[] {
  const port = new URL(r.url).port || (r.url.startsWith('https') ? '443' : '80');
  return [
    ...r.probes.map((p): CheckItem => ({
      id: p.path === '/' ? 'root' : `health:${p.path}`,
      label: `${p.path} answers`,
      status: answered(p) ? 'pass' : 'fail',
      detail: describeProbe(p),
    })),
    listenerItem(r.listener, r.listenerNote, port, r.verdict === 'down'),
    fdsItem(r.listener),
    stacksItem(r.capture, r.captureFailures, {
      needed: r.verdict === 'hung' || r.verdict === 'partly-hung',
      hasListener: r.listener !== null,
      notNeeded: NOT_NEEDED[r.verdict],
    }),
  ];
}

/** One probe's detail in a verify round. */
function roundDetail(
  p: { healthMs: number; timedOut: boolean; status: number | null; error: string | null },
  limit: number,
): string {
  if (p.timedOut) return `no answer within ${(p.healthMs / 1000).toFixed(1)} s`;
  if (p.error) return p.error === 'refused' ? 'connection refused' : `failed (${p.error})`;
  return `${p.status} in ${p.healthMs} ms${p.healthMs > limit ? ` (over the ${limit} ms limit)` : ''}`;
}

const passed = (
  p: { healthMs: number; timedOut: boolean; status: number | null; error: string | null },
  limit: number,
): boolean => !p.timedOut && p.error === null && p.status !== null && p.status < 400 && p.healthMs <= limit;

/** The verify checklist. */
export function verifyChecklist(r: VerifyResult): CheckItem[] {
  const items: CheckItem[] = [];
  const limit = r.maxLatencyMs;
  for (const round of r.rounds) {
    const during = r.duringStream.find((d) => d.round === round.round);
    if (during) {
      items.push({
        id: `during:${round.round}`,
        label: `${r.healthPath} answers while ${r.streamPath} is open (round ${round.round})`,
        status: passed(during, limit) ? 'pass' : 'fail',
        detail: roundDetail(during, limit),
      });
    }
    items.push({
      id: `abort:${round.round}`,
      label: `abort after ${(round.abortAfterMs / 1000).toFixed(1)} s does not freeze (round ${round.round})`,
      status: passed(round, limit) ? 'pass' : 'fail',
      detail: `${r.healthPath}: ${roundDetail(round, limit)}${round.streamEnded ? ' · the stream had already ended' : ''}`,
    });
  }
  if (r.skippedRounds > 0) {
    items.push({
      id: 'skipped',
      label: `${r.skippedRounds} round${r.skippedRounds === 1 ? '' : 's'} skipped`,
      status: 'skip',
      detail: 'stopped at the first failure to capture the stacks while the hang lasts',
    });
  }
  if (r.error)
    items.unshift({
      id: 'error',
      label: r.verdict === 'error' ? 'could not run' : 'before any stream',
      status: 'fail',
      detail: r.error,
    });
  const port = new URL(r.url).port || '80';
  items.push(listenerItem(r.listener, r.listenerNote, port, r.verdict === 'error'), fdsItem(r.listener));
  items.push(
    stacksItem(r.capture, r.captureFailures, {
      needed: r.verdict === 'fail',
      hasListener: r.listener !== null,
      notNeeded: r.verdict === 'pass' ? 'not needed: every probe answered' : 'nothing to capture',
    }),
  );
  return items;
}

/** The headline of a verdict. */
export function verdictHeadline(v: Verdict | 'pass' | 'fail' | 'error'): string {
  switch (v) {
    case 'healthy':
      return 'HEALTHY: every probe answered';
    case 'hung':
      return 'HUNG: accepts connections, does not answer';
    case 'partly-hung':
      return 'PARTLY HUNG: the probes were answered by healthy workers, but a worker\'s event loop is blocked (requests it accepted hang)';
    case 'down':
      return 'DOWN: nothing answers';
    case 'unhealthy':
      return 'UNHEALTHY: answers with an error';
    case 'pass':
      return 'PASS: health kept answering through every aborted stream';
    case 'fail':
      return 'FAIL: health stopped answering in time';
    case 'error':
      return 'ERROR: the check could not run';
  }
}
