/**
 * Finding the process to dump. `readProcTable()` reads /proc (Linux, no shell); `classifyProcesses()` is
 * pure and turns that table into picker candidates with uvicorn's shapes understood:
 * - plain `uvicorn app:app`: one process, role server;
 * - `--reload`: the uvicorn process is a reloader, its `multiprocessing.spawn` child serves;
 * - `--workers N`: the uvicorn process is a manager, its N spawn children are workers 1..N;
 * - gunicorn (uvicorn workers) / hypercorn: master = manager, forked children = workers.
 */
import { promises as fs } from 'node:fs';
import type { ProcessCandidate, ProcessRole } from './types';

/** One row of the process table, as read from /proc/<pid>/{stat,cmdline,cwd}. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  argv: string[];
  cwd?: string;
  /** Seconds since the process started, when known. */
  uptimeSeconds?: number;
}

// Also Windows paths (`C:\\...\\python.exe`, console scripts `uvicorn.exe`) and macOS framework builds
// (`.../Python.app/Contents/MacOS/Python`).
const base = (p: string): string =>
  p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1).replace(/\.exe$/i, '');
const isPython = (arg: string): boolean => /^(python|pypy)[\d.]*w?$/i.test(base(arg));
const SERVERS = ['uvicorn', 'gunicorn', 'hypercorn'];

/** Which ASGI server a command line starts (`uvicorn ...`, `python -m uvicorn ...`, `python .../bin/gunicorn`). */
export function serverKind(argv: string[]): string | undefined {
  let i = 0;
  if (argv.length > 0 && isPython(argv[0])) {
    i = 1;
    while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '-m') i++;
    if (argv[i] === '-m') return SERVERS.find((s) => argv[i + 1] === s || argv[i + 1] === `${s}.main`);
  }
  const script = argv[i];
  return script ? SERVERS.find((s) => base(script) === s) : undefined;
}

/** `python -c "from multiprocessing.spawn import spawn_main; ..."`: a spawned child (uvicorn's server/worker). */
export function isSpawnChild(argv: string[]): boolean {
  return (
    argv.some((a) => a.includes('multiprocessing.spawn import spawn_main')) ||
    argv.includes('--multiprocessing-fork')
  );
}

/** multiprocessing's resource tracker: a helper process, never worth dumping. */
const isResourceTracker = (argv: string[]): boolean =>
  argv.some((a) => a.includes('multiprocessing.resource_tracker'));

function optionValue(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) return argv[i + 1];
    if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
  }
  return undefined;
}

/**
 * Pure: turns a process table into candidates, roots first, each root followed by its children; serving
 * processes (server, worker N) are marked `serving`. Processes of other programs are left out.
 */
export function classifyProcesses(table: ProcInfo[]): ProcessCandidate[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of table) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const pids = new Set(table.filter((p) => serverKind(p.argv)).map((p) => p.pid));
  const out: ProcessCandidate[] = [];
  const candidate = (
    p: ProcInfo,
    role: ProcessRole,
    serving: boolean,
    workerIndex?: number,
  ): ProcessCandidate => ({
    pid: p.pid,
    ppid: p.ppid,
    role,
    serving,
    ...(workerIndex !== undefined ? { workerIndex } : {}),
    commandLine: p.argv.join(' '),
    cwd: p.cwd,
    uptimeSeconds: p.uptimeSeconds,
  });
  const roots = table.filter((p) => serverKind(p.argv) && !pids.has(p.ppid)).sort((a, b) => a.pid - b.pid);
  for (const root of roots) {
    const kind = serverKind(root.argv)!;
    const children = (byParent.get(root.pid) ?? [])
      .filter(
        (c) =>
          !isResourceTracker(c.argv) && (isSpawnChild(c.argv) || (kind !== 'uvicorn' && c.argv.length > 0)),
      )
      .sort((a, b) => a.pid - b.pid);
    if (children.length === 0) {
      out.push(candidate(root, 'server', true));
    } else if (
      kind === 'uvicorn' &&
      (root.argv.includes('--reload') || optionValue(root.argv, '--workers') === undefined) &&
      children.length === 1
    ) {
      out.push(candidate(root, 'reloader', false), candidate(children[0], 'server', true));
    } else {
      out.push(candidate(root, 'manager', false));
      children.forEach((c, i) => out.push(candidate(c, 'worker', true, i + 1)));
    }
  }
  return out;
}

/** The candidate to preselect: the first serving process. */
export function defaultCandidate(candidates: ProcessCandidate[]): ProcessCandidate | undefined {
  return candidates.find((c) => c.serving) ?? candidates[0];
}

/**
 * The command line as the picker shows it: interpreter and script paths shortened to their names (the cwd is
 * shown beside it), and for a multiprocessing child, which process spawned it and how, since its own command
 * line (`python -c "from multiprocessing.spawn import spawn_main; ..."`) says nothing about the app.
 */
export function describeCommandLine(c: ProcessCandidate, all: ProcessCandidate[] = []): string {
  const short = (cmd: string): string =>
    cmd
      .split(' ')
      .map((a, i) => (i < 2 && a.startsWith('/') ? base(a) : a))
      .join(' ');
  const parent = all.find((p) => p.pid === c.ppid);
  if (parent && /multiprocessing\.spawn|--multiprocessing-fork/.test(c.commandLine)) {
    return `spawned by ${parent.pid} (${short(parent.commandLine)}) · ${short(c.commandLine)}`;
  }
  return short(c.commandLine);
}

/** Human label of a role: `server`, `reloader`, `manager`, `worker 2`. */
export function roleLabel(c: Pick<ProcessCandidate, 'role' | 'workerIndex'>): string {
  return c.role === 'worker' && c.workerIndex !== undefined ? `worker ${c.workerIndex}` : c.role;
}

/** Formats an uptime as `45s`, `12m 03s`, `3h 04m`. */
export function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Linux USER_HZ: /proc/<pid>/stat start times are in these ticks (100 on every mainstream kernel). */
const CLOCK_TICKS = 100;

/** Parses /proc/<pid>/stat: ppid and start time; the command name may contain spaces and parentheses. */
export function parseProcStat(stat: string): { ppid: number; startTicks: number } | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' '); // fields[0] is state (field 3)
  const ppid = Number(fields[1]);
  const startTicks = Number(fields[19]); // field 22
  return Number.isFinite(ppid) ? { ppid, startTicks } : undefined;
}

/**
 * Reads the process table from /proc (Linux). Unreadable processes (gone meanwhile, other users) are skipped.
 * @param procRoot for tests; defaults to /proc.
 */
export async function readProcTable(procRoot = '/proc'): Promise<ProcInfo[]> {
  const entries = (await fs.readdir(procRoot)).filter((e) => /^\d+$/.test(e));
  let uptime: number | undefined;
  try {
    uptime = Number((await fs.readFile(`${procRoot}/uptime`, 'utf8')).split(' ')[0]);
  } catch {
    uptime = undefined;
  }
  const rows = await Promise.all(
    entries.map(async (e): Promise<ProcInfo | undefined> => {
      try {
        const [stat, cmdline] = await Promise.all([
          fs.readFile(`${procRoot}/${e}/stat`, 'utf8'),
          fs.readFile(`${procRoot}/${e}/cmdline`, 'utf8'),
        ]);
        const parsed = parseProcStat(stat);
        if (!parsed || cmdline.length === 0) return undefined; // kernel threads have no cmdline
        const cwd = await fs.readlink(`${procRoot}/${e}/cwd`).catch(() => undefined);
        return {
          pid: Number(e),
          ppid: parsed.ppid,
          argv: cmdline.replace(/\0$/, '').split('\0'),
          cwd,
          uptimeSeconds: uptime !== undefined ? uptime - parsed.startTicks / CLOCK_TICKS : undefined,
        };
      } catch {
        return undefined; // exited while we read it, or not ours to read
      }
    }),
  );
  return rows.filter((r): r is ProcInfo => r !== undefined);
}

/** Scans /proc and classifies: the picker's list. */
export async function findServerProcesses(procRoot = '/proc'): Promise<ProcessCandidate[]> {
  return classifyProcesses(await readProcTable(procRoot));
}
