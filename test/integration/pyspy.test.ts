// py-spy in a real extension host: the live demo backend (run from the test workspace), hung by an aborted
// stream; `backendHang.captureDump` with its pid fills the captures tree with the blocked node; revealing
// the frame opens stream.py at the `with ThreadPoolExecutor` line; a second capture marks unmoved frames;
// save/copy produce the documented shapes; a dead pid gives ProcessGoneError.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Capture } from '../../src/pyspyView/captureStore';
import { runAcceptingPicker } from './acceptPicker';
import type { SnapshotNode } from '../../src/pyspyView/capturesTreeProvider';
import { abortStream, startNewsBackend, type NewsBackend } from '../live/liveBackend';
import { BLOCKING_APP, BLOCKING_MAIN, startBlockingRequest } from '../live/pyspyBlockingApp';

suite('py-spy captures view', function () {
  this.timeout(90_000);
  let backend: NewsBackend | undefined;
  let stream: string;
  let withLine: number;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bhd-pyspy-'));

  suiteSetup(async () => {
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    stream = path.join(ws, 'backend', 'app', 'api', 'routes', 'stream.py');
    withLine =
      readFileSync(stream, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('with ThreadPoolExecutor')) + 1;
    assert.ok(withLine > 0);
    // No PATH change and no setting: the extension finds py-spy beside the server (the venv it runs from).
    assert.ok(!vscode.workspace.getConfiguration('backendHang').get<string>('pyspy.path'));
    const ext = vscode.extensions.getExtension('backend-hang.backend-hang-debug')!;
    await ext.activate();
    backend = await startNewsBackend({ appDir: path.join(ws, 'backend'), feedDelaySeconds: 20 });
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('backendHang.clearCaptures');
    await backend?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('capture of the hung backend: the tree shows the capture, the blocked node and the loop thread', async () => {
    await abortStream(backend!.baseUrl, 1000);
    const capture = await vscode.commands.executeCommand<Capture>('backendHang.captureDump', {
      pid: backend!.pid,
      silent: true,
    });
    assert.ok(capture, 'the command returns the capture');
    assert.equal(capture.pid, backend!.pid);
    assert.equal(capture.role, 'server');
    const [finding] = capture.diagnosis.findings;
    assert.equal(finding?.blockingCall, 'ThreadPoolExecutor.shutdown');
    assert.equal(finding.frame?.file, stream);
    assert.equal(finding.frame?.line, withLine);

    const tree = await vscode.commands.executeCommand<SnapshotNode[]>('backendHang.captures.snapshot', 3);
    assert.equal(tree.length, 1);
    assert.equal(tree[0].kind, 'capture');
    assert.match(tree[0].label, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  pid ${backend!.pid} \\(server\\)$`));
    assert.equal(tree[0].description, 'event loop blocked');
    // The blocked node first; the thread stacks after it (a Tasks node may sit between: see asyncTasks).
    const blocked = tree[0].children![0];
    const loop = tree[0].children!.find((c) => c.kind === 'thread')!;
    // Verdict first; the call, the line to fix and its rule in the description.
    assert.deepEqual(
      [blocked.kind, blocked.label, blocked.description],
      ['blocked', 'Event loop blocked', `ThreadPoolExecutor.shutdown · stream.py:${withLine} · BHD001`],
    );
    assert.equal(finding.static?.[0]?.code, 'BHD001');
    assert.equal(finding.static?.[0]?.line, withLine);
    // The five executor workers are one row.
    assert.deepEqual(
      blocked.children?.map((c) => c.label),
      ['waits for 5 threads'],
    );
    assert.match(
      blocked.children![0].description ?? '',
      /^process_source \(app\/services\/rss_ingestion\.py:\d+\)$/,
    );
    assert.equal(loop.kind, 'thread');
    assert.equal(loop.label, 'MainThread');
    assert.match(loop.description ?? '', /^\d+ · event loop BLOCKED · idle$/);
    assert.deepEqual(
      loop.children!.slice(0, 5).map((f) => `${f.label} ${f.description}`),
      // py-spy 0.4.3 on CPython 3.11: qualified names, shown as py-spy gives them.
      [
        'Thread._wait_for_tstate_lock threading.py:1139',
        'Thread.join threading.py:1119',
        'ThreadPoolExecutor.shutdown concurrent/futures/thread.py:235',
        'Executor.__exit__ concurrent/futures/_base.py:647',
        `news_stream.<locals>.event_generator app/api/routes/stream.py:${withLine}`,
      ],
    );
  });

  test('revealing the blocked frame opens stream.py at the with-line and marks it', async () => {
    const [capture] = await latest();
    const t = capture.dump.threads.find((x) => x.osThreadId === capture.diagnosis.findings[0].osThreadId)!;
    const frameIndex = t.frames.findIndex((f) => !f.library);
    const went = await vscode.commands.executeCommand<{ uri: string; line: number; diagnostic?: string }>(
      'backendHang.revealFrame',
      {
        captureId: capture.id,
        osThreadId: t.osThreadId,
        frameIndex,
      },
    );
    assert.ok(went);
    assert.equal(went.line, withLine);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, stream);
    assert.equal(editor?.selection.start.line, withLine - 1);
    assert.match(editor.document.lineAt(withLine - 1).text, /with ThreadPoolExecutor/);
    // The frame is linked to its static finding: the BHD001 squiggle is selected, and its quick fix is right
    // there (what the lightbulb / "Open the Blocked Line and Its Quick Fix" shows).
    assert.equal(went.diagnostic, 'BHD001');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      editor.document.uri,
      editor.selection,
      vscode.CodeActionKind.QuickFix.value,
    );
    assert.ok(
      actions.some((a) => a.isPreferred && /without blocking the event loop/.test(a.title)),
      `quick fixes at the blocked line: ${actions.map((a) => a.title).join(' | ')}`,
    );
    // The inline mark on that line: "event loop blocked here, captured HH:MM:SS".
    const marks = await vscode.commands.executeCommand<Record<string, { line: number; text: string }[]>>(
      'backendHang.captures.blockedLines',
    );
    assert.deepEqual(
      marks[vscode.Uri.file(stream).toString()]?.map((m) => m.line),
      [withLine],
    );
    assert.match(
      marks[vscode.Uri.file(stream).toString()][0].text,
      /^event loop blocked here, captured \d\d:\d\d:\d\d \(ThreadPoolExecutor\.shutdown\)$/,
    );
  });

  test('just my code hides library frames; a second capture marks the unmoved loop stack', async () => {
    await vscode.commands.executeCommand('backendHang.justMyCodeOn');
    try {
      const tree = await vscode.commands.executeCommand<SnapshotNode[]>('backendHang.captures.snapshot', 3);
      const loop = tree[0].children!.find((n) => n.kind === 'thread' && n.label === 'MainThread')!;
      assert.deepEqual(
        loop.children!.map((n) => n.kind),
        ['hiddenFrames', 'frame', 'hiddenFrames'],
      );
      assert.equal(loop.children![1].label, 'news_stream.<locals>.event_generator');
    } finally {
      await vscode.commands.executeCommand('backendHang.justMyCodeOff');
    }
    const again = await vscode.commands.executeCommand<Capture>('backendHang.refreshCapture');
    assert.equal(again?.pid, backend!.pid);
    const loopId = again!.diagnosis.eventLoopThreadIds[0];
    assert.equal(again!.unchanged?.find((u) => u.osThreadId === loopId)?.whollyUnchanged, true);
    assert.equal(
      (await vscode.commands.executeCommand<SnapshotNode[]>('backendHang.captures.snapshot', 1)).length,
      2,
    );
  });

  test('save as JSON and copy as text', async () => {
    const target = vscode.Uri.file(path.join(tmp, 'capture.json'));
    const saved = await vscode.commands.executeCommand<vscode.Uri>(
      'backendHang.saveCaptureJson',
      undefined,
      target,
    );
    assert.equal(saved?.fsPath, target.fsPath);
    const json = JSON.parse(readFileSync(target.fsPath, 'utf8')) as {
      pid: number;
      findings: { kind: string; blockingCall: string; frame: { file: string; line: number } }[];
    };
    assert.equal(json.pid, backend!.pid);
    assert.deepEqual(
      json.findings.map((f) => [f.kind, f.blockingCall, f.frame.file, f.frame.line]),
      [['event-loop-blocked', 'ThreadPoolExecutor.shutdown', stream, withLine]],
    );
    const text = await vscode.commands.executeCommand<string>('backendHang.copyCapture');
    assert.match(text ?? '', /^EVENT LOOP BLOCKED: Event loop blocked in ThreadPoolExecutor\.shutdown/m);
    assert.equal(await vscode.env.clipboard.readText(), text);
  });

  test('a dead pid gives ProcessGoneError and adds no capture', async () => {
    const child = spawn('true');
    await new Promise((r) => child.on('exit', r));
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('backendHang.captureDump', { pid: child.pid, silent: true }),
      ),
      (err: Error) => err.name === 'ProcessGoneError' || /is not running/.test(err.message),
    );
    assert.equal(
      (await vscode.commands.executeCommand<SnapshotNode[]>('backendHang.captures.snapshot', 1)).length,
      2,
    );
  });

  test('time.sleep straight in an async route: the blocked node names time.sleep and the route line', async () => {
    process.env.BLOCKING_HOLD_SECONDS = '8';
    const sleepy = await startNewsBackend({ appDir: BLOCKING_APP, feedDelaySeconds: 20 });
    let done: Promise<void> | undefined;
    try {
      const line =
        readFileSync(BLOCKING_MAIN, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('# BLOCK: time.sleep')) + 1;
      done = startBlockingRequest(sleepy.baseUrl, 'sleep');
      await new Promise((r) => setTimeout(r, 700));
      const capture = await vscode.commands.executeCommand<Capture>('backendHang.captureDump', {
        pid: sleepy.pid,
        silent: true,
      });
      assert.equal(capture?.diagnosis.findings[0]?.blockingCall, 'time.sleep');
      assert.deepEqual(capture.diagnosis.findings[0].frame, {
        function: 'sleep_route',
        file: BLOCKING_MAIN,
        shortFile: 'app/main.py',
        line,
      });
      const tree = await vscode.commands.executeCommand<SnapshotNode[]>('backendHang.captures.snapshot', 2);
      const blocked = tree[0].children![0];
      assert.deepEqual([blocked.kind, blocked.label], ['blocked', 'Event loop blocked']);
      assert.match(blocked.description ?? '', new RegExp(`^time\\.sleep · main\\.py:${line}( · BHD006)?$`));
      await vscode.commands.executeCommand('backendHang.removeCapture', { capture, kind: 'capture' });
    } finally {
      // Stopping the backend ends the request too: no need to sit out the hold.
      await sleepy.stop();
      await done;
    }
  });

  test('the demo flow as a user runs it: Capture py-spy Dump with no arguments, then saving the fix clears the mark', async () => {
    // Nothing set by hand: no backendHang.pyspy.path, PATH untouched; the one uvicorn is picked by itself.
    await abortStream(backend!.baseUrl, 1000);
    // Other servers on the machine open the picker with the workspace's server preselected: accept it.
    const capture = await runAcceptingPicker<Capture>('backendHang.captureDump');
    assert.ok(capture, "the palette command captured the workspace's server process");
    assert.equal(capture.pid, backend!.pid);
    assert.equal(capture.diagnosis.findings[0]?.blockingCall, 'ThreadPoolExecutor.shutdown');
    assert.match(capture.source ?? '', /py-spy .*\.cache\/venv\/bin\/py-spy \(target\)/);
    const key = vscode.Uri.file(stream).toString();
    const marks = async (): Promise<number[]> =>
      (
        await vscode.commands.executeCommand<Record<string, { line: number }[]>>(
          'backendHang.captures.blockedLines',
        )
      )[key]?.map((m) => m.line) ?? [];
    assert.deepEqual(await marks(), [withLine]);
    // Apply the preferred quick fix at the blocked line and save: the mark described code that is gone.
    const original = readFileSync(stream, 'utf8');
    const doc = await vscode.workspace.openTextDocument(stream);
    const editor = await vscode.window.showTextDocument(doc);
    try {
      const at = new vscode.Range(withLine - 1, 0, withLine - 1, doc.lineAt(withLine - 1).text.length);
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        doc.uri,
        at,
        vscode.CodeActionKind.QuickFix.value,
      );
      const fix = actions.find((a) => a.isPreferred);
      assert.ok(fix?.edit, 'the preferred BHD001 fix');
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
      assert.ok(await doc.save());
      assert.deepEqual(await marks(), [], 'the inline mark is cleared once the file changed');
      assert.doesNotMatch(editor.document.getText(), /with ThreadPoolExecutor/);
    } finally {
      const whole = new vscode.Range(0, 0, doc.lineCount, 0);
      const restore = new vscode.WorkspaceEdit();
      restore.replace(doc.uri, whole, original);
      await vscode.workspace.applyEdit(restore);
      await doc.save();
    }
  });

  async function latest(): Promise<Capture[]> {
    // The capture command returned the stored object; ask the tree for ids and the store via a fresh capture list.
    const c = await vscode.commands.executeCommand<Capture[]>('backendHang.captures.list');
    return c;
  }
});
