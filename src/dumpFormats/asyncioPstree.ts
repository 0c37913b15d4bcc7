/**
 * Pure: `python -m asyncio pstree PID` (CPython 3.14+) as a dump: no thread stacks, the asyncio tasks with
 * their coroutine frames and who awaits whom (src/asyncTasks/pstree). Its cycle report ("ERROR: await-graph
 * contains cycles", "cycle: a → b → a") is read too, alone or after the tree.
 */
import { looksLikePstree, parsePstree } from '../asyncTasks/pstree';
import { UnparseableDumpError } from '../pyspyView/dumpParser';
import type { DumpFormat } from './format';

export const asyncioPstreeFormat: DumpFormat = {
  id: 'asyncio-pstree',
  label: 'python -m asyncio pstree (3.14+)',
  sniff: looksLikePstree,
  parse: (text, options) => {
    const { tasks, cycles } = parsePstree(text);
    if (tasks.length === 0 && cycles.length === 0)
      throw new UnparseableDumpError('no asyncio task tree (lines "└── (T) Task-1") in the text', text);
    // A cycle report alone names its tasks without frames: they are still listed.
    for (const c of cycles)
      for (const name of c)
        if (!tasks.some((t) => t.name === name))
          tasks.push({ id: name, name, frames: [], awaitedBy: [], cycle: c });
    return { pid: options?.pid ?? 0, threads: [], hasLocals: false, format: 'asyncio-pstree', tasks };
  },
};
