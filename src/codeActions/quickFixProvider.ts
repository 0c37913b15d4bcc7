// STUB: replaced by the quick-fix feature.
import * as vscode from 'vscode';
import type { DiagnosticsController } from '../diagnostics/diagnosticsController';

export class QuickFixProvider implements vscode.Disposable {
  constructor(_context: vscode.ExtensionContext, _diagnostics: DiagnosticsController) {}
  dispose(): void {}
}
