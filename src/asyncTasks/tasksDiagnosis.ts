/**
 * Pure: what a person concludes from a process's asyncio tasks. For each task: what it is parked on (a lock, an
 * event, a queue, a future, another task) and the nearest frame of the user's code where it waits; tasks parked
 * at the same line on the same primitive make one `tasks-waiting` finding. Across two captures of one process,
 * tasks whose stack did not move are stuck ({@link markStuck}); tasks of an await cycle (pstree reports it) can never finish.
 */
import type { AsyncTask, AwaitKind, TaskFrame, TasksWaitingFinding } from './types';

/** Awaitables of asyncio, recognised by the innermost frames' qualified names (3.14 always qualifies). */
const PRIMITIVES: { re: RegExp; kind: AwaitKind; name: (fn: string) => string }[] = [
  { re: /^Lock\.acquire$/, kind: 'lock', name: () => 'asyncio.Lock.acquire' },
  { re: /^(Bounded)?Semaphore\.acquire$/, kind: 'semaphore', name: (fn) => `asyncio.${fn}` },
  { re: /^Condition\.(wait|wait_for)$/, kind: 'condition', name: (fn) => `asyncio.${fn}` },
  { re: /^Event\.wait$/, kind: 'event', name: () => 'asyncio.Event.wait' },
  { re: /^(Priority|Lifo)?Queue\.(get|put|join)$/, kind: 'queue', name: (fn) => `asyncio.${fn}` },
  { re: /^Barrier\.(wait|_block|_wait)$/, kind: 'condition', name: () => 'asyncio.Barrier.wait' },
  { re: /^StreamReader\.\w+$/, kind: 'io', name: (fn) => `asyncio.${fn}` },
  { re: /^StreamWriter\.(drain|wait_closed)$/, kind: 'io', name: (fn) => `asyncio.${fn}` },
  { re: /^(sleep|staggered_race)$/, kind: 'sleep', name: (fn) => `asyncio.${fn}` },
  { re: /^(wait|wait_for|_wait|as_completed|shield)$/, kind: 'future', name: (fn) => `asyncio.${fn}` },
  { re: /^Timeout\.__aexit__$/, kind: 'future', name: () => 'asyncio.timeout' },
];

/** asyncio's own glue between a primitive and the user's line (`async with lock:` → `__aenter__`). */
const GLUE =
  /^(_ContextManagerMixin\.__aenter__|_ContextManagerMixin\.__aexit__|Condition\.__aenter__|_wait_for_one|TaskGroup\.__aexit__|TaskGroup\._aexit)$/;

const isAsyncioFile = (f: TaskFrame): boolean => /(^|\/)asyncio\/[^/]+\.py$/.test(f.file.replace(/\\/g, '/'));

/** A frame of the user's code: a file outside any Python install; name-only frames (`ps`) count when they
 * are not asyncio's own. */
function isUserFrame(f: TaskFrame): boolean {
  if (f.file) return f.library === false;
  return (
    !PRIMITIVES.some((p) => p.re.test(f.function)) && !GLUE.test(f.function) && !SERVER_NAMES.test(f.function)
  );
}

/** Coroutines of uvicorn/starlette/fastapi by name, for `ps` rows (no files to tell library code apart). */
const SERVER_NAMES =
  /^(LifespanOn|Server|RequestResponseCycle|H11Protocol|HttpToolsProtocol|WebSocketProtocol|Router|APIRouter|APIRoute|Route|Mount|Starlette|FastAPI|\w*Middleware|Runner)\.|^(run_endpoint_function|request_response|wrap_app_handling_exceptions|get_request_handler|lifespan|serve|main)(\.|$)/;

/** What a task waits on and the user frame where it does. */
export interface TaskWait {
  kind: AwaitKind;
  awaits: string;
  /** Index of the nearest user frame in task.frames, -1 when none. */
  userFrame: number;
}

/** Classifies where one task is parked. `children`: the tasks it awaits (they list it in awaitedBy). */
export function taskWait(task: AsyncTask, children: AsyncTask[] = []): TaskWait {
  const frames = task.frames;
  const userFrame = frames.findIndex(isUserFrame);
  const above = userFrame < 0 ? frames : frames.slice(0, userFrame);
  // The primitive nearest the user frame names the wait (`Lock.acquire` under `__aenter__`).
  for (let i = above.length - 1; i >= 0; i--) {
    const f = above[i];
    if (f.file && !isAsyncioFile(f)) continue;
    const p = PRIMITIVES.find((x) => x.re.test(f.function));
    if (p) return { kind: p.kind, awaits: p.name(f.function), userFrame };
  }
  if (children.length) {
    const names = children.map((c) => c.name);
    const shown =
      names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
    return { kind: 'task', awaits: `${children.length === 1 ? 'task' : 'tasks'} ${shown}`, userFrame };
  }
  if (above.length) return { kind: 'other', awaits: above[above.length - 1].function, userFrame };
  return { kind: 'future', awaits: 'a future', userFrame };
}

/** The tasks each task awaits (by id; a pstree-only view uses names as ids). */
export function childrenOf(tasks: readonly AsyncTask[]): Map<string, AsyncTask[]> {
  const m = new Map<string, AsyncTask[]>();
  for (const t of tasks)
    for (const a of t.awaitedBy) {
      const list = m.get(a.id) ?? [];
      if (!list.includes(t)) list.push(t);
      m.set(a.id, list);
    }
  return m;
}

const stackKey = (t: AsyncTask): string => t.frames.map((f) => `${f.function}@${f.file}:${f.line}`).join('|');

/**
 * Compares two captures of one process: the tasks of `current` with the same id (for pstree-only views, the
 * name) and the same stack in `previous` did not move. Returns copies with `stuck` set on every task.
 */
export function markStuck(previous: readonly AsyncTask[], current: readonly AsyncTask[]): AsyncTask[] {
  const before = new Map(previous.map((t) => [t.id, stackKey(t)]));
  return current.map((t) => ({ ...t, stuck: t.frames.length > 0 && before.get(t.id) === stackKey(t) }));
}

/** `settle (app/main.py:32)`; the bare name for `ps` frames (no file). */
export const where = (f: TaskFrame): string =>
  f.file ? `${f.function} (${f.shortFile ?? f.file}${f.line ? `:${f.line}` : ''})` : f.function;

/** Kinds that mean "parked until someone else acts" (a sleep ends by itself). */
const PARKED: ReadonlySet<AwaitKind> = new Set([
  'lock',
  'event',
  'condition',
  'semaphore',
  'queue',
  'future',
  'task',
  'io',
  'other',
]);

/**
 * The `tasks-waiting` findings: tasks parked in the user's code, grouped by line and primitive, with the await
 * cycles as deadlocks and, after {@link markStuck}, the groups that did not move.
 */
export function diagnoseTasks(tasks: readonly AsyncTask[]): TasksWaitingFinding[] {
  // Stuck only means something after a comparison (markStuck sets the flag on every task).
  const stuckIds = tasks.some((t) => t.stuck !== undefined)
    ? tasks.filter((t) => t.stuck).map((t) => t.id)
    : undefined;
  const children = childrenOf(tasks);
  const groups = new Map<string, TasksWaitingFinding>();
  for (const t of tasks) {
    const w = taskWait(t, children.get(t.id));
    if (w.userFrame < 0 || (!PARKED.has(w.kind) && !t.cycle)) continue;
    const f = t.frames[w.userFrame];
    const key = `${f.file}:${f.line}:${f.function}:${w.awaits}`;
    const g = groups.get(key) ?? {
      kind: 'tasks-waiting' as const,
      frame: {
        file: f.file,
        line: f.line,
        function: f.function,
        ...(f.shortFile ? { shortFile: f.shortFile } : {}),
      },
      awaits: w.awaits,
      awaitKind: w.kind,
      tasks: [],
      message: '',
    };
    g.tasks.push({ id: t.id, name: t.name });
    if (t.cycle) g.deadlock = true;
    groups.set(key, g);
  }
  const out = [...groups.values()];
  for (const g of out) {
    if (stuckIds) g.stuck = g.tasks.every((t) => stuckIds.includes(t.id));
    const n = g.tasks.length;
    const cycle = g.deadlock ? tasks.find((t) => t.id === g.tasks[0].id)?.cycle : undefined;
    g.message =
      `${n === 1 ? `Task ${g.tasks[0].name}` : `${n} tasks`} ${g.awaitKind === 'task' ? (n === 1 ? 'awaits' : 'await') : n === 1 ? 'waits in' : 'wait in'} ${g.awaits} at ${where(g.frame)}` +
      (cycle ? `: await cycle ${cycle.join(' → ')} - these tasks wait for each other and never finish` : '') +
      (g.stuck
        ? n === 1
          ? '; stuck: its stack did not move since the previous capture'
          : '; stuck: their stacks did not move since the previous capture'
        : '');
  }
  // Deadlocks, then stuck groups, then the largest.
  return out.sort(
    (a, b) =>
      Number(!!b.deadlock) - Number(!!a.deadlock) ||
      Number(!!b.stuck) - Number(!!a.stuck) ||
      b.tasks.length - a.tasks.length,
  );
}

/** Tasks grouped by what they wait on (lock, event, queue, ...), for the tree view. */
export function groupByAwait(
  tasks: readonly AsyncTask[],
): { kind: AwaitKind; tasks: { task: AsyncTask; wait: TaskWait }[] }[] {
  const children = childrenOf(tasks);
  const order: AwaitKind[] = [
    'lock',
    'semaphore',
    'condition',
    'event',
    'queue',
    'task',
    'future',
    'io',
    'other',
    'sleep',
  ];
  const m = new Map<AwaitKind, { task: AsyncTask; wait: TaskWait }[]>();
  for (const task of tasks) {
    const wait = taskWait(task, children.get(task.id));
    m.set(wait.kind, [...(m.get(wait.kind) ?? []), { task, wait }]);
  }
  return order.filter((k) => m.has(k)).map((kind) => ({ kind, tasks: m.get(kind)! }));
}
