// The watch's state machine (one capture per hang, warnings while a probe is in flight), the settings parser,
// and the checks store's before/after comparison.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChecksStore, compareItems } from '../../src/serverChecks/checksStore';
import { parseServerSettings } from '../../src/serverChecks/settings';
import type { ProbeResult, TriageResult } from '../../src/serverChecks/types';
import { statusText, WatchMachine } from '../../src/serverChecks/watchState';

const ok = (ms: number, status = 200): ProbeResult => ({
  path: '/health',
  status,
  ms,
  timedOut: false,
  error: null,
  connected: true,
});
const hung: ProbeResult = {
  path: '/health',
  status: null,
  ms: 3000,
  timedOut: true,
  error: 'timeout',
  connected: true,
};
const refused: ProbeResult = {
  path: '/health',
  status: null,
  ms: 1,
  timedOut: false,
  error: 'refused',
  connected: false,
};

describe('watch state machine', () => {
  test('ok → slow while in flight → hung: one capture per hang episode', () => {
    const m = new WatchMachine(1000);
    assert.equal(m.state.level, 'starting');
    assert.deepEqual(m.result(ok(12), 0), {
      state: { level: 'ok', probes: 1, lastMs: 12, lastStatus: 200 },
      capture: false,
    });
    assert.equal(statusText(m.state, false), '$(pulse) 12 ms');
    // In flight past the threshold: a warning before the answer arrives.
    assert.equal(m.waiting(1400).state.level, 'slow');
    assert.equal(statusText(m.state, false), '$(warning) 1.4 s');
    const first = m.result(hung, 5000);
    assert.equal(first.capture, true);
    assert.equal(first.state.level, 'hung');
    assert.equal(first.state.hungSince, 5000);
    const again = m.result(hung, 8000);
    assert.equal(again.capture, false, 'the same hang is captured once');
    assert.equal(again.state.hungSince, 5000);
    assert.equal(statusText(m.state, true), '$(error) hung · captured');
    // It answers again, then hangs again: a new episode, a new capture.
    assert.equal(m.result(ok(5), 11000).state.level, 'ok');
    assert.equal(m.result(hung, 13000).capture, true);
  });

  test('slow answers, errors and refusals', () => {
    const m = new WatchMachine(500);
    assert.equal(m.result(ok(800), 0).state.level, 'slow');
    assert.equal(m.result(ok(10, 503), 0).state.level, 'error');
    assert.equal(statusText(m.state, false), '$(error) 503');
    const down = m.result(refused, 0);
    assert.deepEqual([down.state.level, down.capture], ['down', false]);
    assert.equal(statusText(m.state, false), '$(debug-disconnect) down');
    assert.equal(m.waiting(5000).state.level, 'down', 'in-flight ticks do not hide a down server');
  });
});

describe('settings', () => {
  test('defaults and parsing', () => {
    const none = parseServerSettings(() => undefined);
    assert.deepEqual(none, {
      url: '',
      healthPaths: ['/health'],
      streamPath: '',
      watch: { enabled: false, intervalMs: 2000, thresholdMs: 1000, timeoutMs: 3000, autoCapture: true },
    });
    const raw: Record<string, unknown> = {
      'server.url': ' http://127.0.0.1:8000 ',
      'server.healthPaths': ['healthz', '', 7, '/ready'],
      'server.streamPath': 'news/stream',
      'watch.enabled': true,
      'watch.intervalSeconds': 0.5,
      'watch.thresholdMs': 250,
      'watch.timeoutSeconds': -1,
      'watch.autoCapture': false,
    };
    const s = parseServerSettings((k) => raw[k]);
    assert.deepEqual(s, {
      url: 'http://127.0.0.1:8000',
      healthPaths: ['/healthz', '/ready'],
      streamPath: '/news/stream',
      watch: { enabled: true, intervalMs: 500, thresholdMs: 250, timeoutMs: 3000, autoCapture: false },
    });
  });
});

describe('checks store', () => {
  const triage = (verdict: TriageResult['verdict'], ms: number | null): TriageResult => ({
    kind: 'triage',
    url: 'http://127.0.0.1:8000',
    verdict,
    probes: [ms === null ? { ...hung, path: '/' } : { ...ok(ms), path: '/' }],
    listener: null,
    captures: [],
    captureFailures: [],
    startedAt: '',
    durationMs: 1,
  });
  const req = { kind: 'triage' as const, url: 'http://127.0.0.1:8000', healthPaths: [], timeoutMs: 5000 };

  test('runs by URL, newest first; the two newest of a kind compared', () => {
    const store = new ChecksStore(3);
    let changes = 0;
    store.onChange(() => changes++);
    store.add(triage('hung', null), req);
    assert.deepEqual(store.comparisons(req.url), []);
    store.add(triage('healthy', 4), req);
    const [cmp] = store.comparisons(req.url);
    assert.deepEqual([cmp.before.verdict, cmp.after.verdict], ['hung', 'healthy']);
    const root = cmp.rows.find((r) => r.id === 'root')!;
    assert.deepEqual([root.before?.status, root.after?.status], ['fail', 'pass']);
    store.add(triage('healthy', 3), req);
    store.add(triage('healthy', 2), req);
    assert.equal(store.list().length, 3, 'bounded');
    assert.equal(changes, 4);
    store.remove(store.list()[0].id);
    assert.equal(store.list().length, 2);
    store.clear();
    assert.deepEqual(store.urls(), []);
  });

  test('rows in the newer order, then items only the older run had', () => {
    const item = (id: string) => ({ id, label: id, status: 'pass' as const, detail: '' });
    assert.deepEqual(
      compareItems([item('a'), item('gone')], [item('b'), item('a')]).map((r) => [
        r.id,
        Boolean(r.before),
        Boolean(r.after),
      ]),
      [
        ['b', false, true],
        ['a', true, true],
        ['gone', true, false],
      ],
    );
  });
});
