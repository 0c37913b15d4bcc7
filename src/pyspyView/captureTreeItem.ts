/**
 * Glue: one node of the "py-spy Captures" tree as a vscode.TreeItem (./capturesTreeProvider keeps the nodes):
 * the verdict first (event loop blocked or not, asyncio tasks), then threads, frames (library frames and
 * "did not move" marked through a private `backendhang-frame:` URI the provider decorates) and locals.
 */
import * as vscode from 'vscode';
import { formatFrame } from './dumpParser';
import { roleLabel } from './processes';
import { formatTime, type Capture } from './captureStore';
import { lineToFix } from './staticLink';
import type { BlockedLoopFinding, Frame, FrameLocal, ThreadDump, WaitedGroup } from './types';
import { tasksHeadline, type TaskNodeData } from '../asyncTasks/tasksTree';
import { taskTreeItem } from '../asyncTasks/tasksTreeItem';

const baseName = (f: string): string => f.replace(/\\/g, '/').split('/').pop() ?? f;

/** A node of the tree; `parent` links make `TreeView.reveal` work. */
export type CaptureNode =
  | { kind: 'capture'; id: string; capture: Capture; parent?: undefined }
  | { kind: 'blocked'; id: string; capture: Capture; finding: BlockedLoopFinding; parent: CaptureNode }
  | { kind: 'waited'; id: string; capture: Capture; group: WaitedGroup; parent: CaptureNode }
  | {
      kind: 'thread';
      id: string;
      capture: Capture;
      thread: ThreadDump;
      eventLoop: boolean;
      parent: CaptureNode;
    }
  | { kind: 'hiddenFrames'; id: string; capture: Capture; count: number; parent: CaptureNode }
  | {
      kind: 'frame';
      id: string;
      capture: Capture;
      thread: ThreadDump;
      frame: Frame;
      index: number;
      unchanged: boolean;
      parent: CaptureNode;
    }
  | { kind: 'local'; id: string; capture: Capture; local: FrameLocal; parent: CaptureNode }
  /** The asyncio Tasks subtree (src/asyncTasks/tasksTree): its nodes are plain data. */
  | { kind: 'tasks'; id: string; capture: Capture; data: TaskNodeData; parent: CaptureNode };

/** Reference to one frame, as passed to `backendHang.revealFrame` (plain data, also usable from tests). */
export interface FrameRef {
  captureId: string;
  osThreadId: number;
  frameIndex: number;
}

/** The scheme of the URIs that carry a frame's decoration data (dimmed, unchanged). */
export const FRAME_SCHEME = 'backendhang-frame';

/** `n` as a tree item; `expanded`: how a capture node opens (the newest capture opens expanded). */
export function captureTreeItem(
  n: CaptureNode,
  expanded: (c: Capture) => vscode.TreeItemCollapsibleState,
): vscode.TreeItem {
  const c = n.capture;
  switch (n.kind) {
    case 'capture': {
      const role = c.role ? ` (${roleLabel({ role: c.role, workerIndex: c.workerIndex })})` : '';
      // Where it came from: `pid 4242`, `shop-api-1 · pid 1` (a container), `incident.txt` (a dump file).
      const where =
        c.origin?.kind === 'container'
          ? `${c.origin.container} · pid ${c.pid}`
          : c.origin?.kind === 'file' || c.origin?.kind === 'clipboard'
            ? `${c.origin.label}${c.pid ? ` · pid ${c.pid}` : ''}`
            : `pid ${c.pid}`;
      const item = new vscode.TreeItem(`${formatTime(c.capturedAt)}  ${where}${role}`, expanded(c));
      const blocked = c.diagnosis.findings.length > 0;
      // A free loop is not a healthy server when its tasks are stuck (3.14 task view): say so beside it.
      const tasks = tasksHeadline(c.dump);
      item.description =
        (blocked
          ? 'event loop blocked'
          : c.diagnosis.eventLoopThreadIds.length > 0
            ? 'event loop not blocked'
            : c.dump.threads.length === 0 && c.dump.tasks
              ? 'asyncio tasks'
              : 'no event loop found') +
        (tasks ? ` · ${tasks.text}` : '') +
        (c.dump.format && !c.dump.format.startsWith('py-spy') ? ` · ${c.dump.format}` : '');
      item.iconPath = new vscode.ThemeIcon(
        blocked ? 'error' : tasks?.severe ? 'warning' : 'pass',
        new vscode.ThemeColor(
          blocked ? 'errorForeground' : tasks?.severe ? 'editorWarning.foreground' : 'testing.iconPassed',
        ),
      );
      item.tooltip = new vscode.MarkdownString(
        `**${where}**${role}, captured ${c.capturedAt.toLocaleString()}${c.source ? ` by ${c.source}` : ''}\n\n${c.commandLine ? `\`${c.commandLine}\`\n\n` : ''}${c.dump.threads.length} threads` +
          (c.comparedWith ? `; frames compared with the previous capture of this process` : ''),
      );
      item.contextValue =
        c.origin?.kind === 'file' || c.origin?.kind === 'clipboard' ? 'capture.file' : 'capture';
      item.id = n.id;
      return item;
    }
    case 'blocked': {
      const f = n.finding;
      // Verdict first, short enough for a normal sidebar; the call and the line go in the description.
      const item = new vscode.TreeItem('Event loop blocked', vscode.TreeItemCollapsibleState.Expanded);
      const fix = lineToFix(f);
      const link = f.static?.[0];
      item.description = `${f.blockingCall}${fix ? ` · ${baseName(fix.file)}:${fix.line}` : ''}${link ? ` · ${link.code}` : ''}`;
      item.iconPath = new vscode.ThemeIcon('debug-stackframe', new vscode.ThemeColor('errorForeground'));
      const staticText = (f.static ?? [])
        .map(
          (s) =>
            `- **${s.code}** at line ${s.line}: ${s.message}${s.fixable ? ' (quick fix available)' : ''}`,
        )
        .join('\n');
      item.tooltip = new vscode.MarkdownString(
        `**Event loop blocked in \`${f.blockingCall}\`**\n\n${f.message}` +
          (f.frame ? `\n\nFrame: \`${formatFrame(f.frame)}\`` : '') +
          (staticText ? `\n\nThe line to fix:\n${staticText}` : '') +
          '\n\nClick to open the line; right-click for the quick fix.',
      );
      item.contextValue = 'blocked';
      item.id = n.id;
      // The blocked node itself is the reference: revealFrame goes to the linked static finding's line.
      if (f.frame)
        item.command = { command: 'backendHang.revealFrame', title: 'Reveal Frame', arguments: [n] };
      return item;
    }
    case 'waited': {
      const g = n.group;
      const item = new vscode.TreeItem(
        `waits for ${g.count} ${g.count === 1 ? 'thread' : 'threads'}`,
        vscode.TreeItemCollapsibleState.None,
      );
      item.description = g.where;
      item.iconPath = new vscode.ThemeIcon('watch');
      item.tooltip = `${g.threads.map((t) => `Thread ${t.osThreadId} "${t.name}"`).join('\n')}\nin ${g.where}${g.innermost ? `\nblocked in ${g.innermost}` : ''}`;
      item.contextValue = 'waited';
      item.id = n.id;
      const first = g.threads[0];
      const t = first && c.dump.threads.find((x) => x.osThreadId === first.osThreadId);
      const idx = t?.frames.findIndex((fr) => !fr.library) ?? -1;
      if (t && idx >= 0) {
        item.command = {
          command: 'backendHang.revealFrame',
          title: 'Reveal Frame',
          arguments: [{ captureId: c.id, osThreadId: t.osThreadId, frameIndex: idx } satisfies FrameRef],
        };
      }
      return item;
    }
    case 'thread': {
      const t = n.thread;
      const blocked = c.diagnosis.findings.some((f) => f.osThreadId === t.osThreadId);
      const item = new vscode.TreeItem(
        t.name,
        n.eventLoop ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
      );
      // py-spy's "idle" only means "not on a CPU": a loop parked in a blocking call is idle too, so a
      // blocked loop says so first, or "MainThread · idle" would read as healthy.
      item.description = [
        `${t.osThreadId}`,
        ...(n.eventLoop ? [blocked ? 'event loop BLOCKED' : 'event loop'] : []),
        t.active ? 'active' : 'idle',
        ...(t.ownsGil ? ['GIL'] : []),
      ].join(' · ');
      item.iconPath = t.ownsGil
        ? new vscode.ThemeIcon('lock')
        : n.eventLoop
          ? new vscode.ThemeIcon('sync', blocked ? new vscode.ThemeColor('errorForeground') : undefined)
          : new vscode.ThemeIcon(t.active ? 'debug-start' : 'debug-pause');
      item.tooltip = `Thread ${t.osThreadId} "${t.name}": ${t.active ? 'active' : 'idle'}${t.ownsGil ? ', holds the GIL' : ''}${n.eventLoop ? ', runs the asyncio event loop' : ''}`;
      item.contextValue = n.eventLoop ? 'thread.eventLoop' : 'thread';
      item.id = n.id;
      return item;
    }
    case 'hiddenFrames': {
      const item = new vscode.TreeItem(
        `… ${n.count} library frame${n.count === 1 ? '' : 's'}`,
        vscode.TreeItemCollapsibleState.None,
      );
      item.tooltip = '"Just my code" is on: standard library and site-packages frames are hidden.';
      item.id = n.id;
      return item;
    }
    case 'frame': {
      const f = n.frame;
      const item = new vscode.TreeItem(
        f.function,
        f.locals?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
      );
      item.description = f.line > 0 ? `${f.shortFile}:${f.line}` : f.shortFile;
      item.iconPath = new vscode.ThemeIcon(
        f.library ? 'library' : 'symbol-method',
        f.library ? undefined : new vscode.ThemeColor('symbolIcon.methodForeground'),
      );
      item.tooltip = `${f.file}${f.line > 0 ? `:${f.line}` : ''}${f.library ? '\n(library code)' : ''}${n.unchanged ? '\nDid not move since the previous capture of this process.' : ''}`;
      // The private-scheme URI only carries decoration data (dimmed / unchanged); the label stays as set.
      item.resourceUri = vscode.Uri.from({
        scheme: FRAME_SCHEME,
        path: `/${n.id}`,
        query: `library=${f.library ? 1 : 0}&unchanged=${n.unchanged ? 1 : 0}`,
      });
      item.contextValue = f.library ? 'frame.library' : 'frame';
      item.id = n.id;
      if (f.line > 0) {
        item.command = {
          command: 'backendHang.revealFrame',
          title: 'Reveal Frame',
          arguments: [
            { captureId: c.id, osThreadId: n.thread.osThreadId, frameIndex: n.index } satisfies FrameRef,
          ],
        };
      }
      return item;
    }
    case 'tasks':
      return taskTreeItem(n.data, n.id, { rootPrefix: c.rootPrefix, cwd: c.cwd });
    case 'local': {
      const item = new vscode.TreeItem(
        `${n.local.name} = ${n.local.repr}`,
        vscode.TreeItemCollapsibleState.None,
      );
      item.description = n.local.arg ? 'argument' : undefined;
      item.iconPath = new vscode.ThemeIcon(n.local.arg ? 'symbol-parameter' : 'symbol-variable');
      item.tooltip = `${n.local.name}: ${n.local.repr}`;
      item.contextValue = 'local';
      item.id = n.id;
      return item;
    }
  }
}
