/**
 * Pure: parses `python -m asyncio pstree PID` (CPython 3.14+): a tree per root task, each line
 *
 *     └── (T) Task-5                                   a task
 *         └──  fanout /app/main.py:52                  a coroutine frame (outermost first going down)
 *             ├── (T) Task-6                           a task awaited by the frames above it
 *
 * indented four columns a level ("│   " or "    "). A task without awaiters is a root; a task under a
 * coroutine frame is awaited by the task above it, in those frames. When the await graph has a cycle pstree
 * prints no tree but, on stderr, "ERROR: await-graph contains cycles - cannot print a tree!" and one
 * "cycle: beta → alpha → beta" line per cycle; those lines are read too. pstree prints no task ids, so a
 * task's id here is its name (merged with `ps`'s ids by ./psTable's {@link mergeTaskViews}).
 */
import { isLibraryFile } from '../pyspyView/libraryFiles';
import type { AsyncTask, TaskFrame } from './types';

const NODE = /^((?:[│ ] {3})*)([└├])── (\(T\) )?(.*)$/;
const CYCLE = /^cycle: (.+)$/;
export const CYCLE_HEADER = /await-graph contains cycles/;

/** A frame label `func file:line` (or `func file`, or just `func`) as pstree prints it. */
export function parseFrameLabel(label: string): TaskFrame {
  const t = label.trim();
  const m = /^(\S+) (.+?):(\d+)$/.exec(t) ?? /^(\S+) (.+)$/.exec(t);
  const file = m?.[2] ?? '';
  return {
    function: m ? m[1] : t,
    file,
    line: m?.[3] ? Number(m[3]) : 0,
    shortFile: shortTaskFile(file),
    library: file ? isLibraryFile(file) : true,
  };
}

/** `asyncio/locks.py` for the stdlib, `fastapi/routing.py` in site-packages, the path itself otherwise. */
export function shortTaskFile(file: string): string {
  const f = file.replace(/\\/g, '/');
  const m = /\/(?:site|dist)-packages\/(.*)$/.exec(f) ?? /\/lib\/python\d+(?:\.\d+)?t?\/(.*)$/.exec(f);
  return m ? m[1] : f;
}

/** Whether a text is pstree output (a tree with task nodes, or its cycle report). */
export function looksLikePstree(text: string): boolean {
  return /^[└├]── \(T\) /m.test(text) || (CYCLE_HEADER.test(text) && /^cycle: /m.test(text));
}

/** Await cycles of a pstree error report, by task name. */
export function parseCycles(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = CYCLE.exec(line.trim());
    if (m) out.push(m[1].split(/\s*(?:→|->)\s*/).filter(Boolean));
  }
  return out;
}

interface Node {
  depth: number;
  task?: string;
  frame?: TaskFrame;
}

/** Parses pstree's tree (and cycle report, when given in the same text) into tasks, in order of appearance. */
export function parsePstree(text: string): { tasks: AsyncTask[]; cycles: string[][] } {
  const tasks = new Map<string, AsyncTask>();
  const taskOf = (name: string): AsyncTask => {
    let t = tasks.get(name);
    if (!t) {
      t = { id: name, name, frames: [], awaitedBy: [] };
      tasks.set(name, t);
    }
    return t;
  };
  // The path from the root to the current line: tasks and frames.
  const path: Node[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = NODE.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    path.length = Math.min(path.length, depth);
    if (m[3]) {
      const name = m[4].trim();
      const task = taskOf(name);
      // The nearest task above, and the frames between it and this line (outermost first).
      let i = path.length - 1;
      while (i >= 0 && !path[i].task) i--;
      if (i >= 0) {
        const frames = path
          .slice(i + 1)
          .map((n) => n.frame!)
          .reverse();
        const parent = path[i].task!;
        if (!task.awaitedBy.some((a) => a.id === parent))
          task.awaitedBy.push({ id: parent, name: parent, frames });
      }
      path[depth] = { depth, task: name };
    } else {
      const frame = parseFrameLabel(m[4]);
      path[depth] = { depth, frame };
      // The task's own stack: the deepest chain of frames under it that ends in a leaf or a child task
      // (the first such chain when it awaits several children; they share the frames above the fork).
      let i = depth - 1;
      while (i >= 0 && !path[i].task) i--;
      if (i >= 0) {
        const task = taskOf(path[i].task!);
        const chain = path
          .slice(i + 1, depth + 1)
          .map((n) => n.frame!)
          .reverse();
        if (chain.length > task.frames.length && sameTail(chain, task.frames)) task.frames = chain;
      }
    }
  }
  const cycles = parseCycles(text);
  for (const c of cycles) for (const name of c) if (tasks.has(name)) tasks.get(name)!.cycle = c;
  return { tasks: [...tasks.values()], cycles };
}

/** `longer` extends `shorter` inward (same outermost frames). */
function sameTail(longer: TaskFrame[], shorter: TaskFrame[]): boolean {
  const off = longer.length - shorter.length;
  return shorter.every((f, j) => f.function === longer[off + j].function && f.line === longer[off + j].line);
}
