/**
 * Glue: the "py-spy Captures" tree. capture -> (Event loop blocked) + threads -> frames -> locals.
 * Library frames are dimmed and "did not move" frames badged through a FileDecorationProvider keyed on a
 * private `backendhang-frame:` URI (tree items have no other way to colour their label). Each node's item is
 * made by ./captureTreeItem.
 */
import * as vscode from 'vscode';
import type { Capture, CaptureStore } from './captureStore';
import type { BlockedLoopFinding } from './types';
import { tasksTree, type TaskNodeData } from '../asyncTasks/tasksTree';
import { type CaptureNode, type FrameRef, FRAME_SCHEME, captureTreeItem } from './captureTreeItem';

export type { CaptureNode, FrameRef } from './captureTreeItem';

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
    return captureTreeItem(n, (c) => this.expandedFor(c));
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
