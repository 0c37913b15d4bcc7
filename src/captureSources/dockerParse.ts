/**
 * Pure: what the Docker CLI prints, read into plain data. `docker ps --format '{{json .}}'` (one JSON object
 * per line), `docker top NAME` (ps columns, the command last), `docker inspect NAME` (mounts -> path
 * mappings), and the probe this tool runs inside a container (./dockerProbe.py's JSON).
 */
import type { PathMapping } from '../pyspyView/pathMapping';
import type { ProcInfo } from '../pyspyView/processes';

export interface ContainerRow {
  id: string;
  name: string;
  image: string;
  status: string;
  /** Published ports as docker ps shows them (`0.0.0.0:8000->8000/tcp`); empty with --network host. */
  ports: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** `docker ps --format '{{json .}}'`: one container per line. Lines that are not JSON objects are skipped. */
export function parseDockerPs(output: string): ContainerRow[] {
  const rows: ContainerRow[] = [];
  for (const line of output.split(/\r?\n/)) {
    if (!line.trim().startsWith('{')) continue;
    try {
      const o: unknown = JSON.parse(line);
      if (!isObject(o)) continue;
      rows.push({
        id: str(o.ID),
        name: str(o.Names).split(',')[0],
        image: str(o.Image),
        status: str(o.Status),
        ports: str(o.Ports),
      });
    } catch {
      // a warning line; skip
    }
  }
  return rows;
}

/** `docker top NAME` (default `ps -ef` columns: UID PID PPID C STIME TTY TIME CMD): host pids and commands. */
export function parseDockerTop(output: string): { pid: number; ppid: number; command: string }[] {
  const lines = output.split(/\r?\n/).filter((l) => l.trim());
  if (lines.length === 0) return [];
  const header = lines[0];
  const cmdAt = Math.max(header.indexOf('CMD'), header.indexOf('COMMAND'));
  const cols = header.trim().split(/\s+/);
  const pidCol = cols.indexOf('PID');
  const ppidCol = cols.indexOf('PPID');
  return lines.slice(1).flatMap((l) => {
    const fields = l.trim().split(/\s+/);
    const pid = Number(fields[pidCol]);
    if (!Number.isInteger(pid)) return [];
    return [
      {
        pid,
        ppid: Number(fields[ppidCol]) || 0,
        command: cmdAt >= 0 ? l.slice(cmdAt).trim() : fields.slice(-1)[0],
      },
    ];
  });
}

/** `docker inspect NAME` (a JSON array of one): its bind/volume mounts as container -> host path mappings. */
export function mountsToMappings(inspectOutput: string): PathMapping[] {
  let data: unknown;
  try {
    data = JSON.parse(inspectOutput);
  } catch {
    return [];
  }
  return objectMounts(Array.isArray(data) ? data[0] : data);
}

/** `docker inspect A B ...`: each container's mounts, by name (without docker's leading `/`). */
export function mountsByName(inspectOutput: string): Map<string, PathMapping[]> {
  const out = new Map<string, PathMapping[]>();
  try {
    const data: unknown = JSON.parse(inspectOutput);
    for (const c of Array.isArray(data) ? data : [])
      if (isObject(c)) out.set(str(c.Name).replace(/^\//, ''), objectMounts(c));
  } catch {
    // no mounts known
  }
  return out;
}

function objectMounts(first: unknown): PathMapping[] {
  if (!isObject(first) || !Array.isArray(first.Mounts)) return [];
  return (first.Mounts as unknown[])
    .filter(isObject)
    .filter((m) => str(m.Source) && str(m.Destination) && (m.Type === 'bind' || m.Type === 'volume'))
    .map((m) => ({ remote: str(m.Destination), local: str(m.Source) }));
}

/** Container settings that decide whether py-spy may attach inside it. */
export function inspectSecurity(inspectOutput: string): {
  capAdd: string[];
  privileged: boolean;
  pidHost: boolean;
} {
  try {
    const data: unknown = JSON.parse(inspectOutput);
    const first = Array.isArray(data) ? data[0] : data;
    const hc = isObject(first) && isObject(first.HostConfig) ? first.HostConfig : {};
    return {
      capAdd: Array.isArray(hc.CapAdd) ? (hc.CapAdd as unknown[]).map(str) : [],
      privileged: hc.Privileged === true,
      pidHost: hc.PidMode === 'host',
    };
  } catch {
    return { capAdd: [], privileged: false, pidHost: false };
  }
}

/** What the in-container probe reports. */
export interface ProbeResult {
  python: string;
  processes: (ProcInfo & { exe?: string; pyspy: string[] })[];
}

/** The probe's JSON output. @throws Error when it is not the probe's output */
export function parseProbe(output: string): ProbeResult {
  const line = output.split(/\r?\n/).find((l) => l.startsWith('{'));
  const o: unknown = line ? JSON.parse(line) : undefined;
  if (!isObject(o) || !Array.isArray(o.processes))
    throw new Error(`unexpected probe output: ${output.slice(0, 200)}`);
  return {
    python: str(o.python),
    processes: (o.processes as unknown[]).filter(isObject).map((p) => ({
      pid: Number(p.pid),
      ppid: Number(p.ppid),
      argv: Array.isArray(p.argv) ? (p.argv as unknown[]).map(str) : [],
      ...(str(p.cwd) ? { cwd: str(p.cwd) } : {}),
      ...(str(p.exe) ? { exe: str(p.exe) } : {}),
      pyspy: Array.isArray(p.pyspy) ? (p.pyspy as unknown[]).map(str).filter(Boolean) : [],
    })),
  };
}

/** The TCP port a server's command line binds (`--port 8000`, `--bind 0.0.0.0:8000`, `-b :8000`). */
export function portFromArgv(argv: string[]): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = inline ?? argv[i + 1];
    if (flag === '--port' && /^\d+$/.test(value ?? '')) return Number(value);
    if ((flag === '--bind' || flag === '-b') && value) {
      const m = /:(\d+)$/.exec(value);
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}
