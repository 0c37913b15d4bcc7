/**
 * Glue: the "Loop Profile" view. One node per profiled process (`pid 4242 · loop blocked 63%`), under it the
 * user lines that blocked the loop, ranked, each with its share, the call under it and its static finding;
 * a click opens the line.
 */
import * as vscode from 'vscode';
import type { ProcessProfile } from './profileProcess';
import type { Hotspot } from './types';

export type ProfileNode =
  | { kind: 'process'; id: string; profile: ProcessProfile }
  | { kind: 'hotspot'; id: string; profile: ProcessProfile; hotspot: Hotspot; rank: number }
  | { kind: 'note'; id: string; profile: ProcessProfile; text: string };

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const base = (f: string): string => f.replace(/\\/g, '/').split('/').pop() ?? f;

export class ProfileTreeProvider implements vscode.TreeDataProvider<ProfileNode>, vscode.Disposable {
  private readonly change = new vscode.EventEmitter<ProfileNode | undefined>();
  readonly onDidChangeTreeData = this.change.event;
  private profiles: ProcessProfile[] = [];

  set(profiles: ProcessProfile[]): void {
    this.profiles = profiles;
    this.change.fire(undefined);
  }

  list(): readonly ProcessProfile[] {
    return this.profiles;
  }

  getChildren(element?: ProfileNode): ProfileNode[] {
    if (!element)
      return this.profiles.map((profile) => ({ kind: 'process', id: `p${profile.pid}`, profile }));
    if (element.kind !== 'process') return [];
    const p = element.profile;
    if (!p.profile.loop)
      return [{ kind: 'note', id: `${element.id}/n`, profile: p, text: 'No event-loop thread found' }];
    if (p.profile.hotspots.length === 0)
      return [
        { kind: 'note', id: `${element.id}/n`, profile: p, text: 'No line of your code kept the loop busy' },
      ];
    return p.profile.hotspots.map((hotspot, i) => ({
      kind: 'hotspot',
      id: `${element.id}/h${i}`,
      profile: p,
      hotspot,
      rank: i + 1,
    }));
  }

  getTreeItem(n: ProfileNode): vscode.TreeItem {
    switch (n.kind) {
      case 'process': {
        const loop = n.profile.profile.loop;
        const who =
          n.profile.role === 'worker' && n.profile.workerIndex ? ` (worker ${n.profile.workerIndex})` : '';
        const item = new vscode.TreeItem(
          `pid ${n.profile.pid}${who}`,
          vscode.TreeItemCollapsibleState.Expanded,
        );
        item.id = n.id;
        item.description = loop
          ? `loop blocked ${pct(loop.busyShare)} of ${n.profile.profile.durationS} s`
          : 'no event loop found';
        const busy = (loop?.busyShare ?? 0) >= 0.2;
        item.iconPath = new vscode.ThemeIcon(
          busy ? 'flame' : 'pass',
          new vscode.ThemeColor(busy ? 'errorForeground' : 'testing.iconPassed'),
        );
        item.tooltip = loop
          ? `Event loop (thread ${loop.thread}, ${loop.signal}) blocked ${pct(loop.busyShare)} of ${n.profile.profile.samples} samples` +
            (loop.frameworkShare ? `; ${pct(loop.frameworkShare)} in server/framework code` : '') +
            `\n${n.profile.commandLine ?? ''}\npy-spy: ${n.profile.pyspy.path}`
          : 'No thread of this process ran an asyncio/uvloop event loop during the profile.';
        item.contextValue = 'loopProfile.process';
        return item;
      }
      case 'hotspot': {
        const h = n.hotspot;
        const item = new vscode.TreeItem(
          `${pct(h.share)}  ${h.function}`,
          vscode.TreeItemCollapsibleState.None,
        );
        item.id = n.id;
        const stat = h.static?.[0];
        item.description = `${h.call} · ${base(h.file)}:${h.line}${stat ? ` · ${stat.code}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(
          'debug-stackframe',
          new vscode.ThemeColor(n.rank <= 2 ? 'errorForeground' : 'editorWarning.foreground'),
        );
        item.tooltip = new vscode.MarkdownString(
          `**#${n.rank}: ${pct(h.share)} of the loop's time** (${h.seconds.toFixed(2)} s) in \`${h.call}\`\n\n\`${h.file}:${h.line}\`` +
            (h.static?.length
              ? `\n\n${h.static.map((s) => `- **${s.code}** line ${s.line}: ${s.message}`).join('\n')}`
              : ''),
        );
        item.contextValue = 'loopProfile.hotspot';
        if (h.localPath) {
          const pos = new vscode.Position(Math.max(0, h.line - 1), 0);
          item.command = {
            command: 'vscode.open',
            title: 'Open Line',
            arguments: [vscode.Uri.file(h.localPath), { selection: new vscode.Range(pos, pos) }],
          };
        }
        return item;
      }
      case 'note': {
        const item = new vscode.TreeItem(n.text, vscode.TreeItemCollapsibleState.None);
        item.id = n.id;
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
    }
  }

  /** Plain-data snapshot (tests). */
  snapshot(): { label: string; description?: string; children: { label: string; description?: string }[] }[] {
    const plain = (n: ProfileNode): { label: string; description?: string } => {
      const it = this.getTreeItem(n);
      return {
        label: String(typeof it.label === 'string' ? it.label : it.label?.label),
        description: it.description as string | undefined,
      };
    };
    return this.getChildren().map((n) => ({ ...plain(n), children: this.getChildren(n).map(plain) }));
  }

  dispose(): void {
    this.change.dispose();
  }
}
