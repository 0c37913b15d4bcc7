/**
 * Which process listens on a local port (Linux, no shell, no `ss`/`lsof`): LISTEN rows of /proc/net/tcp and
 * tcp6 give the socket inode, the process holding `socket:[inode]` among its /proc/PID/fd links owns it;
 * /proc/PID/status and limits give threads, RSS and the open-files limit; the role (server, reloader,
 * manager, worker) comes from the py-spy picker's `classifyProcesses`.
 */
import { promises as fs } from 'node:fs';
import { classifyProcesses, findServerProcesses, readProcTable, type ProcInfo } from '../pyspyView/processes';
import type { ListenerInfo, ListenerProcess } from './types';

/** A socket listens on the port, but its process is not ours to read (another user's, without root). */
export class ListenerHiddenError extends Error {
  constructor(readonly port: number) {
    super(
      `a socket listens on port ${port}, but its process belongs to another user (run as that user or root to see it)`,
    );
    this.name = 'ListenerHiddenError';
  }
}

/** One row of /proc/net/tcp or tcp6. */
export interface SocketRow {
  /** Dotted IPv4 or compressed-ish IPv6 (`::`, `::1`, full form otherwise). */
  address: string;
  port: number;
  /** Kernel TCP state; 0x0A is LISTEN. */
  state: number;
  inode: number;
}

const LISTEN = 0x0a;

/** /proc/net/tcp stores each 32-bit word in host (little-endian) byte order. */
function hexWordToBytes(word: string): number[] {
  const n = parseInt(word, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** Pure: the address field of /proc/net/tcp(6) (`0100007F`, 32 hex digits for v6) as text. */
export function decodeAddress(hex: string): string {
  if (hex.length === 8) return hexWordToBytes(hex).join('.');
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...hexWordToBytes(hex.slice(i, i + 8)));
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return '::1';
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':');
}

/** Pure: parses the text of /proc/net/tcp or /proc/net/tcp6 (header line skipped). */
export function parseProcNet(text: string): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addr, port] = f[1].split(':');
    if (!addr || !port) continue;
    rows.push({
      address: decodeAddress(addr),
      port: parseInt(port, 16),
      state: parseInt(f[3], 16),
      inode: Number(f[9]),
    });
  }
  return rows;
}

/** A LISTEN socket on this address accepts connections made to 127.0.0.1/::1 on its port. */
const acceptsLoopback = (address: string): boolean =>
  address === '0.0.0.0' || address === '::' || address === '::1' || /^(::ffff:)?127\./.test(address);

/** Pure: inodes of the sockets listening on `port` that a loopback connection reaches. */
export function listeningInodes(rows: readonly SocketRow[], port: number): number[] {
  return [
    ...new Set(
      rows
        .filter((r) => r.state === LISTEN && r.port === port && acceptsLoopback(r.address) && r.inode > 0)
        .map((r) => r.inode),
    ),
  ];
}

/** Pure: ports a set of socket inodes listen on (the reverse lookup, for the watch's "picked process"). */
export function portsOfInodes(rows: readonly SocketRow[], inodes: ReadonlySet<number>): number[] {
  return [...new Set(rows.filter((r) => r.state === LISTEN && inodes.has(r.inode)).map((r) => r.port))].sort(
    (a, b) => a - b,
  );
}

/** Pure: `Threads:` and `VmRSS:` of /proc/PID/status. */
export function parseStatus(text: string): { threads: number | null; rssBytes: number | null } {
  const threads = /^Threads:\s+(\d+)/m.exec(text);
  const rss = /^VmRSS:\s+(\d+)\s*kB/m.exec(text);
  return { threads: threads ? Number(threads[1]) : null, rssBytes: rss ? Number(rss[1]) * 1024 : null };
}

/** Pure: the soft `Max open files` limit of /proc/PID/limits (null when unlimited or absent). */
export function parseOpenFilesLimit(text: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
}

/** Reads /proc/net/tcp and tcp6 (a missing tcp6 — IPv6 disabled — is fine). */
export async function readSocketRows(procRoot = '/proc'): Promise<SocketRow[]> {
  const texts = await Promise.all(
    ['tcp', 'tcp6'].map((f) => fs.readFile(`${procRoot}/net/${f}`, 'utf8').catch(() => '')),
  );
  return texts.flatMap(parseProcNet);
}

/** Socket inodes each process holds (`socket:[N]` fd links). Processes we may not read are skipped. */
export async function socketInodesByPid(
  procRoot = '/proc',
  only?: ReadonlySet<number>,
): Promise<Map<number, Set<number>>> {
  const pids = (await fs.readdir(procRoot)).filter((e) => /^\d+$/.test(e)).map(Number);
  const out = new Map<number, Set<number>>();
  await Promise.all(
    pids
      .filter((pid) => !only || only.has(pid))
      .map(async (pid) => {
        const dir = `${procRoot}/${pid}/fd`;
        const fds = await fs.readdir(dir).catch(() => [] as string[]);
        const inodes = new Set<number>();
        await Promise.all(
          fds.map(async (fd) => {
            const link = await fs.readlink(`${dir}/${fd}`).catch(() => '');
            const m = /^socket:\[(\d+)\]$/.exec(link);
            if (m) inodes.add(Number(m[1]));
          }),
        );
        if (inodes.size > 0) out.set(pid, inodes);
      }),
  );
  return out;
}

/** fds, threads, RSS and open-files limit of one process (nulls where /proc would not tell). */
export async function readProcessStats(
  pid: number,
  procRoot = '/proc',
): Promise<Pick<ListenerProcess, 'fds' | 'fdLimit' | 'threads' | 'rssBytes'>> {
  const [fds, status, limits] = await Promise.all([
    fs.readdir(`${procRoot}/${pid}/fd`).then(
      (l) => l.length,
      () => null,
    ),
    fs.readFile(`${procRoot}/${pid}/status`, 'utf8').catch(() => ''),
    fs.readFile(`${procRoot}/${pid}/limits`, 'utf8').catch(() => ''),
  ]);
  return { fds, fdLimit: parseOpenFilesLimit(limits), ...parseStatus(status) };
}

/** The bare process picture {@link describeListener} builds before /proc stats are added. */
export type ListenerShape = Omit<ListenerInfo, 'serving' | 'fds' | 'fdLimit' | 'threads' | 'rssBytes'> & {
  serving: Omit<ListenerProcess, 'fds' | 'fdLimit' | 'threads' | 'rssBytes'>[];
};

/**
 * Pure: from the pids owning the listening socket and the process table, the top-most owner (a reloader or
 * manager passes the socket to its children, who own it too) and the processes that serve requests.
 */
export function describeListener(
  port: number,
  owners: readonly number[],
  table: readonly ProcInfo[],
): ListenerShape | undefined {
  if (owners.length === 0) return undefined;
  const ownerSet = new Set(owners);
  const byPid = new Map(table.map((p) => [p.pid, p]));
  const tops = owners.filter((pid) => !ownerSet.has(byPid.get(pid)?.ppid ?? -1)).sort((a, b) => a - b);
  const topPid = tops[0] ?? Math.min(...owners);
  const classified = classifyProcesses([...table]);
  const bare = (pid: number): ListenerShape['serving'][number] => {
    const c = classified.find((x) => x.pid === pid);
    const p = byPid.get(pid);
    return {
      pid,
      role: c?.role ?? 'other',
      ...(c?.workerIndex !== undefined ? { workerIndex: c.workerIndex } : {}),
      command: c?.commandLine ?? p?.argv.join(' ') ?? '',
      uptimeSeconds: p?.uptimeSeconds !== undefined ? Math.round(p.uptimeSeconds) : null,
    };
  };
  const top = bare(topPid);
  let serving: ListenerShape['serving'];
  if (top.role === 'reloader' || top.role === 'manager') {
    serving = classified.filter((c) => c.ppid === topPid && c.serving).map((c) => bare(c.pid));
  } else if (top.role === 'other') {
    // An unknown supervisor: its children that hold the socket serve; else it serves itself.
    const kids = owners.filter((pid) => byPid.get(pid)?.ppid === topPid).sort((a, b) => a - b);
    serving = (kids.length > 0 ? kids : [topPid]).map(bare);
  } else {
    serving = [top];
  }
  return { ...top, port, serving: serving.length > 0 ? serving : [top] };
}

/**
 * Finds the listener of a local `port` from /proc (Linux only; undefined elsewhere or when nothing listens).
 * @throws ListenerHiddenError when the owner is another user's process whose fds we cannot read.
 */
export async function findListener(port: number, procRoot = '/proc'): Promise<ListenerInfo | undefined> {
  if (process.platform !== 'linux' && procRoot === '/proc') return undefined;
  const inodes = new Set(listeningInodes(await readSocketRows(procRoot), port));
  if (inodes.size === 0) return undefined;
  const [held, table] = await Promise.all([socketInodesByPid(procRoot), readProcTable(procRoot)]);
  const owners = [...held].filter(([, s]) => [...s].some((i) => inodes.has(i))).map(([pid]) => pid);
  const shape = describeListener(port, owners, table);
  if (!shape) throw new ListenerHiddenError(port);
  const withStats = async <T extends { pid: number }>(
    p: T,
  ): Promise<T & Awaited<ReturnType<typeof readProcessStats>>> => ({
    ...p,
    ...(await readProcessStats(p.pid, procRoot)),
  });
  const [top, ...serving] = await Promise.all([withStats(shape), ...shape.serving.map(withStats)]);
  return { ...top, serving };
}

/** Ports `pid` listens on (the watch's default URL comes from the picked process's port). */
export async function listeningPorts(pid: number, procRoot = '/proc'): Promise<number[]> {
  const held = await socketInodesByPid(procRoot, new Set([pid]));
  return portsOfInodes(await readSocketRows(procRoot), held.get(pid) ?? new Set());
}

/** A uvicorn-family server found listening on this machine. */
export interface LocalServer {
  url: string;
  port: number;
  pid: number;
  role: string;
  command: string;
}

/**
 * The ASGI servers running here (uvicorn, gunicorn, hypercorn; the top process of each tree) and the ports
 * they listen on, as `http://127.0.0.1:PORT` URLs: the default when no `backendHang.server.url` is set.
 */
export async function discoverLocalServers(procRoot = '/proc'): Promise<LocalServer[]> {
  if (process.platform !== 'linux' && procRoot === '/proc') return [];
  const out: LocalServer[] = [];
  // Roots come before their children, and children share the root's socket: the first owner of a port wins.
  for (const c of await findServerProcesses(procRoot)) {
    for (const port of await listeningPorts(c.pid, procRoot)) {
      if (out.some((s) => s.port === port)) continue;
      out.push({ url: `http://127.0.0.1:${port}`, port, pid: c.pid, role: c.role, command: c.commandLine });
    }
  }
  return out;
}
