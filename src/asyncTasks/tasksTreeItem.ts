/** Glue: one {@link TaskNodeData} of the Tasks subtree as a VS Code TreeItem (click opens the user's line). */
import * as vscode from 'vscode';
import type { TaskNodeData } from './tasksTree';

/** Command that opens a task's frame (file, line, {rootPrefix, cwd} of the capture); see TasksController. */
export const OPEN_TASK_FRAME = 'backendHang.openTaskFrame';

/** Where a capture's process lives: its frame paths are resolved under its root / relative to its cwd. */
export interface TaskFrameContext {
  rootPrefix?: string;
  cwd?: string;
}

/** The TreeItem of a Tasks node; `ctx` lets the open command resolve chroot/container paths. */
export function taskTreeItem(d: TaskNodeData, id: string, ctx: TaskFrameContext): vscode.TreeItem {
  const state = d.children.length
    ? d.expanded
      ? vscode.TreeItemCollapsibleState.Expanded
      : vscode.TreeItemCollapsibleState.Collapsed
    : vscode.TreeItemCollapsibleState.None;
  const item = new vscode.TreeItem(d.label, state);
  item.id = id;
  item.description = d.description;
  item.tooltip = d.tooltip;
  // Screen readers (and UI tests) read the verdict and where, not the tooltip.
  item.accessibilityInformation = { label: d.description ? `${d.label}, ${d.description}` : d.label };
  item.iconPath = new vscode.ThemeIcon(d.icon, d.color ? new vscode.ThemeColor(d.color) : undefined);
  item.contextValue = `tasks.${d.kind}${d.user ? '.user' : d.user === false ? '.library' : ''}`;
  if (d.open)
    item.command = {
      command: OPEN_TASK_FRAME,
      title: 'Open Frame',
      arguments: [d.open.file, d.open.line, ctx],
    };
  return item;
}
