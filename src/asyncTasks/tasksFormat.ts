/** Pure: a dump's asyncio tasks as the capture JSON's `tasks`/`findings` and as text for a person. */
import { isLibraryFile } from '../pyspyView/libraryFiles';
import type { ParsedDump } from '../pyspyView/types';
import { shortTaskFile } from './pstree';
import { diagnoseTasks, groupByAwait, where } from './tasksDiagnosis';
import type { AsyncTask, TaskFrame, TasksWaitingFinding } from './types';

/** One task in the capture JSON. */
export interface TaskJson {
  id: string;
  name: string;
  frames: { function: string; file: string; line: number; library: boolean }[];
  awaitedBy: { id: string; name?: string; frames: { function: string; file: string; line: number }[] }[];
  cycle?: string[];
  stuck?: boolean;
}

/** One `tasks-waiting` finding in the capture JSON. */
export interface TasksWaitingJson {
  kind: 'tasks-waiting';
  frame: { file: string; line: number; function: string };
  awaits: string;
  awaitKind: string;
  tasks: { id: string; name: string }[];
  stuck?: boolean;
  deadlock?: boolean;
  message: string;
}

const frameJson = (f: TaskFrame): { function: string; file: string; line: number } => ({
  function: f.function,
  file: f.file,
  line: f.line,
});

/** Tasks as JSON. */
export function tasksJson(tasks: readonly AsyncTask[]): TaskJson[] {
  return tasks.map((t) => ({
    id: t.id,
    name: t.name,
    frames: t.frames.map((f) => ({ ...frameJson(f), library: f.library ?? true })),
    awaitedBy: t.awaitedBy.map((a) => ({
      id: a.id,
      ...(a.name ? { name: a.name } : {}),
      frames: (a.frames ?? []).map(frameJson),
    })),
    ...(t.cycle ? { cycle: t.cycle } : {}),
    ...(t.stuck !== undefined ? { stuck: t.stuck } : {}),
  }));
}

/** A finding as JSON. */
export function taskFindingJson(f: TasksWaitingFinding): TasksWaitingJson {
  return {
    kind: f.kind,
    frame: { file: f.frame.file, line: f.frame.line, function: f.frame.function },
    awaits: f.awaits,
    awaitKind: f.awaitKind,
    tasks: f.tasks,
    ...(f.stuck !== undefined ? { stuck: f.stuck } : {}),
    ...(f.deadlock ? { deadlock: true } : {}),
    message: f.message,
  };
}

/**
 * The capture JSON's task fields for a dump: `tasks` and the `tasks-waiting` findings when the dump has tasks,
 * `tasksNote` when a live capture could not read them. Empty for dumps without either.
 */
export function dumpTasksJson(dump: ParsedDump): {
  tasks?: TaskJson[];
  taskFindings: TasksWaitingJson[];
  tasksNote?: string;
} {
  if (!dump.tasks) return { taskFindings: [], ...(dump.tasksNote ? { tasksNote: dump.tasksNote } : {}) };
  return { tasks: tasksJson(dump.tasks), taskFindings: diagnoseTasks(dump.tasks).map(taskFindingJson) };
}

/** The text section of a capture: findings, then tasks grouped by what they wait on. */
export function formatTasksText(dump: ParsedDump): string {
  if (!dump.tasks) return dump.tasksNote ? `asyncio tasks: ${dump.tasksNote}` : '';
  const out: string[] = [];
  const findings = diagnoseTasks(dump.tasks);
  for (const f of findings) {
    out.push(`${f.deadlock ? 'DEADLOCK' : f.stuck ? 'TASKS STUCK' : 'TASKS WAITING'}: ${f.message}`);
    if (f.frame.file) out.push(`  frame: ${f.frame.file}:${f.frame.line} (${f.frame.function})`);
  }
  out.push(`asyncio tasks (${dump.tasks.length}):`);
  for (const g of groupByAwait(dump.tasks)) {
    out.push(`  waiting on ${g.kind} (${g.tasks.length}):`);
    for (const { task, wait } of g.tasks) {
      const user = wait.userFrame >= 0 ? task.frames[wait.userFrame] : undefined;
      out.push(
        `    ${task.name}${task.id !== task.name ? ` ${task.id}` : ''}: ${wait.awaits}${user ? ` at ${where(user)}` : ''}` +
          `${task.stuck && user ? ' [stuck]' : ''}${task.cycle ? ` [await cycle ${task.cycle.join(' → ')}]` : ''}`,
      );
    }
  }
  return out.join('\n');
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);

function frameFromJson(f: Record<string, unknown>): TaskFrame {
  const file = str(f.file);
  return {
    function: str(f.function, '?'),
    file,
    line: typeof f.line === 'number' ? f.line : 0,
    shortFile: shortTaskFile(file),
    library: typeof f.library === 'boolean' ? f.library : file ? isLibraryFile(file) : true,
  };
}

/** Reads the `tasks` of a saved capture JSON back (fields read defensively: the file may be edited). */
export function tasksFromJson(data: unknown): AsyncTask[] {
  if (!Array.isArray(data)) return [];
  return data.filter(isObj).map((t, i) => ({
    id: str(t.id, String(i + 1)),
    name: str(t.name, `Task-${i + 1}`),
    frames: (Array.isArray(t.frames) ? t.frames : []).filter(isObj).map(frameFromJson),
    awaitedBy: (Array.isArray(t.awaitedBy) ? t.awaitedBy : []).filter(isObj).map((a) => ({
      id: str(a.id),
      ...(typeof a.name === 'string' ? { name: a.name } : {}),
      frames: (Array.isArray(a.frames) ? a.frames : []).filter(isObj).map(frameFromJson),
    })),
    ...(Array.isArray(t.cycle) ? { cycle: t.cycle.filter((x): x is string => typeof x === 'string') } : {}),
  }));
}
