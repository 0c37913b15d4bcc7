/** Plain-data types of asyncio tasks (no `vscode`): what `python -m asyncio pstree|ps` (3.14+) tells. */

/** One coroutine frame of a task. `file`/`line` are empty/0 when the source gave only the name (`ps`). */
export interface TaskFrame {
  function: string;
  file: string;
  line: number;
  /** Short file name (`app/main.py`, `asyncio/locks.py`), like py-spy's. */
  shortFile?: string;
  /** Standard library or site-packages: not the user's own code. */
  library?: boolean;
}

/** A task that awaits this one, and the coroutine frames (innermost first) in which it does. */
export interface TaskAwaiter {
  /** The awaiting task's id (`0x7f…` from `ps`; its name when only `pstree` was read). */
  id: string;
  name?: string;
  frames?: TaskFrame[];
}

/** One asyncio task. */
export interface AsyncTask {
  /** `0x7f8fa10289b0` (`ps`), or the task's name when only `pstree` was read (it prints no ids). */
  id: string;
  name: string;
  state?: string;
  /** OS thread id of the loop that runs it (`ps`). */
  threadId?: number;
  /** Its coroutine stack, innermost first (where it is parked is frames[0]). */
  frames: TaskFrame[];
  awaitedBy: TaskAwaiter[];
  /** The task names of the await cycle it is part of (`pstree`'s "cycle: a → b → a"), when it is in one. */
  cycle?: string[];
  /**
   * Set when compared with a previous capture of the same process: true when the task was there with the same
   * stack (it did not move), false when it is new or moved.
   */
  stuck?: boolean;
}

/** What a task is parked on, from its innermost frames. */
export type AwaitKind =
  'lock' | 'event' | 'condition' | 'semaphore' | 'queue' | 'future' | 'task' | 'sleep' | 'io' | 'other';

/** Tasks parked at one user line on one primitive: the `tasks-waiting` finding. */
export interface TasksWaitingFinding {
  kind: 'tasks-waiting';
  /** The nearest user frame of the parked tasks: the line to look at. */
  frame: { file: string; line: number; function: string; shortFile?: string };
  /** What they await, named for a person: `asyncio.Lock.acquire`, `asyncio.Event.wait`, `asyncio.Queue.get`. */
  awaits: string;
  awaitKind: AwaitKind;
  tasks: { id: string; name: string }[];
  /** Every task here had the same stack in the previous capture of the same process. */
  stuck?: boolean;
  /** The tasks are part of an await cycle (`pstree` reports it): they can never finish. */
  deadlock?: boolean;
  message: string;
}

/** The tasks of one capture, or why there are none. */
export interface TasksCapture {
  /** false when the target's Python is older than 3.14 or the inspecting interpreter could not run. */
  available: boolean;
  /** Why not available: "The task view needs Python 3.14+ (this server runs 3.12); showing thread stacks." */
  reason?: string;
  /** The target's Python `major.minor`, when known. */
  python?: string;
  tasks: AsyncTask[];
  /** Await cycles by task name (`["alpha", "beta", "alpha"]`). */
  cycles: string[][];
  findings: TasksWaitingFinding[];
  /** How the tasks were read (the interpreter and its command), for the log. */
  inspector?: string;
}
