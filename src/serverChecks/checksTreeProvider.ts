/**
 * Glue: the "Checks" tree. URL → (before/after of the two newest runs of a kind) + runs → checklist items
 * with pass/fail icons; the stacks item opens the blocked line, and lists the captures (opened as JSON).
 */
import * as vscode from 'vscode';
import { processLabel } from './checklist';
import {
  clockTime as formatTime,
  type CheckRun,
  type ChecksStore,
  type Comparison,
  type ComparisonRow,
} from './checksStore';
import type { CheckItem, CheckStatus } from './types';

/** A node of the tree; `parent` links make `TreeView.reveal` work. */
export type ChecksNode =
  | { kind: 'url'; id: string; url: string; parent?: undefined }
  | { kind: 'compare'; id: string; comparison: Comparison; parent: ChecksNode }
  | { kind: 'compareRow'; id: string; row: ComparisonRow; parent: ChecksNode }
  | { kind: 'run'; id: string; run: CheckRun; parent: ChecksNode }
  | { kind: 'item'; id: string; run: CheckRun; item: CheckItem; parent: ChecksNode }
  | { kind: 'capture'; id: string; run: CheckRun; pid: number; parent: ChecksNode };

const ICON: Record<CheckStatus, [string, string]> = {
  pass: ['pass', 'testing.iconPassed'],
  fail: ['error', 'testing.iconFailed'],
  warn: ['warning', 'list.warningForeground'],
  skip: ['circle-slash', 'disabledForeground'],
  info: ['info', 'foreground'],
};
const MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '–', info: '·' };

/** The icon of a status. */
export function statusIcon(status: CheckStatus): vscode.ThemeIcon {
  const [id, color] = ICON[status];
  return new vscode.ThemeIcon(id, new vscode.ThemeColor(color));
}

/** Overall status of a run's verdict. */
export function verdictStatus(verdict: string): CheckStatus {
  return verdict === 'healthy' || verdict === 'pass' ? 'pass' : 'fail';
}

const TITLE: Record<CheckRun['kind'], string> = { triage: 'Triage', verify: 'Verify', watch: 'Watch caught' };

/** Tree data for a {@link ChecksStore}. */
export class ChecksTreeProvider implements vscode.TreeDataProvider<ChecksNode>, vscode.Disposable {
  private readonly changeTree = new vscode.EventEmitter<ChecksNode | undefined>();
  readonly onDidChangeTreeData = this.changeTree.event;
  // Node objects are cached per id so reveal() and refreshes see the same identities.
  private nodes = new Map<string, ChecksNode>();
  private readonly unsubscribe: () => void;

  constructor(private readonly store: ChecksStore) {
    this.unsubscribe = store.onChange(() => {
      this.nodes = new Map();
      this.changeTree.fire(undefined);
    });
  }

  private node<T extends ChecksNode>(n: T): T {
    const cached = this.nodes.get(n.id) as T | undefined;
    if (cached) return cached;
    this.nodes.set(n.id, n);
    return n;
  }

  /** The node of a run (for reveal). */
  runNode(runId: number): ChecksNode | undefined {
    const run = this.store.get(runId);
    if (!run) return undefined;
    const parent = this.node({ kind: 'url', id: `url:${run.url}`, url: run.url });
    return this.node({ kind: 'run', id: `run:${run.id}`, run, parent });
  }

  getChildren(el?: ChecksNode): ChecksNode[] {
    if (!el) return this.store.urls().map((url) => this.node({ kind: 'url', id: `url:${url}`, url }));
    switch (el.kind) {
      case 'url':
        return [
          ...this.store
            .comparisons(el.url)
            .map((comparison) =>
              this.node({ kind: 'compare', id: `cmp:${el.url}:${comparison.kind}`, comparison, parent: el }),
            ),
          ...this.store
            .runsOf(el.url)
            .map((run) => this.node({ kind: 'run', id: `run:${run.id}`, run, parent: el })),
        ];
      case 'compare':
        return el.comparison.rows.map((row) =>
          this.node({ kind: 'compareRow', id: `${el.id}:${row.id}`, row, parent: el }),
        );
      case 'run':
        return el.run.items.map((item) =>
          this.node({ kind: 'item', id: `item:${el.run.id}:${item.id}`, run: el.run, item, parent: el }),
        );
      case 'item':
        return el.item.id === 'stacks'
          ? el.run.result.captures.map((c) =>
              this.node({
                kind: 'capture',
                id: `cap:${el.run.id}:${c.pid}`,
                run: el.run,
                pid: c.pid,
                parent: el,
              }),
            )
          : [];
      default:
        return [];
    }
  }

  getParent(el: ChecksNode): ChecksNode | undefined {
    return el.parent;
  }

  getTreeItem(el: ChecksNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (el.kind) {
      case 'url': {
        const latest = this.store.runsOf(el.url)[0];
        const item = new vscode.TreeItem(el.url, C.Expanded);
        item.description = latest ? `${latest.verdict} · ${formatTime(latest.at)}` : '';
        item.iconPath = new vscode.ThemeIcon('server-process');
        item.contextValue = 'checksUrl';
        return item;
      }
      case 'compare': {
        const { before, after, kind } = el.comparison;
        const item = new vscode.TreeItem(`Before → after (${kind})`, C.Expanded);
        item.description = `${before.verdict} ${formatTime(before.at)} → ${after.verdict} ${formatTime(after.at)}`;
        item.iconPath = new vscode.ThemeIcon('compare-changes');
        item.tooltip = `The two newest ${kind} runs of ${el.comparison.url}, side by side.`;
        return item;
      }
      case 'compareRow': {
        const { before, after, label } = el.row;
        const item = new vscode.TreeItem(label, C.None);
        const side = (i?: CheckItem): string => (i ? `${MARK[i.status]} ${i.detail}` : '—');
        item.description = `${side(before)}  │  ${side(after)}`;
        item.tooltip = new vscode.MarkdownString(
          `**${label}**\n\nbefore: ${side(before)}\n\nafter: ${side(after)}`,
        );
        item.iconPath = statusIcon(after?.status ?? before?.status ?? 'info');
        return item;
      }
      case 'run': {
        const { run } = el;
        const item = new vscode.TreeItem(
          `${TITLE[run.kind]} ${formatTime(run.at)}`,
          this.store.list()[0]?.id === run.id ? C.Expanded : C.Collapsed,
        );
        item.description = run.verdict.toUpperCase();
        item.iconPath = statusIcon(verdictStatus(run.verdict));
        item.contextValue = run.kind === 'watch' ? 'checkRunWatch' : 'checkRun';
        item.tooltip = `${TITLE[run.kind]} of ${run.url} at ${run.at.toLocaleString()} (${run.result.durationMs} ms)`;
        return item;
      }
      case 'item': {
        const { item: check } = el;
        const hasCaptures = check.id === 'stacks' && el.run.result.captures.length > 0;
        const item = new vscode.TreeItem(check.label, hasCaptures ? C.Expanded : C.None);
        item.description = check.detail;
        item.tooltip = `${check.label}: ${check.detail}`;
        item.iconPath = statusIcon(check.status);
        if (check.location) {
          item.contextValue = 'checkBlocked';
          item.command = {
            command: 'backendHang.checks.openLocation',
            title: 'Open the Blocked Line',
            arguments: [el],
          };
        }
        return item;
      }
      case 'capture': {
        const c = el.run.result.captures.find((x) => x.pid === el.pid)!;
        const item = new vscode.TreeItem(`py-spy capture of ${processLabel(c)}`, C.None);
        item.description = `${c.capture.threads.length} threads · ${c.capture.findings.length ? 'event loop blocked' : 'loop not blocked'}`;
        item.iconPath = new vscode.ThemeIcon('json');
        item.command = { command: 'backendHang.checks.showCapture', title: 'Open Capture', arguments: [el] };
        return item;
      }
    }
  }

  /** Plain-data rendering of the tree down to `depth` levels (integration tests). */
  snapshot(depth = 3, nodes = this.getChildren()): ChecksSnapshotNode[] {
    return nodes.map((n) => {
      const t = this.getTreeItem(n);
      const icon = t.iconPath instanceof vscode.ThemeIcon ? t.iconPath.id : undefined;
      const kids = depth > 1 ? this.getChildren(n) : [];
      return {
        kind: n.kind,
        label: typeof t.label === 'string' ? t.label : (t.label?.label ?? ''),
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        ...(icon ? { icon } : {}),
        ...(kids.length ? { children: this.snapshot(depth - 1, kids) } : {}),
      };
    });
  }

  dispose(): void {
    this.unsubscribe();
    this.changeTree.dispose();
  }
}

/** One node of {@link ChecksTreeProvider.snapshot}. */
export interface ChecksSnapshotNode {
  kind: ChecksNode['kind'];
  label: string;
  description?: string;
  icon?: string;
  children?: ChecksSnapshotNode[];
}
