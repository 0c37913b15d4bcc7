/**
 * Pure: CPython's faulthandler output (`faulthandler.register(signal.SIGUSR1, all_threads=True)` then
 * `kill -USR1 PID`, `faulthandler.dump_traceback()`, or a fatal error's report) as a dump. Every thread reads
 *
 *     Thread 0x00007f99529016c0 (most recent call first):
 *       File "/app/x.py", line 4 in worker
 *
 * with "Current thread 0x..." for the thread that wrote it, and on 3.14 the OS thread name in brackets
 * (`Current thread 0x... [python] (most recent call first):`). A single-thread dump starts with
 * "Stack (most recent call first):". Frames are innermost first, like py-spy's. Thread ids are pthread ids,
 * not OS thread ids, and no thread has a Python name: threads are named by their id.
 */
import { isLibraryFile } from '../pyspyView/libraryFiles';
import { UnparseableDumpError } from '../pyspyView/dumpParser';
import type { ParsedDump, ThreadDump } from '../pyspyView/types';
import type { DumpFormat } from './format';

const HEADER_RE =
  /^(Current thread|Thread) (0x[0-9a-fA-F]+)(?: \[([^\]]*)\])? \(most recent call first\):\s*$/;
const STACK_RE = /^Stack \(most recent call first\):\s*$/;
const FRAME_RE = /^ {2}File "(.*)", line (\d+|\?\?\?) in (.*?)\s*$/;

/** A path of the frame, shortened like py-spy's short names: after site-packages, or the stdlib directory. */
function shortName(file: string): string {
  const site = /[\\/](?:site|dist)-packages[\\/](.*)$/.exec(file);
  if (site) return site[1];
  const std = /[\\/]lib[\\/]python\d+(?:\.\d+)?t?[\\/](.*)$/.exec(file);
  return std ? std[1] : file;
}

function parse(text: string): ParsedDump {
  const dump: ParsedDump = { pid: 0, threads: [], hasLocals: false, format: 'faulthandler' };
  let thread: ThreadDump | undefined;
  for (const line of text.split(/\r?\n/)) {
    let m: RegExpExecArray | null;
    if ((m = HEADER_RE.exec(line))) {
      const current = m[1] === 'Current thread';
      thread = {
        name: `${current ? 'Current thread' : 'Thread'} ${m[2]}${m[3] ? ` [${m[3]}]` : ''}`,
        // pthread ids exceed 2^53 only in theory; the low bits keep them distinct.
        osThreadId: Number.parseInt(m[2], 16),
        // faulthandler does not say which threads run; the one that wrote the dump certainly did.
        active: current,
        ownsGil: current,
        frames: [],
      };
      dump.threads.push(thread);
    } else if (STACK_RE.test(line)) {
      thread = { name: 'Current thread', osThreadId: 0, active: true, ownsGil: true, frames: [] };
      dump.threads.push(thread);
    } else if (thread && (m = FRAME_RE.exec(line))) {
      thread.frames.push({
        function: m[3],
        file: m[1],
        shortFile: shortName(m[1]),
        line: m[2] === '???' ? 0 : Number(m[2]),
        library: isLibraryFile(m[1]),
      });
    }
  }
  if (dump.threads.length === 0)
    throw new UnparseableDumpError(
      'no "Thread 0x... (most recent call first):" section in faulthandler output',
      text,
    );
  return dump;
}

export const faulthandlerFormat: DumpFormat = {
  id: 'faulthandler',
  label: 'faulthandler traceback',
  sniff: (text) =>
    /^(?:Current thread|Thread) 0x[0-9a-fA-F]+(?: \[[^\]]*\])? \(most recent call first\):/m.test(text) ||
    STACK_RE.test(text.trimStart().split('\n')[0] ?? ''),
  parse,
};
