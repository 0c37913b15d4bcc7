/**
 * Editor glue for BHD007's project index (./callGraph/projectIndex): one index over the workspace folders,
 * read through open editors first (unsaved helpers count), warmed in the background after activation
 * (cancellable, progress in the status bar), kept current on edits, saves and file events. Fires
 * `onDidChange` when a Python file changed, so the diagnostics controller re-runs BHD007 on the open files:
 * a change to a helper updates the squiggles of the files that call it.
 */
import * as vscode from 'vscode';
import { log } from '../log';
import type { Parser, Tree } from '../python/treeSitter';
import { ProjectIndex, readDisk } from './callGraph/projectIndex';
import { applyNoqa } from './noqa';
import type { Finding } from './types';

/** Quiet time after the last change before the open files' BHD007 findings are recomputed. */
const CHANGE_DEBOUNCE_MS = 400;

export class ProjectIndexController implements vscode.Disposable {
  private index: ProjectIndex;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changedEmitter = new vscode.EventEmitter<void>();
  private readonly status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 0);
  private build: vscode.CancellationTokenSource | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Python files changed in a way that may change BHD007 findings elsewhere. */
  readonly onDidChange: vscode.Event<void> = this.changedEmitter.event;

  constructor(
    private readonly getParser: () => Promise<Parser>,
    private readonly exclude: () => string | undefined,
  ) {
    this.index = this.createIndex();
    this.status.name = 'Backend Hang index';
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
    const onFileEvent = (uri: vscode.Uri): void => {
      this.index.invalidate(uri.fsPath);
      this.fireSoon();
    };
    this.disposables.push(
      this.changedEmitter,
      this.status,
      watcher,
      watcher.onDidCreate(onFileEvent),
      watcher.onDidDelete(onFileEvent),
      watcher.onDidChange(onFileEvent),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.languageId !== 'python' || e.contentChanges.length === 0) return;
        this.index.changed(e.document.uri.fsPath);
        this.fireSoon();
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (doc.languageId === 'python') onFileEvent(doc.uri);
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.index = this.createIndex();
        this.fireSoon();
        void this.buildInBackground();
      }),
    );
    void this.buildInBackground();
  }

  /** The index (for Check Workspace; its parser is set on first use). */
  async project(): Promise<ProjectIndex> {
    this.index.parser ??= await this.getParser();
    return this.index;
  }

  /** BHD007 findings of an open document from its current tree (noqa applied); [] for non-file documents. */
  chainFindings(doc: vscode.TextDocument, tree: Tree, parser: Parser): Finding[] {
    if (doc.uri.scheme !== 'file') return [];
    const text = doc.getText();
    this.index.parser ??= parser;
    if (!this.index.mayHaveChains(doc.uri.fsPath, text)) return [];
    return applyNoqa(tree, text, this.index.findings(doc.uri.fsPath, text, tree));
  }

  dispose(): void {
    this.build?.cancel();
    this.build?.dispose();
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }

  private createIndex(): ProjectIndex {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    // Open editors first: an unsaved change to a helper counts at once.
    const open = (file: string): string | undefined =>
      vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file)?.getText();
    return new ProjectIndex({ roots, readText: (file) => open(file) ?? readDisk(file) });
  }

  private fireSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changedEmitter.fire();
    }, CHANGE_DEBOUNCE_MS);
  }

  /**
   * Summarises, in the background, the workspace files that can have a BHD007 finding and the modules they
   * reach, so the first squiggles and Check Workspace do not wait for it. Yields to the extension host
   * between files; cancelled by a newer build or on dispose.
   */
  private async buildInBackground(): Promise<void> {
    this.build?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.build = cts;
    const token = cts.token;
    const started = performance.now();
    try {
      const index = await this.project();
      const files = await vscode.workspace.findFiles('**/*.py', this.exclude(), undefined, token);
      const decoder = new TextDecoder('utf-8');
      let done = 0;
      for (const uri of files) {
        if (token.isCancellationRequested) return;
        done++;
        this.status.text = `$(sync~spin) Backend Hang: indexing ${done}/${files.length}`;
        this.status.tooltip =
          'Backend Hang: summarising Python files for BHD007 (blocking calls across files)';
        this.status.show();
        const text = decoder.decode(await vscode.workspace.fs.readFile(uri));
        if (index.mayHaveChains(uri.fsPath, text)) index.findings(uri.fsPath, text);
        await new Promise((r) => setImmediate(r));
      }
      log.info(
        `Backend Hang: indexed ${files.length} Python file(s) for BHD007 (${index.builds} summarised) in ` +
          `${(performance.now() - started).toFixed(0)} ms`,
      );
    } catch (err) {
      log.warn(`Backend Hang: background index stopped: ${String(err)}`);
    } finally {
      if (this.build === cts) {
        this.status.hide();
        this.build = undefined;
      }
      cts.dispose();
    }
  }
}
