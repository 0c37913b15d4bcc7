// Not a suite: runs a palette command that may open a QuickPick and presses Enter on the preselected item, as
// a person would (a no-op when the picker was skipped because there was only one choice).
import * as vscode from 'vscode';

export async function runAcceptingPicker<T>(command: string, tries = 60): Promise<T | undefined> {
  const running = vscode.commands.executeCommand<T>(command);
  let settled = false;
  void running.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < tries && !settled; i++) {
    await new Promise((r) => setTimeout(r, 500));
    if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  return running;
}
