/**
 * Pure: what a person concludes from a dump. Which threads run an event loop, whether one is parked in a
 * blocking call (and in which line of the user's code), which worker threads it waits for, and which frames
 * did not move between two captures of the same process.
 */
import { formatFrame } from './dumpParser';
import type { BlockedLoopFinding, Diagnosis, Frame, ParsedDump, ThreadDump, WaitedThread } from './types';

const norm = (f: string): string => f.replace(/\\/g, '/');
/** Matches a frame by function name and a file suffix (works for absolute and short file names). */
const at = (frame: Frame, fn: string | RegExp, fileSuffix: string | RegExp): boolean =>
  (typeof fn === 'string' ? frame.function === fn : fn.test(frame.function)) &&
  (typeof fileSuffix === 'string'
    ? norm(frame.file) === fileSuffix || norm(frame.file).endsWith(`/${fileSuffix}`)
    : fileSuffix.test(norm(frame.file)));

/**
 * True for a thread that runs an asyncio or uvloop event loop: it has `run_forever`/`_run_once` of
 * asyncio's base_events, a uvloop frame, or `Handle._run` (asyncio/events.py, used by both loops).
 */
export function isEventLoopThread(thread: ThreadDump): boolean {
  return thread.frames.some(
    (f) =>
      at(f, /^(run_forever|_run_once)$/, /(^|\/)asyncio\/base_events\.py$/) ||
      at(f, '_run', 'asyncio/events.py') ||
      /(^|\/)uvloop\//.test(norm(f.file)),
  );
}

/** The loop waiting for I/O in its selector (`select`/`poll`), i.e. healthy and idle. */
function isIdleInSelector(thread: ThreadDump): boolean {
  const top = thread.frames.find((f) => f.line > 0 || /\.pyw?$/.test(f.file)) ?? thread.frames[0];
  if (!top) return true;
  return (
    at(top, /^(select|poll)$/, /(^|\/)selectors\.py$/) ||
    at(top, /^(run_forever|_run_once)$/, /(^|\/)asyncio\/base_events\.py$/) ||
    /(^|\/)uvloop\//.test(norm(top.file))
  );
}

/** Blocking calls recognised on a loop thread, matched on the frames above the nearest user frame. */
const BLOCKING_CALLS: { name: string; match: (f: Frame) => boolean; waitsForWorkers?: boolean }[] = [
  {
    name: 'ThreadPoolExecutor.shutdown',
    match: (f) => at(f, 'shutdown', 'concurrent/futures/thread.py'),
    waitsForWorkers: true,
  },
  { name: 'ProcessPoolExecutor.shutdown', match: (f) => at(f, 'shutdown', 'concurrent/futures/process.py') },
  {
    name: 'Thread.join',
    match: (f) => at(f, /^(join|_wait_for_tstate_lock)$/, 'threading.py'),
    waitsForWorkers: true,
  },
  {
    name: 'Future.result',
    match: (f) => at(f, 'result', 'concurrent/futures/_base.py'),
    waitsForWorkers: true,
  },
  {
    name: 'concurrent.futures.wait',
    match: (f) => at(f, /^(wait|as_completed)$/, 'concurrent/futures/_base.py'),
  },
  { name: 'threading.Event.wait', match: (f) => at(f, 'wait', 'threading.py') },
  { name: 'queue.Queue.get', match: (f) => at(f, /^(get|put|join)$/, 'queue.py') },
  { name: 'subprocess wait', match: (f) => at(f, /^(wait|_wait|communicate|run)$/, 'subprocess.py') },
  { name: 'socket connect', match: (f) => at(f, 'create_connection', 'socket.py') },
  { name: 'socket read', match: (f) => at(f, /^(readinto|recv|recv_into|read)$/, /(^|\/)(socket|ssl)\.py$/) },
  { name: 'requests.get', match: (f) => at(f, 'get', 'requests/api.py') },
  { name: 'requests.post', match: (f) => at(f, 'post', 'requests/api.py') },
  { name: 'requests.request', match: (f) => at(f, 'request', 'requests/api.py') },
  { name: 'urllib.request.urlopen', match: (f) => at(f, 'urlopen', 'urllib/request.py') },
  // Native frames (`--native`): what CPython's C functions are called when Python code calls them directly.
  {
    name: 'time.sleep',
    match: (f) => /^(sleep|clock_nanosleep|nanosleep|time_sleep|pysleep)$/.test(f.function) && isNative(f),
  },
  {
    name: 'lock acquire',
    match: (f) =>
      (/^(__enter__|acquire)$/.test(f.function) && /(^|\/)threading\.py$/.test(norm(f.file))) ||
      (/^(lock_PyThread_acquire_lock|rlock_acquire|PyThread_acquire_lock_timed|acquire_timed)$/.test(
        f.function,
      ) &&
        isNative(f)),
  },
  {
    name: 'socket read',
    match: (f) => /^sock_(recv\w*|accept)$/.test(f.function) && isNative(f),
  },
  { name: 'socket connect', match: (f) => /^sock_connect\w*$/.test(f.function) && isNative(f) },
];

/** A native frame (C code of CPython or an extension): no Python source file. */
function isNative(f: Frame): boolean {
  return !/\.pyw?$/.test(f.file);
}

/** Reads one line (1-based) of a frame's source file; undefined when the file is not available here. */
export type SourceLineReader = (file: string, line: number) => string | undefined;

/** Options of {@link diagnose}. */
export interface DiagnoseOptions {
  /**
   * Reads the source line of the nearest user frame. A C function called straight from the user's line
   * (`time.sleep`, `lock.acquire`, `sock.recv`) leaves no frame of its own in a dump taken without
   * `--native`: the line's text is then the only way to name it.
   */
  sourceLine?: SourceLineReader;
}

/** The code part of a Python source line: no trailing `# comment` (quotes respected), trimmed. */
export function codeOfLine(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '#') {
      return line.slice(0, i).trim();
    }
  }
  return line.trim();
}

/** Blocking calls recognised in the text of the user's line (only consulted when no frame names the call). */
const SOURCE_CALLS: { name: string; re: RegExp }[] = [
  { name: 'time.sleep', re: /(^|[^.\w])(time\.)?sleep\s*\(/ },
  {
    name: 'lock acquire',
    re: /\.acquire\s*\(|^(async\s+)?with\s+[^:]*\b\w*(lock|mutex|semaphore|sem)\b[^:]*:/i,
  },
  { name: 'socket read', re: /\.(recv|recv_into|recvfrom|recvfrom_into|recvmsg|accept)\s*\(/ },
  { name: 'socket connect', re: /\bcreate_connection\s*\(|\.connect(_ex)?\s*\(/ },
  { name: 'socket write', re: /\.(sendall|send|sendto)\s*\(/ },
  { name: 'Future.result', re: /\.result\s*\(/ },
  { name: 'select', re: /\bselect\.(select|poll|epoll)\b|(^|[^.\w])select\s*\(/ },
];

/**
 * Names the C-level call a user line blocks in, from its text: a known call (`time.sleep`, `lock acquire`,
 * `socket read`, ...) or else the first called name on the line (`cursor.execute`). Undefined without a call.
 */
export function blockingCallFromSource(line: string): string | undefined {
  // String literals emptied: `"time.sleep(3)"` is text, not a call.
  const code = codeOfLine(line).replace(/(["'])(?:\\.|(?!\1).)*\1/g, '$1$1');
  if (!code || /\basyncio\.sleep\b/.test(code)) return undefined;
  for (const c of SOURCE_CALLS) if (c.re.test(code)) return c.name;
  const call = /([A-Za-z_][\w.]*)\s*\(/.exec(
    code.replace(/^(return|await|yield|if|while|elif|with)\b\s*/, ''),
  );
  return call && !/^(print|len|str|int|dict|list|tuple|set|float|bool)$/.test(call[1]) ? call[1] : undefined;
}

/**
 * Names the blocking call: among the frames between the innermost one and the nearest user frame, the
 * recognised call closest to the user frame wins (`ThreadPoolExecutor.shutdown` over the `Thread.join` it
 * makes, `requests.get` over its socket read).
 */
function nameBlockingCall(above: Frame[]): { name: string; waitsForWorkers: boolean } | undefined {
  for (let i = above.length - 1; i >= 0; i--) {
    for (const call of BLOCKING_CALLS) {
      if (call.match(above[i])) return { name: call.name, waitsForWorkers: call.waitsForWorkers === true };
    }
  }
  return undefined;
}

/**
 * A thread the loop may be waiting for: one doing work for an executor (`run` of concurrent/futures/thread.py,
 * not idle in its queue) or any other thread that is in the user's code (a joined `threading.Thread`).
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

/**
 * Diagnoses one dump: event-loop threads, and for each one parked in a blocking call a finding naming the
 * call, the nearest user frame and the threads it waits for. A loop idle in its selector is healthy; a
 * loop that is running (active) Python code without a recognised blocking call is not reported from a
 * single capture (compare two captures with {@link unchangedFrames} for that).
 */
export function diagnose(dump: ParsedDump, opts: DiagnoseOptions = {}): Diagnosis {
  const loops = dump.threads.filter(isEventLoopThread);
  const findings: BlockedLoopFinding[] = [];
  for (const thread of loops) {
    if (isIdleInSelector(thread)) continue;
    const userIndex = thread.frames.findIndex((f) => !f.library);
    const above = userIndex >= 0 ? thread.frames.slice(0, userIndex) : thread.frames;
    const call = nameBlockingCall(above);
    const userFrame = userIndex >= 0 ? thread.frames[userIndex] : undefined;
    if (!call && (thread.active || !userFrame)) continue;
    // Idle in the user's own frame without a recognised library frame above it: a C function called straight
    // from that line (time.sleep, lock.acquire, sock.recv) shows no frame of its own; its name is on the line.
    let blockingCall: string;
    let evidence: BlockedLoopFinding['evidence'];
    if (call) {
      blockingCall = call.name;
      evidence = 'stack';
    } else {
      let text: string | undefined;
      try {
        text = opts.sourceLine?.(userFrame!.file, userFrame!.line);
      } catch {
        text = undefined; // an unreadable file only costs the name of the call
      }
      const fromSource = text !== undefined ? blockingCallFromSource(text) : undefined;
      blockingCall = fromSource ?? 'a C-level call';
      evidence = fromSource ? 'source' : 'none';
    }
    const waitsFor = call?.waitsForWorkers
      ? dump.threads
          .filter((t) => t !== thread && !isEventLoopThread(t) && isBusyWorker(t))
          .map(describeWaited)
      : [];
    const where = userFrame ? `, called from ${formatFrame(userFrame)}` : '';
    const how =
      evidence === 'none'
        ? ' (py-spy shows no Python frame above this line: a C function such as time.sleep, lock.acquire or a socket read; capture with --native to see it)'
        : '';
    const waiting = waitsFor.length
      ? `; it waits for ${waitsFor.length} worker thread${waitsFor.length === 1 ? '' : 's'}${
          waitsFor[0].userFrame ? ` (in ${waitsFor[0].userFrame})` : ''
        }`
      : '';
    findings.push({
      kind: 'event-loop-blocked',
      thread: thread.name,
      osThreadId: thread.osThreadId,
      blockingCall,
      evidence,
      frame: userFrame && {
        function: userFrame.function,
        file: userFrame.file,
        shortFile: userFrame.shortFile,
        line: userFrame.line,
      },
      waitsFor,
      message: `Event loop blocked in ${blockingCall}${where}${how}${waiting}. Every request, /health included, waits until it returns.`,
    });
  }
  return { eventLoopThreadIds: loops.map((t) => t.osThreadId), findings };
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
