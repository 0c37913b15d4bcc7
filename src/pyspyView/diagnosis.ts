/**
 * Pure: what a person concludes from a dump. Which threads run an event loop (./loopThreads), whether one is
 * parked in a blocking call (./blockingCalls) and in which line of the user's code, which worker threads it
 * waits for (grouped by what they do), and which frames did not move between two captures of one process.
 */
import { blockingCallFromSource, nameBlockingCall } from './blockingCalls';
import { formatFrame } from './dumpParser';
import { at } from './frameMatch';
import { findLoopThreads, isIdleLoop, loopSignal } from './loopThreads';
import { SourceFacts, type SourceTextReader } from './sourceFacts';
import type {
  BlockedLoopFinding,
  Diagnosis,
  Frame,
  ParsedDump,
  ThreadDump,
  WaitedGroup,
  WaitedThread,
} from './types';

export { blockingCallFromSource, codeOfLine } from './blockingCalls';
export type { SourceTextReader } from './sourceFacts';

/** True for a thread that runs an asyncio or uvloop event loop (any signal but the source-based one). */
export function isEventLoopThread(thread: ThreadDump): boolean {
  return loopSignal(thread) !== undefined;
}

/** Reads one line (1-based) of a frame's source file; undefined when the file is not available here. */
export type SourceLineReader = (file: string, line: number) => string | undefined;

/** Options of {@link diagnose}. */
export interface DiagnoseOptions {
  /**
   * Reads a frame's whole source file (resolved to this machine: absolute, chroot/container root, mappings).
   * Used to name a C call made straight from the user's line (`time.sleep`, `lock.acquire`, `sock.recv` leave
   * no frame of their own without `--native`) and to recognise the user's `async def` frames as loop code
   * (CPython 3.9 shows no asyncio frames under a running coroutine; uvloop never does).
   */
  sourceText?: SourceTextReader;
  /** Line-only reader (older callers); ignored when `sourceText` is given. */
  sourceLine?: SourceLineReader;
}

/**
 * A thread the loop may be waiting for: one doing work for an executor (a pool worker not idle in its queue)
 * or any other non-loop thread that is in the user's code (a joined `threading.Thread`).
 */
function isBusyWorker(thread: ThreadDump): boolean {
  return thread.frames.some((f) => at(f, 'run', 'concurrent/futures/thread.py') || !f.library);
}

function describeWaited(thread: ThreadDump): WaitedThread {
  const user = thread.frames.find((f) => !f.library);
  const top = thread.frames[0];
  return {
    name: thread.name,
    osThreadId: thread.osThreadId,
    userFrame: user ? formatFrame(user) : undefined,
    innermost: top ? formatFrame(top) : undefined,
  };
}

/** Groups waited-for threads by their user frame (else their innermost frame), largest group first. */
export function groupWaited(waited: readonly WaitedThread[]): WaitedGroup[] {
  const groups = new Map<string, WaitedGroup>();
  for (const w of waited) {
    const where = w.userFrame ?? w.innermost ?? w.name;
    const g = groups.get(where) ?? { count: 0, where, innermost: w.innermost, threads: [] };
    g.count++;
    g.threads.push({ name: w.name, osThreadId: w.osThreadId });
    groups.set(where, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/** "5 workers in process_source (app/services/rss_ingestion.py:13)" */
export function describeGroup(g: WaitedGroup): string {
  return `${g.count} worker ${g.count === 1 ? 'thread' : 'threads'} in ${g.where}`;
}

/**
 * Diagnoses one dump: event-loop threads, and for each one parked in a blocking call a finding naming the
 * call, the nearest user frame and the threads it waits for. A loop idle in its selector (or libuv's poll) is
 * healthy; a loop running Python code without a recognised blocking call is not reported from a single
 * capture (compare two captures with {@link unchangedFrames} for that).
 */
export function diagnose(dump: ParsedDump, opts: DiagnoseOptions = {}): Diagnosis {
  const lineReader = opts.sourceLine;
  const facts = new SourceFacts(opts.sourceText);
  const readLine = (file: string, line: number): string | undefined => {
    if (opts.sourceText) return facts.line(file, line);
    try {
      return lineReader?.(file, line);
    } catch {
      return undefined; // an unreadable file only costs the name of the call
    }
  };
  const loops = findLoopThreads(dump, opts.sourceText ? facts : undefined);
  const loopIds = new Set(loops.map((l) => l.thread.osThreadId));
  const findings: BlockedLoopFinding[] = [];
  for (const { thread, signal } of loops) {
    if (isIdleLoop(thread)) continue;
    const userIndex = thread.frames.findIndex((f) => !f.library);
    const above = userIndex >= 0 ? thread.frames.slice(0, userIndex) : thread.frames;
    const call = nameBlockingCall(above);
    const userFrame: Frame | undefined = userIndex >= 0 ? thread.frames[userIndex] : undefined;
    if (!call && (thread.active || !userFrame)) continue;
    // Idle in the user's own frame without a recognised library frame above it: a C function called straight
    // from that line (time.sleep, lock.acquire, sock.recv) shows no frame of its own; its name is on the line.
    let blockingCall: string;
    let evidence: BlockedLoopFinding['evidence'];
    if (call) {
      blockingCall = call.name;
      evidence = 'stack';
    } else {
      const text = readLine(userFrame!.file, userFrame!.line);
      const fromSource = text !== undefined ? blockingCallFromSource(text) : undefined;
      blockingCall = fromSource ?? 'a C-level call';
      evidence = fromSource ? 'source' : 'none';
    }
    const waitsFor = call?.waitsForWorkers
      ? dump.threads.filter((t) => !loopIds.has(t.osThreadId) && isBusyWorker(t)).map(describeWaited)
      : [];
    const groups = groupWaited(waitsFor);
    const where = userFrame ? `, called from ${formatFrame(userFrame)}` : '';
    const how =
      evidence === 'none'
        ? ' (py-spy shows no Python frame above this line: a C function such as time.sleep, lock.acquire or a socket read; capture with --native to see it)'
        : '';
    const waiting = groups.length ? `; it waits for ${groups.map(describeGroup).join(', ')}` : '';
    findings.push({
      kind: 'event-loop-blocked',
      thread: thread.name,
      osThreadId: thread.osThreadId,
      blockingCall,
      evidence,
      loopSignal: signal,
      frame: userFrame && {
        function: userFrame.function,
        file: userFrame.file,
        shortFile: userFrame.shortFile,
        line: userFrame.line,
      },
      waitsFor,
      waitsForGroups: groups,
      message: `Event loop blocked in ${blockingCall}${where}${how}${waiting}. Every request, /health included, waits until it returns.`,
    });
  }
  return { eventLoopThreadIds: loops.map((l) => l.thread.osThreadId), findings };
}

/** Per thread of the newer capture: how many of its outermost frames are identical in the older capture. */
export interface UnchangedFrames {
  osThreadId: number;
  /** Frames `frames.length - unchangedCount ..` (the outermost ones) did not move. */
  unchangedCount: number;
  /** The whole stack is identical: the thread has not moved at all (the hang signature). */
  whollyUnchanged: boolean;
}

const sameFrame = (a: Frame, b: Frame): boolean =>
  a.function === b.function && a.file === b.file && a.line === b.line;

/**
 * Compares two captures of the same process (older, newer) thread by thread (matched by os thread id):
 * the common outermost frames did not move between them.
 */
export function unchangedFrames(older: ParsedDump, newer: ParsedDump): UnchangedFrames[] {
  const result: UnchangedFrames[] = [];
  for (const t of newer.threads) {
    const prev = older.threads.find((o) => o.osThreadId === t.osThreadId);
    if (!prev) continue;
    let n = 0;
    while (
      n < t.frames.length &&
      n < prev.frames.length &&
      sameFrame(t.frames[t.frames.length - 1 - n], prev.frames[prev.frames.length - 1 - n])
    ) {
      n++;
    }
    result.push({
      osThreadId: t.osThreadId,
      unchangedCount: n,
      whollyUnchanged: n === t.frames.length && n === prev.frames.length && n > 0,
    });
  }
  return result;
}
