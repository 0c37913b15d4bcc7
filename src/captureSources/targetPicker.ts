/**
 * Glue: the capture picker. Lists server processes on this machine and in running Docker containers (when a
 * Docker CLI answers), each with its role, uptime, working directory and the TCP ports it listens on; typing
 * `:8000` keeps the process on that port. The workspace's own server is preselected; several workers offer
 * "dump all".
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from '../log';
import { defaultCandidate, describeCommandLine, formatUptime, roleLabel } from '../pyspyView/processes';
import type { ProcessCandidate } from '../pyspyView/types';
import { listAllTargets as listAll } from './allTargets';
import { filterByPort } from './localProcess';
import type { CaptureTarget } from './source';

/** Every target, here and in containers; a source that fails is logged and left out. */
export function listAllTargets(dockerPath: string | undefined): Promise<CaptureTarget[]> {
  return listAll(dockerPath, (source, err) =>
    source === 'docker'
      ? log.debug(`Docker containers not listed: ${err instanceof Error ? err.message : String(err)}`)
      : log.warn(`Could not list processes: ${String(err)}`),
  );
}

/** What the person picked. */
export type Picked = CaptureTarget | 'all' | undefined;

const ROLE_ICON: Record<ProcessCandidate['role'], string> = {
  server: 'server-process',
  worker: 'server-process',
  reloader: 'debug-restart',
  manager: 'type-hierarchy',
};

type Item = vscode.QuickPickItem & { target?: CaptureTarget; all?: boolean };

/** The QuickPick; resolves to the picked target, 'all' (every local worker), or undefined when dismissed. */
export async function pickTarget(targets: CaptureTarget[]): Promise<Picked> {
  if (targets.length === 1) return targets[0];
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const inWorkspace = (c: ProcessCandidate): boolean =>
    !!c.cwd && folders.some((f) => c.cwd === f || c.cwd!.startsWith(`${f}${path.sep}`));
  const candidates = targets.map((t) => t.candidate);
  const items: Item[] = targets.map((t) => {
    const c = t.candidate;
    const ports = t.ports.map((p) => `:${p}`).join(' ');
    return t.container
      ? {
          label: `$(package) ${t.container}${ports ? `  ${ports}` : ''}`,
          description: `container · ${roleLabel(c)}${t.image ? ` · ${t.image}` : ''}`,
          detail: describeCommandLine(c, []),
          target: t,
        }
      : {
          label: `$(${ROLE_ICON[c.role]}) ${c.pid}${ports ? `  ${ports}` : ''}  ${roleLabel(c)}`,
          description: `up ${formatUptime(c.uptimeSeconds)} · ${c.cwd ?? ''}`,
          detail: describeCommandLine(c, candidates),
          target: t,
        };
  });
  const workers = targets.filter((t) => !t.container && t.candidate.role === 'worker');
  const allItem: Item = {
    label: `$(layers) Dump all ${workers.length} workers`,
    description: 'one capture per worker; the blocked one is shown',
    detail: 'Only one worker may be stuck (the one that served the request): dump them all to find it.',
    all: true,
  };
  if (workers.length > 1) items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, allItem);
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'Capture py-spy Dump: pick the process';
  qp.placeholder =
    'The serving process (server / worker) runs the event loop · type :8000 for the process on a port';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = items;
  const local = targets.filter((t) => !t.container).map((t) => t.candidate);
  // A container whose mount holds a workspace folder runs the workspace's code.
  const mountsWorkspace = (t: CaptureTarget): boolean =>
    !!t.mappings?.some((m) =>
      folders.some(
        (f) =>
          f === m.local || f.startsWith(`${m.local}${path.sep}`) || m.local.startsWith(`${f}${path.sep}`),
      ),
    );
  const preferred =
    defaultCandidate(local.filter(inWorkspace)) ??
    targets.find((t) => t.container && mountsWorkspace(t))?.candidate ??
    defaultCandidate(local);
  qp.activeItems =
    workers.length > 1
      ? [allItem]
      : items.filter((i) => i.target && i.target.candidate === preferred).slice(0, 1);
  // `:8000` (or `8000`) keeps the targets listening there, whatever else the labels say.
  qp.onDidChangeValue((v) => {
    const byPort = filterByPort(targets, v);
    if (byPort !== targets) {
      qp.items = items.filter((i) => i.target && byPort.includes(i.target));
    } else if (qp.items.length !== items.length) {
      qp.items = items;
    }
  });
  const choice = await new Promise<Item | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0] ?? qp.activeItems[0]));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return choice?.all ? 'all' : choice?.target;
}
