// The triage and verify orchestration against in-process servers, with the listener lookup and the capture
// passed in (no py-spy): which runs capture, the checklists, the text and the JSON shapes of the issue.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { triageChecklist, verifyChecklist } from '../../src/serverChecks/checklist';
import { formatTriageText, triageJson, verifyJson } from '../../src/serverChecks/format';
import { runTriage } from '../../src/serverChecks/triage';
import type { ListenerInfo, ServerCapture } from '../../src/serverChecks/types';
import { runVerify } from '../../src/serverChecks/verify';

/** A fake listener and capture: the orchestration is tested without py-spy. */
const fakeListener = (port: number): ListenerInfo => ({
  pid: 4242,
  role: 'server',
  command: 'uvicorn app.main:app',
  fds: 12,
  fdLimit: 1024,
  threads: 7,
  rssBytes: 50e6,
  uptimeSeconds: 30,
  port,
  serving: [],
});
const fakeCapture =
  (calls: ListenerInfo[]) =>
  async (l: ListenerInfo): Promise<ServerCapture> => {
    calls.push(l);
    return {
      captures: [
        {
          pid: l.pid,
          role: l.role,
          capture: {
            pid: l.pid,
            threads: [],
            findings: [
              {
                kind: 'event-loop-blocked',
                thread: 'MainThread',
                blockingCall: 'ThreadPoolExecutor.shutdown',
                frame: { function: 'event_generator', file: '/srv/app/api/routes/stream.py', line: 18 },
                message: 'Event loop blocked in ThreadPoolExecutor.shutdown',
              },
            ],
          },
        },
      ],
      failures: [],
    };
  };

/** A server that freezes /health for `freezeMs` after a client leaves /stream (what the bug does). */
async function streamServer(freezeMs: number): Promise<{ url: string; close(): Promise<void> }> {
  let frozenUntil = 0;
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      setTimeout(() => res.end('ok'), Math.max(0, frozenUntil - Date.now()));
    } else if (req.url === '/stream') {
      open.add(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      res.on('close', () => {
        open.delete(res);
        frozenUntil = Date.now() + freezeMs;
      });
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('triage orchestration', () => {
  test('healthy: no capture; hung: the listener is captured at once', async () => {
    const s = await streamServer(1500);
    const calls: ListenerInfo[] = [];
    const deps = { findListener: async (port: number) => fakeListener(port), capture: fakeCapture(calls) };
    try {
      const ok = await runTriage({ url: s.url, timeoutMs: 500 }, deps);
      assert.equal(ok.verdict, 'unhealthy', '/ is a 404 on this server');
      assert.deepEqual(
        ok.probes.map((p) => [p.path, p.status]),
        [
          ['/', 404],
          ['/health', 200],
        ],
      );
      const healthy = await runTriage(
        { url: s.url, timeoutMs: 500, healthPaths: ['/health', '/health'] },
        {
          ...deps,
          probeAll: async (_u, paths) =>
            paths.map((path) => ({
              path,
              status: 200,
              ms: 1,
              timedOut: false,
              error: null,
              connected: true,
            })),
        },
      );
      assert.equal(healthy.verdict, 'healthy');
      assert.deepEqual(
        healthy.probes.map((p) => p.path),
        ['/', '/health'],
      );
      assert.equal(calls.length, 0);

      // Leave the stream: /health freezes for 1.5 s.
      const res = await new Promise<http.IncomingMessage>((r) =>
        http.get(`${s.url}/stream`, { agent: false }, r),
      );
      res.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const hung = await runTriage({ url: s.url, healthPaths: ['/health'], timeoutMs: 300 }, deps);
      assert.equal(hung.verdict, 'hung');
      assert.equal(calls.length, 1);
      assert.equal(hung.capture?.capture.findings[0].frame?.line, 18);
      const json = triageJson(hung);
      assert.deepEqual(Object.keys(json).slice(0, 5), ['url', 'verdict', 'probes', 'listener', 'capture']);
      assert.deepEqual(Object.keys((json.probes as object[])[1]), [
        'path',
        'status',
        'ms',
        'timedOut',
        'error',
      ]);
      assert.deepEqual(Object.keys(json.listener as object).slice(0, 5), [
        'pid',
        'role',
        'fds',
        'threads',
        'rssBytes',
      ]);
      const items = triageChecklist(hung);
      assert.deepEqual(
        items.map((i) => [i.id, i.status]),
        [
          ['root', 'fail'],
          ['health:/health', 'fail'],
          ['listener', 'pass'],
          ['fds', 'pass'],
          ['stacks', 'fail'],
        ],
      );
      assert.deepEqual(items[4].location, {
        function: 'event_generator',
        file: '/srv/app/api/routes/stream.py',
        line: 18,
      });
      const text = formatTriageText(hung);
      assert.match(text, /HUNG: accepts connections, does not answer/);
      assert.match(
        text,
        /stacks +event loop blocked in ThreadPoolExecutor\.shutdown at app\/api\/routes\/stream\.py:18 \(event_generator\) · pid 4242 \(server\)/,
      );
      assert.match(text, /fix it: +backend-hang check --fix \/srv\/app\/api\/routes\/stream\.py/);
    } finally {
      await s.close();
    }
  });

  test('a capture that throws is reported, not thrown; a remote URL is neither looked up nor captured', async () => {
    const hungProbes = async (_u: string, paths: readonly string[]) =>
      paths.map((path) => ({
        path,
        status: null,
        ms: 300,
        timedOut: true,
        error: 'timeout' as const,
        connected: true,
      }));
    const r = await runTriage(
      { url: 'http://127.0.0.1:9' },
      {
        findListener: async (p) => fakeListener(p),
        capture: async () => {
          throw new Error('boom');
        },
        probeAll: hungProbes,
      },
    );
    assert.deepEqual(r.captureFailures, [{ pid: 4242, kind: 'Error', message: 'boom' }]);
    let looked = false;
    const remote = await runTriage(
      { url: 'http://10.1.2.3:8000' },
      {
        findListener: async () => ((looked = true), undefined),
        capture: async () => assert.fail('no capture of a remote host'),
        probeAll: hungProbes,
      },
    );
    assert.equal(looked, false);
    assert.equal(remote.listener, null);
    assert.match(remote.listenerNote ?? '', /not this machine/);
  });
});

describe('verify orchestration', () => {
  test('a server that freezes after an abort fails in round 1, captured, the other rounds skipped', async () => {
    const s = await streamServer(2000);
    const calls: ListenerInfo[] = [];
    try {
      const r = await runVerify(
        {
          url: s.url,
          streamPath: '/stream',
          abortAfterMs: 200,
          rounds: 3,
          maxLatencyMs: 300,
          probeTimeoutMs: 600,
          settleMs: 50,
        },
        { findListener: async (p) => fakeListener(p), capture: fakeCapture(calls) },
      );
      assert.equal(r.verdict, 'fail');
      assert.equal(r.rounds.length, 1);
      assert.equal(r.rounds[0].timedOut, true);
      assert.equal(r.duringStream[0].timedOut, false, 'health answers while the stream is open');
      assert.equal(r.skippedRounds, 2);
      assert.equal(calls.length, 1);
      const json = verifyJson(r);
      assert.equal(json.verdict, 'fail');
      assert.deepEqual(Object.keys((json.rounds as object[])[0]).slice(1, 4), [
        'abortAfterMs',
        'healthMs',
        'timedOut',
      ]);
      assert.ok(json.capture);
      assert.deepEqual(
        verifyChecklist(r).map((i) => [i.id, i.status]),
        [
          ['during:1', 'pass'],
          ['abort:1', 'fail'],
          ['skipped', 'skip'],
          ['listener', 'pass'],
          ['fds', 'pass'],
          ['stacks', 'fail'],
        ],
      );
    } finally {
      await s.close();
    }
  });

  test('a server that keeps answering passes every round; a wrong stream path is an error', async () => {
    const s = await streamServer(0);
    try {
      const deps = {
        findListener: async () => undefined,
        capture: async () => assert.fail('no capture on a pass'),
      };
      const r = await runVerify(
        { url: s.url, streamPath: '/stream', abortAfterMs: 150, rounds: 2, settleMs: 50 },
        deps,
      );
      assert.equal(r.verdict, 'pass');
      assert.equal(r.rounds.length, 2);
      assert.ok(r.rounds.every((x) => !x.timedOut && x.status === 200 && x.healthMs < 1000));
      const bad = await runVerify({ url: s.url, streamPath: '/nope', abortAfterMs: 150, rounds: 1 }, deps);
      assert.equal(bad.verdict, 'error');
      assert.match(bad.error ?? '', /\/nope answered 404/);
    } finally {
      await s.close();
    }
  });
});
