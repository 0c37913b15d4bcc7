/** Pure: a capture as text (py-spy's form plus the diagnosis) and as the CLI's / "Save as JSON" JSON shape. */
import { formatFrame } from './dumpParser';
import type { Diagnosis, ParsedDump } from './types';
import {
  dumpTasksJson,
  formatTasksText,
  type TaskJson,
  type TasksWaitingJson,
} from '../asyncTasks/tasksFormat';

/** The public JSON shape (`backend-hang dump --format json`, "Save Capture as JSON"). */
export interface CaptureJson {
  pid: number;
  capturedAt?: string;
  threads: {
    name: string;
    osThreadId: number;
    active: boolean;
    ownsGil: boolean;
    eventLoop: boolean;
    frames: {
      function: string;
      file: string;
      line: number;
      library: boolean;
      locals?: { name: string; arg: boolean; repr: string }[];
    }[];
  }[];
  /** asyncio tasks (3.14+ targets, `asyncio pstree|ps` dumps); findings then include `tasks-waiting`. */
  tasks?: TaskJson[];
  /** Why a live capture has no tasks (an older Python, no permission). */
  tasksNote?: string;
  findings: (
    | TasksWaitingJson
    | {
        kind: 'event-loop-blocked';
        thread: string;
        blockingCall: string;
        frame: { function: string; file: string; line: number } | null;
        /** The static findings of `backend-hang check` covering the frame's line (the line to fix). */
        static?: { code: string; line: number; column: number; fixable: boolean; file: string }[];
        /** How the loop thread was recognised. */
        loopSignal?: string;
        waitsFor?: { count: number; where: string; threads: number[] }[];
        message: string;
      }
  )[];
  /** Python version (text dumps) and the py-spy used, when known. */
  python?: string;
  pyspy?: string;
  role?: string;
  /** Where the stacks came from when not a local process: `container api-1 · pid 1`, a file name. */
  source?: string;
  /** The dump's format (`py-spy-json`, `faulthandler`, ...). */
  format?: string;
}

/** A blocked-loop finding of the capture JSON (its `findings` also hold `tasks-waiting` ones). */
export type BlockedFindingJson = Extract<CaptureJson['findings'][number], { kind: 'event-loop-blocked' }>;

/** The blocked-loop findings of a capture JSON, without the `tasks-waiting` ones. */
export function blockedFindings(c: Pick<CaptureJson, 'findings'>): BlockedFindingJson[] {
  return c.findings.filter((f): f is BlockedFindingJson => f.kind === 'event-loop-blocked');
}

/** Several processes of one server (a manager's workers): each capture, blocked ones first. */
export interface MultiCaptureJson {
  pid: number;
  role: string;
  processes: CaptureJson[];
  /** Every process's findings, with the pid they belong to. */
  findings: (CaptureJson['findings'][number] & { pid: number })[];
}

/** Builds the JSON shape of the issue: file paths as py-spy gave them (absolute with `--json`). */
export function toCaptureJson(dump: ParsedDump, diagnosis: Diagnosis, capturedAt?: Date): CaptureJson {
  const json: CaptureJson = {
    pid: dump.pid,
    ...(capturedAt ? { capturedAt: capturedAt.toISOString() } : {}),
    threads: dump.threads.map((t) => ({
      name: t.name,
      osThreadId: t.osThreadId,
      active: t.active,
      ownsGil: t.ownsGil,
      eventLoop: diagnosis.eventLoopThreadIds.includes(t.osThreadId),
      frames: t.frames.map((f) => ({
        function: f.function,
        file: f.file,
        line: f.line,
        library: f.library,
        ...(f.locals ? { locals: f.locals } : {}),
      })),
    })),
    findings: diagnosis.findings.map((f) => ({
      kind: f.kind,
      thread: f.thread,
      blockingCall: f.blockingCall,
      frame: f.frame ? { function: f.frame.function, file: f.frame.file, line: f.frame.line } : null,
      static: (f.static ?? []).map((s) => ({
        code: s.code,
        line: s.line,
        column: s.column,
        fixable: s.fixable,
        file: s.file,
      })),
      ...(f.loopSignal ? { loopSignal: f.loopSignal } : {}),
      waitsFor: (f.waitsForGroups ?? []).map((g) => ({
        count: g.count,
        where: g.where,
        threads: g.threads.map((t) => t.osThreadId),
      })),
      message: f.message,
    })),
    ...(dump.pythonVersion ? { python: dump.pythonVersion } : {}),
    ...(dump.format ? { format: dump.format } : {}),
  };
  const { tasks, taskFindings, tasksNote } = dumpTasksJson(dump);
  if (tasks) json.tasks = tasks;
  if (tasksNote) json.tasksNote = tasksNote;
  json.findings.push(...taskFindings);
  return json;
}

/** Text form: the diagnosis first (what to do), then every thread like py-spy prints it. */
export function formatCaptureText(dump: ParsedDump, diagnosis: Diagnosis, capturedAt?: Date): string {
  const out: string[] = [];
  out.push(
    `Process ${dump.pid}${dump.commandLine ? `: ${dump.commandLine}` : ''}${capturedAt ? ` (captured ${capturedAt.toISOString()})` : ''}`,
  );
  if (diagnosis.findings.length === 0 && (dump.threads.length > 0 || !dump.tasks)) {
    out.push(
      diagnosis.eventLoopThreadIds.length > 0
        ? 'Event loop: not blocked (idle in its selector or running).'
        : 'No asyncio event-loop thread found.',
    );
  }
  for (const f of diagnosis.findings) {
    out.push(`EVENT LOOP BLOCKED: ${f.message}`);
    if (f.frame) out.push(`  frame: ${f.frame.file}:${f.frame.line} (${f.frame.function})`);
    for (const s of f.static ?? [])
      out.push(
        `  fix here: ${s.file}:${s.line}:${s.column} ${s.code} ${s.message}${s.fixable ? ` (fix: backend-hang check --fix ${s.file})` : ''}`,
      );
    for (const g of f.waitsForGroups ?? [])
      out.push(
        `  waits for ${g.count} thread${g.count === 1 ? '' : 's'} (${threadIds(g.threads.map((t) => t.osThreadId))}): ${g.where}`,
      );
  }
  const tasks = formatTasksText(dump);
  if (tasks) out.push(tasks);
  out.push('');
  // Event-loop threads first: they are what the reader is looking for (py-spy's --json lists them last).
  const loopFirst = [...dump.threads].sort(
    (a, b) =>
      Number(diagnosis.eventLoopThreadIds.includes(b.osThreadId)) -
      Number(diagnosis.eventLoopThreadIds.includes(a.osThreadId)),
  );
  for (const t of loopFirst) {
    const state = [t.active ? 'active' : 'idle', ...(t.ownsGil ? ['gil'] : [])].join('+');
    const loop = diagnosis.eventLoopThreadIds.includes(t.osThreadId) ? ' [event loop]' : '';
    out.push(`Thread ${t.osThreadId} (${state}): "${t.name}"${loop}`);
    for (const fr of t.frames) {
      out.push(`    ${formatFrame(fr)}${fr.library ? '' : '   <- your code'}`);
      for (const l of fr.locals ?? []) out.push(`        ${l.arg ? 'arg ' : ''}${l.name}: ${l.repr}`);
    }
  }
  return out.join('\n');
}

/** Thread ids for a line of text: the first ten, then how many more (a pool of hundreds stays one line; JSON has all). */
function threadIds(ids: readonly (number | string)[]): string {
  const shown = ids.slice(0, 10).join(', ');
  return ids.length > 10 ? `${shown}, … ${ids.length - 10} more` : shown;
}
