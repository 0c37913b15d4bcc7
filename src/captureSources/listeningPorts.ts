/**
 * Which process listens on which TCP port, on every OS, so the picker can say "pid 4242 · :8000" and the CLI
 * can dump "the process on :8000". Linux reads /proc/net/tcp{,6} and each process's socket fds (no tool
 * needed); macOS parses `lsof -nP -iTCP -sTCP:LISTEN -Fpn`; Windows parses
 * `Get-NetTCPConnection -State Listen | Select-Object LocalPort,OwningProcess | ConvertTo-Json`.
 */
import { execa } from 'execa';
import { promises as fs } from 'node:fs';

/** Pure: the listening sockets of /proc/net/tcp or tcp6: socket inode -> port. */
export function parseProcNetTcp(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st ... inode (field 9)
    if (f.length < 10 || f[3] !== '0A') continue; // 0A = TCP_LISTEN
    const port = parseInt(f[1].split(':')[1] ?? '', 16);
    const inode = Number(f[9]);
    if (Number.isFinite(port) && inode > 0) out.set(inode, port);
  }
  return out;
}

/** Pure: `lsof -nP -iTCP -sTCP:LISTEN -Fpn` output: pid -> ports. */
export function parseLsofListen(text: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  let pid: number | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('p')) pid = Number(line.slice(1));
    else if (line.startsWith('n') && pid !== undefined) {
      const m = /:(\d+)$/.exec(line);
      if (m) {
        const ports = out.get(pid) ?? [];
        if (!ports.includes(Number(m[1]))) ports.push(Number(m[1]));
        out.set(pid, ports);
      }
    }
  }
  return out;
}

/** Pure: `Get-NetTCPConnection -State Listen | Select-Object LocalPort,OwningProcess | ConvertTo-Json`. */
export function parseWindowsListen(json: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return out;
  }
  for (const row of Array.isArray(data) ? data : [data]) {
    if (typeof row !== 'object' || row === null) continue;
    const { LocalPort, OwningProcess } = row as { LocalPort?: unknown; OwningProcess?: unknown };
    if (typeof LocalPort !== 'number' || typeof OwningProcess !== 'number') continue;
    const ports = out.get(OwningProcess) ?? [];
    if (!ports.includes(LocalPort)) ports.push(LocalPort);
    out.set(OwningProcess, ports);
  }
  return out;
}

/** Linux: pid -> listening ports, for the given pids (their fds are read; others' are skipped). */
async function linuxListening(pids: number[], procRoot = '/proc'): Promise<Map<number, number[]>> {
  const inodes = new Map<number, number>();
  for (const f of ['tcp', 'tcp6']) {
    const text = await fs.readFile(`${procRoot}/net/${f}`, 'utf8').catch(() => '');
    for (const [inode, port] of parseProcNetTcp(text)) inodes.set(inode, port);
  }
  const out = new Map<number, number[]>();
  if (inodes.size === 0) return out;
  await Promise.all(
    pids.map(async (pid) => {
      const fds = await fs.readdir(`${procRoot}/${pid}/fd`).catch(() => [] as string[]);
      const ports: number[] = [];
      for (const fd of fds) {
        const link = await fs.readlink(`${procRoot}/${pid}/fd/${fd}`).catch(() => '');
        const m = /^socket:\[(\d+)\]$/.exec(link);
        const port = m ? inodes.get(Number(m[1])) : undefined;
        if (port !== undefined && !ports.includes(port)) ports.push(port);
      }
      if (ports.length)
        out.set(
          pid,
          ports.sort((a, b) => a - b),
        );
    }),
  );
  return out;
}

/** pid -> TCP ports it listens on, for this OS; empty when the OS tool is missing or refuses. */
export async function listeningPorts(
  pids: number[],
  platform = process.platform,
): Promise<Map<number, number[]>> {
  try {
    if (platform === 'linux') return await linuxListening(pids);
    if (platform === 'darwin') {
      const r = await execa('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN', '-Fpn'], {
        reject: false,
        timeout: 10_000,
      });
      return parseLsofListen(String(r.stdout ?? ''));
    }
    if (platform === 'win32') {
      const r = await execa(
        'powershell.exe',
        [
          '-NoProfile',
          '-NonInteractive',
          '-Command',
          'Get-NetTCPConnection -State Listen | Select-Object LocalPort,OwningProcess | ConvertTo-Json -Compress',
        ],
        { reject: false, timeout: 15_000 },
      );
      return parseWindowsListen(String(r.stdout ?? ''));
    }
  } catch {
    // fall through: no ports is not an error
  }
  return new Map();
}
