import * as vscode from 'vscode';
import { log } from './log';
import { DiagnosticsController } from './diagnostics/diagnosticsController';
import { QuickFixProvider } from './codeActions/quickFixProvider';
import { DumpImportController } from './captureSources/dumpImportController';
import { PySpyViewController } from './pyspyView/pyspyViewController';
import { TasksController } from './asyncTasks/tasksController';
import { ProfileController } from './loopProfile/profileController';
import { ChecksController } from './serverChecks/checksController';
import { WatchController } from './serverChecks/watchController';

/** Composes the features; each owns its disposables and is disposed with the extension. */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(log);
  const diagnostics = new DiagnosticsController(context);
  const checks = new ChecksController();
  const captures = new PySpyViewController(context, diagnostics);
  context.subscriptions.push(
    diagnostics,
    new QuickFixProvider(context, diagnostics),
    captures,
    new DumpImportController(captures),
    new TasksController(),
    new ProfileController(),
    checks,
    new WatchController(checks),
    vscode.commands.registerCommand('backendHang.showLogs', () => log.show()),
  );
  log.info(`Backend Hang Debug ${context.extension.packageJSON.version} activated`);
}

export function deactivate(): void {}
