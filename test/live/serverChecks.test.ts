// `backend-hang triage` and `backend-hang verify` against real uvicorn: the demo backend healthy, hung by an
// aborted stream (listener pid and the blocked `with` line in the capture), under --reload (the spawned child
// is captured), before and after the project's own fix; nothing listening (down); an app answering 500.
// Run: node esbuild.mjs && node --test out/test/live/serverChecks.test.js   (needs .cache/venv)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixFiles } from '../../src/cli/fixFiles';
import { abortStream, repoRoot, runCli, startNewsBackend, type NewsBackend } from './liveBackend';

const DEMO = path.join(repoRoot(), 'examples', 'news-backend', 'backend');
const STREAM_PY = path.join('app', 'api', 'routes', 'stream.py');
/** The line of `with ThreadPoolExecutor(...)` in the shipped demo (18 today). */
const WITH_LINE =
  fs
    .readFileSync(path.join(DEMO, STREAM_PY), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('with ThreadPoolExecutor')) + 1;

interface TriageJson {
  url: string;
  verdict: string;
  probes: { path: string; status: number | null; ms: number; timedOut: boolean; error: string | null }[];
  listener: {
    pid: number;
    role: string;
    fds: number;
    threads: number;
    rssBytes: number;
    serving: { pid: number }[];
  } | null;
  capture?: {
    pid: number;
    findings: { blockingCall: string; frame: { file: string; line: number; function: string } | null }[];
  };
}

async function triage(
  args: string[],
): Promise<{ code: number; json: TriageJson; ms: number; stderr: string }> {
  const t0 = performance.now();
  const r = await runCli(['triage', ...args, '--format', 'json']);
  const ms = Math.round(performance.now() - t0);
  assert.ok(r.stdout.trim().startsWith('{'), `no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return { code: r.code, json: JSON.parse(r.stdout) as TriageJson, ms, stderr: r.stderr };
}

function assertBlockedWith(capture: TriageJson['capture'], appDir: string): void {
  assert.ok(capture, 'a capture');
  const [finding] = capture.findings;
  assert.equal(finding?.blockingCall, 'ThreadPoolExecutor.shutdown');
  assert.equal(finding.frame?.file, path.join(appDir, STREAM_PY));
  assert.equal(finding.frame?.line, WITH_LINE);
  assert.equal(finding.frame?.function, 'news_stream.<locals>.event_generator');
}

describe('triage: the demo backend, slow feeds (20 s)', () => {
  let backend: NewsBackend;
  before(async () => {
    backend = await startNewsBackend({ feedDelaySeconds: 20 });
  });
  after(async () => {
    await backend?.stop();
  });

  test('healthy: exit 0, both probes 200, the listener is uvicorn', async () => {
    const { code, json, ms } = await triage([backend.baseUrl]);
    console.log(
      `triage healthy: ${ms} ms wall (CLI start included); probes ${json.probes.map((p) => `${p.path} ${p.ms} ms`).join(', ')}`,
    );
    assert.equal(code, 0);
    assert.equal(json.verdict, 'healthy');
    assert.deepEqual(
      json.probes.map((p) => [p.path, p.status, p.timedOut, p.error]),
      [
        ['/', 200, false, null],
        ['/health', 200, false, null],
      ],
    );
    assert.equal(json.listener?.pid, backend.pid);
    assert.equal(json.listener?.role, 'server');
    assert.ok(json.listener.fds > 3 && json.listener.threads >= 1 && json.listener.rssBytes > 10e6);
    assert.equal(json.capture, undefined);
  });

  test('hung after an aborted stream: exit 1, listener pid, the blocked with-line captured', async () => {
    await abortStream(backend.baseUrl, 1000);
    const { code, json, ms, stderr } = await triage([backend.baseUrl, '--timeout', '2']);
    console.log(`triage hung: ${ms} ms wall (2 s probe time-out + py-spy)`);
    assert.equal(code, 1, stderr);
    assert.equal(json.verdict, 'hung');
    assert.ok(json.probes.every((p) => p.timedOut && p.status === null && p.error === 'timeout'));
    assert.equal(json.listener?.pid, backend.pid);
    assert.equal(json.capture?.pid, backend.pid);
    assertBlockedWith(json.capture, DEMO);

    const text = await runCli(['triage', backend.baseUrl, '--timeout', '1']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /HUNG: accepts connections, does not answer/);
    assert.match(
      text.stdout,
      new RegExp(
        `✗ stacks +event loop blocked in ThreadPoolExecutor\\.shutdown at app/api/routes/stream\\.py:${WITH_LINE} \\(news_stream\\.<locals>\\.event_generator\\) · pid ${backend.pid} \\(server\\)`,
      ),
    );
    assert.match(text.stdout, /fix it: +backend-hang check --fix .*stream\.py/);
  });
});

describe('triage: --reload', () => {
  test('the reloader listens; its spawned child is the one captured', async () => {
    const backend = await startNewsBackend({ reload: true, feedDelaySeconds: 20 });
    try {
      const [child] = await backend.servingPids();
      await abortStream(backend.baseUrl, 1000);
      const { code, json } = await triage([backend.baseUrl, '--timeout', '2']);
      assert.equal(code, 1);
      assert.equal(json.verdict, 'hung');
      assert.equal(json.listener?.pid, backend.pid);
      assert.equal(json.listener?.role, 'reloader');
      assert.deepEqual(
        json.listener?.serving.map((s) => s.pid),
        [child],
      );
      assert.equal(json.capture?.pid, child);
      assertBlockedWith(json.capture, DEMO);
    } finally {
      await backend.stop();
    }
  });
});

describe('triage: --workers 2 with one worker stuck', () => {
  test('the probes may pass on the healthy worker: the verdict is still not healthy, the stuck worker captured', async () => {
    const backend = await startNewsBackend({ workers: 2, feedDelaySeconds: 20 });
    try {
      await abortStream(backend.baseUrl, 1000);
      const { code, json } = await triage([backend.baseUrl, '--timeout', '2']);
      assert.equal(code, 1, `verdict ${json.verdict}`);
      // A probe that lands on the stuck worker times out (hung); one answered by the other is partly-hung.
      assert.ok(json.verdict === 'partly-hung' || json.verdict === 'hung', json.verdict);
      assert.equal(json.listener?.serving.length, 2);
      assertBlockedWith(json.capture, DEMO);
      const text = await runCli(['triage', backend.baseUrl, '--timeout', '2']);
      assert.match(text.stdout, /(PARTLY HUNG|HUNG): /);
    } finally {
      await backend.stop();
    }
  });
});

describe("verify: before and after the project's own fix (20 s feeds)", () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-verify-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the demo as shipped fails in round 1 with the blocked with-line captured (exit 1)', async () => {
    const backend = await startNewsBackend({ feedDelaySeconds: 20 });
    try {
      const t0 = performance.now();
      const r = await runCli(['verify', backend.baseUrl, '--stream', '/news/stream', '--format', 'json']);
      console.log(`verify before the fix: exit ${r.code} in ${Math.round(performance.now() - t0)} ms`);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const json = JSON.parse(r.stdout) as {
        verdict: string;
        rounds: { healthMs: number; timedOut: boolean }[];
        duringStream: { timedOut: boolean }[];
        skippedRounds: number;
        capture: TriageJson['capture'];
      };
      assert.equal(json.verdict, 'fail');
      assert.equal(json.rounds.length, 1);
      assert.equal(json.rounds[0].timedOut, true);
      assert.equal(
        json.duringStream[0].timedOut,
        false,
        'health answers while the stream is open: the freeze comes with the abort',
      );
      assert.equal(json.skippedRounds, 2);
      assertBlockedWith(json.capture, DEMO);
    } finally {
      await backend.stop();
    }
  });

  test('after `check --fix` (fixFiles) the same verify passes 3 rounds (exit 0)', async () => {
    const appDir = path.join(tmp, 'backend');
    fs.cpSync(DEMO, appDir, { recursive: true, filter: (src) => !src.includes('__pycache__') });
    const [report] = await fixFiles([path.join(appDir, STREAM_PY)]);
    assert.deepEqual(
      report.applied.map((f) => f.code),
      ['BHD001'],
      JSON.stringify(report),
    );
    const backend = await startNewsBackend({ appDir, feedDelaySeconds: 20 });
    try {
      const r = await runCli(['verify', backend.baseUrl, '--stream', '/news/stream', '--format', 'json']);
      const json = JSON.parse(r.stdout) as {
        verdict: string;
        rounds: { healthMs: number; timedOut: boolean }[];
        duringStream: { healthMs: number }[];
      };
      console.log(
        `verify after the fix: /health after each abort ${json.rounds.map((x) => `${x.healthMs} ms`).join(', ')}`,
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(json.verdict, 'pass');
      assert.equal(json.rounds.length, 3);
      assert.ok(json.rounds.every((x) => !x.timedOut && x.healthMs < 1000));
      const text = await runCli(['verify', backend.baseUrl, '--stream', '/news/stream', '--rounds', '1']);
      assert.equal(text.code, 0);
      assert.match(text.stdout, /PASS: health kept answering through every aborted stream/);
      assert.match(text.stdout, /✓ abort after 1\.0 s does not freeze \(round 1\)/);
    } finally {
      await backend.stop();
    }
  });
});

describe('triage: down and unhealthy', () => {
  test('nothing listening: down, exit 1, no listener', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const { code, json } = await triage([`http://127.0.0.1:${port}`]);
    assert.equal(code, 1);
    assert.equal(json.verdict, 'down');
    assert.ok(json.probes.every((p) => p.error === 'refused' && p.status === null));
    assert.equal(json.listener, null);
    const v = await runCli(['verify', `http://127.0.0.1:${port}`, '--stream', '/news/stream']);
    assert.equal(v.code, 2, 'verify cannot run against a server that is not there');
  });

  test('an app whose root answers 500: unhealthy, exit 1, listener found, no capture', async () => {
    const appDir = path.join(repoRoot(), 'test', 'fixtures', 'apps', 'unhealthy');
    const backend = await startNewsBackend({ appDir, feedUrl: 'http://127.0.0.1:9' });
    try {
      const { code, json } = await triage([backend.baseUrl, '--health', '/health', '--health', '/ready']);
      assert.equal(code, 1);
      assert.equal(json.verdict, 'unhealthy');
      assert.deepEqual(
        json.probes.map((p) => [p.path, p.status]),
        [
          ['/', 500],
          ['/health', 200],
          ['/ready', 503],
        ],
      );
      assert.equal(json.listener?.pid, backend.pid);
      assert.equal(json.capture, undefined);
    } finally {
      await backend.stop();
    }
  });
});
