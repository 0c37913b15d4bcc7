/**
 * Pure: the blocking calls recognised on an event-loop thread, one table. Each entry matches a frame by its
 * bare name and a file suffix, so `shutdown` (py-spy < 0.4.3, Python < 3.11) and `ThreadPoolExecutor.shutdown`
 * (py-spy 0.4.3 on 3.11+) are the same call. Thread joins are matched with or without CPython's inner
 * `_wait_for_tstate_lock` (gone in 3.13, where `join` waits in a C `_thread` handle).
 */
import { at, isNative, normPath } from './frameMatch';
import type { Frame } from './types';

/** One recognised blocking call. */
export interface BlockingCall {
  /** The name shown to a person. */
  name: string;
  match: (f: Frame) => boolean;
  /** The call waits for other threads (list them). */
  waitsForWorkers?: boolean;
}

const nativeIs = (f: Frame, re: RegExp): boolean => isNative(f) && re.test(f.function);

/** In matching order within one frame; across frames the one nearest the user's frame wins. */
export const BLOCKING_CALLS: readonly BlockingCall[] = [
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
    waitsForWorkers: true,
  },
  { name: 'threading.Event.wait', match: (f) => at(f, 'wait', 'threading.py') },
  { name: 'threading.Condition.wait', match: (f) => at(f, /^(wait_for)$/, 'threading.py') },
  { name: 'queue.Queue.get', match: (f) => at(f, /^(get|put|join)$/, 'queue.py') },
  {
    name: 'subprocess wait',
    match: (f) => at(f, /^(wait|_wait|communicate|run|call|check_output|check_call)$/, 'subprocess.py'),
  },
  { name: 'socket connect', match: (f) => at(f, 'create_connection', 'socket.py') },
  {
    name: 'socket read',
    match: (f) => at(f, /^(readinto|recv|recv_into|read|readline)$/, /(^|\/)(socket|ssl)\.py$/),
  },
  { name: 'requests.get', match: (f) => at(f, 'get', 'requests/api.py') },
  { name: 'requests.post', match: (f) => at(f, 'post', 'requests/api.py') },
  {
    name: 'requests.request',
    match: (f) => at(f, /^(request|put|patch|delete|head|options)$/, 'requests/api.py'),
  },
  { name: 'requests.Session.request', match: (f) => at(f, 'request', 'requests/sessions.py') },
  {
    name: 'httpx (sync)',
    match: (f) =>
      at(f, /^(request|get|post|send)$/, /(^|\/)httpx\/(_api|_client)\.py$/) && !/Async/.test(f.function),
  },
  { name: 'urllib.request.urlopen', match: (f) => at(f, 'urlopen', 'urllib/request.py') },
  { name: 'time.sleep', match: (f) => nativeIs(f, /^(sleep|clock_nanosleep|nanosleep|time_sleep|pysleep)$/) },
  {
    name: 'lock acquire',
    match: (f) =>
      at(f, /^(__enter__|acquire)$/, /(^|\/)threading\.py$/) ||
      nativeIs(
        f,
        /^(lock_PyThread_acquire_lock|rlock_acquire|PyThread_acquire_lock_timed|acquire_timed|_PyMutex_LockTimed|PyMutex_LockTimed|_PySemaphore_Wait)$/,
      ),
  },
  { name: 'socket read', match: (f) => nativeIs(f, /^sock_(recv\w*|accept)$/) },
  { name: 'socket connect', match: (f) => nativeIs(f, /^sock_connect\w*$/) },
  {
    name: 'Thread.join',
    match: (f) =>
      nativeIs(f, /^(_thread__ThreadHandle_join|ThreadHandle_join|thread_join|PyThread_join_thread)\w*$/),
    waitsForWorkers: true,
  },
];

/**
 * Names the blocking call: among the frames between the innermost one and the nearest user frame, the
 * recognised call closest to the user frame wins (`ThreadPoolExecutor.shutdown` over the `Thread.join` it
 * makes, `requests.get` over its socket read).
 */
export function nameBlockingCall(above: readonly Frame[]): BlockingCall | undefined {
  for (let i = above.length - 1; i >= 0; i--) {
    for (const call of BLOCKING_CALLS) if (call.match(above[i])) return call;
  }
  return undefined;
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
  { name: 'Thread.join', re: /\.join\s*\(\s*(timeout\s*=.*)?\)/ },
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

export { normPath };
