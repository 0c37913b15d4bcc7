// asyncio tasks and the loop profile in a real extension host. A CPython 3.14 server (Debian sid root,
// chrooted) with a lock-order deadlock: `backendHang.captureDump` puts a Tasks node in the capture that names
// both parked lines, a second capture marks them stuck, and a task frame opens the file under the chroot.
// A loaded 3.12 server: "Profile Event Loop…" ranks the sleeping and hashing lines in the Loop Profile view
// and marks them in the editor; an edit clears the file's marks.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Capture } from '../../src/pyspyView/captureStore';
import type { SnapshotNode } from '../../src/pyspyView/capturesTreeProvider';
import {
  haveRuntime,
  hangingRequest,
  markedLines,
  pyspy043,
  startApp,
  startLoad,
  type RunningApp,
} from '../live/asyncApps';

const find = (nodes: SnapshotNode[] | undefined, kind: string, label: RegExp): SnapshotNode | undefined =>
  nodes?.find((n) => n.kind === kind && label.test(n.label));

suite('asyncio tasks and loop profile', function () {
  this.timeout(120_000);
  let app: RunningApp | undefined;
  const requests: { abort(): void }[] = [];

  suiteSetup(async () => {
    await vscode.extensions.getExtension('backend-hang.backend-hang-debug')!.activate();
  });

  suiteTeardown(async () => {
    for (const r of requests) r.abort();
    await app?.stop();
    await vscode.commands.executeCommand('backendHang.clearCaptures');
    await vscode.commands.executeCommand('backendHang.loopProfile.clear');
  });

  test('Tasks node of a 3.14 capture: both parked lines, stuck on the second capture, frames open', async function () {
    if (!haveRuntime('3.14')) this.skip();
    const parked = markedLines('deadlock', '# PARKED').map((m) => m.line);
    app = await startApp('deadlock', '3.14', 'asyncio');
    requests.push(hangingRequest(`${app.baseUrl}/reserve`), hangingRequest(`${app.baseUrl}/settle`));
    await new Promise((r) => setTimeout(r, 900));

    const first = await vscode.commands.executeCommand<Capture>('backendHang.captureDump', {
      pid: app.pid,
      silent: true,
    });
    assert.ok(first?.dump.tasks?.length, 'the capture has tasks');
    let tree = await vscode.commands.executeCommand<SnapshotNode[]>('backendHang.captures.snapshot', 5);
    let tasks = find(tree[0].children, 'tasks', /^Tasks$/);
    assert.ok(tasks, `a Tasks node: ${JSON.stringify(tree[0].children?.map((c) => c.label))}`);
    assert.match(tasks.description ?? '', /asyncio tasks · \d+ waiting in your code/);
    const waiting = tasks.children!.filter((c) => c.label === 'Tasks waiting').map((c) => c.description);
    for (const line of parked)
      assert.ok(waiting.includes(`asyncio.Lock.acquire · main.py:${line}`), JSON.stringify(waiting));
    const locks = find(tasks.children, 'tasks', /^waiting on locks$/);
    assert.equal(locks?.description, '2 tasks');
    // A task's children: its coroutine frames, innermost first, the user's frame among them.
    const task = locks!.children![0];
    assert.match(task.description ?? '', /^asyncio\.Lock\.acquire · main\.py:\d+$/);
    assert.deepEqual(
      task.children!.slice(0, 2).map((f) => f.label),
      ['Lock.acquire', '_ContextManagerMixin.__aenter__'],
    );
    assert.match(task.children![2].label, /^(reserve|settle)$/);

    await new Promise((r) => setTimeout(r, 300));
    await vscode.commands.executeCommand<Capture>('backendHang.captureDump', { pid: app.pid, silent: true });
    tree = await vscode.commands.executeCommand<SnapshotNode[]>('backendHang.captures.snapshot', 5);
    // The capture itself says it: the loop is free, the tasks are not.
    assert.equal(tree[0].description, 'event loop not blocked · 2 tasks stuck');
    tasks = find(tree[0].children, 'tasks', /^Tasks$/);
    const stuck = tasks!.children!.filter((c) => c.label === 'Tasks stuck').map((c) => c.description);
    for (const line of parked)
      assert.ok(stuck.includes(`asyncio.Lock.acquire · main.py:${line}`), JSON.stringify(stuck));

    // The frame as the chrooted process sees it (/app-PORT/app/main.py) opens from under the root.
    const frame = first.dump.tasks!.flatMap((t) => t.frames).find((f) => f.function === 'reserve')!;
    await vscode.commands.executeCommand('backendHang.openTaskFrame', frame.file, frame.line, {
      rootPrefix: first.rootPrefix,
      cwd: first.cwd,
    });
    const ed = vscode.window.activeTextEditor!;
    assert.equal(ed.document.uri.fsPath, app.mainPy);
    assert.equal(ed.selection.active.line + 1, parked[0]);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const r of requests.splice(0)) r.abort();
    await app.stop();
    app = undefined;
  });

  test('Profile Event Loop: ranked lines in the view, marks on the hot lines, cleared on edit', async function () {
    if (!haveRuntime('3.12') || !existsSync(pyspy043())) this.skip();
    const hot = markedLines('loopload', '# HOT');
    await vscode.workspace
      .getConfiguration('backendHang')
      .update('pyspy.path', pyspy043(), vscode.ConfigurationTarget.Global);
    app = await startApp('loopload', '3.12', 'uvloop');
    const load = startLoad(app.baseUrl, ['/sleepy', '/hashy', '/awaity']);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const doc = await vscode.workspace.openTextDocument(app.mainPy);
      await vscode.window.showTextDocument(doc);
      const profiles = await vscode.commands.executeCommand<unknown[]>('backendHang.profileEventLoop', {
        pid: app.pid,
        durationS: 3,
      });
      assert.equal(profiles?.length, 1);
      const snap = await vscode.commands.executeCommand<{
        tree: { label: string; description?: string; children: { label: string; description?: string }[] }[];
        marked: { path: string; lines: number[] }[];
      }>('backendHang.loopProfile.snapshot');
      assert.equal(snap.tree.length, 1);
      assert.match(snap.tree[0].label, new RegExp(`^pid ${app.pid}`));
      assert.match(snap.tree[0].description ?? '', /^loop blocked \d+% of 3 s$/);
      const rows = snap.tree[0].children;
      assert.deepEqual(
        rows
          .slice(0, 2)
          .map((r) => /:(\d+)/.exec(r.description ?? '')![1])
          .map(Number)
          .sort((a, b) => a - b),
        hot.map((h) => h.line),
        JSON.stringify(rows),
      );
      assert.ok(
        rows.some((r) => /^time\.sleep · main\.py:\d+ · BHD006$/.test(r.description ?? '')),
        JSON.stringify(rows),
      );
      assert.ok(rows.some((r) => /^CPU in hashlib\.pbkdf2_hmac · main\.py:\d+$/.test(r.description ?? '')));
      assert.deepEqual(
        snap.marked.find((m) => m.path === path.resolve(app!.mainPy))?.lines.sort((a, b) => a - b),
        hot.map((h) => h.line),
      );

      // Editing the file drops its marks (the lines no longer match the profile); the undo leaves it as it was.
      const ed = vscode.window.activeTextEditor!;
      await ed.edit((b) => b.insert(new vscode.Position(0, 0), '# edited\n'));
      const after = await vscode.commands.executeCommand<{ marked: { path: string }[] }>(
        'backendHang.loopProfile.snapshot',
      );
      assert.equal(after.marked.length, 0);
      await vscode.commands.executeCommand('undo');
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    } finally {
      await load.stop();
      await vscode.workspace
        .getConfiguration('backendHang')
        .update('pyspy.path', undefined, vscode.ConfigurationTarget.Global);
      await app.stop();
      app = undefined;
    }
  });
});
