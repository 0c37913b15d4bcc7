/**
 * Capture source: server processes on this machine (any OS's process table, ./processTable), each with the
 * TCP ports it listens on; captured by the shared pipeline (../pyspyView/captureProcess: py-spy beside the
 * server, manager -> serving processes, static links).
 */
import { captureServing, type ProcessCaptureOptions } from '../pyspyView/captureProcess';
import { classifyProcesses } from '../pyspyView/processes';
import type { ProcessCandidate } from '../pyspyView/types';
import { portFromArgv } from './dockerParse';
import { listeningPorts } from './listeningPorts';
import { readProcessTable } from './processTable';
import type { CaptureSource, CaptureTarget } from './source';

/** Server processes here, with their ports (from the sockets, else the command line's --port/--bind). */
export async function listLocalTargets(platform = process.platform): Promise<CaptureTarget[]> {
  const candidates = classifyProcesses(await readProcessTable(platform));
  const ports = await listeningPorts(
    candidates.map((c) => c.pid),
    platform,
  );
  return candidates.map((c) => toTarget(c, ports.get(c.pid)));
}

function toTarget(c: ProcessCandidate, ports: number[] | undefined): CaptureTarget {
  const fromArgv = portFromArgv(c.commandLine.split(/\s+/));
  return {
    source: 'local',
    key: `pid:${c.pid}`,
    pid: c.pid,
    ports: ports?.length ? ports : fromArgv ? [fromArgv] : [],
    candidate: c,
  };
}

/** Pure: the target to dump for "the process on :port": the outermost one listening there. */
export function targetOnPort(targets: CaptureTarget[], port: number): CaptureTarget | undefined {
  const on = targets.filter((t) => t.ports.includes(port));
  const pids = new Set(on.map((t) => t.pid));
  return on.find((t) => !pids.has(t.candidate.ppid)) ?? on[0];
}

/** Pure: filter text typed in the picker: `:8000` or `8000` keeps targets on that port. */
export function filterByPort(targets: CaptureTarget[], query: string): CaptureTarget[] {
  const m = /^:?(\d{1,5})$/.exec(query.trim());
  return m ? targets.filter((t) => t.ports.includes(Number(m[1]))) : targets;
}

export const localProcessSource: CaptureSource = {
  kind: 'local',
  listTargets: () => listLocalTargets(),
  capture: (target, opts: ProcessCaptureOptions) => captureServing(target.pid, opts),
};
