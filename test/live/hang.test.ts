// The baseline every fix is measured against: the demo backend really hangs when a news stream is aborted.
// Run: node esbuild.mjs && node --test out/test/live/hang.test.js   (needs .cache/venv: scripts/ensure-venv.sh)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  abortStream,
  liveGroupMembers,
  probeHealth,
  readStream,
  startFeedServer,
  startNewsBackend,
  type NewsBackend,
} from './liveBackend';

describe('demo backend with slow feeds (20 s)', () => {
  let backend: NewsBackend;
  before(async () => {
    backend = await startNewsBackend({ feedDelaySeconds: 20 });
  });
  after(async () => {
    await backend?.stop();
  });

  test('/health answers fast, then not within 3 s after a stream is aborted at 1 s', async () => {
    const before = await probeHealth(backend.baseUrl, 3000);
    console.log(`/health before the abort: ${before.ok ? 'ok' : 'FAILED'} in ${before.ms} ms`);
    assert.equal(before.ok, true);
    assert.ok(before.ms < 1000, `healthy /health took ${before.ms} ms`);

    await abortStream(backend.baseUrl, 1000);
    const hung = await probeHealth(backend.baseUrl, 3000);
    console.log(`/health after the abort: ${hung.ok ? 'ok' : 'no answer'} in ${hung.ms} ms`);
    assert.equal(hung.ok, false, `/health answered in ${hung.ms} ms: the hang did not reproduce`);
    assert.ok(hung.ms >= 2900, `probe gave up after ${hung.ms} ms, not at its 3 s time-out`);
  });

  test('uvicorn is the serving process and stop() leaves nothing behind', async () => {
    assert.deepEqual(await backend.servingPids(), [backend.pid]);
    const pid = backend.pid;
    await backend.stop();
    assert.deepEqual(liveGroupMembers(pid), []);
    await backend.stop(); // idempotent
  });
});

describe('demo backend with fast feeds (0 s)', () => {
  test('a full stream delivers all 5 items and /health stays fast', async () => {
    const backend = await startNewsBackend({ feedDelaySeconds: 0 });
    try {
      const items = await readStream(backend.baseUrl, 15_000);
      console.log(`stream items: ${JSON.stringify(items)}`);
      assert.equal(items.length, 5);
      assert.deepEqual(items.map((i) => i.split(':')[0]).sort(), [
        'Markets',
        'Science',
        'Sports',
        'Tech',
        'World',
      ]);
      const health = await probeHealth(backend.baseUrl, 3000);
      assert.equal(health.ok, true);
    } finally {
      await backend.stop();
    }
  });
});

describe('demo backend under --reload', () => {
  test('the serving process is the spawned child, and the stream hang shows there too', async () => {
    const feed = await startFeedServer({ delaySeconds: 20 });
    const backend = await startNewsBackend({ feedUrl: feed.url, reload: true });
    try {
      const serving = await backend.servingPids();
      assert.equal(serving.length, 1);
      assert.notEqual(serving[0], backend.pid);
      await abortStream(backend.baseUrl, 1000);
      const hung = await probeHealth(backend.baseUrl, 3000);
      console.log(`--reload: /health after the abort: ${hung.ok ? 'ok' : 'no answer'} in ${hung.ms} ms`);
      assert.equal(hung.ok, false);
    } finally {
      const pid = backend.pid;
      await backend.stop();
      assert.deepEqual(liveGroupMembers(pid), []);
      // A feed server passed in by URL belongs to the caller: still up.
      assert.ok(liveGroupMembers(feed.pid).length > 0);
      await feed.stop();
      assert.deepEqual(liveGroupMembers(feed.pid), []);
    }
  });
});

describe('demo backend with --workers 2', () => {
  test('servingPids() lists both spawned workers, and stop() takes the whole tree', async () => {
    const backend = await startNewsBackend({ workers: 2, feedDelaySeconds: 0 });
    const pid = backend.pid;
    try {
      const serving = await backend.servingPids();
      assert.equal(serving.length, 2);
      assert.ok(!serving.includes(pid));
      assert.equal((await probeHealth(backend.baseUrl, 3000)).ok, true);
    } finally {
      await backend.stop();
    }
    assert.deepEqual(liveGroupMembers(pid), []);
  });
});
