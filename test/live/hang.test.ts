// The baseline every fix is measured against: the demo backend really hangs when a news stream is aborted.
// Run: node esbuild.mjs && node --test out/test/live/hang.test.js   (needs .cache/venv: scripts/ensure-venv.sh)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixFiles } from '../../src/cli/fixFiles';
import {
  abortStream,
  liveGroupMembers,
  probeHealth,
  readStream,
  repoRoot,
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

describe('demo backend under --reload, fixed while it runs', () => {
  test('saving the non-blocking pattern reloads the server, and /health then answers after an abort', async () => {
    // A copy of the app: the reload must not touch the repository's stream.py.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-hang-'));
    const appDir = path.join(tmp, 'backend');
    fs.cpSync(path.join(repoRoot(), 'examples', 'news-backend', 'backend'), appDir, {
      recursive: true,
      filter: (src) => !src.includes('__pycache__'),
    });
    // 8 s feeds: long enough for a 3 s probe to time out, short enough that the reload (which waits for the
    // stuck worker to finish) stays quick. A feed server passed by URL belongs to the caller.
    const feed = await startFeedServer({ delaySeconds: 8 });
    const backend = await startNewsBackend({ appDir, reload: true, feedUrl: feed.url });
    try {
      const serving = await backend.servingPids();
      assert.equal(serving.length, 1);
      assert.notEqual(serving[0], backend.pid, 'with --reload the serving process is the spawned child');
      await abortStream(backend.baseUrl, 1000);
      const hung = await probeHealth(backend.baseUrl, 3000);
      console.log(
        `--reload, before the fix: /health after the abort: ${hung.ok ? 'ok' : 'no answer'} in ${hung.ms} ms`,
      );
      assert.equal(hung.ok, false, `before the fix /health answered in ${hung.ms} ms`);

      // The stuck worker cannot finish a graceful reload; uvicorn's reloader terminates it and spawns anew.
      const [oldChild] = await backend.servingPids();
      const streamPy = path.join(appDir, 'app', 'api', 'routes', 'stream.py');
      // Saved the way the editor's quick fix saves it: the project's own fix (not a hand-written copy).
      const [report] = await fixFiles([streamPy]);
      assert.deepEqual(
        report.applied.map((f) => f.code),
        ['BHD001'],
        `the fix did not apply: ${JSON.stringify(report)}`,
      );

      const saved = Date.now();
      let reloaded = false;
      for (let i = 0; i < 300 && !reloaded; i++) {
        const now = await backend.servingPids();
        reloaded = now.length === 1 && now[0] !== oldChild && (await probeHealth(backend.baseUrl, 500)).ok;
        if (!reloaded) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(reloaded, `no reload within 30 s:\n${backend.output()}`);
      console.log(
        `reload after saving the fix took ${Date.now() - saved} ms (the hung worker finishes first)`,
      );

      await abortStream(backend.baseUrl, 1000);
      const fixed = await probeHealth(backend.baseUrl, 3000);
      console.log(
        `after the fix: /health after an aborted stream: ${fixed.ok ? 'ok' : 'no answer'} in ${fixed.ms} ms`,
      );
      assert.equal(fixed.ok, true);
      assert.ok(fixed.ms < 1000, `/health took ${fixed.ms} ms after the fix`);
    } finally {
      await backend.stop();
      assert.deepEqual(liveGroupMembers(backend.pid), []);
      assert.ok(liveGroupMembers(feed.pid).length > 0, 'stop() must not stop a feed server it did not start');
      await feed.stop();
      assert.deepEqual(liveGroupMembers(feed.pid), []);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
