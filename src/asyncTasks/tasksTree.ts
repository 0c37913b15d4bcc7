/**
 * Pure: the "Tasks" node of a capture as plain data (no `vscode`): the tasks-waiting findings first (the line
 * to look at, deadlocks and stuck groups on top), then the tasks grouped by what they wait on (locks, events,
 * queues, tasks, futures), each task's coroutine frames innermost first with the user's frames marked, and who
 * awaits it. The tree provider turns each node into a TreeItem (./tasksTreeItem).
 */
import type { ParsedDump } from '../pyspyView/types';
import { childrenOf, diagnoseTasks, groupByAwait, taskWait, where } from './tasksDiagnosis';
import type { AsyncTask, AwaitKind, TaskFrame } from './types';

/** One node of the Tasks subtree. */
export interface TaskNodeData {
  /** Unique among its siblings (the provider builds ids from it). */
  key: string;
  kind: 'root' | 'note' | 'finding' | 'group' | 'task' | 'frame' | 'awaiter';
  label: string;
  description?: string;
  tooltip?: string;
  /** ThemeIcon id and colour id. */
  icon: string;
  color?: string;
  /** A user frame to open on click (the file as the target sees it). */
  open?: { file: string; line: number };
  /** The user's code (highlighted) or library code (dimmed). */
  user?: boolean;
  expanded?: boolean;
  children: TaskNodeData[];
}

const KIND_LABEL: Record<AwaitKind, string> = {
  lock: 'waiting on locks',
  semaphore: 'waiting on semaphores',
  condition: 'waiting on conditions',
  event: 'waiting on events',
  queue: 'waiting on queues',
  task: 'awaiting other tasks',
  future: 'waiting on futures',
  io: 'waiting on I/O',
  other: 'waiting',
  sleep: 'sleeping',
};

const base = (f: string): string => f.replace(/\\/g, '/').split('/').pop() ?? f;

function frameNode(f: TaskFrame, i: number): TaskNodeData {
  const user = f.file ? f.library === false : undefined;
  return {
    key: `f${i}`,
    kind: 'frame',
    label: f.function,
    description: f.file ? `${f.shortFile ?? f.file}${f.line ? `:${f.line}` : ''}` : undefined,
    tooltip: f.file ? `${f.file}${f.line ? `:${f.line}` : ''}${user ? '' : '\n(library code)'}` : f.function,
    icon: user ? 'symbol-method' : 'library',
    ...(user ? { color: 'symbolIcon.methodForeground', open: { file: f.file, line: f.line } } : {}),
    user,
    children: [],
  };
}

function taskNode(
  t: AsyncTask,
  tasks: readonly AsyncTask[],
  children: Map<string, AsyncTask[]>,
): TaskNodeData {
  const w = taskWait(t, children.get(t.id));
  const user = w.userFrame >= 0 ? t.frames[w.userFrame] : undefined;
  // Server tasks (uvicorn's lifespan queue) wait forever by design: stuck only means something in user code.
  const stuck = !!t.stuck && !!user;
  const flags = [...(t.cycle ? ['DEADLOCK'] : []), ...(stuck ? ['stuck'] : [])];
  const awaiters: TaskNodeData[] = t.awaitedBy.map((a, i) => {
    const by = tasks.find((x) => x.id === a.id);
    const at = a.frames?.find((f) => f.file && f.library === false) ?? a.frames?.[0];
    return {
      key: `a${i}`,
      kind: 'awaiter',
      label: `awaited by ${by?.name ?? a.name ?? a.id}`,
      description: at ? where(at) : undefined,
      icon: 'arrow-up',
      ...(at?.file && at.library === false ? { open: { file: at.file, line: at.line } } : {}),
      children: [],
    };
  });
  return {
    key: `t${t.id}`,
    kind: 'task',
    label: t.name,
    description: [
      w.awaits,
      ...(user ? [`${base(user.file) || user.function}${user.line ? `:${user.line}` : ''}`] : []),
      ...flags,
    ].join(' · '),
    tooltip:
      `Task ${t.name}${t.id !== t.name ? ` (${t.id})` : ''} waits in ${w.awaits}${user ? ` at ${where(user)}` : ''}` +
      (t.cycle
        ? `\nAwait cycle ${t.cycle.join(' → ')}: these tasks wait for each other and never finish.`
        : '') +
      (stuck ? '\nStuck: its stack did not move since the previous capture of this process.' : ''),
    icon: t.cycle ? 'error' : stuck ? 'debug-pause' : 'symbol-event',
    ...(t.cycle || stuck ? { color: 'errorForeground' } : {}),
    ...(user?.file ? { open: { file: user.file, line: user.line } } : {}),
    children: [...t.frames.map(frameNode), ...awaiters],
  };
}

/** The Tasks node of a dump, or undefined when the dump has neither tasks nor a note about them. */
export function tasksTree(dump: ParsedDump): TaskNodeData | undefined {
  if (!dump.tasks) {
    return dump.tasksNote
      ? {
          key: 'tasks',
          kind: 'note',
          label: 'Tasks',
          description: 'needs Python 3.14+',
          tooltip: dump.tasksNote,
          icon: 'info',
          children: [],
        }
      : undefined;
  }
  const tasks = dump.tasks;
  const children = childrenOf(tasks);
  const diagnosed = diagnoseTasks(tasks);
  const findings = diagnosed.map((f, i): TaskNodeData => ({
    key: `w${i}`,
    kind: 'finding',
    label: f.deadlock ? 'Deadlock' : f.stuck ? 'Tasks stuck' : 'Tasks waiting',
    description: `${f.tasks.length > 1 ? `${f.tasks.length} tasks · ` : ''}${f.awaits} · ${f.frame.file ? `${base(f.frame.file)}:${f.frame.line}` : f.frame.function}`,
    tooltip: f.message,
    icon: f.deadlock ? 'error' : f.stuck ? 'debug-pause' : 'watch',
    ...(f.deadlock || f.stuck ? { color: 'errorForeground' } : { color: 'editorWarning.foreground' }),
    ...(f.frame.file ? { open: { file: f.frame.file, line: f.frame.line } } : {}),
    children: [],
  }));
  const groups = groupByAwait(tasks).map((g): TaskNodeData => ({
    key: `g${g.kind}`,
    kind: 'group',
    label: KIND_LABEL[g.kind],
    description: `${g.tasks.length} task${g.tasks.length === 1 ? '' : 's'}`,
    icon: g.kind === 'lock' || g.kind === 'semaphore' ? 'lock' : g.kind === 'sleep' ? 'clock' : 'watch',
    expanded: g.kind !== 'sleep' && g.kind !== 'other',
    children: g.tasks.map(({ task }) => taskNode(task, tasks, children)),
  }));
  // Tasks, not findings: two consumers parked on one queue line are two tasks waiting.
  const waiting = diagnosed.reduce((n, f) => n + f.tasks.length, 0);
  return {
    key: 'tasks',
    kind: 'root',
    label: 'Tasks',
    description: `${tasks.length} asyncio task${tasks.length === 1 ? '' : 's'}${waiting ? ` · ${waiting} waiting in your code` : ''}`,
    tooltip:
      'asyncio tasks (python -m asyncio pstree/ps): what each task awaits, grouped by what it waits on.',
    icon: 'list-tree',
    expanded: true,
    children: [...findings, ...groups],
  };
}

/**
 * The capture's one-line task verdict (`2 tasks stuck`, `await cycle`, `3 tasks waiting in your code`), or
 * undefined when no task waits in the user's code. `severe`: a deadlock or stuck tasks.
 */
export function tasksHeadline(dump: ParsedDump): { text: string; severe: boolean } | undefined {
  if (!dump.tasks) return undefined;
  const findings = diagnoseTasks(dump.tasks);
  const count = (fs: typeof findings): number => fs.reduce((n, f) => n + f.tasks.length, 0);
  const dead = findings.filter((f) => f.deadlock);
  if (dead.length) return { text: `await cycle (${count(dead)} tasks)`, severe: true };
  const stuck = findings.filter((f) => f.stuck);
  if (stuck.length)
    return { text: `${count(stuck)} task${count(stuck) === 1 ? '' : 's'} stuck`, severe: true };
  if (findings.length) {
    const n = count(findings);
    return { text: `${n} task${n === 1 ? '' : 's'} waiting in your code`, severe: false };
  }
  return undefined;
}
