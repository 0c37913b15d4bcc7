/**
 * Pure: py-spy's own outputs as dump formats: the text form of `py-spy dump` (every version, with or without
 * `--locals`/`--native`), its `--json` array of threads, and the object `{threads, asyncio_tasks}` that
 * `--asyncio --json` prints (py-spy PR #868). The parsing itself lives in ../pyspyView/dumpParser.
 */
import { parseJsonDump, parseTextDump, UnparseableDumpError } from '../pyspyView/dumpParser';
import type { ParsedDump } from '../pyspyView/types';
import { jsonPart, jsonStartsWith, type DumpFormat } from './format';

export const pyspyTextFormat: DumpFormat = {
  id: 'py-spy-text',
  label: 'py-spy dump (text)',
  sniff: (text) =>
    /^Thread (0x[0-9a-fA-F]+|\d+) \([^)]*\)(: ".*")?\s*$/m.test(text) && !/most recent call first/.test(text),
  parse: (text) => ({ ...parseTextDump(text), format: 'py-spy-text' }),
};

export const pyspyJsonFormat: DumpFormat = {
  id: 'py-spy-json',
  label: 'py-spy dump --json',
  sniff: (text) => jsonStartsWith(text, '[') && /"frames"\s*:/.test(text),
  parse: (text, options) => ({ ...parseJsonDump(jsonPart(text), options?.pid), format: 'py-spy-json' }),
};

/** One task of `--asyncio --json`, as far as the shape is known: fields are read defensively. */
interface JsonAsyncTask {
  id?: unknown;
  task_id?: unknown;
  name?: unknown;
  state?: unknown;
  frames?: unknown;
  frame?: unknown;
  coroutine_stack?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export const pyspyAsyncioJsonFormat: DumpFormat = {
  id: 'py-spy-asyncio-json',
  label: 'py-spy dump --asyncio --json',
  sniff: (text) => jsonStartsWith(text, '{') && /"threads"\s*:/.test(text),
  parse: (text, options) => {
    let data: unknown;
    try {
      data = JSON.parse(jsonPart(text));
    } catch (err) {
      throw new UnparseableDumpError(`not JSON: ${(err as Error).message}`, text);
    }
    if (!isObject(data) || !Array.isArray(data.threads))
      throw new UnparseableDumpError('py-spy --asyncio JSON has no "threads" array', text);
    const dump: ParsedDump = {
      ...parseJsonDump(JSON.stringify(data.threads), options?.pid),
      format: 'py-spy-asyncio-json',
    };
    const tasks = Array.isArray(data.asyncio_tasks) ? (data.asyncio_tasks as JsonAsyncTask[]) : [];
    dump.tasks = tasks.filter(isObject).map((t, i) => {
      const rawFrames = Array.isArray(t.frames)
        ? t.frames
        : Array.isArray(t.coroutine_stack)
          ? t.coroutine_stack
          : isObject(t.frame)
            ? [t.frame]
            : [];
      const frames = (rawFrames as unknown[]).filter(isObject).map((f) => ({
        function: typeof f.name === 'string' ? f.name : typeof f.function === 'string' ? f.function : '?',
        file: typeof f.filename === 'string' ? f.filename : typeof f.file === 'string' ? f.file : '',
        line: typeof f.line === 'number' ? f.line : 0,
      }));
      const id = t.id ?? t.task_id;
      return {
        id: typeof id === 'number' || typeof id === 'string' ? String(id) : String(i + 1),
        name: typeof t.name === 'string' ? t.name : `Task-${i + 1}`,
        ...(typeof t.state === 'string' ? { state: t.state } : {}),
        frames,
        awaitedBy: [],
      };
    });
    return dump;
  },
};
