// The quick fix, proven on the live demo backend: the code this project's fix-all produces (not a hand-written
// copy) keeps /health answering while an aborted stream's workers are still in their 20 s network calls,
// and with fast feeds the fixed stream still delivers every item. The unfixed copy hangs, for contrast.
// Run: node esbuild.mjs && node --test out/test/live/fixBehaviour.test.js   (needs .cache/venv)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixFiles } from '../../src/cli/fixFiles';
import {
  abortStream,
  probeHealth,
  readStream,
  repoRoot,
  startNewsBackend,
  type NewsBackend,
} from './liveBackend';

const STREAM = path.join('app', 'api', 'routes', 'stream.py');

/** A private copy of the demo backend (no caches), so the fix never touches the repository. */
function copyBackend(into: string): string {
  const dir = path.join(into, 'backend');
  fs.cpSync(path.join(repoRoot(), 'examples', 'news-backend', 'backend'), dir, {
    recursive: true,
    filter: (src) => !src.includes('__pycache__'),
  });
  return dir;
}

let tmp: string;
let fixedDir: string;
let unfixedDir: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-fixlive-'));
  fixedDir = copyBackend(path.join(tmp, 'fixed'));
  unfixedDir = copyBackend(path.join(tmp, 'unfixed'));
  const file = path.join(fixedDir, STREAM);
  const [report] = await fixFiles([file]);
  assert.equal(report!.status, 'fixed', report!.error);
  assert.deepEqual(report!.applied, [{ code: 'BHD001', line: 18 }]);
  const fixed = fs.readFileSync(file, 'utf8');
  assert.match(fixed, /executor\.shutdown\(wait=False, cancel_futures=True\)/);
  assert.doesNotMatch(fixed, /with ThreadPoolExecutor/);
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('fixed backend, slow feeds (20 s)', () => {
  let backend: NewsBackend;
  before(async () => {
    backend = await startNewsBackend({ appDir: fixedDir, feedDelaySeconds: 20 });
  });
  after(async () => {
    await backend?.stop();
  });

  test('/health answers in under 1 s after each of two aborted streams', async () => {
    const first = await probeHealth(backend.baseUrl, 3000);
    console.log(`fixed: /health before any abort: ${first.ok ? 'ok' : 'no answer'} in ${first.ms} ms`);
    assert.equal(first.ok, true);
    for (const round of [1, 2]) {
      await abortStream(backend.baseUrl, 1000);
      const probe = await probeHealth(backend.baseUrl, 3000);
      console.log(`fixed: /health after abort #${round}: ${probe.ok ? 'ok' : 'no answer'} in ${probe.ms} ms`);
      assert.equal(probe.ok, true, `/health did not answer within 3 s after abort #${round}`);
      assert.ok(probe.ms < 1000, `/health took ${probe.ms} ms after abort #${round}`);
    }
  });
});

describe('fixed backend, fast feeds (0 s)', () => {
  test('a full stream delivers all 5 items', async () => {
    const backend = await startNewsBackend({ appDir: fixedDir, feedDelaySeconds: 0 });
    try {
      const items = await readStream(backend.baseUrl, 15_000);
      console.log(`fixed: stream items: ${JSON.stringify(items)}`);
      assert.equal(items.length, 5);
      assert.deepEqual(items.map((i) => i.split(':')[0]).sort(), [
        'Markets',
        'Science',
        'Sports',
        'Tech',
        'World',
      ]);
    } finally {
      await backend.stop();
    }
  });
});

describe('unfixed copy, slow feeds (20 s): the contrast', () => {
  test('/health does not answer within 3 s after an aborted stream', async () => {
    const backend = await startNewsBackend({ appDir: unfixedDir, feedDelaySeconds: 20 });
    try {
      await abortStream(backend.baseUrl, 1000);
      const probe = await probeHealth(backend.baseUrl, 3000);
      console.log(`unfixed: /health after the abort: ${probe.ok ? 'ok' : 'no answer'} in ${probe.ms} ms`);
      assert.equal(probe.ok, false, `the unfixed backend answered in ${probe.ms} ms`);
    } finally {
      await backend.stop();
    }
  });
});
