// BHD007 in a real extension host (code-server): a route file calls a helper in another module; editing the
// helper (unsaved, in its editor) so that it sleeps puts a BHD007 squiggle on the call in the route file, with
// the chain as related information pointing into the helper; taking the sleep out again removes it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const SOURCE = 'backend-hang';

function root(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder');
  return folder.uri.fsPath;
}

/** BHD007 diagnostics on `uri` as `line:col message` strings. */
function chains(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === SOURCE && typeof d.code === 'object' && d.code.value === 'BHD007');
}

async function waitFor(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

suite('BHD007 across files', () => {
  const pkg = (): string => path.join(root(), 'crossfile_app');
  const helperFile = (): string => path.join(pkg(), 'helpers.py');
  const routesFile = (): string => path.join(pkg(), 'routes.py');

  suiteSetup(() => {
    fs.mkdirSync(pkg(), { recursive: true });
    fs.writeFileSync(path.join(pkg(), '__init__.py'), '');
    fs.writeFileSync(helperFile(), 'import time\n\n\ndef load_feed(url):\n    return url.upper()\n');
    fs.writeFileSync(
      routesFile(),
      'from crossfile_app.helpers import load_feed\n\n\nasync def feed(url):\n    data = load_feed(url)\n    return data\n',
    );
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(pkg(), { recursive: true, force: true });
  });

  test('editing the helper changes the squiggle in the caller, with the chain as related information', async () => {
    const routes = await vscode.workspace.openTextDocument(routesFile());
    await vscode.window.showTextDocument(routes);
    // The route file is analysed (its other rules publish) and the helper does not block: no BHD007.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(chains(routes.uri), []);

    const helper = await vscode.workspace.openTextDocument(helperFile());
    await vscode.window.showTextDocument(helper, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    const body = new vscode.Range(4, 0, 4, helper.lineAt(4).text.length);
    let edit = new vscode.WorkspaceEdit();
    edit.replace(helper.uri, body, '    time.sleep(2)\n    return url.upper()');
    assert.ok(await vscode.workspace.applyEdit(edit));

    await waitFor('BHD007 on routes.py', () => chains(routes.uri).length === 1);
    const [d] = chains(routes.uri);
    assert.equal(routes.getText(d!.range), 'load_feed(url)');
    assert.deepEqual([d!.range.start.line, d!.range.start.character], [4, 11]);
    assert.match(
      d!.message,
      /^`load_feed\(\)` blocks the event loop: → time\.sleep\(\) \(crossfile_app\/helpers\.py:5\)/,
    );
    const related = (d!.relatedInformation ?? []).map((r) => [
      path.relative(root(), r.location.uri.fsPath),
      r.location.range.start.line,
      r.message,
    ]);
    assert.deepEqual(related, [
      ['crossfile_app/helpers.py', 3, 'load_feed() (crossfile_app/helpers.py:4)'],
      ['crossfile_app/helpers.py', 4, 'time.sleep() blocks (crossfile_app/helpers.py:5)'],
    ]);

    // Take the sleep out again (still unsaved): the squiggle in the other file goes away.
    edit = new vscode.WorkspaceEdit();
    edit.replace(
      helper.uri,
      new vscode.Range(4, 0, 5, helper.lineAt(5).text.length),
      '    return url.upper()',
    );
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('no BHD007 on routes.py', () => chains(routes.uri).length === 0);

    // Sleep again, then the quick fix on the call: `await asyncio.to_thread(load_feed, url)` (marked unsafe
    // in the CLI: the helper then runs in a worker thread), after which the squiggle is gone.
    edit = new vscode.WorkspaceEdit();
    edit.replace(
      helper.uri,
      new vscode.Range(4, 0, 4, helper.lineAt(4).text.length),
      '    time.sleep(2)\n    return url.upper()',
    );
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('BHD007 on routes.py again', () => chains(routes.uri).length === 1);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      routes.uri,
      chains(routes.uri)[0]!.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((a) => a.title.startsWith('Run it in a thread'));
    assert.ok(fix?.edit, `quick fix offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(routes.getText(), /^import asyncio$/m);
    assert.match(routes.getText(), /    data = await asyncio\.to_thread\(load_feed, url\)\n/);
    await waitFor('no BHD007 after the fix', () => chains(routes.uri).length === 0);
  });
});
