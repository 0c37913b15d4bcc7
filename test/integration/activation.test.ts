// Activation in a real extension host: opening a Python file of the fixture workspace activates the extension,
// its contributed commands are registered, and one of them runs.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';

const extensionId = 'backend-hang.backend-hang-debug';

/** Waits until `check()` is truthy (activation is asynchronous after the document opens). */
async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite('activation', () => {
  test('the fixture workspace is open', () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder');
    const stream = path.join(folder.uri.fsPath, 'backend/app/api/routes/stream.py');
    assert.match(readFileSync(stream, 'utf8'), /ThreadPoolExecutor/);
  });

  test('opening stream.py activates the extension', async () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `${extensionId} is not installed in this extension host`);
    const folder = vscode.workspace.workspaceFolders![0];
    const uri = vscode.Uri.joinPath(folder.uri, 'backend/app/api/routes/stream.py');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'python');
    await waitFor('activation', () => ext.isActive);
    assert.equal(ext.packageJSON.name, 'backend-hang-debug');
  });

  test('every contributed command is registered', async () => {
    const ext = vscode.extensions.getExtension(extensionId)!;
    await ext.activate();
    const contributed: string[] = ext.packageJSON.contributes.commands.map(
      (c: { command: string }) => c.command,
    );
    assert.ok(contributed.length >= 4, `only ${contributed.length} commands contributed`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  test('backendHang.showLogs runs', async () => {
    await vscode.commands.executeCommand('backendHang.showLogs');
  });

  test('the launcher tells tests where the repository is', () => {
    const root =
      process.env.BACKEND_HANG_REPO_ROOT ?? vscode.extensions.getExtension(extensionId)!.extensionPath;
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'backend-hang-debug');
  });
});
