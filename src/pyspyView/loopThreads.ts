/**
 * Pure: which threads of a dump run an event loop, and whether a loop thread is idle. No single frame says
 * so on every runtime: asyncio leaves `base_events` frames, uvloop leaves none (its loop is Cython), CPython
 * 3.9 cuts a coroutine's stack below the task (no asyncio frames at all while user code runs). So several
 * signals are combined, strongest first; each finding records which one was used.
 */
import { at, bareName, fileIs, inPackage, isNative, normPath } from './frameMatch';
import type { SourceFacts } from './sourceFacts';
import type { Frame, ParsedDump, ThreadDump } from './types';

/** Why a thread was taken for an event-loop thread. */
export type LoopSignal =
  /** asyncio's own frames: `BaseEventLoop.run_forever`/`_run_once`, `Handle._run`, `asyncio.run`. */
  | 'asyncio'
  /** uvloop frames (Python shims or native `uv_run`/`uvloop.loop` symbols with `--native`). */
  | 'uvloop'
  /** Coroutine frames of the ASGI stack (starlette, fastapi, anyio tasks, uvicorn/hypercorn protocols). */
  | 'server-task'
  /** A user frame inside an `async def` (known from the frame's source file). */
  | 'async-def';

const ASYNCIO_DRIVER = /(^|\/)asyncio\/(base_events|runners|windows_events|unix_events|proactor_events)\.py$/;

/** Frames of asyncio itself that only a loop thread has. */
function isAsyncioFrame(f: Frame): boolean {
  return (
    at(f, /^(run_forever|_run_once|run_until_complete)$/, ASYNCIO_DRIVER) ||
    at(f, 'run', /(^|\/)asyncio\/runners\.py$/) ||
    at(f, '_run', 'asyncio/events.py') ||
    at(f, /^(__step|_step|__step_run_and_handle_result|__wakeup|_wakeup)$/, 'asyncio/tasks.py') ||
    at(f, /^(select|poll|_poll)$/, /(^|\/)asyncio\/(windows_events|selector_events)\.py$/)
  );
}

function isUvloopFrame(f: Frame): boolean {
  if (inPackage(f, 'uvloop')) return true;
  // --native: uvloop's Cython module and libuv's run loop.
  return isNative(f) && /uvloop|^uv_run$|^uv__io_poll$/.test(`${f.function} ${f.file}`);
}

/** Coroutine code of the ASGI stack: what runs on the loop thread while a request is being served. */
const SERVER_TASK_PACKAGES = [
  'starlette',
  'fastapi',
  'sse_starlette',
  'anyio/_core',
  'anyio/_backends',
  'uvicorn/protocols',
  'uvicorn/middleware',
  'uvicorn/lifespan',
  'hypercorn/asyncio',
  'hypercorn/protocol',
  'hypercorn/app_wrappers.py',
];
/** The server's loop driver (the main thread of a serving process runs it). */
const SERVER_DRIVERS: [RegExp, RegExp][] = [
  [/^(run|serve|_serve|main_loop|startup|on_tick)$/, /(^|\/)uvicorn\/server\.py$/],
  [/^(run|_serve)$/, /(^|\/)uvicorn\/workers\.py$/],
  [/^asyncio_run$/, /(^|\/)uvicorn\/_compat\.py$/],
  [/^(run|worker_serve|_run)$/, /(^|\/)hypercorn\/asyncio\/(run|__init__)\.py$/],
];

/** A frame of a thread pool's worker loop (concurrent.futures, anyio/starlette's `run_in_threadpool`). */
function isPoolWorkerFrame(f: Frame): boolean {
  return (
    at(f, '_worker', 'concurrent/futures/thread.py') ||
    (at(f, 'run', /(^|\/)anyio\/_backends\/_asyncio\.py$/) && /WorkerThread/.test(f.function)) ||
    at(f, '_next', 'starlette/concurrency.py')
  );
}

/** A pool worker: `_worker` of concurrent.futures, anyio's WorkerThread (also bare-named on old py-spy). */
export function isPoolWorker(thread: ThreadDump): boolean {
  if (thread.frames.some(isPoolWorkerFrame)) return true;
  // Bare names (py-spy < 0.4.3 or Python < 3.11): anyio's WorkerThread.run is `run` in _asyncio.py directly
  // above threading's bootstrap.
  const i = thread.frames.findIndex((f) => at(f, '_bootstrap_inner', 'threading.py'));
  if (i <= 0) return false;
  const below = thread.frames.slice(Math.max(0, i - 2), i);
  return below.some((f) => at(f, 'run', /(^|\/)anyio\/_backends\/_asyncio\.py$/));
}

/** Frames of a process manager (uvicorn --reload/--workers supervisor, gunicorn arbiter): not a loop. */
function isSupervisorFrame(f: Frame): boolean {
  return inPackage(f, 'uvicorn/supervisors') || fileIs(f, 'gunicorn/arbiter.py');
}

/** The signal that makes `thread` an event-loop thread, or undefined. */
export function loopSignal(thread: ThreadDump, facts?: SourceFacts): LoopSignal | undefined {
  const frames = thread.frames;
  if (frames.some(isUvloopFrame)) return 'uvloop';
  if (frames.some(isAsyncioFrame)) {
    // asyncio's loop is Python code: its run_forever/_run_once frames are always there unless the stack is
    // cut. `asyncio.run` above no loop frame means the loop itself is native code: uvloop (or winloop).
    const pythonLoop = frames.some(
      (f) => at(f, /^(run_forever|_run_once)$/, ASYNCIO_DRIVER) || at(f, '_run', 'asyncio/events.py'),
    );
    return pythonLoop || !frames.some((f) => at(f, 'run', /(^|\/)asyncio\/runners\.py$/))
      ? 'asyncio'
      : 'uvloop';
  }
  if (isPoolWorker(thread) || frames.some(isSupervisorFrame)) return undefined;
  if (
    frames.some(
      (f) =>
        SERVER_TASK_PACKAGES.some((p) => inPackage(f, p)) ||
        SERVER_DRIVERS.some(([fn, file]) => at(f, fn, file)),
    )
  )
    return 'server-task';
  if (facts && frames.some((f) => !f.library && facts.inAsyncDef(f.file, f.line, bareName(f.function))))
    return 'async-def';
  return undefined;
}

/** Event-loop threads of a dump with the signal that identified each. */
export function findLoopThreads(
  dump: ParsedDump,
  facts?: SourceFacts,
): { thread: ThreadDump; signal: LoopSignal }[] {
  const out: { thread: ThreadDump; signal: LoopSignal }[] = [];
  for (const thread of dump.threads) {
    const signal = loopSignal(thread, facts);
    if (signal) out.push({ thread, signal });
  }
  return out;
}

/**
 * The frames that drive a loop without running any of its callbacks: when the innermost Python frame is one
 * of these, the loop is waiting for I/O (asyncio's selector; uvloop's libuv poll, which leaves only the
 * `asyncio.run`/uvicorn frames that called into it).
 */
function isDriverFrame(f: Frame): boolean {
  return (
    at(f, /^(select|poll)$/, /(^|\/)selectors\.py$/) ||
    at(f, /^(run_forever|_run_once|run_until_complete)$/, ASYNCIO_DRIVER) ||
    at(f, 'run', /(^|\/)asyncio\/runners\.py$/) ||
    at(f, /^(select|_poll)$/, /(^|\/)asyncio\/windows_events\.py$/) ||
    inPackage(f, 'uvloop') ||
    SERVER_DRIVERS.some(([fn, file]) => at(f, fn, file)) ||
    at(f, /^(run|asyncio_run)$/, /(^|\/)uvicorn\/(main|_compat)\.py$/)
  );
}

/** The loop is waiting in its selector / libuv poll: healthy and idle. */
export function isIdleLoop(thread: ThreadDump): boolean {
  const top = thread.frames.find((f) => !isNative(f)) ?? thread.frames[0];
  if (!top) return true;
  if (isDriverFrame(top)) return true;
  // --native: the innermost native frames are epoll_wait/uv__io_poll under a driver frame.
  return false;
}

/** Normalised path (tests). */
export { normPath };
