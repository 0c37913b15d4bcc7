// Capture sources in a real extension host: a dump taken on another machine opened from a file and pasted
// from the clipboard (same diagnosis and static link as a live capture, the source shown in the tree), Copy
// as Markdown, and a hung server in a real Docker container picked from the same picker as local processes,
// its frames mapped to the workspace through the container's mount.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Capture } from '../../src/pyspyView/captureStore';
import { runAcceptingPicker } from './acceptPicker';
import type { SnapshotNode } from '../../src/pyspyView/capturesTreeProvider';
import { dockerAvailable, startHungContainer, type HungContainer } from '../live/dockerTarget';
import { repoRoot } from '../live/liveBackend';

suite('capture sources: dump files, clipboard, Markdown, Docker', function () {
  this.timeout(120_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bhd-sources-'));
  let ws: string;
  let stream: string;
  let withLine: number;
  const foreign = (name: string): string =>
    readFileSync(path.join(repoRoot(), 'test', 'fixtures', 'dumps', 'foreign', name), 'utf8');

  suiteSetup(async () => {
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    stream = path.join(ws, 'backend', 'app', 'api', 'routes', 'stream.py');
    withLine =
      readFileSync(stream, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('with ThreadPoolExecutor')) + 1;
    await vscode.extensions.getExtension('backend-hang.backend-hang-debug')!.activate();
    await vscode.commands.executeCommand('backendHang.clearCaptures');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('backendHang.clearCaptures');
    rmSync(tmp, { recursive: true, force: true });
  });

  test('Open Dump: faulthandler output from a production host links the with line of the workspace file', async () => {
    // As recorded on the server: its own paths (/srv/api/...), which exist nowhere here.
    const text = foreign('faulthandler-py3.12.txt').replace(
      /\/work\/main\/examples\/news-backend\/backend/g,
      '/srv/api',
    );
    const file = path.join(tmp, 'incident-42.txt');
    writeFileSync(file, text);
    const [capture] = await vscode.commands.executeCommand<Capture[]>(
      'backendHang.openDump',
      vscode.Uri.file(file),
    );
    assert.ok(capture, 'the dump was added');
    assert.equal(capture.origin?.kind, 'file');
    assert.equal(capture.dump.format, 'faulthandler');
    const f = capture.diagnosis.findings[0];
    assert.equal(f?.blockingCall, 'ThreadPoolExecutor.shutdown');
    assert.equal(f.frame?.file, '/srv/api/app/api/routes/stream.py');
    assert.equal(f.static?.[0]?.code, 'BHD001');
    assert.equal(f.static?.[0]?.line, withLine);
    assert.equal(f.static?.[0]?.file, stream, 'found in the workspace by its path suffix');
    const tree = await vscode.commands.executeCommand<SnapshotNode[]>('backendHang.captures.snapshot', 2);
    assert.match(tree[0].label, /incident-42\.txt/);
    assert.match(tree[0].description ?? '', /event loop blocked · faulthandler/);
    assert.ok(tree[0].children?.some((n) => n.kind === 'blocked'));
    const went = await vscode.commands.executeCommand<{ uri: string; line: number }>(
      'backendHang.revealFrame',
      await blockedNode(),
    );
    assert.equal(went?.uri, vscode.Uri.file(stream).toString());
    assert.equal(went?.line, withLine);
  });

  test('Copy as Markdown: the verdict, the marked stack and the source lines, on the clipboard', async () => {
    const md = await vscode.commands.executeCommand<string>('backendHang.copyCaptureMarkdown');
    assert.match(md, /^## Event loop blocked \(incident-42\.txt at /);
    assert.match(
      md,
      /\*\*Fix here:\*\* `backend\/app\/api\/routes\/stream\.py:18:\d+` BHD001/,
      'workspace-relative',
    );
    assert.match(md, />> event_generator \(\/srv\/api\/app\/api\/routes\/stream\.py:18\)\s+<- your code/);
    assert.match(md, new RegExp(`> ${withLine} \\| +with ThreadPoolExecutor`));
    assert.equal(await vscode.env.clipboard.readText(), md);
  });

  test('Paste Dump: py-spy text from the clipboard becomes a capture of the same process shape', async () => {
    await vscode.env.clipboard.writeText(foreign('pyspy0.4.3-py3.12.txt'));
    const [capture] = await vscode.commands.executeCommand<Capture[]>('backendHang.pasteDump');
    assert.equal(capture?.origin?.kind, 'clipboard');
    assert.equal(capture.dump.format, 'py-spy-text');
    assert.equal(capture.diagnosis.findings[0]?.blockingCall, 'ThreadPoolExecutor.shutdown');
    assert.equal(capture.diagnosis.findings[0]?.static?.[0]?.line, withLine);
    await vscode.env.clipboard.writeText('not a dump at all');
    assert.equal(
      await vscode.commands.executeCommand('backendHang.pasteDump'),
      undefined,
      'refused with a message',
    );
  });

  test('a hung server in a Docker container, picked like a local one: frames map to the workspace through its mount', async function () {
    const why = dockerAvailable();
    if (why) throw new Error(why);
    let hung: HungContainer | undefined;
    try {
      hung = await startHungContainer({ appDir: path.join(ws, 'backend') });
      // Other servers on the machine open the picker with the workspace's server preselected: accept it.
      const capture = await runAcceptingPicker<Capture>('backendHang.captureDump');
      assert.ok(capture, 'captured from the picker');
      assert.equal(capture.origin?.kind, 'container');
      assert.equal(
        capture.origin?.container,
        hung.name,
        'the container mounting the workspace was preselected',
      );
      assert.equal(capture.pid, 1);
      const f = capture.diagnosis.findings[0];
      assert.equal(f?.blockingCall, 'ThreadPoolExecutor.shutdown');
      assert.equal(f.frame?.file, '/app/app/api/routes/stream.py');
      assert.equal(f.static?.[0]?.file, stream, 'mapped through the bind mount');
      const tree = await vscode.commands.executeCommand<SnapshotNode[]>('backendHang.captures.snapshot', 1);
      assert.match(tree[0].label, new RegExp(`${hung.name} · pid 1`));
      const went = await vscode.commands.executeCommand<{ uri: string; line: number }>(
        'backendHang.revealFrame',
        await blockedNode(),
      );
      assert.equal(went?.uri, vscode.Uri.file(stream).toString());
    } finally {
      await hung?.stop();
    }
  });

  /** The newest capture's "Event loop blocked" node, as the tree hands it to commands. */
  async function blockedNode(): Promise<unknown> {
    const [c] = await vscode.commands.executeCommand<Capture[]>('backendHang.captures.list');
    return { kind: 'blocked', capture: c, finding: c.diagnosis.findings[0], id: `${c.id}/blocked` };
  }
});
