// Quick fixes in a real extension host: the lightbulb on stream.py's BHD001 lists the preferred fix, applying
// it gives exactly the expected text, one undo restores the original; Fix All in File does the same; and
// `editor.codeActionsOnSave` with source.fixAll.backendHang fixes a file when it is saved.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';

const extensionId = 'backend-hang.backend-hang-debug';

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function fixture(name: string): string {
  const root = vscode.extensions.getExtension(extensionId)!.extensionPath;
  return readFileSync(path.join(root, 'test', 'fixtures', 'fixes', name), 'utf8');
}

suite('quick fixes', () => {
  let uri: vscode.Uri;
  let original: string;

  suiteSetup(async () => {
    const folder = vscode.workspace.workspaceFolders![0]!;
    uri = vscode.Uri.joinPath(folder.uri, 'backend/app/api/routes/stream.py');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    original = doc.getText();
    assert.equal(original, fixture('seedStream.in.py'), 'the workspace copy of stream.py is the seed');
  });

  teardown(async () => {
    // Leave stream.py as other suites expect it (never saved here; revert any leftover edit).
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.getText() !== original) {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  test('the lightbulb on BHD001 lists the preferred fix; applying it gives the expected text; undo restores', async () => {
    const diagnostic = await waitFor('the BHD001 diagnostic', () =>
      vscode.languages
        .getDiagnostics(uri)
        .find(
          (d) =>
            d.source === 'backend-hang' &&
            /BHD001/.test(String(typeof d.code === 'object' ? d.code.value : d.code)),
        ),
    );
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      diagnostic.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    // The command's results do not carry `diagnostics` back; our actions are told apart by their titles.
    const titles = actions.map((a) => `${a.title}${a.isPreferred ? ' [preferred]' : ''}`).join(' | ');
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, titles);
    const ours = actions;
    assert.match(preferred[0]!.title, /^Shut the executor down without blocking the event loop/);
    assert.ok(ours.some((a) => /module-level executor/.test(a.title)));
    assert.ok(ours.some((a) => a.title === 'Suppress BHD001 on this line'));
    assert.ok(preferred[0]!.kind?.value.startsWith('quickfix'));

    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.ok(await vscode.workspace.applyEdit(preferred[0]!.edit!));
    assert.equal(doc.getText(), fixture('seedStream.out.py'));
    await waitFor(
      'BHD001 to go away',
      () => !vscode.languages.getDiagnostics(uri).some((d) => d.source === 'backend-hang'),
    );

    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), original, 'one undo step restores the original');
  });

  test('Fix All in File applies the same fix as one undo step', async () => {
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const applied = await vscode.commands.executeCommand<number>('backendHang.fixAllInFile', uri);
    assert.equal(applied, 1);
    assert.equal(doc.getText(), fixture('seedStream.out.py'));
    assert.equal(
      await vscode.commands.executeCommand<number>('backendHang.fixAllInFile', uri),
      0,
      'idempotent',
    );
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), original);
  });

  test('source.fixAll.backendHang is offered, and fixes the file on save when codeActionsOnSave enables it', async () => {
    const listed = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      new vscode.Range(0, 0, 0, 0),
      'source.fixAll.backendHang',
    );
    assert.deepEqual(
      listed.map((a) => a.kind?.value),
      ['source.fixAll.backendHang'],
    );

    const dir = mkdtempSync(path.join(tmpdir(), 'bhd-onsave-'));
    const file = path.join(dir, 'otherRules.py');
    writeFileSync(file, fixture('otherRules.in.py'));
    const config = vscode.workspace.getConfiguration('editor', { languageId: 'python' });
    const before = config.inspect('codeActionsOnSave')?.globalValue;
    try {
      await config.update(
        'codeActionsOnSave',
        { 'source.fixAll.backendHang': 'always' },
        vscode.ConfigurationTarget.Global,
      );
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const editor = await vscode.window.showTextDocument(doc);
      // A real change, so the save is not a no-op; then save as a user would.
      await editor.edit((b) => b.insert(new vscode.Position(0, 0), '# edited\n'));
      await vscode.commands.executeCommand('workbench.action.files.save');
      await waitFor('the save to finish', () => !doc.isDirty, 10_000);
      // Fix-all on save applies the safe fixes only (BHD003 here); the unsafe ones stay for an explicit quick fix.
      assert.equal(readFileSync(file, 'utf8'), `# edited\n${fixture('otherRules.safe.out.py')}`);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      await config.update('codeActionsOnSave', before, vscode.ConfigurationTarget.Global);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('a shape the fix cannot handle says why (an action showing the reason), and offers no fix-all', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bhd-declined-'));
    const file = path.join(dir, 'jobs.py');
    writeFileSync(file, fixture('semantics/fireAndForget.py'));
    try {
      const fileUri = vscode.Uri.file(file);
      const doc = await vscode.workspace.openTextDocument(fileUri);
      await vscode.window.showTextDocument(doc);
      const diagnostic = await waitFor('the BHD001 diagnostic', () =>
        vscode.languages.getDiagnostics(fileUri).find((d) => d.source === 'backend-hang'),
      );
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        fileUri,
        diagnostic.range,
        vscode.CodeActionKind.QuickFix.value,
      );
      const titles = actions.map((a) => a.title).join(' | ');
      assert.ok(!actions.some((a) => a.isPreferred), titles);
      // VS Code hides disabled quick fixes, so the reason is an action of its own (it shows a message).
      assert.deepEqual(
        actions.map((a) => a.title),
        ['Why is there no automatic fix for BHD001 here?', 'Suppress BHD001 on this line'],
      );
      const why = actions[0]!;
      assert.equal(why.edit, undefined);
      assert.equal(why.command?.command, 'backendHang.explainNoAutomaticFix');
      assert.match(
        String(why.command.arguments?.[0]),
        /^Backend Hang: no automatic fix for BHD001 at line 15: line 17 starts work on the executor without keeping its future/,
      );
      // No "Fix all" entry: nothing in this file can be fixed automatically.
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
