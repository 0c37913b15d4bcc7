import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureStore, formatTime } from '../../src/pyspyView/captureStore';
import { parseJsonDump } from '../../src/pyspyView/dumpParser';
import { fixture } from './pyspyFixtures';

test('captures: newest first, diagnosed, compared with the previous capture of the same pid, bounded', () => {
  const store = new CaptureStore(2);
  let changes = 0;
  const off = store.onChange(() => changes++);
  const hung = parseJsonDump(fixture('single', 'hung.json'));
  const again = parseJsonDump(fixture('single', 'hung-again.json'));
  const a = store.add({ pid: hung.pid, capturedAt: new Date(2026, 0, 1, 12, 3, 1), dump: hung, raw: '' });
  assert.equal(a.unchanged, undefined);
  assert.equal(a.diagnosis.findings[0].blockingCall, 'ThreadPoolExecutor.shutdown');
  const b = store.add({ pid: hung.pid, capturedAt: new Date(), dump: again, raw: '' });
  assert.equal(b.comparedWith, a.id);
  const loop = b.diagnosis.eventLoopThreadIds[0];
  assert.equal(b.unchanged?.find((u) => u.osThreadId === loop)?.whollyUnchanged, true);
  const other = parseJsonDump(fixture('workers', 'hung.json'));
  const c = store.add({ pid: other.pid, capturedAt: new Date(), dump: other, raw: '' });
  assert.equal(c.unchanged, undefined);
  assert.deepEqual(
    store.list().map((x) => x.id),
    [c.id, b.id],
  );
  store.remove(b.id);
  assert.deepEqual(
    store.list().map((x) => x.id),
    [c.id],
  );
  store.clear();
  assert.equal(store.list().length, 0);
  assert.equal(changes, 5);
  off();
  store.add({ pid: 1, capturedAt: new Date(), dump: hung, raw: '' });
  assert.equal(changes, 5);
  assert.equal(formatTime(new Date(2026, 0, 1, 9, 5, 7)), '09:05:07');
});
