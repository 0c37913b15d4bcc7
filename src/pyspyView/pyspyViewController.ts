/**
 * Glue: "Backend Hang: Capture py-spy Dump" and the py-spy Captures view. Picks the uvicorn process (/proc),
 * finds py-spy, runs it with a cancellable progress, turns every typed failure into an action, shows the
 * capture in the tree, and links the blocked user frame to the editor (reveal, highlight, the BHD quick fix
 * one click away, an inline "event loop blocked here" decoration).
 */
import * as vscode from 'vscode';
import type { DiagnosticsController } from '../diagnostics/diagnosticsController';
import { log } from '../log';
import { listAllTargets, pickTarget } from '../captureSources/targetPicker';
import { captureContainer } from '../captureSources/docker';
import { needsRootToCapture } from '../captureSources/sudoCapture';
import { copyCaptureText, saveCaptureJson } from './captureExport';
import { activeInterpreter, readSettings } from './pyspySettings';
import { pySpyAvailable } from './pyspyPreflight';
import { BlockedMarks } from './blockedMarks';
import { frameOfRef, openFrame, readFrameSourceLine } from './frameLinks';
import { CaptureErrorActions } from './captureErrors';
import { CaptureStore, type Capture } from './captureStore';
import { CapturesTreeProvider, type CaptureNode, type FrameRef } from './capturesTreeProvider';
import type { PathMapping } from './pathMapping';
import { findLocalServers } from '../captureSources/processTable';
import { captureProcess, hostPySpy, type ProcessCapture } from './captureProcess';
import { checkSource } from '../diagnostics/analyze';
import { PySpyPermissionError } from './runner';
import type { ProcessCandidate } from './types';

/** Arguments `backendHang.captureDump` accepts besides nothing (picker): a pid, or options. */
export type CaptureArgs =
  number | { pid?: number; container?: string; locals?: boolean; native?: boolean; silent?: boolean };

const JUST_MY_CODE_KEY = 'backendHang.justMyCode';

/** Owns the captures view, its commands and the editor decoration. */
export class PySpyViewController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  // The diagnosis names C calls made straight from a user line (time.sleep, lock.acquire) from the line's text.
  private readonly store = new CaptureStore(20, {
    sourceLine: (file, line) => this.readSourceLine(file, line),
  });
  private readonly tree: CapturesTreeProvider;
  private readonly view: vscode.TreeView<CaptureNode>;
  /** The inline "event loop blocked here" marks on the lines to fix. */
  private readonly marks = new BlockedMarks(
    () => this.store.list(),
    (c) => this.processContext(c),
  );
  private readonly errors = new CaptureErrorActions((target, dump, raw, capturedAt) =>
    this.addCapture(target, dump, raw, capturedAt),
  );

  constructor(
    private readonly context: vscode.ExtensionContext,
    _diagnostics: DiagnosticsController,
  ) {
    this.tree = new CapturesTreeProvider(this.store);
    this.view = vscode.window.createTreeView('backendHang.captures', {
      treeDataProvider: this.tree,
      showCollapseAll: true,
    });
    const justMyCode = context.workspaceState.get<boolean>(JUST_MY_CODE_KEY, false);
    this.tree.setJustMyCode(justMyCode);
    void vscode.commands.executeCommand('setContext', JUST_MY_CODE_KEY, justMyCode);
    const cmd = (id: string, fn: (...args: never[]) => unknown): void => {
      this.disposables.push(vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown));
    };
    cmd('backendHang.captureDump', (arg?: CaptureArgs) => this.captureCommand(arg));
    cmd('backendHang.captureAllWorkers', () => this.captureAllWorkers());
    cmd('backendHang.refreshCapture', (node?: CaptureNode) => this.refresh(node));
    cmd('backendHang.copyCapture', (node?: CaptureNode) => this.copyCapture(node));
    cmd('backendHang.saveCaptureJson', (node?: CaptureNode, target?: vscode.Uri) =>
      this.saveCaptureJson(node, target),
    );
    cmd('backendHang.removeCapture', (node?: CaptureNode) => node && this.store.remove(node.capture.id));
    cmd('backendHang.clearCaptures', () => this.store.clear());
    cmd('backendHang.justMyCodeOn', () => this.setJustMyCode(true));
    cmd('backendHang.justMyCodeOff', () => this.setJustMyCode(false));
    cmd('backendHang.revealFrame', (ref?: FrameRef | CaptureNode) => this.revealFrame(ref));
    cmd('backendHang.showBlockedQuickFix', (node?: CaptureNode) => this.showQuickFix(node));
    cmd('backendHang.captures.snapshot', (depth?: number) => this.tree.snapshot(depth ?? 3));
    // Not in the palette: for tests and keybinding authors (the stored captures, newest first).
    cmd('backendHang.captures.list', () => [...this.store.list()]);
    // Not in the palette: the inline "event loop blocked here" marks per file URI (tests).
    cmd('backendHang.captures.blockedLines', () => Object.fromEntries(this.marks.current));
    this.disposables.push(
      this.tree,
      this.view,
      this.marks,
      vscode.window.registerFileDecorationProvider(this.tree),
      // Decorations follow the captures: removing/clearing captures removes their marks.
      { dispose: this.store.onChange(() => this.marks.recompute()) },
    );
  }

  // ---------------------------------------------------------------------------------------------- capture

  private async captureCommand(arg?: CaptureArgs): Promise<Capture | undefined> {
    const opts = typeof arg === 'number' ? { pid: arg } : arg;
    const run = { locals: opts?.locals, native: opts?.native, silent: opts?.silent };
    if (opts?.container !== undefined) {
      return this.captureOne({ pid: opts.pid ?? 0, container: opts.container }, run);
    }
    if (opts?.pid !== undefined) {
      const known = (await findLocalServers().catch(() => [])).find((c) => c.pid === opts.pid);
      return this.captureOne(known ?? { pid: opts.pid }, run);
    }
    const targets = await listAllTargets(readSettings().dockerPath);
    // py-spy first: a picker followed by "py-spy was not found" wastes the person's pick. Containers bring
    // their own py-spy (or get a copy), so only local processes need one here.
    if (!targets.some((t) => t.container) && !(await pySpyAvailable(readSettings(), this.errors)))
      return undefined;
    if (targets.length === 0) {
      const pid = await vscode.window.showInputBox({
        title: 'Capture py-spy Dump',
        prompt:
          'No uvicorn, gunicorn or hypercorn process found here or in a Docker container. Enter the pid of the Python process to dump.',
        validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'A process id (digits)'),
      });
      return pid ? this.captureOne({ pid: Number(pid.trim()) }, run) : undefined;
    }
    const picked = await pickTarget(targets);
    if (!picked) return undefined;
    if (picked === 'all') {
      const all = await this.captureAllWorkers();
      return all.find((c) => c.diagnosis.findings.length > 0) ?? all[0];
    }
    return this.captureOne({ ...picked.candidate, pid: picked.pid, container: picked.container }, run);
  }

  private async captureAllWorkers(): Promise<Capture[]> {
    const workers = (await findLocalServers()).filter((c) => c.serving);
    const out: Capture[] = [];
    // One at a time: py-spy pauses each process while it reads it; parallel dumps gain little on 2 cores.
    for (const w of workers) {
      const c = await this.captureOne(w, { reveal: false });
      if (c) out.push(c);
    }
    // The worker that is stuck is what the person is looking for, whichever order the dumps came in.
    const shown = out.find((c) => c.diagnosis.findings.length > 0) ?? out[out.length - 1];
    if (shown) this.revealCapture(shown);
    void vscode.window.setStatusBarMessage(
      `py-spy: ${out.length} worker${out.length === 1 ? '' : 's'} dumped, ${
        out.filter((c) => c.diagnosis.findings.length > 0).length
      } with a blocked event loop`,
      5000,
    );
    return out;
  }

  private async refresh(node?: CaptureNode): Promise<Capture | undefined> {
    const last = node?.capture ?? this.store.list()[0];
    if (!last) return this.captureCommand();
    if (last.origin?.kind === 'file' || last.origin?.kind === 'clipboard') return this.captureCommand();
    return this.captureOne(
      {
        pid: last.pid,
        role: last.role,
        workerIndex: last.workerIndex,
        commandLine: last.commandLine,
        container: last.origin?.container,
      },
      {},
    );
  }

  private async captureOne(
    target: Pick<ProcessCandidate, 'pid'> & Partial<ProcessCandidate> & { container?: string },
    opts: { locals?: boolean; native?: boolean; silent?: boolean; reveal?: boolean; copyPySpy?: boolean },
  ): Promise<Capture | undefined> {
    const settings = readSettings();
    const interpreter = await activeInterpreter();
    const runOpts = {
      timeoutMs: settings.timeoutSeconds * 1000,
      locals: opts.locals ?? settings.locals,
      native: opts.native ?? settings.native,
      nonblocking: settings.nonblocking,
    };
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    let pyspyUsed = settings.pyspyPath || 'py-spy';
    const base = {
      ...runOpts,
      configured: settings.pyspyPath || undefined,
      interpreterPath: interpreter,
      pathEnv: process.env.PATH,
      // py-spy beside a server started from the workspace is workspace code: trusted workspaces only.
      useTargetEnvironment: vscode.workspace.isTrusted,
      mappings: settings.pathMappings,
      workspaceFolders: folders,
      check: (source: string) => Promise.resolve(checkSource(source)),
    };
    const container = target.container;
    if (!container && needsRootToCapture()) {
      // macOS: py-spy always needs root; a terminal with sudo is the flow, its result opens by itself.
      this.errors.runInTerminalWithSudo(hostPySpy(base) ?? 'py-spy', target.pid);
      void vscode.window.setStatusBarMessage(
        'py-spy needs root on macOS: type your password in the terminal',
        8000,
      );
      return undefined;
    }
    try {
      const captures = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: container
            ? `py-spy dump in container ${container}…`
            : `py-spy dump of process ${target.pid}…`,
          cancellable: true,
        },
        (_progress, token) => {
          // The token cancels the py-spy child through an AbortSignal (execa kills it).
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort());
          const run = container
            ? captureContainer(container, {
                ...base,
                signal: abort.signal,
                pid: target.pid || undefined,
                docker: settings.dockerPath || undefined,
                copyPySpy: opts.copyPySpy,
                hostPySpy: opts.copyPySpy ? hostPySpy(base) : undefined,
              })
            : captureProcess(target.pid, { ...base, signal: abort.signal }, target).then((c) => [c]);
          return run.finally(() => sub.dispose());
        },
      );
      let first: Capture | undefined;
      for (const captured of captures) {
        if (captured.pyspy) {
          pyspyUsed = captured.pyspy.path;
          log.info(`py-spy: ${captured.pyspy.path} (from ${captured.pyspy.source})`);
        }
        const added = this.addCapture(
          container ? captured : target,
          captured.dump,
          captured.raw,
          captured.capturedAt,
          opts.reveal !== false && !first,
          {
            diagnosis: captured.diagnosis,
            rootPrefix: captured.rootPrefix,
            cwd: captured.cwd,
            source: captured.pyspy
              ? `py-spy ${captured.pyspy.path} (${captured.pyspy.source})`
              : captured.origin?.label,
            origin: captured.origin,
            mappings: captured.mappings,
          },
        );
        first ??= added;
      }
      return first;
    } catch (err) {
      if (err instanceof PySpyPermissionError)
        return this.errors.onPermissionError(err, pyspyUsed, target, runOpts, new Date(), opts.silent);
      this.errors.retryWithCopy = container
        ? () => void this.captureOne(target, { ...opts, copyPySpy: true })
        : undefined;
      this.errors.reportError(err, { path: pyspyUsed, interpreter }, target.pid, opts.silent);
      return undefined;
    }
  }

  /** Adds captures made elsewhere (a dump file, the clipboard) to the view; the first is revealed. */
  addImported(captures: ProcessCapture[]): Capture[] {
    const out = captures.map((c, i) =>
      this.addCapture({ pid: c.pid, commandLine: c.commandLine }, c.dump, c.raw, c.capturedAt, i === 0, {
        diagnosis: c.diagnosis,
        source: c.origin?.label,
        origin: c.origin,
        mappings: c.mappings,
        cwd: c.cwd,
      }),
    );
    return out;
  }

  removeCapture(id: string): void {
    this.store.remove(id);
  }

  /** The capture a command acts on: the node's, else the newest. */
  captureFor(node?: CaptureNode): Capture | undefined {
    return this.pick(node);
  }

  private addCapture(
    target: Partial<ProcessCandidate> & { pid: number },
    dump: Capture['dump'],
    raw: string,
    capturedAt: Date,
    reveal = true,
    extra: Pick<Capture, 'rootPrefix' | 'cwd' | 'source' | 'origin' | 'mappings'> & {
      diagnosis?: Capture['diagnosis'];
    } = {},
  ): Capture {
    const capture = this.store.add({
      pid: target.pid,
      role: target.role,
      workerIndex: target.workerIndex,
      commandLine: target.commandLine,
      capturedAt,
      dump,
      raw,
      ...extra,
    });
    const findings = capture.diagnosis.findings;
    log.info(
      `Captured pid ${capture.pid}: ${dump.threads.length} threads; ${findings.length ? findings.map((f) => f.message).join(' | ') : 'event loop not blocked'}`,
    );
    if (reveal) this.revealCapture(capture);
    return capture;
  }

  /** Shows a capture in the tree: its "Event loop blocked" node when there is one (select, no focus). */
  private revealCapture(capture: Capture): void {
    const blocked = this.tree.blockedNode(capture.id);
    const first = this.tree.getChildren().find((n) => n.id === capture.id);
    const target2 = blocked ?? first;
    if (target2)
      void this.view
        .reveal(target2, { select: true, focus: false, expand: true })
        .then(undefined, () => undefined);
  }

  // --------------------------------------------------------------------------------- copy / save / toggle

  private pick(node?: CaptureNode): Capture | undefined {
    return node?.capture ?? this.store.list()[0];
  }

  private async copyCapture(node?: CaptureNode): Promise<string | undefined> {
    const c = this.pick(node);
    return c && copyCaptureText(c);
  }

  private async saveCaptureJson(node?: CaptureNode, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const c = this.pick(node);
    return c && saveCaptureJson(c, target);
  }

  private setJustMyCode(on: boolean): void {
    this.tree.setJustMyCode(on);
    void this.context.workspaceState.update(JUST_MY_CODE_KEY, on);
    void vscode.commands.executeCommand('setContext', JUST_MY_CODE_KEY, on);
  }

  // -------------------------------------------------------------------------------------- editor linking

  /** Where a capture's process finds its files: under its root (chroot/container), relative to its cwd. */
  processContext(capture?: Capture): { rootPrefix?: string; baseDirs?: string[]; mappings: PathMapping[] } {
    const mappings = [...(capture?.mappings ?? []), ...readSettings().pathMappings];
    if (!capture) return { mappings };
    const cwd = capture.cwd && (capture.rootPrefix ? `${capture.rootPrefix}${capture.cwd}` : capture.cwd);
    return { rootPrefix: capture.rootPrefix, baseDirs: cwd ? [cwd] : [], mappings };
  }

  /** Opens the frame's file at its line (see ./frameLinks); undefined with a message when it is not here. */
  private async revealFrame(
    ref?: FrameRef | CaptureNode,
  ): Promise<{ uri: string; line: number; diagnostic?: string } | undefined> {
    const f = frameOfRef(ref, this.store);
    if (!f) return undefined;
    const went = await openFrame(f.file, f.line, this.processContext(f.capture));
    this.marks.apply();
    return went;
  }

  /** Reveals the blocked line, then opens the quick-fix menu there. */
  private async showQuickFix(node?: CaptureNode): Promise<void> {
    const c = node?.capture ?? this.store.list().find((x) => x.diagnosis.findings.length > 0);
    const blocked = node?.kind === 'blocked' ? node : c && this.tree.blockedNode(c.id);
    if (!blocked) return;
    const went = await this.revealFrame(blocked);
    if (went) await vscode.commands.executeCommand('editor.action.quickFix');
  }

  /** A line of a frame's file, found like revealFrame finds it (absolute, then path mappings); else undefined. */
  private readSourceLine(file: string, line: number): string | undefined {
    return readFrameSourceLine(file, line, readSettings().pathMappings);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
