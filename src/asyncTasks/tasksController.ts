/**
 * Glue: opens the user's line of an asyncio task frame from the Tasks node (the frame path as the target sees
 * it, found under its chroot/container root, relative to its cwd, through `backendHang.pathMappings`, or by
 * suffix in the workspace).
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { log } from '../log';
import { resolveFramePath, type PathMapping } from '../pyspyView/pathMapping';
import { OPEN_TASK_FRAME, type TaskFrameContext } from './tasksTreeItem';

/** Registers the Tasks node's commands. */
export class TasksController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      vscode.commands.registerCommand(OPEN_TASK_FRAME, (file: string, line: number, ctx?: TaskFrameContext) =>
        this.open(file, line, ctx ?? {}),
      ),
    );
  }

  /** Opens `file` at `line`; resolves to the local path or undefined (with a message) when not found here. */
  async open(file: string, line: number, ctx: TaskFrameContext): Promise<string | undefined> {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const mappings =
      vscode.workspace.getConfiguration('backendHang').get<PathMapping[]>('pathMappings') ?? [];
    const cwd = ctx.cwd && (ctx.rootPrefix ? `${ctx.rootPrefix}${ctx.cwd}` : ctx.cwd);
    const r = resolveFramePath(file, {
      exists: existsSync,
      rootPrefix: ctx.rootPrefix,
      baseDirs: [...(cwd ? [cwd] : []), ...folders],
      mappings,
      workspaceFolders: folders,
    });
    if (r.kind === 'unresolved' || r.kind === 'ambiguous') {
      log.info(`Task frame ${file}:${line} not found on this machine (${r.kind})`);
      void vscode.window.showWarningMessage(
        `${file} is not on this machine. Map it with the backendHang.pathMappings setting.`,
      );
      return undefined;
    }
    const pos = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(vscode.Uri.file(r.path), { selection: new vscode.Range(pos, pos) });
    return r.path;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
