/** Pure: parse `py-spy dump` output, both `--json` and text forms, into {@link ParsedDump}. */
import { isLibraryFile } from './libraryFiles';
import type { Frame, FrameLocal, ParsedDump, ThreadDump } from './types';

/** The output was not a py-spy dump (neither form); carries the raw text for the log. */
export class UnparseableDumpError extends Error {
  constructor(
    message: string,
    readonly raw: string,
  ) {
    super(message);
    this.name = 'UnparseableDumpError';
  }
}

interface JsonLocal {
  name?: unknown;
  arg?: unknown;
  repr?: unknown;
}
interface JsonFrame {
  name?: unknown;
  filename?: unknown;
  short_filename?: unknown;
  line?: unknown;
  locals?: unknown;
}
interface JsonThread {
  pid?: unknown;
  thread_name?: unknown;
  os_thread_id?: unknown;
  thread_id?: unknown;
  active?: unknown;
  owns_gil?: unknown;
  frames?: unknown;
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

/**
 * Parses `py-spy dump --json` output: an array of threads, each with frames innermost first.
 * @throws UnparseableDumpError when the text is not such an array.
 */
export function parseJsonDump(text: string, pid?: number): ParsedDump {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UnparseableDumpError(`py-spy output is not JSON: ${(err as Error).message}`, text);
  }
  if (!Array.isArray(data))
    throw new UnparseableDumpError('py-spy JSON output is not an array of threads', text);
  let hasLocals = false;
  const threads: ThreadDump[] = data.map((raw: JsonThread, i) => {
    if (typeof raw !== 'object' || raw === null || !Array.isArray(raw.frames)) {
      throw new UnparseableDumpError(`py-spy JSON thread ${i} has no frames array`, text);
    }
    const frames = (raw.frames as JsonFrame[]).map((f): Frame => {
      const file = str(f.filename, str(f.short_filename));
      const frame: Frame = {
        function: str(f.name, '?'),
        file,
        shortFile: str(f.short_filename, file),
        line: num(f.line),
        library: isLibraryFile(file),
      };
      if (Array.isArray(f.locals)) {
        hasLocals = true;
        frame.locals = (f.locals as JsonLocal[]).map((l): FrameLocal => ({
          name: str(l.name, '?'),
          arg: l.arg === true,
          repr: str(l.repr),
        }));
      }
      return frame;
    });
    return {
      name: str(raw.thread_name, `Thread ${num(raw.os_thread_id, num(raw.thread_id))}`),
      osThreadId: num(raw.os_thread_id, num(raw.thread_id)),
      active: raw.active === true,
      ownsGil: raw.owns_gil === true,
      frames,
    };
  });
  const firstPid = (data as JsonThread[]).map((t) => num(t?.pid, NaN)).find((p) => !Number.isNaN(p));
  return { pid: pid ?? firstPid ?? 0, threads, hasLocals };
}

const PROCESS_RE = /^Process (\d+): (.*)$/;
const PYTHON_RE = /^Python (v\S+)/;
const THREAD_RE = /^Thread (0x[0-9a-fA-F]+|\d+) \(([^)]*)\)(?:: "(.*)")?\s*$/;
// `    func (file:line)` or, for native frames, `    func (libc.so.6)`; the file may itself contain parentheses.
const FRAME_RE = /^ {4}(\S.*?) \((.*?)(?::(\d+))?\)\s*$/;
const LOCAL_RE = /^ {12}([^:]+): ?(.*)$/;

/**
 * Parses the text form of `py-spy dump` (optionally with `--locals`).
 * @throws UnparseableDumpError when no "Thread ..." section is found.
 */
export function parseTextDump(text: string): ParsedDump {
  const lines = text.split(/\r?\n/);
  const dump: ParsedDump = { pid: 0, threads: [], hasLocals: false };
  let thread: ThreadDump | undefined;
  let frame: Frame | undefined;
  let inArgs = false;
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = PROCESS_RE.exec(line))) {
      dump.pid = Number(m[1]);
      dump.commandLine = m[2];
    } else if ((m = PYTHON_RE.exec(line))) {
      dump.pythonVersion = m[1].replace(/^v/, '');
    } else if ((m = THREAD_RE.exec(line))) {
      const states = m[2].split(/[,+]/).map((s) => s.trim());
      const id = m[1].startsWith('0x') ? parseInt(m[1], 16) : Number(m[1]);
      thread = {
        name: m[3] ?? `Thread ${m[1]}`,
        osThreadId: id,
        active: states.includes('active'),
        ownsGil: states.includes('gil'),
        frames: [],
      };
      frame = undefined;
      dump.threads.push(thread);
    } else if (thread && /^ {8}(Arguments|Locals):\s*$/.test(line)) {
      inArgs = line.trim().startsWith('Arguments');
      if (frame) frame.locals ??= [];
      dump.hasLocals = true;
    } else if (thread && frame && (m = LOCAL_RE.exec(line))) {
      (frame.locals ??= []).push({ name: m[1].trim(), arg: inArgs, repr: m[2] });
    } else if (thread && (m = FRAME_RE.exec(line))) {
      const file = m[2];
      frame = {
        function: m[1],
        file,
        shortFile: file,
        line: m[3] ? Number(m[3]) : 0,
        library: isLibraryFile(file),
      };
      thread.frames.push(frame);
    }
  }
  if (dump.threads.length === 0)
    throw new UnparseableDumpError('no "Thread ..." section in py-spy output', text);
  return dump;
}

/** Parses either form: JSON when the text starts with `[`, the text form otherwise. */
export function parseDump(text: string, pid?: number): ParsedDump {
  return text.trimStart().startsWith('[') ? parseJsonDump(text, pid) : parseTextDump(text);
}

/** Formats a frame the way py-spy's text form does: `function (file:line)`. */
export function formatFrame(frame: Pick<Frame, 'function' | 'shortFile' | 'line'>): string {
  return frame.line > 0
    ? `${frame.function} (${frame.shortFile}:${frame.line})`
    : `${frame.function} (${frame.shortFile})`;
}
