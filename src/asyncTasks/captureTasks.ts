/**
 * Reads a running process's asyncio tasks with `python -m asyncio pstree PID` and `ps PID` (CPython 3.14+:
 * a remote read, no code runs in the target), run by an interpreter of the target's own major.minor: its
 * /proc/PID/exe. When the target runs in a chroot or container, that interpreter's libraries are the root's,
 * not this machine's, so it is started through the root's own dynamic loader (`ld-linux … --library-path`),
 * still in this machine's pid namespace and /proc: no mount, no exec into the target. The only process
 * runner of the feature (execa, argument arrays).
 */
import { execa } from 'execa';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readTargetInfo, type TargetInfo } from '../pyspyView/targetEnv';
import { CYCLE_HEADER, parseCycles, parsePstree } from './pstree';
import { mergeTaskViews, parsePsTable } from './psTable';
import { diagnoseTasks } from './tasksDiagnosis';
import type { ParsedDump } from '../pyspyView/types';
import type { TasksCapture } from './types';

/** The target's Python `major.minor` from its interpreter's name or the libpython it maps. */
export async function targetPythonVersion(
  pid: number,
  exe?: string,
  procRoot = '/proc',
): Promise<string | undefined> {
  const fromName = exe && /python(\d+)\.(\d+)/.exec(path.basename(exe));
  if (fromName) return `${fromName[1]}.${fromName[2]}`;
  const maps = await fs.readFile(`${procRoot}/${pid}/maps`, 'utf8').catch(() => '');
  const lib = /libpython(\d+)\.(\d+)/.exec(maps) ?? /\/python(\d+)\.(\d+)[^/\s]*$/m.exec(maps);
  return lib ? `${lib[1]}.${lib[2]}` : undefined;
}

/** `3.14` ≥ 3.14. */
export function supportsTaskView(version: string | undefined): boolean {
  const [maj, min] = (version ?? '').split('.').map(Number);
  return maj > 3 || (maj === 3 && min >= 14);
}

/** How to start the inspecting interpreter: a command and the arguments before `-m asyncio ...`. */
export interface Inspector {
  file: string;
  args: string[];
  /** The target's pid as the inspector sees it (inside a container's pid namespace); the host pid otherwise. */
  pid?: number;
}

/** The innermost pid of a process (`NSpid:` of /proc/PID/status): its pid inside its container. */
export async function namespacePid(pid: number, procRoot = '/proc'): Promise<number | undefined> {
  const status = await fs.readFile(`${procRoot}/${pid}/status`, 'utf8').catch(() => '');
  const m = /^NSpid:\s*([\d\s]+)$/m.exec(status);
  const ids = m?.[1].trim().split(/\s+/).map(Number) ?? [];
  return ids.length ? ids[ids.length - 1] : undefined;
}

/**
 * Pure apart from `exists`: the command that runs the target's interpreter here. Outside a root: the
 * interpreter itself. In a chroot (same mount namespace): the root's dynamic loader with the root's library
 * directories. In a container (another mount namespace, `/proc/PID/root`): the interpreter inside it, through
 * `nsenter` into its mount and pid namespaces, since CPython's remote reader opens the target's binary by the
 * path the target's own memory map gives, which exists only in there.
 */
export function inspectorFor(
  info: Pick<TargetInfo, 'pid' | 'exe' | 'rootPrefix'>,
  exists: (p: string) => boolean = existsSync,
  nsPid?: number,
): Inspector | undefined {
  if (!info.exe) return undefined;
  const root = info.rootPrefix;
  if (!root) return { file: info.exe, args: [] };
  if (/^\/proc\/\d+\/root$/.test(root) && !info.exe.startsWith(`${root}/`))
    return { file: 'nsenter', args: ['-t', String(info.pid), '-m', '-p', '--', info.exe], pid: nsPid };
  const exe = info.exe.startsWith(`${root}/`) ? info.exe : path.posix.join(root, info.exe);
  const loaders = [
    'lib64/ld-linux-x86-64.so.2',
    'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    'lib/ld-linux-aarch64.so.1',
    'lib/aarch64-linux-gnu/ld-linux-aarch64.so.1',
    'lib/ld-musl-x86_64.so.1',
    'lib/ld-musl-aarch64.so.1',
  ];
  const loader = loaders.map((l) => path.posix.join(root, l)).find(exists);
  if (!loader) return { file: exe, args: [] };
  const libDirs = [
    'lib/x86_64-linux-gnu',
    'usr/lib/x86_64-linux-gnu',
    'lib/aarch64-linux-gnu',
    'usr/lib/aarch64-linux-gnu',
    'lib',
    'usr/lib',
    'usr/local/lib',
  ]
    .map((d) => path.posix.join(root, d))
    .filter(exists);
  return { file: loader, args: ['--library-path', libDirs.join(':'), exe] };
}

/** `-c` script: every task as a root with its own coroutine stack, in pstree's notation (no cycle check). */
const FLAT_TREE = [
  '-c',
  [
    'import sys',
    'from asyncio.tools import _index, _get_awaited_by_tasks',
    'names, _, stacks = _index(_get_awaited_by_tasks(int(sys.argv[1])))',
    'for tid, name in names.items():',
    '    print(f"└── (T) {name}")',
    '    for d, fr in enumerate(reversed(stacks.get(tid, []))):',
    '        print("    " * (d + 1) + "└──  " + fr)',
  ].join('\n'),
];

async function run(
  insp: Inspector,
  sub: 'pstree' | 'ps' | string[],
  pid: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const what = typeof sub === 'string' ? ['-m', 'asyncio', sub] : sub;
  const r = await execa(insp.file, [...insp.args, '-I', ...what, String(pid)], {
    reject: false,
    timeout: timeoutMs,
    cancelSignal: signal,
    stdin: 'ignore',
    env: { PYTHONIOENCODING: 'utf-8' },
    extendEnv: false,
    maxBuffer: 32 * 1024 * 1024,
  });
  return {
    code: r.exitCode ?? -1,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
  };
}

/** Options of {@link captureTasks}. */
export interface CaptureTasksOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Already read by the caller (captureProcess). */
  target?: TargetInfo;
}

/**
 * The asyncio tasks of `pid`, or why they cannot be shown (older Python, no interpreter, no permission).
 * Never throws for those: the capture goes on with the thread stacks.
 */
export async function captureTasks(pid: number, opts: CaptureTasksOptions = {}): Promise<TasksCapture> {
  if (!Number.isInteger(pid) || pid <= 0)
    return { available: false, reason: `not a process id: ${pid}`, tasks: [], cycles: [], findings: [] };
  const target = opts.target ?? (await readTargetInfo(pid));
  const python = await targetPythonVersion(pid, target?.exe);
  const none = (reason: string): TasksCapture => ({
    available: false,
    reason,
    python,
    tasks: [],
    cycles: [],
    findings: [],
  });
  if (!supportsTaskView(python))
    return none(
      `The asyncio task view needs Python 3.14+ (this server runs ${python ? `Python ${python}` : 'an unknown Python'}); showing thread stacks.`,
    );
  const insp = target && inspectorFor(target, existsSync, await namespacePid(pid));
  if (!insp)
    return none(
      `Cannot find the interpreter of process ${pid} (/proc/${pid}/exe) to read its asyncio tasks.`,
    );
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const inspector = [insp.file, ...insp.args].join(' ');
  try {
    const tree = await run(insp, 'pstree', insp.pid ?? pid, timeoutMs, opts.signal);
    const cycleReport = tree.code !== 0 && CYCLE_HEADER.test(tree.stderr);
    if (tree.code !== 0 && !cycleReport) return none(failure(tree.stderr || tree.stdout, pid));
    const table = await run(insp, 'ps', insp.pid ?? pid, timeoutMs, opts.signal);
    // With a cycle pstree draws nothing: each task's own stack (files and lines) is then printed in pstree's
    // notation, one flat tree per task, by the same module's indexing (3.14's asyncio.tools).
    const flat = cycleReport
      ? await run(insp, FLAT_TREE, insp.pid ?? pid, timeoutMs, opts.signal)
      : undefined;
    const fromTree = parsePstree(flat?.code === 0 ? flat.stdout : tree.stdout);
    const cycles = parseCycles(tree.stderr);
    const tasks =
      table.code === 0
        ? mergeTaskViews(parsePsTable(table.stdout), fromTree.tasks, cycles)
        : fromTree.tasks.map((t) => ({
            ...t,
            ...(cycles.find((c) => c.includes(t.name))
              ? { cycle: cycles.find((c) => c.includes(t.name)) }
              : {}),
          }));
    return { available: true, python, tasks, cycles, findings: diagnoseTasks(tasks), inspector };
  } catch (err) {
    return none(`Reading asyncio tasks failed: ${(err as Error).message}`);
  }
}

/** A person's reason from the inspector's output. */
function failure(text: string, pid: number): string {
  if (/insufficient permissions|Permission denied|Operation not permitted/i.test(text))
    return `Not allowed to read the asyncio tasks of process ${pid} (ptrace rights are needed, as for py-spy).`;
  if (/No such process|No such file or directory: '\/proc/i.test(text))
    return `Process ${pid} is not running.`;
  const first = text.split('\n').find((l) => l.trim()) ?? 'no output';
  return `python -m asyncio pstree ${pid} failed: ${first.trim()}`;
}

/**
 * Adds the asyncio tasks of `pid` to a dump just taken of it (3.14+), or the reason there are none, so every
 * capture of a process carries them.
 */
export async function addTasks(
  dump: ParsedDump,
  pid: number,
  target?: TargetInfo,
  signal?: AbortSignal,
): Promise<void> {
  const tc = await captureTasks(pid, { target, signal });
  if (tc.available) dump.tasks = tc.tasks;
  else if (tc.reason) dump.tasksNote = tc.reason;
}
