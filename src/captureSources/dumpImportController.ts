/**
 * Glue: dumps from elsewhere and sharing. "Open Dump…" (a file) and "Paste Dump" (the clipboard) read any
 * format src/dumpFormats knows into the captures view, with the same diagnosis and static links as a live
 * capture; frames that resolve nowhere get a suggested mapping, accepted in one click. "Copy as Markdown"
 * writes a capture for an issue or incident note; "Copy Kubernetes Capture Commands…" builds the kubectl
 * commands whose output Open Dump reads.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkSource } from '../diagnostics/analyze';
import { log } from '../log';
import { captureMarkdown } from '../pyspyView/captureMarkdown';
import type { Capture } from '../pyspyView/captureStore';
import type { CaptureNode } from '../pyspyView/capturesTreeProvider';
import { UnparseableDumpError } from '../pyspyView/dumpParser';
import { resolveFramePath, type PathMapping } from '../pyspyView/pathMapping';
import type { PySpyViewController } from '../pyspyView/pyspyViewController';
import { existsSync, readFileSync } from 'node:fs';
import { captureFromText, readDumpFile, suggestedMappingsFor, type DumpTextOptions } from './dumpFile';
import { kubernetesCommands } from './kubernetes';
import type { CaptureOrigin } from './source';

const EXCLUDE = '**/{node_modules,.git,.venv,venv,.cache,__pycache__,site-packages}/**';

export class DumpImportController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly captures: PySpyViewController) {
    const cmd = (id: string, fn: (...args: never[]) => unknown): void => {
      this.disposables.push(vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown));
    };
    cmd('backendHang.openDump', (uri?: vscode.Uri) => this.openDump(uri));
    cmd('backendHang.pasteDump', () => this.pasteDump());
    cmd('backendHang.copyCaptureMarkdown', (node?: CaptureNode) => this.copyMarkdown(node));
    cmd('backendHang.kubernetesCommands', () => this.kubernetes());
  }

  private async openDump(uri?: vscode.Uri): Promise<Capture[] | undefined> {
    const picked =
      uri ??
      (
        await vscode.window.showOpenDialog({
          title:
            'Open a thread dump (py-spy text or JSON, faulthandler, python -m asyncio pstree, saved capture)',
          canSelectMany: false,
          filters: { Dumps: ['txt', 'json', 'log', 'out'], 'All files': ['*'] },
        })
      )?.[0];
    if (!picked) return undefined;
    let text: string;
    try {
      text = readDumpFile(picked.fsPath);
    } catch (err) {
      void vscode.window.showErrorMessage(`Cannot open the dump: ${(err as Error).message}`);
      return undefined;
    }
    return this.importText(text, { kind: 'file', label: path.basename(picked.fsPath), file: picked.fsPath });
  }

  private async pasteDump(): Promise<Capture[] | undefined> {
    const text = await vscode.env.clipboard.readText();
    if (!text.trim()) {
      void vscode.window.showErrorMessage(
        'The clipboard is empty. Copy the output of py-spy dump (text or --json), faulthandler or python -m asyncio pstree first.',
      );
      return undefined;
    }
    return this.importText(text, { kind: 'clipboard', label: 'pasted dump' });
  }

  private async importText(
    text: string,
    origin: CaptureOrigin,
    extra: PathMapping[] = [],
  ): Promise<Capture[] | undefined> {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const settingMappings = vscode.workspace
      .getConfiguration('backendHang')
      .get<PathMapping[]>('pathMappings', []);
    const files = await vscode.workspace.findFiles('**/*.py', EXCLUDE, 20_000);
    const opts: DumpTextOptions = {
      origin,
      mappings: [...extra, ...settingMappings],
      workspaceFolders: folders,
      workspaceFiles: files.map((u) => u.fsPath),
      check: (source) => Promise.resolve(checkSource(source)),
    };
    let made;
    try {
      made = await captureFromText(text, opts);
    } catch (err) {
      if (!(err instanceof UnparseableDumpError)) throw err;
      log.warn(`Not a dump (${origin.label}): ${err.message}`);
      void vscode.window.showErrorMessage(`${origin.label}: ${err.message}`);
      return undefined;
    }
    const added = this.captures.addImported(made.map((c) => ({ ...c, mappings: opts.mappings })));
    const [best] = suggestedMappingsFor(made, opts);
    if (best) {
      const relLocal = vscode.workspace.asRelativePath(best.local, true);
      void vscode.window
        .showInformationMessage(
          `${best.resolves} file${best.resolves === 1 ? '' : 's'} of this dump ${best.resolves === 1 ? 'is' : 'are'} not on this machine under ${best.remote}. Map ${best.remote} to ${relLocal}?`,
          'Use This Mapping',
        )
        .then(async (choice) => {
          if (choice !== 'Use This Mapping') return;
          const mapping = { remote: best.remote, local: best.local };
          await vscode.workspace
            .getConfiguration('backendHang')
            .update('pathMappings', [...settingMappings, mapping], vscode.ConfigurationTarget.Workspace);
          for (const c of added) this.captures.removeCapture(c.id);
          await this.importText(text, origin, [mapping]);
        });
    }
    return added;
  }

  private async copyMarkdown(node?: CaptureNode): Promise<string | undefined> {
    const c = this.captures.captureFor(node);
    if (!c) {
      void vscode.window.showInformationMessage(
        'No capture to copy yet: capture a server or open a dump first.',
      );
      return undefined;
    }
    const context = this.captures.processContext(c);
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const md = captureMarkdown(
      {
        dump: c.dump,
        diagnosis: c.diagnosis,
        capturedAt: c.capturedAt,
        source: c.origin?.label ?? `pid ${c.pid}`,
        displayPath: (p) => vscode.workspace.asRelativePath(p, false),
      },
      (file) => {
        const r = resolveFramePath(file, { exists: existsSync, workspaceFolders: folders, ...context });
        if (r.kind === 'unresolved' || r.kind === 'ambiguous') return undefined;
        try {
          return { path: vscode.workspace.asRelativePath(r.path, false), text: readFileSync(r.path, 'utf8') };
        } catch {
          return undefined;
        }
      },
    );
    await vscode.env.clipboard.writeText(md);
    void vscode.window.setStatusBarMessage('Capture copied as Markdown', 3000);
    return md;
  }

  private async kubernetes(): Promise<string | undefined> {
    const valid = (v: string): string | undefined =>
      /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v.trim())
        ? undefined
        : 'A Kubernetes name: lowercase letters, digits, - and .';
    const pod = await vscode.window.showInputBox({
      title: 'Kubernetes capture (1/3)',
      prompt: 'Pod name (kubectl get pods)',
      validateInput: valid,
    });
    if (!pod) return undefined;
    const namespace = await vscode.window.showInputBox({
      title: 'Kubernetes capture (2/3)',
      prompt: "Namespace (empty: the current context's)",
      validateInput: (v) => (v.trim() ? valid(v) : undefined),
    });
    if (namespace === undefined) return undefined;
    const container = await vscode.window.showInputBox({
      title: 'Kubernetes capture (3/3)',
      prompt: 'Container of the app in the pod (empty when the pod has one)',
      validateInput: (v) => (v.trim() ? valid(v) : undefined),
    });
    if (container === undefined) return undefined;
    const k = kubernetesCommands({
      pod: pod.trim(),
      namespace: namespace.trim() || undefined,
      container: container.trim() || undefined,
    });
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'kubectl exec', description: 'the image has py-spy', detail: k.exec.shell, cmd: k.exec },
        {
          label: 'kubectl debug',
          description: 'an ephemeral container with py-spy (image without it)',
          detail: k.debug.shell,
          cmd: k.debug,
        },
      ],
      { title: 'Copy the capture command' },
    );
    if (!choice) return undefined;
    await vscode.env.clipboard.writeText(choice.cmd.shell);
    void vscode.window
      .showInformationMessage(
        `Copied. Run it where kubectl works, then open ${pod.trim()}-dump.json here. ${choice.cmd.note}`,
        'Open Dump…',
      )
      .then((c) => c && vscode.commands.executeCommand('backendHang.openDump'));
    return choice.cmd.shell;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
