// Named *.suite.ts (not *.test.ts) so neither the real integration index nor `node --test` picks it up.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

suite('launcher self-test (passing)', () => {
  test('runs inside a VS Code extension host with the workspace open', () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
    assert.equal(vscode.workspace.workspaceFolders?.length, 1);
  });
});
