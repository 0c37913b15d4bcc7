/**
 * Glue: the inline "event loop blocked here, captured HH:MM:SS" marks on the lines to fix. Recomputed from the
 * captures whenever they change: each blocked finding marks its line to fix, unless a later capture of the same
 * process (same source and pid, or the same server command line: a --reload restart has a new pid) is not
 * blocked, or the file was edited since the capture (the mark would describe code that is gone).
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { formatTime, processKey, type Capture } from './captureStore';
import { resolveFramePath, type ResolveContext } from './pathMapping';
import { lineToFix } from './staticLink';

export type Mark = { line: number; text: string };

export class BlockedMarks implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.stackFrameHighlightBackground'),
    after: { color: new vscode.ThemeColor('errorForeground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    overviewRulerColor: new vscode.ThemeColor('errorForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
  });
  /** Marks per file URI. */
  private marks = new Map<string, Mark[]>();
  /** When each file (URI) was last edited after it got a mark: captures older than that mark nothing there. */
  private readonly editedSince = new Map<string, number>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly captures: () => readonly Capture[],
    private readonly contextOf: (c: Capture) => Omit<ResolveContext, 'exists'>,
  ) {
    this.subscriptions = [
      this.decoration,
      vscode.window.onDidChangeVisibleTextEditors(() => this.apply()),
      vscode.workspace.onDidChangeTextDocument((e) => this.onDocumentChanged(e)),
    ];
  }

  /** The marks per file URI (tests, the blockedLines command). */
  get current(): ReadonlyMap<string, Mark[]> {
    return this.marks;
  }

  recompute(): void {
    const lines = new Map<string, Mark[]>();
    const captures = this.captures(); // newest first
    for (const [i, c] of [...captures].entries()) {
      const newer = captures.slice(0, i);
      const sameProcess = (o: Capture): boolean =>
        processKey(o) === processKey(c) ||
        (!!o.commandLine && o.commandLine === c.commandLine && o.cwd === c.cwd);
      if (newer.some((o) => sameProcess(o) && o.diagnosis.findings.length === 0)) continue;
      for (const f of c.diagnosis.findings) {
        const fix = lineToFix(f);
        if (!fix) continue;
        const local = resolveFramePath(fix.file, {
          exists: existsSync,
          workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((w) => w.uri.fsPath),
          ...this.contextOf(c),
        });
        if (local.kind === 'unresolved' || local.kind === 'ambiguous') continue;
        const key = vscode.Uri.file(local.path).toString();
        if (this.editedSince.has(key) && this.editedSince.get(key)! >= c.capturedAt.getTime()) continue;
        const list = lines.get(key) ?? [];
        if (list.some((l) => l.line === fix.line)) continue; // the newest capture's mark wins
        list.push({
          line: fix.line,
          // The time first: it is what the mark shows and what survives a narrow editor.
          text: `event loop blocked here, captured ${formatTime(c.capturedAt)} (${f.blockingCall})`,
        });
        lines.set(key, list);
      }
    }
    this.marks = lines;
    this.apply();
  }

  /** A file changed after a capture: its marks describe code that is no longer there. */
  private onDocumentChanged(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    const key = e.document.uri.toString();
    if (!this.marks.has(key)) return;
    this.editedSince.set(key, Date.now());
    this.recompute();
  }

  apply(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const marks = this.marks.get(editor.document.uri.toString()) ?? [];
      editor.setDecorations(
        this.decoration,
        marks
          .filter((m) => m.line >= 1 && m.line <= editor.document.lineCount)
          .map((m) => ({
            range: editor.document.lineAt(m.line - 1).range,
            renderOptions: { after: { contentText: m.text } },
            hoverMessage: new vscode.MarkdownString(`**Backend Hang:** ${m.text}`),
          })),
      );
    }
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }
}
