/**
 * Pure: parses `python -m asyncio ps PID` (CPython 3.14+), a table with one row per task and awaiter:
 *
 *     tid        task id              task name            coroutine stack            awaiter chain   awaiter name    awaiter id
 *     8940       0x7f8fa12ab150       Task-6               Queue.get -> consume       fanout -> …     Task-5          0x7f8fa12aaf90
 *
 * Columns are padded, not delimited, and a long stack pushes the rest right; stacks and chains are function
 * names joined by " -> " (innermost first), so a row is read token by token. Task names are taken as one
 * word (asyncio's default `Task-N`; names with spaces are cut at the first one). Frames carry names only:
 * `ps` prints no files or lines; {@link mergeTaskViews} adds them from `pstree`.
 */
import type { AsyncTask, TaskFrame } from './types';

const ROW = /^\s*(\d+)\s+(0x[0-9a-fA-F]+)\s+(.*?)\s+(0x[0-9a-fA-F]+)\s*$/;

/** Whether a text is `asyncio ps` output (its header). */
export function looksLikePsTable(text: string): boolean {
  return /^tid\s+task id\s+task name\s+coroutine stack/m.test(text);
}

const nameFrame = (fn: string): TaskFrame => ({ function: fn, file: '', line: 0, library: true });

/** Reads one " -> " chain from `tokens` at `i`; returns the frames and the next index. */
function chainAt(tokens: string[], i: number): [string[], number] {
  if (i >= tokens.length) return [[], i];
  const out = [tokens[i++]];
  while (tokens[i] === '->' && i + 1 < tokens.length) {
    out.push(tokens[i + 1]);
    i += 2;
  }
  return [out, i];
}

/** Parses the table into tasks (one per task id; awaiters of repeated rows collected). */
export function parsePsTable(text: string): AsyncTask[] {
  const tasks = new Map<string, AsyncTask>();
  for (const line of text.split(/\r?\n/)) {
    const m = ROW.exec(line);
    if (!m) continue;
    const [, tid, id, middle, awaiterId] = m;
    const tokens = middle.trim().split(/\s+/).filter(Boolean);
    const name = tokens[0] ?? id;
    const [stack, j] = chainAt(tokens, 1);
    const hasAwaiter = awaiterId !== '0x0';
    const [chain, k] = hasAwaiter ? chainAt(tokens, j) : [[], j];
    const awaiterName = hasAwaiter ? tokens.slice(k).join(' ') || undefined : undefined;
    const task = tasks.get(id) ?? {
      id,
      name,
      threadId: Number(tid),
      frames: stack.map(nameFrame),
      awaitedBy: [],
    };
    if (hasAwaiter && !task.awaitedBy.some((a) => a.id === awaiterId))
      task.awaitedBy.push({ id: awaiterId, name: awaiterName, frames: chain.map(nameFrame) });
    tasks.set(id, task);
  }
  return [...tasks.values()];
}

/**
 * Merges the two views of one moment: ids, threads and awaiter ids from `ps`, frames with files and lines from
 * `pstree` (matched by task name when the name is unique in both), cycles from pstree's report.
 */
export function mergeTaskViews(ps: AsyncTask[], pstree: AsyncTask[], cycles: string[][]): AsyncTask[] {
  const count = (list: AsyncTask[], name: string): number => list.filter((t) => t.name === name).length;
  const idByName = new Map(ps.map((t) => [t.name, t.id]));
  return ps.map((t) => {
    const tree =
      count(ps, t.name) === 1 && count(pstree, t.name) === 1
        ? pstree.find((x) => x.name === t.name)
        : undefined;
    const cycle = cycles.find((c) => c.includes(t.name));
    return {
      ...t,
      frames: tree && tree.frames.length >= t.frames.length ? tree.frames : t.frames,
      awaitedBy: t.awaitedBy.map((a) => {
        const viaTree = tree?.awaitedBy.find((x) => x.name === a.name || idByName.get(x.name ?? '') === a.id);
        return viaTree?.frames?.length ? { ...a, frames: viaTree.frames } : a;
      }),
      ...(cycle ? { cycle } : {}),
    };
  });
}
