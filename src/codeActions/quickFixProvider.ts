/**
 * Editor glue for the quick fixes: a CodeActionProvider (lightbulb fixes on Backend Hang diagnostics, a
 * `source.fixAll.backendHang` action for `editor.codeActionsOnSave`) and the "Fix All in File" command.
 * All logic lives in the pure ./fixes module; this file only converts offsets to vscode ranges and edits.
 */
import * as vscode from 'vscode';
import type { DiagnosticsController } from '../diagnostics/diagnosticsController';
import { analyze } from '../diagnostics/analyze';
import type { Finding } from '../diagnostics/types';
import { createPythonParser, type Parser } from '../python/treeSitter';
import { log } from '../log';
import { fixesFor, fixOptionsFor, type FixOptions, type TextEdit } from './fixes';
import { fixAll } from './fixAll';
import { noFixReason } from './fixStatus';
import { parseVersionSetting, pythonVersionForFile, resolvePythonVersion } from './pythonVersion';
import { isTestFile } from './applicability';
import { ConfigResolver } from '../config/discovery';

const SOURCE = 'backend-hang';
const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('backendHang');
// Internal (not in the palette): run by the "Why is there no automatic fix?" quick fix.
const EXPLAIN_COMMAND = 'backendHang.explainNoAutomaticFix';

/** One replace edit covering what differs between `before` and `after` (keeps cursor and markers elsewhere). */
export function minimalEdit(before: string, after: string): TextEdit | undefined {
  if (before === after) return undefined;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (
    end < max - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  )
    end++;
  return { start, end: before.length - end, newText: after.slice(start, after.length - end) };
}

function diagnosticCode(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  if (c === undefined) return undefined;
  return typeof c === 'object' ? String(c.value) : String(c);
}

/** Provides the Backend Hang code actions and the fix-all command; disposes its registrations and parser. */
export class QuickFixProvider implements vscode.CodeActionProvider, vscode.Disposable {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND];

  private readonly disposables: vscode.Disposable[] = [];
  private parser: Promise<Parser> | undefined;
  private disposed = false;

  // The diagnostics controller is not needed: the provider re-analyses the document's current text, so a
  // fix never works from findings computed for an older version of it (diagnostics are debounced).
  constructor(_context: vscode.ExtensionContext, _diagnostics: DiagnosticsController) {
    this.disposables.push(
      vscode.languages.registerCodeActionsProvider({ language: 'python' }, this, {
        providedCodeActionKinds: QuickFixProvider.providedCodeActionKinds,
      }),
      vscode.commands.registerCommand('backendHang.fixAllInFile', (uri?: vscode.Uri) =>
        this.fixAllCommand(uri),
      ),
      vscode.commands.registerCommand(EXPLAIN_COMMAND, (message: string) => {
        log.info(message);
        void vscode.window.showInformationMessage(message);
      }),
    );
  }

  dispose(): void {
    this.disposed = true;
    this.disposables.forEach((d) => d.dispose());
    // The parser lives in wasm memory: free it once any pending creation has finished.
    void this.parser?.then((p) => p.delete()).catch(() => undefined);
    this.parser = undefined;
  }

  private getParser(): Promise<Parser> {
    this.parser ??= createPythonParser().catch((err: unknown) => {
      this.parser = undefined;
      throw err;
    });
    return this.parser;
  }

  // pyproject.toml / backend-hang.toml, the same files the CLI reads; re-read at most every 2 s (a code action
  // request comes with every cursor move, an edit to the config file should count soon after it is saved).
  private resolver = { at: 0, value: new ConfigResolver() };
  private get projectConfig(): ConfigResolver {
    if (Date.now() - this.resolver.at > 2000)
      this.resolver = { at: Date.now(), value: new ConfigResolver({ warn: (m) => log.warn(m) }) };
    return this.resolver.value;
  }

  /**
   * Fix options for a document: VS Code settings set by the user win; else the project's config file
   * (`http-timeout`, `target-version`, `requires-python`); else the defaults.
   */
  private optionsFor(document: vscode.TextDocument, text: string): FixOptions {
    const config = vscode.workspace.getConfiguration('backendHang', document.uri);
    const setting = config.get<string>('pythonVersion', '');
    const isFile = document.uri.scheme === 'file';
    const project = isFile ? this.projectConfig.forFile(document.uri.fsPath) : undefined;
    const timeout = config.inspect<number>('fix.httpTimeoutSeconds');
    const timeoutSet = timeout?.workspaceFolderValue ?? timeout?.workspaceValue ?? timeout?.globalValue;
    const pythonVersion = parseVersionSetting(setting)
      ? resolvePythonVersion(setting, undefined)
      : (project?.targetVersion ??
        (isFile
          ? pythonVersionForFile(document.uri.fsPath, setting)
          : resolvePythonVersion(setting, undefined)));
    return fixOptionsFor(text, {
      pythonVersion,
      httpTimeoutSeconds: timeoutSet ?? project?.httpTimeout ?? 10,
      eol: document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n',
      log: (m) => log.debug(m),
      testFile:
        isFile &&
        isTestFile(
          document.uri.fsPath,
          project?.file ? project.root : vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath,
        ),
    });
  }

  private toWorkspaceEdit(document: vscode.TextDocument, edits: readonly TextEdit[]): vscode.WorkspaceEdit {
    // All edits in one WorkspaceEdit: VS Code applies them as a single undo step.
    const edit = new vscode.WorkspaceEdit();
    for (const e of edits) {
      edit.replace(
        document.uri,
        new vscode.Range(document.positionAt(e.start), document.positionAt(e.end)),
        e.newText,
      );
    }
    return edit;
  }

  async provideCodeActions(
    document: vscode.TextDocument,
    range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.CodeAction[]> {
    const wantFixAll = context.only?.contains(FIX_ALL_KIND) ?? false;
    const wantQuickFix = !context.only || context.only.contains(vscode.CodeActionKind.QuickFix);
    const ours = context.diagnostics.filter((d) => d.source === SOURCE && d.range.intersection(range));
    if (!wantFixAll && !(wantQuickFix && ours.length > 0)) return [];
    let parser: Parser;
    try {
      parser = await this.getParser();
    } catch (err) {
      log.error(`Quick fixes unavailable: the Python grammar did not load: ${String(err)}`);
      return [];
    }
    if (token.isCancellationRequested || this.disposed) return [];
    const text = document.getText();
    const options = this.optionsFor(document, text);
    const actions: vscode.CodeAction[] = [];
    if (wantFixAll) {
      const result = fixAll(text, parser, options);
      const edit = minimalEdit(text, result.text);
      if (edit) {
        const action = new vscode.CodeAction(
          `Fix all Backend Hang problems (${result.applied.length})`,
          FIX_ALL_KIND,
        );
        action.edit = this.toWorkspaceEdit(document, [edit]);
        actions.push(action);
      }
    }
    if (wantQuickFix && ours.length > 0) {
      const tree = parser.parse(text);
      if (!tree) return actions;
      try {
        const findings = analyze(tree, text);
        for (const d of ours) {
          const finding = matchFinding(findings, d) ?? chainFinding(document, d);
          if (!finding) continue;
          const why = noFixReason(finding);
          if (why) {
            // A rule that has no automatic fix for this shape says why, like a declined fix does.
            const action = new vscode.CodeAction(
              `Why is there no automatic fix for ${finding.code} here?`,
              vscode.CodeActionKind.QuickFix,
            );
            action.diagnostics = [d];
            action.command = {
              title: action.title,
              command: EXPLAIN_COMMAND,
              arguments: [
                `Backend Hang: no automatic fix for ${finding.code} at line ${d.range.start.line + 1}: ${why}.`,
              ],
            };
            actions.push(action);
          }
          for (const fix of fixesFor(finding, tree, text, options)) {
            const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
            action.diagnostics = [d];
            if (fix.disabled) {
              // VS Code hides disabled quick fixes from the lightbulb menu, so the reason is offered as an
              // action of its own: choosing it shows why this shape has no automatic fix.
              const line = d.range.start.line + 1;
              action.title = `Why is there no automatic fix for ${fix.code} here?`;
              action.command = {
                title: action.title,
                command: EXPLAIN_COMMAND,
                arguments: [
                  `Backend Hang: no automatic fix for ${fix.code} at line ${line}: ${fix.disabled}.`,
                ],
              };
              actions.push(action);
              continue;
            }
            action.edit = this.toWorkspaceEdit(document, fix.edits);
            action.isPreferred = fix.preferred;
            actions.push(action);
          }
        }
        // Only when fix-all would change something (a finding whose main fix applies and is safe: fix-all,
        // like fix-all on save, applies safe fixes only; the unsafe ones are the per-diagnostic quick fixes).
        const fixable = findings.some(
          (f) =>
            f.fixable &&
            fixesFor(f, tree, text, { ...options, log: undefined }).some(
              (a) => a.preferred && a.applicability === 'safe',
            ),
        );
        if (fixable) {
          const all = new vscode.CodeAction(
            'Fix all Backend Hang problems in this file',
            vscode.CodeActionKind.QuickFix,
          );
          all.command = { title: all.title, command: 'backendHang.fixAllInFile', arguments: [document.uri] };
          actions.push(all);
        }
      } finally {
        tree.delete();
      }
    }
    return actions;
  }

  /** "Backend Hang: Fix All in File": returns how many fixes were applied (0 when none). */
  private async fixAllCommand(uri?: vscode.Uri): Promise<number> {
    const document = uri
      ? await vscode.workspace.openTextDocument(uri)
      : vscode.window.activeTextEditor?.document;
    if (!document || document.languageId !== 'python') {
      if (!uri) void vscode.window.showInformationMessage('Backend Hang: open a Python file to fix.');
      return 0;
    }
    const parser = await this.getParser();
    const text = document.getText();
    const result = fixAll(text, parser, this.optionsFor(document, text));
    const edit = minimalEdit(text, result.text);
    if (!edit) {
      if (!uri)
        void vscode.window.showInformationMessage(
          'Backend Hang: no automatically fixable problems in this file.',
        );
      return 0;
    }
    const version = document.version;
    if (!(await vscode.workspace.applyEdit(this.toWorkspaceEdit(document, [edit])))) {
      log.warn(`Fix all: the edit to ${document.uri.toString()} was not applied (version ${version}).`);
      return 0;
    }
    log.info(`Fix all: applied ${result.applied.length} fix(es) in ${document.uri.fsPath}`);
    return result.applied.length;
  }
}

/** The finding behind a diagnostic: same rule, same range (else the same rule overlapping it). */
function matchFinding(findings: readonly Finding[], d: vscode.Diagnostic): Finding | undefined {
  const code = diagnosticCode(d);
  const same = findings.filter((f) => f.code === code);
  const exact = same.find(
    (f) =>
      f.range.start.row === d.range.start.line &&
      f.range.start.column === d.range.start.character &&
      f.range.end.row === d.range.end.line &&
      f.range.end.column === d.range.end.character,
  );
  return (
    exact ?? same.find((f) => f.range.start.row <= d.range.end.line && f.range.end.row >= d.range.start.line)
  );
}

/**
 * BHD007 comes from the project index (DiagnosticsController), not from re-analysing this one file: its
 * diagnostic is the finding (the fix only needs the call's span).
 */
function chainFinding(document: vscode.TextDocument, d: vscode.Diagnostic): Finding | undefined {
  if (diagnosticCode(d) !== 'BHD007') return undefined;
  return {
    code: 'BHD007',
    range: {
      start: { row: d.range.start.line, column: d.range.start.character },
      end: { row: d.range.end.line, column: d.range.end.character },
    },
    startIndex: document.offsetAt(d.range.start),
    endIndex: document.offsetAt(d.range.end),
    message: d.message.split('\n')[0] ?? '',
    detail: '',
    fixable: true,
  };
}
