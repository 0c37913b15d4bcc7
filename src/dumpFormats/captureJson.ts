/**
 * Pure: the capture JSON this tool writes (`backend-hang dump --format json`, "Save Capture as JSON"), read
 * back so a saved capture can be opened again. A manager's capture (`{processes: [...]}`) holds several; see
 * {@link splitCaptureJson}.
 */
import { tasksFromJson } from '../asyncTasks/tasksFormat';
import { isLibraryFile } from '../pyspyView/libraryFiles';
import { UnparseableDumpError } from '../pyspyView/dumpParser';
import type { ParsedDump } from '../pyspyView/types';
import { jsonPart, jsonStartsWith, type DumpFormat } from './format';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** One saved capture object to a dump. */
export function captureObjectToDump(data: Record<string, unknown>): ParsedDump {
  if (!Array.isArray(data.threads))
    throw new UnparseableDumpError('saved capture has no "threads" array', JSON.stringify(data));
  const dump: ParsedDump = {
    pid: num(data.pid),
    hasLocals: false,
    format: 'backend-hang-json',
    ...(typeof data.python === 'string' ? { pythonVersion: data.python } : {}),
    threads: (data.threads as unknown[]).filter(isObject).map((t) => ({
      name: str(t.name, 'Thread'),
      osThreadId: num(t.osThreadId),
      active: t.active === true,
      ownsGil: t.ownsGil === true,
      frames: (Array.isArray(t.frames) ? (t.frames as unknown[]) : []).filter(isObject).map((f) => {
        const file = str(f.file);
        const frame = {
          function: str(f.function, '?'),
          file,
          shortFile: file,
          line: num(f.line),
          library: typeof f.library === 'boolean' ? f.library : isLibraryFile(file),
        };
        return Array.isArray(f.locals) ? { ...frame, locals: f.locals as never } : frame;
      }),
    })),
  };
  dump.hasLocals = dump.threads.some((t) => t.frames.some((f) => f.locals));
  if (Array.isArray(data.tasks)) dump.tasks = tasksFromJson(data.tasks);
  if (typeof data.tasksNote === 'string') dump.tasksNote = data.tasksNote;
  return dump;
}

/** The saved objects in a text: one capture, or each process of a manager's capture. */
export function splitCaptureJson(text: string): Record<string, unknown>[] {
  let data: unknown;
  try {
    data = JSON.parse(jsonPart(text));
  } catch (err) {
    throw new UnparseableDumpError(`not JSON: ${(err as Error).message}`, text);
  }
  if (isObject(data) && Array.isArray(data.processes)) return (data.processes as unknown[]).filter(isObject);
  if (isObject(data) && Array.isArray(data.threads)) return [data];
  throw new UnparseableDumpError('not a saved capture (no "threads" or "processes")', text);
}

export const captureJsonFormat: DumpFormat = {
  id: 'backend-hang-json',
  label: 'saved capture (backend-hang JSON)',
  // A saved capture of asyncio tasks only (a pstree file) has no thread: its `tasks` and `findings` tell it.
  sniff: (text) =>
    jsonStartsWith(text, '{') &&
    (/"osThreadId"\s*:/.test(text) || (/"tasks"\s*:\s*\[/.test(text) && /"findings"\s*:/.test(text))),
  parse: (text) => captureObjectToDump(splitCaptureJson(text)[0]),
};
