// Diagnostics in a real extension host (code-server): exact diagnostics on the demo's stream.py, typing the bug
// into a clean file and deleting it again, a severity setting change, and Check Workspace filling Problems
// for a file nobody opened (while skipping a virtual environment).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const SOURCE = 'backend-hang';

function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder');
  return folder.uri;
}

/** Our diagnostics on `uri` as `CODE severity l:c-l:c` strings (0-based, like vscode.Range). */
function ours(uri: vscode.Uri): string[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === SOURCE)
    .map((d) => {
      const code = typeof d.code === 'object' ? d.code.value : d.code;
      const r = d.range;
      return `${code} ${vscode.DiagnosticSeverity[d.severity]} ${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
    })
    .sort();
}

/** Waits until our diagnostics on `uri` equal `expected` (diagnostics are debounced and asynchronous). */
async function waitForDiagnostics(uri: vscode.Uri, expected: string[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actual = ours(uri);
    if (JSON.stringify(actual) === JSON.stringify([...expected].sort())) return;
    if (Date.now() > deadline) assert.deepEqual(actual, [...expected].sort(), `diagnostics of ${uri.fsPath}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setSeverity(code: string, value: string | undefined): Promise<void> {
  await vscode.workspace
    .getConfiguration('backendHang')
    .update(`severity.${code}`, value, vscode.ConfigurationTarget.Workspace);
}

suite('diagnostics', () => {
  const stream = (): vscode.Uri => vscode.Uri.joinPath(workspaceRoot(), 'backend/app/api/routes/stream.py');

  suiteTeardown(async () => {
    await setSeverity('BHD001', undefined);
  });

  test('stream.py: exactly BHD001 on the ThreadPoolExecutor(...) of line 18, with message, detail and doc link', async () => {
    const doc = await vscode.workspace.openTextDocument(stream());
    await vscode.window.showTextDocument(doc);
    await waitForDiagnostics(doc.uri, ['BHD001 Error 17:13-17:46']);
    const [d] = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === SOURCE);
    assert.equal(doc.getText(d!.range), 'ThreadPoolExecutor(max_workers=5)');
    const [first, detail] = d!.message.split('\n');
    assert.match(first!, /^`with ThreadPoolExecutor\(\.\.\.\)` in async code blocks the event loop/);
    assert.match(detail!, /shutdown\(wait=True\)/);
    assert.ok(typeof d!.code === 'object', 'code carries a target');
    const code = d!.code as { value: string; target: vscode.Uri };
    assert.equal(code.value, 'BHD001');
    assert.match(code.target.path, /\/docs\/rules\/BHD001\.md$/);
    assert.ok(fs.existsSync(code.target.fsPath), `rule doc exists: ${code.target.fsPath}`);
  });

  test('typing the bug into a clean file underlines it; deleting it removes the squiggle', async () => {
    const clean = [
      'import time',
      'from concurrent.futures import ThreadPoolExecutor',
      '',
      '',
      'async def handler():',
      '    time.sleep(1)',
      '    return 1',
      '',
    ].join('\n');
    const file = path.join(workspaceRoot().fsPath, 'backend/app/typing_scratch.py');
    fs.writeFileSync(file, clean);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const editor = await vscode.window.showTextDocument(doc);
    // The clean file has one BHD006 (so we know analysis ran), no BHD001.
    await waitForDiagnostics(doc.uri, ['BHD006 Warning 5:4-5:17']);

    // Type at the start of `return 1` (line 6, column 4), key by key like a person.
    editor.selection = new vscode.Selection(6, 4, 6, 4);
    for (const ch of 'with ThreadPoolExecutor() as ex:') {
      await vscode.commands.executeCommand('type', { text: ch });
    }
    await vscode.commands.executeCommand('type', { text: '\n' });
    assert.match(doc.lineAt(6).text, /^ {4}with ThreadPoolExecutor\(\) as ex:$/);
    await waitForDiagnostics(doc.uri, ['BHD006 Warning 5:4-5:17', 'BHD001 Error 6:9-6:29']);

    // Delete the typed text again.
    const edited = await editor.edit((b) => b.replace(new vscode.Range(0, 0, doc.lineCount, 0), clean));
    assert.ok(edited);
    await waitForDiagnostics(doc.uri, ['BHD006 Warning 5:4-5:17']);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    fs.rmSync(file, { force: true });
  });

  test('changing a severity setting is reflected without reload; off removes the diagnostic', async () => {
    const doc = await vscode.workspace.openTextDocument(stream());
    await vscode.window.showTextDocument(doc);
    await waitForDiagnostics(doc.uri, ['BHD001 Error 17:13-17:46']);
    await setSeverity('BHD001', 'information');
    await waitForDiagnostics(doc.uri, ['BHD001 Information 17:13-17:46']);
    await setSeverity('BHD001', 'off');
    await waitForDiagnostics(doc.uri, []);
    await setSeverity('BHD001', undefined);
    await waitForDiagnostics(doc.uri, ['BHD001 Error 17:13-17:46']);
  });

  test('Check Workspace fills Problems for an unopened file and skips virtual environments', async () => {
    const root = workspaceRoot().fsPath;
    const legacy = vscode.Uri.file(path.join(root, 'backend/app/services/legacy_pool.py'));
    assert.ok(fs.existsSync(legacy.fsPath), 'fixture overlay test/fixtures/workspace was copied');
    assert.ok(
      !vscode.workspace.textDocuments.some((d) => d.uri.toString() === legacy.toString()),
      'legacy_pool.py is not open',
    );
    // A venv inside the workspace with an obvious finding: must not be checked.
    const venvFile = path.join(root, 'backend/.venv/lib/python3.11/site-packages/pkg/bad.py');
    fs.mkdirSync(path.dirname(venvFile), { recursive: true });
    fs.writeFileSync(venvFile, 'import requests\nrequests.get("http://x")\n');
    try {
      assert.deepEqual(ours(legacy), []);
      const result = (await vscode.commands.executeCommand('backendHang.checkWorkspace')) as {
        files: number;
        findings: number;
        cancelled: boolean;
      };
      assert.equal(result.cancelled, false);
      assert.ok(result.files >= 8, `checked ${result.files} files`);
      assert.deepEqual(ours(legacy), ['BHD002 Error 14:4-14:19', 'BHD005 Warning 10:11-10:28']);
      assert.deepEqual(ours(vscode.Uri.file(venvFile)), []);
      // The open stream.py keeps its live diagnostic.
      assert.deepEqual(ours(stream()), ['BHD001 Error 17:13-17:46']);
    } finally {
      fs.rmSync(path.join(root, 'backend/.venv'), { recursive: true, force: true });
    }
  });
});
