// The probe logic against real in-process HTTP servers on 127.0.0.1: answering, slow, refusing, resetting,
// 500, redirecting, headers-then-silence; and the verdict a person would draw from each.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  answered,
  classifyError,
  describeProbe,
  joinUrl,
  probe,
  probeAll,
  verdictOf,
} from '../../src/serverChecks/probe';
import { isLoopbackUrl, normalizeUrl, portOf } from '../../src/serverChecks/target';
import type { ProbeResult } from '../../src/serverChecks/types';

/** One server whose routes behave like the cases of the issue. */
let server: http.Server;
let base: string;
const hits: string[] = [];
const pending = new Set<http.ServerResponse>();

before(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    switch (req.url) {
      case '/ok':
        res.end('{"status":"healthy"}');
        return;
      case '/slow': // answers after 2 s: later than every time-out below
        pending.add(res);
        setTimeout(() => res.end('late'), 2000).unref();
        return;
      case '/error':
        res.statusCode = 500;
        res.end('Internal Server Error');
        return;
      case '/missing':
        res.statusCode = 404;
        res.end();
        return;
      case '/redirect':
        res.writeHead(307, { location: '/ok' });
        res.end();
        return;
      case '/close': // drops the connection without a word
        req.socket.destroy();
        return;
      case '/rst': // a real TCP RST
        req.socket.resetAndDestroy();
        return;
      case '/headers-then-silence': // a hang between headers and body
        pending.add(res);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        return;
      default:
        res.statusCode = 404;
        res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const res of pending) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** A port nothing listens on: bound, then closed. */
async function refusedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('probe', () => {
  test('an answering route: 200, fast, no error', async () => {
    const p = await probe(base, '/ok', { timeoutMs: 2000 });
    assert.equal(p.status, 200);
    assert.equal(p.error, null);
    assert.equal(p.timedOut, false);
    assert.equal(p.connected, true);
    assert.ok(p.ms < 1000, `${p.ms} ms`);
    assert.equal(answered(p), true);
    assert.match(describeProbe(p), /^200 in \d+ ms$/);
  });

  test('a slow route: connected, then the time-out (a hang), measured at the time-out', async () => {
    const p = await probe(base, '/slow', { timeoutMs: 300 });
    assert.deepEqual([p.status, p.error, p.timedOut, p.connected], [null, 'timeout', true, true]);
    assert.ok(p.ms >= 290 && p.ms < 1000, `${p.ms} ms`);
    assert.equal(verdictOf([p]), 'hung');
    assert.match(describeProbe(p), /no answer within 0\.3 s \(connected, then silence\)/);
  });

  test('headers then silence is a hang too (the body never completes)', async () => {
    const p = await probe(base, '/headers-then-silence', { timeoutMs: 300 });
    assert.equal(p.status, 200);
    assert.equal(p.timedOut, true);
    assert.equal(verdictOf([p]), 'hung');
  });

  test('a refused port: not connected, refused, the verdict is down', async () => {
    const port = await refusedPort();
    const p = await probe(`http://127.0.0.1:${port}`, '/health', { timeoutMs: 2000 });
    assert.deepEqual([p.status, p.error, p.timedOut, p.connected], [null, 'refused', false, false]);
    assert.ok(p.ms < 1000);
    assert.equal(verdictOf([p, { ...p, path: '/' }]), 'down');
    assert.equal(describeProbe(p), 'connection refused (nothing listening)');
  });

  test('a connection dropped without an answer (FIN, and a real RST) is a reset: unhealthy', async () => {
    for (const path of ['/close', '/rst']) {
      const p = await probe(base, path, { timeoutMs: 2000 });
      assert.equal(p.error, 'reset', `${path}: ${p.message}`);
      assert.equal(p.connected, true);
      assert.equal(p.timedOut, false);
      assert.equal(verdictOf([p]), 'unhealthy', path);
    }
  });

  test('a 500 answers with an error: unhealthy', async () => {
    const p = await probe(base, '/error', { timeoutMs: 2000 });
    assert.deepEqual([p.status, p.error, p.timedOut], [500, null, false]);
    assert.equal(answered(p), false);
    assert.equal(verdictOf([p]), 'unhealthy');
    const missing = await probe(base, '/missing', { timeoutMs: 2000 });
    assert.match(describeProbe(missing), /^404 in \d+ ms \(is the path right\?\)$/);
  });

  test('a redirect answers (3xx) and is not followed', async () => {
    const before = hits.length;
    const p = await probe(base, '/redirect', { timeoutMs: 2000 });
    assert.equal(p.status, 307);
    assert.equal(p.location, '/ok');
    assert.equal(answered(p), true);
    assert.equal(verdictOf([p]), 'healthy');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(hits.slice(before), ['/redirect'], 'only the redirect itself was requested');
    assert.match(describeProbe(p), /^307 in \d+ ms → \/ok \(not followed\)$/);
  });

  test('probeAll runs in parallel: two 400 ms time-outs take ~400 ms, not 800', async () => {
    const t0 = performance.now();
    const ps = await probeAll(base, ['/slow', '/slow', '/ok'], { timeoutMs: 400 });
    const ms = performance.now() - t0;
    assert.deepEqual(
      ps.map((p) => [p.path, p.timedOut]),
      [
        ['/slow', true],
        ['/slow', true],
        ['/ok', false],
      ],
    );
    assert.ok(ms < 750, `took ${Math.round(ms)} ms`);
  });

  test('an abort signal ends a probe at once', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const p = await probe(base, '/slow', { timeoutMs: 5000, signal: ac.signal });
    assert.equal(p.message, 'cancelled');
    assert.ok(p.ms < 1000);
  });
});

describe('verdict', () => {
  const r = (o: Partial<ProbeResult>): ProbeResult => ({
    path: '/',
    status: 200,
    ms: 5,
    timedOut: false,
    error: null,
    connected: true,
    ...o,
  });
  const timedOut = r({ status: null, timedOut: true, error: 'timeout' });
  const refused = r({ status: null, error: 'refused', connected: false });
  const table: [string, ProbeResult[], string][] = [
    ['all 200', [r({}), r({ path: '/health' })], 'healthy'],
    ['one hung beats a 500', [r({ status: 500 }), timedOut], 'hung'],
    ['all refused', [refused, refused], 'down'],
    ['dns failure', [r({ status: null, error: 'dns', connected: false })], 'down'],
    [
      'connect time-out (firewall) is down, not hung',
      [r({ status: null, timedOut: true, error: 'connect-timeout', connected: false })],
      'down',
    ],
    ['a 503 on /health', [r({}), r({ path: '/health', status: 503 })], 'unhealthy'],
    ['no probes at all', [], 'healthy'],
  ];
  for (const [name, probes, want] of table) test(name, () => assert.equal(verdictOf(probes), want));

  test('socket errors map to probe errors', () => {
    const e = (code: string, message = code): NodeJS.ErrnoException =>
      Object.assign(new Error(message), { code });
    assert.equal(classifyError(e('ECONNREFUSED'), false), 'refused');
    assert.equal(classifyError(e('ECONNRESET'), true), 'reset');
    assert.equal(classifyError(new Error('socket hang up'), true), 'reset');
    assert.equal(classifyError(e('ENOTFOUND'), false), 'dns');
    assert.equal(classifyError(e('EHOSTUNREACH'), false), 'unreachable');
    assert.equal(classifyError(e('ETIMEDOUT'), false), 'connect-timeout');
    assert.equal(classifyError(e('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), true), 'tls');
  });
});

describe('target URLs', () => {
  test('normalise what people type', () => {
    assert.equal(normalizeUrl('8000'), 'http://127.0.0.1:8000');
    assert.equal(normalizeUrl(':8000'), 'http://127.0.0.1:8000');
    assert.equal(normalizeUrl('localhost:8000'), 'http://localhost:8000');
    assert.equal(normalizeUrl('http://127.0.0.1:8000/'), 'http://127.0.0.1:8000');
    assert.equal(normalizeUrl('https://api.example.com/v1/?x=1#y'), 'https://api.example.com/v1');
    assert.throws(() => normalizeUrl('ftp://x'), /only http and https/);
    assert.throws(() => normalizeUrl('   '), /empty URL/);
  });

  test('only this machine is loopback', () => {
    for (const u of [
      'http://127.0.0.1:8000',
      'http://localhost',
      'http://[::1]:8000',
      'http://api.localhost:3000',
      'http://127.1.2.3',
    ])
      assert.equal(isLoopbackUrl(u), true, u);
    for (const u of [
      'http://10.0.0.5:8000',
      'http://example.com',
      'http://0.0.0.0:8000',
      'http://localhost.example.com',
    ])
      assert.equal(isLoopbackUrl(u), false, u);
  });

  test('ports and joined paths', () => {
    assert.equal(portOf('http://127.0.0.1:8000'), 8000);
    assert.equal(portOf('http://localhost'), 80);
    assert.equal(portOf('https://localhost'), 443);
    assert.equal(joinUrl('http://h:1/api', '/health').toString(), 'http://h:1/api/health');
    assert.equal(joinUrl('http://h:1', 'health').toString(), 'http://h:1/health');
    assert.equal(joinUrl('http://h:1/', '/').toString(), 'http://h:1/');
  });
});
