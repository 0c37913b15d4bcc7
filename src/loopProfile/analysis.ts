/**
 * Pure: from a raw py-spy profile (`record --idle --threads --format raw`) to how much of the time the event
 * loop was blocked and which user lines blocked it. A loop thread's sample is idle when its innermost Python
 * frame is the loop's driver (asyncio's selector, uvloop's `run`, the server's loop frames: the same test as a
 * single dump, src/pyspyView/loopThreads); every other sample is time the loop could not serve anyone. The
 * nearest user frame of a busy sample is the line to blame, and the frames above it (or the text of that
 * line when a C function left no frame) name what it was doing.
 */
import { blockingCallFromSource, nameBlockingCall } from '../pyspyView/blockingCalls';
import { bareName, fileIs, isNative } from '../pyspyView/frameMatch';
import { isIdleLoop, loopSignal } from '../pyspyView/loopThreads';
import { SourceFacts, type SourceTextReader } from '../pyspyView/sourceFacts';
import type { Frame, ThreadDump } from '../pyspyView/types';
import type { Hotspot, LoopProfile, LoopUsage, RawStack } from './types';

/** Options of {@link analyzeProfile}. */
export interface AnalyzeProfileOptions {
  pid: number;
  durationS: number;
  /** Reads a frame's source (resolved to this machine): names C calls from the line, finds `async def`s. */
  sourceText?: SourceTextReader;
  /**
   * Lines below this share of the loop's samples are left out (one stray sample of an `await` line is
   * scheduling, not blocking). Default 0.01; a line also needs at least 2 samples.
   */
  minShare?: number;
}

/** Calls that burn CPU in C code (no frame of their own): named `CPU in ...`. */
const CPU_CALL =
  /^(hashlib|hmac|bcrypt|argon2|scrypt|passlib|zlib|gzip|bz2|lzma|json|orjson|ujson|pickle|re|math|statistics|numpy|np|pandas|pd|PIL|Image|cryptography|base64|binascii|difflib|sorted|sum|min|max)(\.|$)/;

/** `json/__init__.py` → `json`, `requests/api.py` → `requests.api`. */
function moduleOf(shortFile: string): string {
  return shortFile
    .replace(/\\/g, '/')
    .replace(/\.pyw?$/, '')
    .replace(/\/__init__$/, '')
    .split('/')
    .join('.');
}

/** Names what a busy sample was doing under its user frame. */
export function nameHotCall(
  above: readonly Frame[],
  lineText: string | undefined,
): { call: string; evidence: Hotspot['evidence'] } {
  const known = nameBlockingCall(above);
  if (known) return { call: known.name, evidence: 'stack' };
  // The library function the user's line called (outermost frame above it), when it is Python code.
  const called = [...above].reverse().find((f) => !isNative(f));
  if (called)
    return { call: `${moduleOf(called.shortFile)}.${bareName(called.function)}`, evidence: 'stack' };
  const fromLine = lineText !== undefined ? blockingCallFromSource(lineText) : undefined;
  if (fromLine)
    return { call: CPU_CALL.test(fromLine) ? `CPU in ${fromLine}` : fromLine, evidence: 'source' };
  return { call: 'Python code of this line', evidence: 'none' };
}

/** A frame of asyncio's awaitables called straight from a user line (`asyncio.sleep`, `Lock.acquire`, ...). */
function isAwaitMachinery(f: Frame): boolean {
  return fileIs(f, /(^|\/)asyncio\/(tasks|locks|queues|futures|timeouts|streams)\.py$/);
}

interface ThreadSamples {
  threadId: number;
  name: string;
  stacks: RawStack[];
  total: number;
}

function byThread(stacks: readonly RawStack[]): ThreadSamples[] {
  const m = new Map<number, ThreadSamples>();
  for (const s of stacks) {
    const t = m.get(s.threadId) ?? { threadId: s.threadId, name: s.threadName, stacks: [], total: 0 };
    t.stacks.push(s);
    t.total += s.count;
    m.set(s.threadId, t);
  }
  return [...m.values()];
}

const asThread = (name: string, osThreadId: number, frames: Frame[]): ThreadDump => ({
  name,
  osThreadId,
  active: true,
  ownsGil: false,
  frames,
});

/** The loop signal of a thread over all its samples (a frame seen in any sample counts). */
function threadLoopSignal(t: ThreadSamples, facts: SourceFacts): string | undefined {
  const seen = new Map<string, Frame>();
  for (const s of t.stacks) for (const f of s.frames) seen.set(`${f.function}\0${f.file}\0${f.line}`, f);
  return loopSignal(asThread(t.name, t.threadId, [...seen.values()]), facts);
}

/** Analyses one process's raw profile. */
export function analyzeProfile(stacks: readonly RawStack[], opts: AnalyzeProfileOptions): LoopProfile {
  const facts = new SourceFacts(opts.sourceText);
  const threads = byThread(stacks);
  // py-spy samples every thread at each tick: the busiest thread's count is the number of ticks.
  const samples = threads.reduce((n, t) => Math.max(n, t.total), 0);
  const loops: { t: ThreadSamples; signal: string }[] = [];
  for (const t of threads) {
    const signal = threadLoopSignal(t, facts);
    if (signal) loops.push({ t, signal });
  }
  // The main loop is the one that ran most; py-spy samples every thread at each tick, so most = longest-lived.
  loops.sort(
    (a, b) => b.t.total - a.t.total || Number(b.t.name === 'MainThread') - Number(a.t.name === 'MainThread'),
  );
  const usages: LoopUsage[] = [];
  let hotspots: Hotspot[] = [];
  loops.forEach(({ t, signal }, i) => {
    let idle = 0;
    let framework = 0;
    const hot = new Map<
      string,
      {
        frame: Frame;
        samples: number;
        calls: Map<string, { n: number; evidence: Hotspot['evidence'] }>;
        /** The user frames calling the line in its most frequent stack, and that stack's count. */
        callers: Frame[];
        callersCount: number;
      }
    >();
    for (const s of t.stacks) {
      if (isIdleLoop(asThread(t.name, t.threadId, s.frames))) {
        idle += s.count;
        continue;
      }
      const ui = s.frames.findIndex((f) => !f.library);
      if (ui < 0) {
        framework += s.count;
        continue;
      }
      if (i > 0) continue; // hotspots of the main loop only; other loops report their usage
      // `await asyncio.sleep()`/`lock.acquire()`/`queue.get()`: the line hands control back to the loop; the
      // few samples inside asyncio's own await machinery are scheduling, not the line blocking the loop.
      if (ui > 0 && isAwaitMachinery(s.frames[ui - 1])) {
        framework += s.count;
        continue;
      }
      const frame = s.frames[ui];
      const key = `${frame.file}:${frame.line}`;
      const h = hot.get(key) ?? { frame, samples: 0, calls: new Map(), callers: [], callersCount: 0 };
      h.samples += s.count;
      if (s.count > h.callersCount) {
        h.callers = s.frames
          .slice(ui + 1)
          .filter((f) => !f.library)
          .slice(0, 5);
        h.callersCount = s.count;
      }
      const { call, evidence } = nameHotCall(s.frames.slice(0, ui), facts.line(frame.file, frame.line));
      const c = h.calls.get(call) ?? { n: 0, evidence };
      c.n += s.count;
      h.calls.set(call, c);
      hot.set(key, h);
    }
    const busy = t.total - idle;
    usages.push({
      thread: t.name,
      osThreadId: t.threadId,
      signal,
      samples: t.total,
      idleSamples: idle,
      busyShare: t.total ? busy / t.total : 0,
      frameworkShare: t.total ? framework / t.total : 0,
    });
    if (i > 0) return;
    const minShare = opts.minShare ?? 0.01;
    hotspots = [...hot.values()]
      .filter((h) => h.samples >= 2 && h.samples / t.total >= minShare)
      .map((h): Hotspot => {
        const [call, c] = [...h.calls.entries()].sort((a, b) => b[1].n - a[1].n)[0];
        const share = h.samples / t.total;
        return {
          file: h.frame.file,
          shortFile: h.frame.shortFile,
          line: h.frame.line,
          function: h.frame.function,
          share,
          seconds: share * opts.durationS,
          samples: h.samples,
          call,
          evidence: c.evidence,
          ...(h.callers.length
            ? { callers: h.callers.map((f) => ({ file: f.file, line: f.line, function: f.function })) }
            : {}),
        };
      })
      .sort((a, b) => b.samples - a.samples || a.file.localeCompare(b.file) || a.line - b.line);
  });
  return {
    pid: opts.pid,
    durationS: opts.durationS,
    samples,
    loop: usages[0],
    otherLoops: usages.slice(1),
    hotspots,
  };
}
