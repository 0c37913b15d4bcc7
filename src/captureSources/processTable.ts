/**
 * This machine's process table on every OS, as ../pyspyView/processes' ProcInfo rows (which classifies them):
 * Linux reads /proc; macOS (and any Unix) runs `ps -axww -o pid=,ppid=,etime=,command=` plus `lsof` for the
 * working directories; Windows asks CIM through PowerShell (argument arrays only). The parsers are pure and
 * tested on recorded output; the `ps` path is also run live on Linux.
 */
import { execa } from 'execa';
import { classifyProcesses, readProcTable, type ProcInfo } from '../pyspyView/processes';
import type { ProcessCandidate } from '../pyspyView/types';

/** Pure: ps's etime (`[[dd-]hh:]mm:ss`) in seconds; undefined when unreadable. */
export function parseEtime(etime: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(etime.trim());
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

/**
 * Pure: `ps -axww -o pid=,ppid=,etime=,command=`. ps joins argv with spaces, so an argument containing a
 * space is split: fine for recognising servers, whose arguments rarely have one.
 */
export function parsePsOutput(text: string): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*\S)\s*$/.exec(line);
    if (!m) continue;
    out.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      argv: m[4].split(/\s+/),
      uptimeSeconds: parseEtime(m[3]),
    });
  }
  return out;
}

/** Pure: `lsof -a -d cwd -Fn -p PID,...`: pid -> working directory. */
export function parseLsofCwd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  let pid: number | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('p')) pid = Number(line.slice(1));
    else if (line.startsWith('n') && pid !== undefined) out.set(pid, line.slice(1));
  }
  return out;
}

/** Pure: splits a Windows command line the way CommandLineToArgvW does (quotes, backslashes before quotes). */
export function splitWindowsCommandLine(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  let any = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (c === '\\') {
      let n = 0;
      while (cmd[i] === '\\') {
        n++;
        i++;
      }
      if (cmd[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else inQuotes = !inQuotes;
        any = true;
      } else {
        cur += '\\'.repeat(n);
        i--;
      }
    } else if (c === '"') {
      inQuotes = !inQuotes;
      any = true;
    } else if (/\s/.test(c) && !inQuotes) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (cur || any) out.push(cur);
  return out;
}

/** Pure: CIM's `Win32_Process` rows as JSON (ProcessId, ParentProcessId, CommandLine, CreationDate). */
export function parseWindowsCim(json: string, now = new Date()): ProcInfo[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  const rows = Array.isArray(data) ? data : [data];
  const out: ProcInfo[] = [];
  for (const r of rows) {
    if (typeof r !== 'object' || r === null) continue;
    const row = r as Record<string, unknown>;
    if (typeof row.ProcessId !== 'number' || typeof row.CommandLine !== 'string' || !row.CommandLine)
      continue;
    // ConvertTo-Json writes DateTime as "/Date(1764355200000)/" (PowerShell 5) or an ISO string (7).
    const created = typeof row.CreationDate === 'string' ? row.CreationDate : '';
    const ms = /\/Date\((\d+)\)\//.exec(created)?.[1];
    const start = ms ? Number(ms) : Date.parse(created);
    out.push({
      pid: row.ProcessId,
      ppid: typeof row.ParentProcessId === 'number' ? row.ParentProcessId : 0,
      argv: splitWindowsCommandLine(row.CommandLine).map((a) => a.replace(/\\/g, '/')),
      ...(Number.isFinite(start) ? { uptimeSeconds: (now.getTime() - start) / 1000 } : {}),
    });
  }
  return out;
}

const CIM_COMMAND =
  'Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,CommandLine,CreationDate | ConvertTo-Json -Compress';

/** `ps` (any Unix; what macOS uses), with working directories from lsof when it is there. */
export async function readPsTable(): Promise<ProcInfo[]> {
  const r = await execa('ps', ['-axww', '-o', 'pid=,ppid=,etime=,command='], {
    reject: false,
    timeout: 10_000,
  });
  const rows = parsePsOutput(String(r.stdout ?? ''));
  const pythonish = rows
    .filter((p) => /python|uvicorn|gunicorn|hypercorn/.test(p.argv.join(' ')))
    .map((p) => p.pid);
  if (pythonish.length) {
    const l = await execa('lsof', ['-a', '-d', 'cwd', '-Fn', '-p', pythonish.join(',')], {
      reject: false,
      timeout: 10_000,
    }).catch(() => undefined);
    const cwd = parseLsofCwd(String(l?.stdout ?? ''));
    for (const p of rows) if (cwd.has(p.pid)) p.cwd = cwd.get(p.pid);
  }
  return rows;
}

/** The process table of this OS. */
export async function readProcessTable(platform = process.platform): Promise<ProcInfo[]> {
  if (platform === 'linux') return readProcTable();
  if (platform === 'win32') {
    const r = await execa('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', CIM_COMMAND], {
      reject: false,
      timeout: 20_000,
    });
    return parseWindowsCim(String(r.stdout ?? ''));
  }
  return readPsTable();
}

/** The server processes of this machine, classified (reloader/manager/server/worker), on any OS. */
export async function findLocalServers(platform = process.platform): Promise<ProcessCandidate[]> {
  return classifyProcesses(await readProcessTable(platform));
}
