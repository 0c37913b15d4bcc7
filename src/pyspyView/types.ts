/** Plain-data types of the py-spy feature (no `vscode`): parsed dumps, processes, diagnosis. */
import type { AsyncTask } from '../asyncTasks/types';

/** One local variable or argument of a frame, as `py-spy dump --locals` shows it. */
export interface FrameLocal {
  name: string;
  /** True for function arguments ("Arguments:" in the text form), false for other locals. */
  arg: boolean;
  /** The value's repr, as py-spy printed it (truncated by py-spy). */
  repr: string;
}

/** One stack frame, innermost first within its thread. */
export interface Frame {
  /** Function name (`event_generator`, `<module>`, or a native symbol). */
  function: string;
  /** The file as py-spy gives it: absolute in `--json`, the short form in text dumps. */
  file: string;
  /** py-spy's short file name (`app/api/routes/stream.py`, `threading.py`). */
  shortFile: string;
  /** 1-based line; 0 when py-spy gave none (native frames). */
  line: number;
  /** Standard library, site-packages, or native code: not the user's own code. */
  library: boolean;
  /** Present when the dump was taken with `--locals` (may be empty). */
  locals?: FrameLocal[];
}

/** One Python thread of the dumped process. */
export interface ThreadDump {
  name: string;
  osThreadId: number;
  /** py-spy's "active" (running, not idle/waiting). */
  active: boolean;
  ownsGil: boolean;
  frames: Frame[];
}

/** One parsed `py-spy dump` of one process. */
export interface ParsedDump {
  pid: number;
  /** From the text form's "Process N: ..." header; undefined for --json (py-spy does not include it). */
  commandLine?: string;
  pythonVersion?: string;
  threads: ThreadDump[];
  /** Whether locals were captured (`--locals`). */
  hasLocals: boolean;
  /** The dump's format id (src/dumpFormats: `py-spy-json`, `py-spy-text`, `faulthandler`, `asyncio-pstree`, ...). */
  format?: string;
  /** asyncio tasks, when the source lists them (`python -m asyncio pstree|ps`, `py-spy dump --asyncio`). */
  tasks?: AsyncTask[];
  /** Why a live capture has no tasks (Python older than 3.14, no permission): shown instead of the task view. */
  tasksNote?: string;
}

/** What kind of uvicorn-family process a candidate is. */
export type ProcessRole = 'server' | 'reloader' | 'manager' | 'worker';

/** A process the picker offers. */
export interface ProcessCandidate {
  pid: number;
  ppid: number;
  role: ProcessRole;
  /** 1-based worker number when role is 'worker'. */
  workerIndex?: number;
  /** Whether this process runs the app's event loop (server or worker): the one worth dumping. */
  serving: boolean;
  commandLine: string;
  cwd?: string;
  /** Seconds since the process started, when known. */
  uptimeSeconds?: number;
}

/** The call the event loop thread is parked in, named for a person. */
export interface BlockedLoopFinding {
  kind: 'event-loop-blocked';
  /** Name of the event-loop thread. */
  thread: string;
  osThreadId: number;
  /** e.g. `ThreadPoolExecutor.shutdown`, `Thread.join`, `time.sleep`, `socket read`. */
  blockingCall: string;
  /**
   * How the call was named: from a frame of the stack (`stack`), from the text of the user's line because a
   * C function called from it left no frame (`source`), or not at all (`none`: `blockingCall` is generic).
   */
  evidence?: 'stack' | 'source' | 'none';
  /** Nearest user frame below the blocking call (where to fix); undefined when all frames are library code. */
  frame?: { function: string; file: string; shortFile: string; line: number };
  /** Worker threads the blocked call waits for (executor/thread joins). */
  waitsFor: WaitedThread[];
  /** The same threads grouped by what they are doing (five workers in one `get` read as one row). */
  waitsForGroups?: WaitedGroup[];
  /** How the loop thread was recognised (asyncio frames, uvloop, ASGI task frames, the user's async def). */
  loopSignal?: 'asyncio' | 'uvloop' | 'server-task' | 'async-def';
  /**
   * What `backend-hang check` reports that covers the frame's line (for BHD001 the whole `with` block, since
   * CPython 3.9 reports an exiting `with` at the block's last line). Filled by ./staticLink; empty when the
   * source is not readable here.
   */
  static?: StaticLink[];
  message: string;
}

/** A static finding linked to a blocked frame: the line to fix. */
export interface StaticLink {
  code: string;
  /** 1-based line and column of the finding (the `with` statement for BHD001). */
  line: number;
  column: number;
  fixable: boolean;
  message: string;
  /** The local file it was found in (the frame's file resolved to this machine). */
  file: string;
}

/** Waited-for threads that do the same thing, e.g. 5 workers in `process_source (rss_ingestion.py:13)`. */
export interface WaitedGroup {
  count: number;
  /** Their shared nearest user frame, or innermost frame when none. */
  where: string;
  /** Their innermost frame (what they are blocked in). */
  innermost?: string;
  threads: { name: string; osThreadId: number }[];
}

/** A worker thread the event loop waits for, with what it is doing itself. */
export interface WaitedThread {
  name: string;
  osThreadId: number;
  /** Its nearest user frame, e.g. `process_source (app/services/rss_ingestion.py:13)`. */
  userFrame?: string;
  /** Its innermost frame, e.g. `readinto (socket.py:706)`. */
  innermost?: string;
}

/** The pure diagnosis of one dump. */
export interface Diagnosis {
  /** os thread ids of threads that run an asyncio/uvloop event loop. */
  eventLoopThreadIds: number[];
  findings: BlockedLoopFinding[];
}
