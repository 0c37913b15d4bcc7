/**
 * Glue: the "py-spy Captures" tree. capture -> (Event loop blocked) + threads -> frames -> locals.
 * Library frames are dimmed and "did not move" frames badged through a FileDecorationProvider keyed on a
 * private `backendhang-frame:` URI (tree items have no other way to colour their label).
 */
import * as vscode from 'vscode';
import { formatFrame } from './dumpParser';
import { roleLabel } from './processes';
import { formatTime, type Capture, type CaptureStore } from './captureStore';
import { lineToFix } from './staticLink';
import type { BlockedLoopFinding, Frame, FrameLocal, ThreadDump, WaitedGroup } from './types';
import { tasksHeadline, tasksTree, type TaskNodeData } from '../asyncTasks/tasksTree';
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

const FRAME_SCHEME = 'backendhang-frame';

/** Tree data + decorations for the captures of a {@link CaptureStore}. */
export class CapturesTreeProvider
  implements vscode.TreeDataProvider<CaptureNode>, vscode.FileDecorationProvider, vscode.Disposable
{
  private readonly changeTree = new vscode.EventEmitter<CaptureNode | undefined>();
  private readonly changeDecorations = new vscode.EventEmitter<vscode.Uri[] | undefined>();
  readonly onDidChangeTreeData = this.changeTree.event;
  readonly onDidChangeFileDecorations = this.changeDecorations.event;
  /** Node objects are cached per id so reveal() and refreshes see the same identities. */
  private readonly nodes = new Map<string, CaptureNode>();
  private readonly unsubscribe: () => void;
  private justMyCode = false;

  constructor(private readonly store: CaptureStore) {
    this.unsubscribe = store.onChange(() => {
      this.nodes.clear();
      this.changeTree.fire(undefined);
      this.changeDecorations.fire(undefined);
    });
  }

  /** Hides library frames (a "… N library frames" node stands in for each run of them). */
  setJustMyCode(on: boolean): void {
    this.justMyCode = on;
    this.nodes.clear();
    this.changeTree.fire(undefined);
  }

  get isJustMyCode(): boolean {
    return this.justMyCode;
  }

  private node<T extends CaptureNode>(make: T): T {
    const existing = this.nodes.get(make.id) as T | undefined;
    if (existing) return existing;
    this.nodes.set(make.id, make);
    return make;
  }

  getParent(element: CaptureNode): CaptureNode | undefined {
    return element.parent;
  }

  getChildren(element?: CaptureNode): CaptureNode[] {
    if (!element) return this.store.list().map((c) => this.node({ kind: 'capture', id: c.id, capture: c }));
    const c = element.capture;
    switch (element.kind) {
      case 'capture': {
        const loopIds = c.diagnosis.eventLoopThreadIds;
        const tasksNodes = [tasksTree(c.dump)]
          .filter((data): data is TaskNodeData => !!data)
          .map((data) =>
            this.node({ kind: 'tasks', id: `${c.id}/tasks`, capture: c, data, parent: element }),
          );
        const threads = [...c.dump.threads].sort(
          (a, b) => Number(loopIds.includes(b.osThreadId)) - Number(loopIds.includes(a.osThreadId)),
        );
        return [
          ...c.diagnosis.findings.map((finding, i) =>
            this.node({ kind: 'blocked', id: `${c.id}/blocked/${i}`, capture: c, finding, parent: element }),
          ),
          // The asyncio Tasks node before the threads; its "needs Python 3.14" note (older targets) after them.
          ...tasksNodes.filter((n) => n.data.kind !== 'note'),
          ...threads.map((thread) =>
            this.node({
              kind: 'thread',
              id: `${c.id}/t/${thread.osThreadId}`,
              capture: c,
              thread,
              eventLoop: loopIds.includes(thread.osThreadId),
              parent: element,
            }),
          ),
          ...tasksNodes.filter((n) => n.data.kind === 'note'),
        ];
      }
      case 'blocked':
        // Workers doing the same thing are one row: "waits for 5 threads · process_source (...)".
        return (element.finding.waitsForGroups ?? []).map((group, i) =>
          this.node({ kind: 'waited', id: `${element.id}/w/${i}`, capture: c, group, parent: element }),
        );
      case 'thread': {
        const unchanged =
          c.unchanged?.find((u) => u.osThreadId === element.thread.osThreadId)?.unchangedCount ?? 0;
        const frames = element.thread.frames;
        const out: CaptureNode[] = [];
        let hidden = 0;
        frames.forEach((frame, index) => {
          if (this.justMyCode && frame.library) {
            hidden++;
            return;
          }
          if (hidden > 0) {
            out.push(
              this.node({
                kind: 'hiddenFrames',
                id: `${element.id}/h/${index}`,
                capture: c,
                count: hidden,
                parent: element,
              }),
            );
            hidden = 0;
          }
          out.push(
            this.node({
              kind: 'frame',
              id: `${element.id}/f/${index}`,
              capture: c,
              thread: element.thread,
              frame,
              index,
              unchanged: index >= frames.length - unchanged,
              parent: element,
            }),
          );
        });
        if (hidden > 0) {
          out.push(
            this.node({
              kind: 'hiddenFrames',
              id: `${element.id}/h/end`,
              capture: c,
              count: hidden,
              parent: element,
            }),
          );
        }
        return out;
      }
      case 'tasks':
        return element.data.children.map((data) =>
          this.node({ kind: 'tasks', id: `${element.id}/${data.key}`, capture: c, data, parent: element }),
        );
      case 'frame':
        return (element.frame.locals ?? []).map((local, i) =>
          this.node({ kind: 'local', id: `${element.id}/l/${i}`, capture: c, local, parent: element }),
        );
      default:
        return [];
    }
  }

  /** The "Event loop blocked" node of a capture (for reveal), if any. */
  blockedNode(captureId: string): CaptureNode | undefined {
    const capture = this.getChildren().find((n) => n.id === captureId);
    return capture && this.getChildren(capture).find((n) => n.kind === 'blocked');
  }

  getTreeItem(n: CaptureNode): vscode.TreeItem {
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
        const item = new vscode.TreeItem(`${formatTime(c.capturedAt)}  ${where}${role}`, this.expandedFor(c));
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

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== FRAME_SCHEME) return undefined;
    const q = new URLSearchParams(uri.query);
    const unchanged = q.get('unchanged') === '1';
    const library = q.get('library') === '1';
    if (!unchanged && !library) return undefined;
    return {
      badge: unchanged ? '=' : undefined,
      tooltip: unchanged ? 'Did not move since the previous capture' : undefined,
      color: library ? new vscode.ThemeColor('disabledForeground') : undefined,
    };
  }

  /** The frame reference of a finding's user frame. */
  findingRef(c: Capture, f: BlockedLoopFinding): FrameRef | undefined {
    const t = c.dump.threads.find((x) => x.osThreadId === f.osThreadId);
    const idx = t?.frames.findIndex((fr) => !fr.library) ?? -1;
    return idx >= 0 ? { captureId: c.id, osThreadId: f.osThreadId, frameIndex: idx } : undefined;
  }

  /** Plain-data snapshot of what the tree shows (labels, descriptions, children), for tests and logs. */
  snapshot(depth = 3, element?: CaptureNode): SnapshotNode[] {
    return this.getChildren(element).map((n) => {
      const item = this.getTreeItem(n);
      const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
      return {
        kind: n.kind,
        label,
        description: typeof item.description === 'string' ? item.description : undefined,
        ...(depth > 1 ? { children: this.snapshot(depth - 1, n) } : {}),
      };
    });
  }

  private expandedFor(c: Capture): vscode.TreeItemCollapsibleState {
    return this.store.list()[0]?.id === c.id
      ? vscode.TreeItemCollapsibleState.Expanded
      : vscode.TreeItemCollapsibleState.Collapsed;
  }

  dispose(): void {
    this.unsubscribe();
    this.changeTree.dispose();
    this.changeDecorations.dispose();
  }
}

/** One node of {@link CapturesTreeProvider.snapshot}. */
export interface SnapshotNode {
  kind: CaptureNode['kind'];
  label: string;
  description?: string;
  children?: SnapshotNode[];
}
