/** Plain-data types of the server checks (triage, verify, watch). No `vscode`. */
import type { BlockedFindingJson, CaptureJson } from '../pyspyView/captureFormat';
import type { ProcessRole } from '../pyspyView/types';

/**
 * Why a probe got no good answer. `timeout`: connected, then no answer in time (the hang); `connect-timeout`:
 * not even connected (a dropped SYN, a firewall); `refused`: nothing listens; `reset`: the connection was
 * dropped without an answer; `dns`: the host name does not resolve; `tls`: the certificate was refused.
 */
export type ProbeError =
  'timeout' | 'connect-timeout' | 'refused' | 'reset' | 'dns' | 'unreachable' | 'tls' | 'other';

/** One GET with a time-out. */
export interface ProbeResult {
  /** The path probed, e.g. `/health`. */
  path: string;
  /** HTTP status, or null when there was no answer. */
  status: number | null;
  /** Wall time until the answer was complete, or until giving up. */
  ms: number;
  timedOut: boolean;
  /** null when the server answered (whatever the status). */
  error: ProbeError | null;
  /** The low-level message (e.g. `connect ECONNREFUSED 127.0.0.1:8000`), for people. */
  message?: string;
  /** Whether a TCP connection was made (tells a hang from a firewall). */
  connected: boolean;
  /** `Location` of a 3xx answer (never followed: it might point at another host). */
  location?: string;
}

/** The triage verdict. */
export type Verdict = 'healthy' | 'hung' | 'partly-hung' | 'down' | 'unhealthy';

/** Role of the listening process: uvicorn's roles, or `other` for a process no ASGI server pattern matched. */
export type ListenerRole = ProcessRole | 'other';

/** A process that owns the listening socket. */
export interface ListenerProcess {
  pid: number;
  role: ListenerRole;
  /** 1-based worker number for `worker`. */
  workerIndex?: number;
  command: string;
  /** Open file descriptors. */
  fds: number | null;
  /** Soft limit of open files (`Max open files`), to tell a leak from a normal count. */
  fdLimit: number | null;
  threads: number | null;
  rssBytes: number | null;
  uptimeSeconds: number | null;
}

/** What listens on the URL's port: the top-most owning process, and the processes that serve requests. */
export interface ListenerInfo extends ListenerProcess {
  port: number;
  /** The serving processes to dump: the listener itself, or its spawned server/workers. */
  serving: ListenerProcess[];
}

/** One py-spy capture of one serving process, in `backend-hang dump --format json`'s shape. */
export interface ProcessCapture {
  pid: number;
  role: ListenerRole;
  workerIndex?: number;
  /** The capture JSON with its blocked-loop findings only. */
  capture: Omit<CaptureJson, 'findings'> & { findings: BlockedFindingJson[] };
}

/** A capture that failed (py-spy missing, ptrace refused, ...): the message says what to do. */
export interface CaptureFailure {
  pid: number;
  kind: string;
  message: string;
}

/** Result of capturing every serving process of a listener. */
export interface ServerCapture {
  captures: ProcessCapture[];
  failures: CaptureFailure[];
  /** Which py-spy ran (for the log), when one was found. */
  pyspy?: string;
}

/** Captures the stacks of a listener's serving processes. Passed in, so the orchestration is testable. */
export type CaptureFn = (listener: ListenerInfo) => Promise<ServerCapture>;

/** Finds the listener of a local port (undefined: none, or not visible to this user). */
export type ListenerLookup = (port: number) => Promise<ListenerInfo | undefined>;

/** Status of one checklist item. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip' | 'info';

/** One line of a triage/verify checklist (the seed's items). */
export interface CheckItem {
  /** Stable id: `root`, `health:/health`, `listener`, `fds`, `stacks`, `during:1`, `abort:1`, ... */
  id: string;
  label: string;
  status: CheckStatus;
  /** Short secondary text (`12 ms`, `timed out after 5.0 s`). */
  detail: string;
  /** Where to fix, when a capture found a blocked event loop. */
  location?: { file: string; line: number; function: string };
}

/** A finished triage. */
export interface TriageResult {
  kind: 'triage';
  url: string;
  verdict: Verdict;
  probes: ProbeResult[];
  listener: ListenerInfo | null;
  /** Why no listener is shown (remote host, not Linux, nothing listens, another user's process). */
  listenerNote?: string;
  /** The capture that explains the hang (first blocked serving process); see `captures` for all of them. */
  capture?: ProcessCapture;
  captures: ProcessCapture[];
  captureFailures: CaptureFailure[];
  startedAt: string;
  durationMs: number;
}

/** One verify round: open the stream, abort it, probe health. */
export interface VerifyRound {
  round: number;
  abortAfterMs: number;
  healthMs: number;
  timedOut: boolean;
  status: number | null;
  error: ProbeError | null;
  /** The stream ended by itself before the abort (nothing to abort). */
  streamEnded: boolean;
}

/** A health probe made while a stream was open. */
export interface DuringStreamProbe {
  round: number;
  healthMs: number;
  timedOut: boolean;
  status: number | null;
  error: ProbeError | null;
}

/** A finished verify. `error` is set when the check could not run (exit 2). */
export interface VerifyResult {
  kind: 'verify';
  url: string;
  streamPath: string;
  healthPath: string;
  maxLatencyMs: number;
  verdict: 'pass' | 'fail' | 'error';
  rounds: VerifyRound[];
  duringStream: DuringStreamProbe[];
  /** Rounds not run because an earlier one already failed (the capture is taken while the hang lasts). */
  skippedRounds: number;
  error?: string;
  listener: ListenerInfo | null;
  listenerNote?: string;
  capture?: ProcessCapture;
  captures: ProcessCapture[];
  captureFailures: CaptureFailure[];
  startedAt: string;
  durationMs: number;
}
