// Server checks in a real extension host, against the live demo backend run from the test workspace: the watch
// (default settings) catches a hang that starts while it runs and captures the stacks by itself; triage shows
// its checklist healthy and hung; verify fails on the demo as shipped and passes on the project's own fix
// served on the same port, and the Checks view shows the two verify runs side by side.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fixFiles } from '../../src/cli/fixFiles';
import type { ChecksSnapshotNode } from '../../src/serverChecks/checksTreeProvider';
import type { TriageResult, VerifyResult } from '../../src/serverChecks/types';
import type { WatchSnapshot } from '../../src/serverChecks/watchController';
import { abortStream, startNewsBackend, type NewsBackend } from '../live/liveBackend';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const watchState = (): Thenable<WatchSnapshot> =>
  vscode.commands.executeCommand<WatchSnapshot>('backendHang.watch.state');
const snapshot = (depth = 4): Thenable<ChecksSnapshotNode[]> =>
  vscode.commands.executeCommand<ChecksSnapshotNode[]>('backendHang.checks.snapshot', depth);

/** The run nodes of one URL, newest first. */
async function runsOf(url: string): Promise<ChecksSnapshotNode[]> {
  const group = (await snapshot()).find((n) => n.kind === 'url' && n.label === url);
  return group?.children?.filter((n) => n.kind === 'run') ?? [];
}

suite('server checks: triage, verify, watch', function () {
  this.timeout(180_000);
  let ws: string;
  let streamPy: string;
  let withLine: number;
  let backend: NewsBackend | undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-checks-'));

  suiteSetup(async () => {
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    streamPy = path.join(ws, 'backend', 'app', 'api', 'routes', 'stream.py');
    withLine =
      fs
        .readFileSync(streamPy, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('with ThreadPoolExecutor')) + 1;
    await vscode.extensions.getExtension('backend-hang.backend-hang-debug')!.activate();
    // No PATH change: the capture finds py-spy beside the server's own Python (the project venv).
    backend = await startNewsBackend({ appDir: path.join(ws, 'backend'), feedDelaySeconds: 20 });
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('backendHang.watch.stop');
    await vscode.commands.executeCommand('backendHang.checks.clear');
    await backend?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('triage of the healthy backend: every item passes or is not needed', async () => {
    const r = await vscode.commands.executeCommand<TriageResult>('backendHang.triageServer', {
      url: backend!.baseUrl,
      silent: true,
    });
    assert.equal(r.verdict, 'healthy');
    assert.equal(r.listener?.pid, backend!.pid);
    const [run] = await runsOf(backend!.baseUrl);
    assert.match(run.label, /^Triage \d\d:\d\d:\d\d$/);
    assert.equal(run.description, 'HEALTHY');
    assert.deepEqual(
      run.children!.map((c) => [c.label, c.icon]),
      [
        ['/ answers', 'pass'],
        ['/health answers', 'pass'],
        [`listener on port ${backend!.port}`, 'pass'],
        ['open file descriptors', 'pass'],
        ['stacks', 'circle-slash'],
      ],
    );
  });

  test('the watch catches a hang that starts while it runs and captures the stacks by itself', async () => {
    const started = await vscode.commands.executeCommand<WatchSnapshot>('backendHang.watch.start', {
      url: backend!.baseUrl,
    });
    assert.equal(started.running, true);
    const ok = await until(
      'a first answered probe',
      async () => {
        const s = await watchState();
        return s.state?.level === 'ok' ? s : undefined;
      },
      15_000,
    );
    assert.match(ok.text, /^\$\(pulse\) \d+ ms$/);

    await abortStream(backend!.baseUrl, 1000);
    // abortStream resolves 150 ms after closing the client: the loop blocks right at the close.
    const hangAt = Date.now() - 150;
    const caught = await until(
      'an automatic capture',
      async () => {
        const s = await watchState();
        return s.lastCapture ? s : undefined;
      },
      30_000,
    );
    const seconds = (caught.lastCapture!.capturedAt - hangAt) / 1000;
    console.log(
      `watch (default settings: every 2 s, hung after 3 s): hang to automatic capture ${seconds.toFixed(1)} s ` +
        `(first unanswered probe sent ${((caught.lastCapture!.hungSince - hangAt) / 1000).toFixed(1)} s after the hang)`,
    );
    assert.equal(caught.lastCapture!.blockingCall, 'ThreadPoolExecutor.shutdown');
    assert.equal(caught.lastCapture!.file, streamPy);
    assert.equal(caught.lastCapture!.line, withLine);
    assert.equal(caught.state?.level, 'hung');
    assert.equal(caught.text, '$(error) hung · captured');

    const [run] = await runsOf(backend!.baseUrl);
    assert.match(run.label, /^Watch caught \d\d:\d\d:\d\d$/);
    assert.equal(run.description, 'HUNG');
    const stacks = run.children!.find((c) => c.label === 'stacks')!;
    assert.equal(stacks.icon, 'error');
    assert.equal(
      stacks.description,
      `event loop blocked in ThreadPoolExecutor.shutdown at app/api/routes/stream.py:${withLine} (news_stream.<locals>.event_generator) · pid ${backend!.pid} (server)`,
    );
    assert.match(
      stacks.children![0].label,
      new RegExp(`^py-spy capture of pid ${backend!.pid} \\(server\\)$`),
    );
    const stopped = await vscode.commands.executeCommand<WatchSnapshot>('backendHang.watch.stop');
    assert.equal(stopped.running, false);
    assert.equal(stopped.text, '$(eye) Watch');
  });

  test('triage of the hung backend: the checklist fails the probes and names the blocked line', async () => {
    const r = await vscode.commands.executeCommand<TriageResult>('backendHang.triageServer', {
      url: backend!.baseUrl,
      timeoutMs: 2000,
      silent: true,
    });
    assert.equal(r.verdict, 'hung');
    assert.equal(r.capture?.capture.findings[0]?.frame?.line, withLine);
    const [run] = await runsOf(backend!.baseUrl);
    assert.equal(run.description, 'HUNG');
    assert.deepEqual(
      run.children!.map((c) => [c.label, c.icon]),
      [
        ['/ answers', 'error'],
        ['/health answers', 'error'],
        [`listener on port ${backend!.port}`, 'pass'],
        ['open file descriptors', 'pass'],
        ['stacks', 'error'],
      ],
    );
    assert.match(run.children![1].description!, /^no answer within 2\.0 s \(connected, then silence\)$/);
    // Healthy before, hung now: the triage comparison shows both.
    const group = (await snapshot()).find((n) => n.label === backend!.baseUrl)!;
    const compare = group.children!.find((n) => n.kind === 'compare' && /triage/.test(n.label))!;
    const health = compare.children!.find((n) => n.label === '/health answers')!;
    assert.match(health.description!, /^✓ 200 in \d+ ms {2}│ {2}✗ no answer within 2\.0 s/);
  });

  test('verify fails on the demo as shipped and passes after the fix, side by side in the view', async () => {
    const port = backend!.port;
    const url = backend!.baseUrl;
    // A fresh unfixed server on the same port (the previous one is still hung).
    await backend!.stop();
    backend = await startNewsBackend({ appDir: path.join(ws, 'backend'), feedDelaySeconds: 20, port });
    const before = await vscode.commands.executeCommand<VerifyResult>('backendHang.verifyFix', {
      url,
      streamPath: '/news/stream',
      silent: true,
    });
    assert.equal(before.verdict, 'fail');
    assert.equal(before.capture?.capture.findings[0]?.frame?.line, withLine);

    const fixedDir = path.join(tmp, 'backend');
    fs.cpSync(path.join(ws, 'backend'), fixedDir, {
      recursive: true,
      filter: (s) => !s.includes('__pycache__'),
    });
    const [report] = await fixFiles([path.join(fixedDir, 'app', 'api', 'routes', 'stream.py')]);
    assert.deepEqual(
      report.applied.map((f) => f.code),
      ['BHD001'],
    );
    await backend!.stop();
    backend = await startNewsBackend({ appDir: fixedDir, feedDelaySeconds: 20, port });
    const after = await vscode.commands.executeCommand<VerifyResult>('backendHang.verifyFix', {
      url,
      streamPath: '/news/stream',
      silent: true,
    });
    assert.equal(after.verdict, 'pass', JSON.stringify(after.rounds));
    assert.equal(after.rounds.length, 3);

    const group = (await snapshot()).find((n) => n.label === url)!;
    const compare = group.children!.find((n) => n.kind === 'compare' && /verify/.test(n.label))!;
    assert.match(compare.description!, /^fail \d\d:\d\d:\d\d → pass \d\d:\d\d:\d\d$/);
    const abort1 = compare.children!.find((n) => n.label === 'abort after 1.0 s does not freeze (round 1)')!;
    assert.equal(abort1.icon, 'pass');
    assert.match(
      abort1.description!,
      /^✗ \/health: no answer within 5\.0 s {2}│ {2}✓ \/health: 200 in \d+ ms$/,
    );
    const [verifyRun] = (await runsOf(url)).filter((n) => n.label.startsWith('Verify'));
    assert.equal(verifyRun.description, 'PASS');
    assert.ok(
      verifyRun.children!.filter((c) => c.label.startsWith('abort after')).every((c) => c.icon === 'pass'),
    );
  });
});
