/**
 * Glue: "Backend Hang: Profile Event Loop…". Picks a server process (or takes `{pid, durationS}` from the
 * caller), profiles it with py-spy for a few seconds without pausing it (every worker of a manager at once),
 * then shows the ranked lines in the "Loop Profile" view and the share of loop time on each hot line in the
 * editor, with the static finding of that line linked.
 */
import * as vscode from 'vscode';
import { log } from '../log';
import type { PathMapping } from '../pyspyView/pathMapping';
import { describeCommandLine, findServerProcesses, roleLabel } from '../pyspyView/processes';
import { PySpyError } from '../pyspyView/runner';
import { ProfileDecorations } from './profileDecorations';
import { profileServing, type ProcessProfile } from './profileProcess';
import { ProfileTreeProvider } from './profileTreeProvider';
import { checkWithChains } from './staticCheck';

/** Arguments of the command when called programmatically (tests, other commands). */
export interface ProfileRequest {
  pid?: number;
  durationS?: number;
  rate?: number;
}

export class ProfileController implements vscode.Disposable {
  readonly tree = new ProfileTreeProvider();
  readonly decorations = new ProfileDecorations();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.tree,
      this.decorations,
      vscode.window.createTreeView('backendHang.loopProfile', { treeDataProvider: this.tree }),
      vscode.commands.registerCommand('backendHang.profileEventLoop', (req?: ProfileRequest) =>
        this.profile(req),
      ),
      vscode.commands.registerCommand('backendHang.loopProfile.clear', () => {
        this.tree.set([]);
        this.decorations.clear();
      }),
      vscode.commands.registerCommand('backendHang.loopProfile.snapshot', () => ({
        tree: this.tree.snapshot(),
        marked: this.decorations.marked(),
      })),
    );
  }

  /** Runs one profile; resolves to the profiles shown, or undefined when cancelled or failed. */
  async profile(req: ProfileRequest = {}): Promise<ProcessProfile[] | undefined> {
    const pid = req.pid ?? (await this.pickProcess());
    if (pid === undefined) return undefined;
    if (!Number.isInteger(pid) || pid <= 0) {
      void vscode.window.showErrorMessage(`Not a process id: ${String(pid)}`);
      return undefined;
    }
    const durationS = req.durationS ?? (await this.askDuration());
    if (durationS === undefined) return undefined;
    const cfg = vscode.workspace.getConfiguration('backendHang');
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    try {
      const profiles = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Profiling the event loop of ${pid} for ${durationS} s…`,
          cancellable: true,
        },
        (_progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return profileServing(pid, {
            durationS,
            rate: req.rate,
            signal: abort.signal,
            configured: cfg.get<string>('pyspy.path', '').trim() || undefined,
            pathEnv: process.env.PATH,
            // In an untrusted workspace only the configured py-spy and PATH are run.
            useTargetEnvironment: vscode.workspace.isTrusted,
            mappings: cfg.get<PathMapping[]>('pathMappings') ?? [],
            workspaceFolders: folders,
            check: checkWithChains,
          });
        },
      );
      for (const p of profiles)
        log.info(
          `Loop profile of ${p.pid}: busy ${Math.round((p.profile.loop?.busyShare ?? 0) * 100)}%, ` +
            `${p.profile.hotspots.length} hot lines (py-spy ${p.pyspy.path})`,
        );
      this.tree.set(profiles);
      this.decorations.set(
        profiles.flatMap((p) =>
          p.profile.hotspots.flatMap((hotspot) =>
            hotspot.localPath ? [{ path: hotspot.localPath, hotspot }] : [],
          ),
        ),
      );
      void vscode.commands.executeCommand('backendHang.loopProfile.focus');
      return profiles;
    } catch (err) {
      const msg = err instanceof PySpyError ? err.message : `Profiling failed: ${(err as Error).message}`;
      log.error(`Loop profile of ${pid} failed: ${(err as Error).message}`);
      if (err instanceof PySpyError && err.name === 'PySpyCancelledError') return undefined;
      void vscode.window.showErrorMessage(`${msg} See the log.`, 'Show Logs').then((a) => a && log.show());
      return undefined;
    }
  }

  private async pickProcess(): Promise<number | undefined> {
    const all = await findServerProcesses();
    const items = all
      .filter((c) => c.serving || c.role === 'manager' || c.role === 'reloader')
      .map((c) => ({
        label: `${c.pid}  ${roleLabel(c)}`,
        description: describeCommandLine(c, all),
        detail: c.cwd,
        pid: c.pid,
      }));
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Profile Event Loop: which server?',
      placeHolder: items.length
        ? 'A manager profiles all its workers'
        : 'No uvicorn/gunicorn/hypercorn process found',
    });
    return picked?.pid;
  }

  private async askDuration(): Promise<number | undefined> {
    const v = await vscode.window.showInputBox({
      title: 'Profile Event Loop: for how many seconds?',
      value: '5',
      prompt:
        'Put the server under its usual load meanwhile: the profile shows what blocks the loop while it serves.',
      validateInput: (s) =>
        /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 600 ? undefined : 'Seconds, 1 to 600',
    });
    return v === undefined ? undefined : Number(v);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
