/**
 * Pure: `python -m asyncio ps PID` (CPython 3.14+) as a dump: the task table (ids, names, coroutine stacks by
 * function name, awaiters; src/asyncTasks/psTable). No files or lines: the tasks-waiting findings then name
 * the function where a task waits, without its line.
 */
import { looksLikePsTable, parsePsTable } from '../asyncTasks/psTable';
import { UnparseableDumpError } from '../pyspyView/dumpParser';
import type { DumpFormat } from './format';

export const asyncioPsFormat: DumpFormat = {
  id: 'asyncio-ps',
  label: 'python -m asyncio ps (3.14+)',
  sniff: looksLikePsTable,
  parse: (text, options) => {
    const tasks = parsePsTable(text);
    if (tasks.length === 0 && !looksLikePsTable(text))
      throw new UnparseableDumpError('no asyncio task table (header "tid  task id  task name ...")', text);
    const tids = [...new Set(tasks.map((t) => t.threadId).filter((t): t is number => !!t))];
    // The loop thread of the main interpreter is the process's main thread: its tid is the pid.
    return {
      pid: options?.pid ?? (tids.length === 1 ? tids[0] : 0),
      threads: [],
      hasLocals: false,
      format: 'asyncio-ps',
      tasks,
    };
  },
};
