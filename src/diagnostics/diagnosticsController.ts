/**
 * Editor glue for the diagnostics: keeps one incrementally parsed tree per open Python document, runs the pure
 * rules (./analyze) debounced after each change, publishes them to a DiagnosticCollection, and implements
 * "Backend Hang: Check Workspace". Findings become vscode diagnostics in ./toDiagnostics.
 */
import * as vscode from 'vscode';
import { log } from '../log';
import { createPythonParser, type Parser } from '../python/treeSitter';
import { AnalysisCache, analyze, checkSource } from './analyze';
import { excludeGlob, fileSeverity, parseDiagnosticsConfig, type DiagnosticsConfig } from './config';
import { ConfigResolver } from '../config/discovery';
import { IncrementalParse } from './incrementalParse';
import { ProjectIndexController } from './projectIndexController';
import { ruleDocPath } from './rules';
import type { Finding, RuleCode } from './types';
import { DIAGNOSTIC_SOURCE, toDiagnostics } from './toDiagnostics';
import { isStub } from './pythonFiles';

/** Quiet time after the last keystroke before re-analysing. */
const DEBOUNCE_MS = 150;

/** Per open document: its tree and the pending debounce timer. */
interface DocumentState {
  /** Undefined while the grammar is still loading. */
  parse: IncrementalParse | undefined;
  /** Findings of unchanged top-level statements, reused on the next analysis. */
  cache: AnalysisCache;
  timer: NodeJS.Timeout | undefined;
  /** The other rules' findings of the last analysis, and BHD007's of the last chain run (./projectIndexController). */
  own: readonly Finding[];
  chains: readonly Finding[];
  chainTimer: NodeJS.Timeout | undefined;
}

/** Quiet time after the last keystroke before BHD007 is recomputed (it summarises the whole file). */
const CHAIN_DEBOUNCE_MS = 500;

/** Result of one Check Workspace run (also the command's return value, for tests and other features). */
export interface CheckWorkspaceResult {
  files: number;
  filesWithFindings: number;
  findings: number;
  cancelled: boolean;
}

/** Owns the Backend Hang DiagnosticCollection, the per-document trees and the Check Workspace command. */
export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  private readonly disposables: vscode.Disposable[] = [];
  private readonly documents = new Map<string, DocumentState>();
  /** All-rule findings per URI (open documents and files checked by Check Workspace). */
  private readonly findings = new Map<string, { uri: vscode.Uri; findings: readonly Finding[] }>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private parser: Promise<Parser> | undefined;
  private config: DiagnosticsConfig;
  private disposed = false;
  private readonly index: ProjectIndexController;

  /** Fires after the findings of a document or file were (re)computed or cleared. */
  readonly onDidChangeFindings: vscode.Event<vscode.Uri> = this.changed.event;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.config = readConfig();
    this.index = new ProjectIndexController(
      () => this.getParser(),
      () => excludeGlob(this.config),
    );
    this.disposables.push(
      this.index,
      // A helper changed (edit, save, file event): BHD007 of every open document may change.
      this.index.onDidChange(() => {
        for (const doc of vscode.workspace.textDocuments) {
          const state = this.documents.get(doc.uri.toString());
          if (state?.parse) this.scheduleChains(doc, state, 0);
        }
      }),
      this.collection,
      this.changed,
      vscode.workspace.onDidOpenTextDocument((doc) => this.open(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.change(e)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.close(doc)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('backendHang')) this.refresh();
      }),
      vscode.commands.registerCommand('backendHang.checkWorkspace', () => this.checkWorkspace()),
    );
    for (const doc of vscode.workspace.textDocuments) this.open(doc);
  }

  /** The current findings for `uri` (rules switched off in the settings are left out). */
  getFindings(uri: vscode.Uri): readonly Finding[] {
    const entry = this.findings.get(uri.toString());
    if (!entry) return [];
    const severity = this.severityFor(uri);
    return entry.findings.filter((f) => severity[f.code] !== 'off');
  }

  dispose(): void {
    this.disposed = true;
    for (const state of this.documents.values()) this.disposeState(state);
    this.documents.clear();
    this.findings.clear();
    for (const d of this.disposables) d.dispose();
    // The parser lives in wasm memory: free it once nothing can use it any more.
    void this.parser?.then((p) => p.delete()).catch(() => undefined);
  }

  private getParser(): Promise<Parser> {
    // Lazy: the grammar is only loaded once a Python document shows up.
    this.parser ??= createPythonParser().catch((err: unknown) => {
      this.parser = undefined;
      throw err;
    });
    return this.parser;
  }

  private wanted(doc: vscode.TextDocument): boolean {
    if (doc.languageId !== 'python' || !this.config.enable || isStub(doc.uri.path)) return false;
    // Real files and new buffers only: not the read-only copies behind diff editors (git:, etc.).
    if (!['file', 'untitled', 'vscode-remote', 'vscode-vfs'].includes(doc.uri.scheme)) return false;
    return !this.config.exclude.some((pattern) => vscode.languages.match({ pattern }, doc) > 0);
  }

  private open(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    if (this.documents.has(key) || !this.wanted(doc)) return;
    // Reserve the slot synchronously so edits arriving while the grammar loads are not lost: they are
    // covered by the full parse of the then-current text below.
    const placeholder: DocumentState = {
      parse: undefined,
      cache: new AnalysisCache(),
      timer: undefined,
      own: [],
      chains: [],
      chainTimer: undefined,
    };
    this.documents.set(key, placeholder);
    void this.getParser().then(
      (parser) => {
        if (this.disposed || this.documents.get(key) !== placeholder) return;
        placeholder.parse = new IncrementalParse(parser, doc.getText());
        this.publish(doc, placeholder);
        this.scheduleChains(doc, placeholder, 0);
      },
      (err: unknown) => {
        this.documents.delete(key);
        log.error(`Backend Hang could not load the Python grammar: ${String(err)}`);
      },
    );
  }

  private change(e: vscode.TextDocumentChangeEvent): void {
    const state = this.documents.get(e.document.uri.toString());
    if (!state || e.contentChanges.length === 0) return;
    if (!state.parse) return; // still loading: the initial parse reads the newest text
    // Edits are recorded on the old tree right away (cheap); the re-parse waits for a pause in typing.
    state.parse.applyChanges(e.contentChanges);
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (this.documents.get(e.document.uri.toString()) === state && state.parse && !e.document.isClosed) {
        state.parse.reparse(e.document.getText());
        this.publish(e.document, state);
      }
    }, DEBOUNCE_MS);
    this.scheduleChains(e.document, state, CHAIN_DEBOUNCE_MS);
  }

  private close(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const state = this.documents.get(key);
    if (state) {
      this.disposeState(state);
      this.documents.delete(key);
    }
    this.findings.delete(key);
    this.collection.delete(doc.uri);
    this.changed.fire(doc.uri);
  }

  private disposeState(state: DocumentState): void {
    if (state.timer) clearTimeout(state.timer);
    if (state.chainTimer) clearTimeout(state.chainTimer);
    state.timer = undefined;
    state.chainTimer = undefined;
    state.parse?.dispose();
  }

  /** Analyses the document's current tree and publishes the result. */
  private publish(doc: vscode.TextDocument, state: DocumentState): void {
    const tree = state.parse?.tree;
    if (!tree) return;
    const started = performance.now();
    const findings = analyze(tree, doc.getText(), { cache: state.cache });
    log.debug(
      `analyzed ${vscode.workspace.asRelativePath(doc.uri)} v${doc.version}: ${findings.length} finding(s) in ` +
        `${(performance.now() - started).toFixed(1)} ms`,
    );
    state.own = findings;
    this.setFindings(doc.uri, merge(findings, state.chains));
  }

  /**
   * BHD007 on the document's current tree, after `delay` ms: off the keystroke path (it summarises the whole
   * file), and again whenever the index reports a changed helper. Until it runs, the last chain findings stay.
   */
  private scheduleChains(doc: vscode.TextDocument, state: DocumentState, delay: number): void {
    if (state.chainTimer) clearTimeout(state.chainTimer);
    state.chainTimer = setTimeout(() => {
      state.chainTimer = undefined;
      if (this.disposed || doc.isClosed || this.documents.get(doc.uri.toString()) !== state) return;
      // Edits not yet re-parsed: the tree does not match the text; the pending publish reschedules.
      if (state.timer) return this.scheduleChains(doc, state, CHAIN_DEBOUNCE_MS);
      const parse = state.parse;
      if (!parse?.tree) return;
      if (parse.isBounded) {
        // Keystrokes parsed only the edited statement (IncrementalParse). Now idle: catch the whole tree up,
        // unless the statement is mid-edit with a syntax error (an open bracket), where a whole-file parse
        // would be error recovery over everything after it; BHD007 then waits for the next pause.
        if (parse.tree.rootNode.hasError) return;
        parse.full(doc.getText());
        this.publish(doc, state);
      }
      const tree = parse.tree;
      if (!tree) return;
      void this.getParser().then((parser) => {
        if (this.documents.get(doc.uri.toString()) !== state || state.timer || state.parse?.tree !== tree)
          return;
        const started = performance.now();
        try {
          state.chains = this.index.chainFindings(doc, tree, parser);
        } catch (err) {
          log.warn(`BHD007 on ${doc.uri.fsPath} failed: ${String(err)}`);
          state.chains = [];
        }
        log.debug(
          `BHD007 ${vscode.workspace.asRelativePath(doc.uri)}: ${state.chains.length} finding(s) in ` +
            `${(performance.now() - started).toFixed(1)} ms`,
        );
        this.setFindings(doc.uri, merge(state.own, state.chains));
      });
    }, delay);
  }

  private setFindings(uri: vscode.Uri, findings: readonly Finding[]): void {
    this.findings.set(uri.toString(), { uri, findings });
    this.collection.set(uri, this.toDiagnostics(findings, uri));
    this.changed.fire(uri);
  }

  // The project's pyproject.toml / backend-hang.toml (as the CLI reads them), re-read at most every 2 s.
  private resolver = { at: 0, value: new ConfigResolver() };
  private severityFor(uri: vscode.Uri): ReturnType<typeof fileSeverity> {
    if (uri.scheme !== 'file') return this.config.severity;
    if (Date.now() - this.resolver.at > 2000)
      this.resolver = { at: Date.now(), value: new ConfigResolver({ warn: (m) => log.warn(m) }) };
    const project = this.resolver.value.forFile(uri.fsPath);
    // No config file: the settings alone. A file the project's `exclude` names is not checked (like Ruff's
    // editor integration).
    if (!project.file) return this.config.severity;
    if (project.excluded) return fileSeverity(this.config, { select: new Set(), severity: project.severity });
    return fileSeverity(this.config, project);
  }

  private toDiagnostics(findings: readonly Finding[], uri?: vscode.Uri): vscode.Diagnostic[] {
    return toDiagnostics(findings, uri ? this.severityFor(uri) : this.config.severity, (code) =>
      this.docUri(code),
    );
  }

  private docUri(code: RuleCode): vscode.Uri {
    return vscode.Uri.joinPath(this.context.extensionUri, ...ruleDocPath(code).split('/'));
  }

  /** Settings changed: re-read them, drop documents no longer wanted, re-publish everything else. */
  private refresh(): void {
    this.config = readConfig();
    log.info('Backend Hang settings changed: refreshing diagnostics');
    for (const doc of vscode.workspace.textDocuments) {
      const key = doc.uri.toString();
      const state = this.documents.get(key);
      if (!this.wanted(doc)) {
        if (state) this.close(doc);
        else if (this.findings.has(key)) {
          this.findings.delete(key);
          this.collection.delete(doc.uri);
        }
      } else if (state?.parse) {
        this.publish(doc, state);
      } else {
        this.open(doc);
      }
    }
    // Files checked by Check Workspace but not open: re-apply severities from the stored findings.
    if (!this.config.enable) this.collection.clear();
    for (const [key, entry] of this.findings) {
      if (!this.documents.has(key)) {
        this.collection.set(
          entry.uri,
          this.config.enable ? this.toDiagnostics(entry.findings, entry.uri) : [],
        );
      }
    }
  }

  /** "Backend Hang: Check Workspace": every Python file, excludes respected, cancellable. */
  async checkWorkspace(): Promise<CheckWorkspaceResult> {
    const result: CheckWorkspaceResult = { files: 0, filesWithFindings: 0, findings: 0, cancelled: false };
    if (!this.config.enable) {
      void vscode.window.showInformationMessage(
        'Backend Hang diagnostics are disabled (setting backendHang.diagnostics.enable).',
      );
      return result;
    }
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: 'Backend Hang: checking workspace',
        cancellable: true,
      },
      async (progress, token) => {
        const files = await vscode.workspace.findFiles('**/*.py', excludeGlob(this.config), undefined, token);
        const openDocs = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
        const decoder = new TextDecoder('utf-8');
        const started = performance.now();
        for (const [i, uri] of files.entries()) {
          if (token.isCancellationRequested || this.disposed) {
            result.cancelled = true;
            break;
          }
          progress.report({ message: vscode.workspace.asRelativePath(uri), increment: 100 / files.length });
          result.files++;
          const key = uri.toString();
          let findings: readonly Finding[];
          if (this.documents.has(key)) {
            findings = this.findings.get(key)?.findings ?? []; // open: the live analysis is newer than disk
          } else {
            try {
              const doc = openDocs.get(key);
              const text = doc ? doc.getText() : decoder.decode(await vscode.workspace.fs.readFile(uri));
              findings = await checkSource(text, { project: await this.index.project(), file: uri.fsPath });
            } catch (err) {
              log.warn(`Check Workspace: could not read ${uri.fsPath}: ${String(err)}`);
              continue;
            }
            this.setFindings(uri, findings);
          }
          const shown = findings.filter((f) => this.config.severity[f.code] !== 'off').length;
          if (shown > 0) result.filesWithFindings++;
          result.findings += shown;
          // Let the extension host breathe (and see cancellation) on big workspaces.
          if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
        }
        log.info(
          `Check Workspace: ${result.findings} finding(s) in ${result.filesWithFindings} of ${result.files} file(s), ` +
            `${(performance.now() - started).toFixed(0)} ms${result.cancelled ? ' (cancelled)' : ''}`,
        );
      },
    );
    return result;
  }
}

function readConfig(): DiagnosticsConfig {
  const section = vscode.workspace.getConfiguration('backendHang');
  return parseDiagnosticsConfig(
    (key) => section.get(key),
    (key) => {
      const i = section.inspect(key);
      return (
        i?.globalValue !== undefined ||
        i?.workspaceValue !== undefined ||
        i?.workspaceFolderValue !== undefined
      );
    },
  );
}

/** The other rules' findings and BHD007's, in position order. */
function merge(own: readonly Finding[], chains: readonly Finding[]): readonly Finding[] {
  if (chains.length === 0) return own;
  return [...own, ...chains].sort(
    (a, b) => a.startIndex - b.startIndex || a.endIndex - b.endIndex || a.code.localeCompare(b.code),
  );
}
