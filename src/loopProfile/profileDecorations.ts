/**
 * Glue: the share of loop time on each hot line, as an inline annotation after the line, a tinted line and an
 * overview-ruler mark, with the static finding linked in the hover. A file's marks are dropped as soon as it
 * is edited (the lines no longer match the profile) and when a new profile replaces the old one.
 */
import * as vscode from 'vscode';
import { annotationText } from './report';
import type { Hotspot } from './types';

/** One hot line resolved to a local file. */
export interface LocalHotspot {
  path: string;
  hotspot: Hotspot;
}

export class ProfileDecorations implements vscode.Disposable {
  private readonly type = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    // A warm tint that reads on dark and light themes alike (no theme colour means "hot code").
    backgroundColor: 'rgba(255, 140, 0, 0.13)',
    overviewRulerColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground') },
  });
  /** fsPath -> its hot lines. */
  private byFile = new Map<string, LocalHotspot[]>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.type,
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.apply(e))),
      // Any edit shifts or changes lines: the marks of that file would point at the wrong code.
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.byFile.delete(e.document.uri.fsPath)) this.refresh();
      }),
    );
  }

  /** Replaces every mark with these hot lines. */
  set(hot: LocalHotspot[]): void {
    this.byFile = new Map();
    for (const h of hot) this.byFile.set(h.path, [...(this.byFile.get(h.path) ?? []), h]);
    this.refresh();
  }

  clear(): void {
    this.byFile.clear();
    this.refresh();
  }

  /** Files with marks and their lines (tests, logs). */
  marked(): { path: string; lines: number[] }[] {
    return [...this.byFile.entries()].map(([path, hs]) => ({ path, lines: hs.map((h) => h.hotspot.line) }));
  }

  private refresh(): void {
    for (const e of vscode.window.visibleTextEditors) this.apply(e);
  }

  private apply(editor: vscode.TextEditor): void {
    const hot = this.byFile.get(editor.document.uri.fsPath) ?? [];
    editor.setDecorations(
      this.type,
      hot
        .filter((h) => h.hotspot.line >= 1 && h.hotspot.line <= editor.document.lineCount)
        .map(({ hotspot: h }) => {
          const line = editor.document.lineAt(h.line - 1);
          const hover = new vscode.MarkdownString(
            `**Event loop blocked ${Math.round(h.share * 100)}% of the profiled time** (${h.seconds.toFixed(2)} s, ${h.samples} samples) ` +
              `on this line, in \`${h.call}\`.` +
              (h.static?.length
                ? `\n\n${h.static.map((s) => `- **${s.code}** (line ${s.line}): ${s.message}${s.fixable ? ' - quick fix available' : ''}`).join('\n')}`
                : ''),
          );
          return {
            range: line.range,
            hoverMessage: hover,
            renderOptions: { after: { contentText: annotationText(h) } },
          };
        }),
    );
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
