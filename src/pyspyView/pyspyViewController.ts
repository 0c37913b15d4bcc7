// STUB: replaced by the py-spy feature.
import * as vscode from 'vscode';
import type { DiagnosticsController } from '../diagnostics/diagnosticsController';

export class PySpyViewController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  constructor(_context: vscode.ExtensionContext, _diagnostics: DiagnosticsController) {
    this.disposables.push(vscode.commands.registerCommand('backendHang.captureDump', () => undefined));
  }
  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
