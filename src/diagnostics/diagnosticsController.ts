// STUB: replaced by the diagnostics feature.
import * as vscode from 'vscode';

export class DiagnosticsController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  constructor(_context: vscode.ExtensionContext) {
    this.disposables.push(
      vscode.commands.registerCommand('backendHang.checkWorkspace', () => undefined),
    );
  }
  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
