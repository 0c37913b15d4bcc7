/**
 * Glue: "Backend Hang: Triage Server…", "Backend Hang: Verify Fix…" and the Checks view. Picks the URL
 * (setting, else the listening uvicorn), runs the pure orchestration with a progress notification, records
 * each run in the Checks tree, and offers Show/Fix when a capture found the blocked line.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from '../log';
import { captureServer } from './captureServer';
import { ChecksStore, type CheckRequest, type CheckRun } from './checksStore';
import { ChecksTreeProvider, type ChecksNode } from './checksTreeProvider';
import { discoverLocalServers, findListener } from './listener';
import { parseServerSettings, type ServerSettings } from './settings';
import { BadUrlError, isLoopbackUrl, normalizePath, normalizeUrl } from './target';
import { runTriage } from './triage';
import type { CaptureFn, CheckItem, TriageResult, VerifyResult } from './types';
import { runVerify, VERIFY_DEFAULTS, type VerifyOptions } from './verify';

/** Arguments of `backendHang.triageServer` (tests, keybindings); without them the command asks. */
export interface TriageArgs {
  url?: string;
  healthPaths?: string[];
  timeoutMs?: number;
  /** No progress notification, no result notification, no reveal (tests). */
  silent?: boolean;
}

/** Arguments of `backendHang.verifyFix`. */
export interface VerifyArgs extends Partial<Omit<VerifyOptions, 'url'>> {
  url?: string;
  silent?: boolean;
}

/** Reads `backendHang.server.*` / `backendHang.watch.*`. */
export function readServerSettings(): ServerSettings {
  const c = vscode.workspace.getConfiguration('backendHang');
  return parseServerSettings((k) => c.get(k));
}

/** Owns the Checks view and the triage/verify commands; the watch records its captures here too. */
export class ChecksController implements vscode.Disposable {
  readonly store = new ChecksStore();
  private readonly tree = new ChecksTreeProvider(this.store);
  private readonly view: vscode.TreeView<ChecksNode>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.view = vscode.window.createTreeView('backendHang.checks', {
      treeDataProvider: this.tree,
      showCollapseAll: true,
    });
    const cmd = (id: string, fn: (...args: never[]) => unknown): void => {
      this.disposables.push(vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown));
    };
    cmd('backendHang.triageServer', (a?: TriageArgs) => this.triage(a));
    cmd('backendHang.verifyFix', (a?: VerifyArgs) => this.verify(a));
    cmd('backendHang.checks.rerun', (n?: ChecksNode) => this.rerun(n));
    cmd('backendHang.checks.openLocation', (n?: ChecksNode | CheckItem['location']) =>
      this.openLocation(locationOf(n)),
    );
    cmd('backendHang.checks.fixBlocked', (n?: ChecksNode) =>
      this.fixAt(locationOf(n) ?? this.latestLocation()),
    );
    cmd('backendHang.checks.showCapture', (n?: ChecksNode) => this.showCapture(n));
    cmd('backendHang.checks.remove', (n?: ChecksNode) => n?.kind === 'run' && this.store.remove(n.run.id));
    cmd('backendHang.checks.clear', () => this.store.clear());
    // Not in the palette: the tree as plain data, and the runs (tests).
    cmd('backendHang.checks.snapshot', (depth?: number) => this.tree.snapshot(depth ?? 3));
    cmd('backendHang.checks.list', () => [...this.store.list()]);
    this.disposables.push(this.tree, this.view);
  }

  /** The capture the editor uses: py-spy beside the server's Python first, else the configured one / PATH. */
  readonly capture: CaptureFn = (listener) => {
    const c = vscode.workspace.getConfiguration('backendHang');
    return captureServer(listener, {
      pyspyPath: c.get<string>('pyspy.path', '').trim() || undefined,
      pathEnv: process.env.PATH,
      timeoutMs: c.get<number>('pyspy.timeoutSeconds', 30) * 1000,
    });
  };

  /**
   * The URL to check: an explicit one (argument or setting), else the listening uvicorn (asked when several).
   * Other hosts than this machine only when `backendHang.server.url` names them (see README).
   */
  async pickUrl(given: string | undefined, title: string, ask: boolean): Promise<string | undefined> {
    const settings = readServerSettings();
    let url: string | undefined;
    try {
      url = given ? normalizeUrl(given) : settings.url ? normalizeUrl(settings.url) : undefined;
    } catch (err) {
      if (!(err instanceof BadUrlError)) throw err;
      void vscode.window.showErrorMessage(`Backend Hang: ${err.message}`);
      return undefined;
    }
    if (!url) {
      const servers = await discoverLocalServers().catch(() => []);
      if (servers.length === 1 && !ask) url = servers[0].url;
      else if (servers.length > 1) {
        const pick = await vscode.window.showQuickPick(
          [
            ...servers.map((s) => ({
              label: s.url,
              description: `pid ${s.pid} (${s.role})`,
              detail: s.command,
            })),
            { label: 'Another URL…', description: '', detail: undefined },
          ],
          { title, placeHolder: 'Which server?' },
        );
        if (!pick) return undefined;
        url = pick.label === 'Another URL…' ? undefined : pick.label;
      }
      if (!url && ask) {
        const typed = await vscode.window.showInputBox({
          title,
          value: servers[0]?.url ?? 'http://127.0.0.1:8000',
          prompt: 'Server URL (127.0.0.1/localhost; other hosts need the backendHang.server.url setting)',
          validateInput: (v) => {
            try {
              normalizeUrl(v);
              return undefined;
            } catch (err) {
              return err instanceof Error ? err.message : String(err);
            }
          },
        });
        if (!typed) return undefined;
        url = normalizeUrl(typed);
      }
      if (!url) return undefined;
    }
    const explicit = settings.url && normalizeUrl(settings.url) === url;
    if (!isLoopbackUrl(url) && !explicit) {
      // Probing is requests to a server, and verify opens and drops streams: never at a host nobody chose.
      const open = await vscode.window.showWarningMessage(
        `Backend Hang probes only this machine without asking. To check ${new URL(url).host}, set backendHang.server.url to ${url}.`,
        'Open Settings',
      );
      if (open)
        void vscode.commands.executeCommand('workbench.action.openSettings', 'backendHang.server.url');
      return undefined;
    }
    return url;
  }

  /** Runs a triage (asks for the URL when none is given or set). */
  async triage(a: TriageArgs = {}): Promise<TriageResult | undefined> {
    const url = await this.pickUrl(a.url, 'Backend Hang: Triage Server', !a.url && !a.silent);
    if (!url) return undefined;
    const healthPaths = (a.healthPaths ?? readServerSettings().healthPaths).map(normalizePath);
    return this.runTriageRequest(
      { kind: 'triage', url, healthPaths, timeoutMs: a.timeoutMs ?? 5000 },
      a.silent,
    );
  }

  private async runTriageRequest(
    req: Extract<CheckRequest, { kind: 'triage' }>,
    silent?: boolean,
  ): Promise<TriageResult> {
    const result = await this.withProgress(`Triage ${req.url}`, silent, () =>
      runTriage(
        { url: req.url, healthPaths: req.healthPaths, timeoutMs: req.timeoutMs },
        { findListener: (p) => findListener(p), capture: this.capture },
      ),
    );
    const run = this.store.add(result, req);
    log.info(`triage ${req.url}: ${result.verdict} in ${result.durationMs} ms`);
    for (const f of result.captureFailures) log.warn(`capture of pid ${f.pid} failed: ${f.message}`);
    if (!silent) {
      await this.reveal(run);
      void this.notify(run);
    }
    return result;
  }

  /** Runs a verify (asks for the URL and the stream path when not given or set). */
  async verify(a: VerifyArgs = {}): Promise<VerifyResult | undefined> {
    const url = await this.pickUrl(a.url, 'Backend Hang: Verify Fix', !a.url && !a.silent);
    if (!url) return undefined;
    const settings = readServerSettings();
    let streamPath = a.streamPath ?? settings.streamPath;
    if (!streamPath && !a.silent) {
      streamPath =
        (await vscode.window.showInputBox({
          title: 'Backend Hang: Verify Fix',
          prompt:
            'Path of the streaming endpoint to open and abort (set backendHang.server.streamPath to skip this)',
          placeHolder: '/news/stream',
        })) ?? '';
    }
    if (!streamPath) return undefined;
    const { url: _drop, silent, ...rest } = a;
    void _drop;
    const options: Omit<VerifyOptions, 'url'> = {
      healthPath: settings.healthPaths[0] ?? VERIFY_DEFAULTS.healthPath,
      ...rest,
      streamPath: normalizePath(streamPath),
    };
    return this.runVerifyRequest({ kind: 'verify', url, options }, silent);
  }

  private async runVerifyRequest(
    req: Extract<CheckRequest, { kind: 'verify' }>,
    silent?: boolean,
  ): Promise<VerifyResult> {
    const result = await this.withProgress(`Verify ${req.url}${req.options.streamPath}`, silent, () =>
      runVerify(
        { url: req.url, ...req.options },
        { findListener: (p) => findListener(p), capture: this.capture },
      ),
    );
    const run = this.store.add(result, req);
    log.info(
      `verify ${req.url}: ${result.verdict} in ${result.durationMs} ms${result.error ? ` (${result.error})` : ''}`,
    );
    if (!silent) {
      await this.reveal(run);
      void this.notify(run);
    }
    return result;
  }

  /** Runs a recorded check again with the same options. */
  private async rerun(n?: ChecksNode): Promise<unknown> {
    const run = n && 'run' in n ? n.run : this.store.list()[0];
    if (!run) return undefined;
    const req = run.request;
    if (req.kind === 'verify') return this.runVerifyRequest(req);
    return this.runTriageRequest({
      kind: 'triage',
      url: req.url,
      healthPaths: req.healthPaths,
      timeoutMs: req.timeoutMs,
    });
  }

  private withProgress<T>(title: string, silent: boolean | undefined, fn: () => Promise<T>): Thenable<T> {
    return vscode.window.withProgress(
      {
        location: silent ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification,
        title: `Backend Hang: ${title}…`,
      },
      fn,
    );
  }

  /** Shows a run in the Checks view (expanded). */
  async reveal(run: CheckRun): Promise<void> {
    const node = this.tree.runNode(run.id);
    if (node)
      await this.view
        .reveal(node, { expand: true, select: true, focus: false })
        .then(undefined, () => undefined);
  }

  /** The result notification: Show / Fix when the blocked line is known. */
  async notify(run: CheckRun): Promise<void> {
    const loc = run.items.find((i) => i.location)?.location;
    if (run.verdict === 'healthy' || run.verdict === 'pass') {
      const msg =
        run.kind === 'verify'
          ? `Verify passed: ${(run.result as VerifyResult).healthPath} kept answering through every aborted stream.`
          : `${run.url} is healthy.`;
      void vscode.window.showInformationMessage(`Backend Hang: ${msg}`);
      return;
    }
    const head = loc
      ? hangMessage(run)
      : `${run.url}: ${run.verdict} — ${run.items.find((i) => i.status === 'fail')?.detail ?? ''}`;
    const actions = loc ? ['Show', 'Fix'] : ['Show'];
    const choice = await vscode.window.showWarningMessage(`Backend Hang: ${head}`, ...actions);
    if (choice === 'Show') await this.show(run);
    if (choice === 'Fix' && loc) await this.fixAt(loc);
  }

  /** Reveals the run and opens the blocked line. */
  async show(run: CheckRun): Promise<void> {
    await this.reveal(run);
    const loc = run.items.find((i) => i.location)?.location;
    if (loc) await this.openLocation(loc);
  }

  /** Opens a file at a line (from a capture: the local absolute path py-spy reported). */
  async openLocation(loc: CheckItem['location']): Promise<vscode.TextEditor | undefined> {
    if (!loc) return undefined;
    const range = new vscode.Range(loc.line - 1, 0, loc.line - 1, 0);
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(loc.file));
      return await vscode.window.showTextDocument(doc, { selection: range, preview: false });
    } catch {
      void vscode.window.showWarningMessage(
        `Backend Hang: ${loc.file} is not on this machine (a container path?).`,
      );
      return undefined;
    }
  }

  /** Opens the blocked line and the quick fix menu there (the BHD fix for `with ThreadPoolExecutor`). */
  async fixAt(loc: CheckItem['location']): Promise<void> {
    const editor = await this.openLocation(loc);
    if (!editor) return;
    const line = editor.document.lineAt(editor.selection.active.line);
    const col = line.firstNonWhitespaceCharacterIndex;
    editor.selection = new vscode.Selection(line.lineNumber, col, line.lineNumber, col);
    await vscode.commands.executeCommand('editor.action.quickFix');
  }

  private latestLocation(): CheckItem['location'] {
    for (const r of this.store.list()) {
      const loc = r.items.find((i) => i.location)?.location;
      if (loc) return loc;
    }
    return undefined;
  }

  /** Opens one capture as JSON (the shape `backend-hang dump --format json` prints). */
  private async showCapture(n?: ChecksNode): Promise<void> {
    if (n?.kind !== 'capture') return;
    const c = n.run.result.captures.find((x) => x.pid === n.pid);
    if (!c) return;
    const doc = await vscode.workspace.openTextDocument({
      language: 'json',
      content: JSON.stringify(c.capture, null, 2),
    });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** "Server hung: event loop blocked in X at file:line". */
export function hangMessage(run: CheckRun): string {
  const finding = run.result.capture?.capture.findings[0];
  const loc = finding?.frame;
  return finding && loc
    ? `Server hung: event loop blocked in ${finding.blockingCall} at ${path.basename(loc.file)}:${loc.line}`
    : `Server hung: ${run.url} does not answer.`;
}

function locationOf(n: ChecksNode | CheckItem['location'] | undefined): CheckItem['location'] {
  if (!n) return undefined;
  if ('file' in n) return n;
  if (n.kind === 'item') return n.item.location;
  if (n.kind === 'run') return n.run.items.find((i) => i.location)?.location;
  return undefined;
}
