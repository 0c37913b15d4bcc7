/**
 * Live: `backend-hang profile` on a loaded server (test/fixtures/apps/loopload: one route time.sleep()s, one
 * hashes with pbkdf2, one awaits asyncio.sleep). Real uvicorn on runtimes of the matrix, real py-spy
 * (`record --nonblocking`), the built CLI. The profile must rank the sleeping and the hashing line, name the
 * call under each, link BHD006 to the sleep, and never list the awaiting line; under asyncio and uvloop, on
 * the oldest and newest Python, and for every worker of a manager.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { MultiProfileJson, ProfileJson } from '../../src/loopProfile/report';
import { haveRuntime, markedLines, pyspy043, startApp, startLoad, type RunningApp } from './asyncApps';
import { runCli } from './liveBackend';

const DURATION_S = 3;
const HOT = markedLines('loopload', '# HOT');
/** The call the profile must name under each HOT line, in line order. */
const HOT_CALLS = ['time.sleep', 'CPU in hashlib.pbkdf2_hmac'];
const COLD = markedLines('loopload', '# COLD');

interface Case {
  python: string;
  loop: 'asyncio' | 'uvloop';
  workers?: number;
  /** py-spy beside the target (the sid root's own) instead of 0.4.3 from the cache. */
  ownPySpy?: boolean;
}
const CASES: Case[] = [
  { python: '3.12', loop: 'asyncio' },
  { python: '3.12', loop: 'uvloop' },
  { python: '3.9', loop: 'asyncio' },
  { python: '3.11', loop: 'asyncio' },
  { python: '3.13', loop: 'uvloop' },
  { python: '3.14', loop: 'uvloop', ownPySpy: true },
  { python: '3.12', loop: 'uvloop', workers: 2 },
];

/** The assertions every profiled serving process must meet. */
function assertProfile(p: ProfileJson, c: Case): void {
  assert.ok(p.loop, `a loop thread was found: ${JSON.stringify(p)}`);
  assert.equal(p.loop.thread, 'MainThread');
  assert.equal(p.durationS, DURATION_S);
  assert.ok(p.samples >= DURATION_S * 20, `py-spy sampled (${p.samples})`);
  assert.ok(p.loop.busyShare > 0.2, `the loop was busy a large share (${p.loop.busyShare})`);
  const ranked = p.hotspots
    .slice(0, 2)
    .map((h) => h.line)
    .sort((a, b) => a - b);
  assert.deepEqual(
    ranked,
    HOT.map((h) => h.line),
    `the first two hotspots are the HOT lines: ${JSON.stringify(p.hotspots)}`,
  );
  for (const [i, hot] of HOT.entries()) {
    const h = p.hotspots.find((x) => x.line === hot.line)!;
    assert.equal(h.call, HOT_CALLS[i], `call under line ${hot.line}`);
    assert.match(h.file, /app\/main\.py$/);
    assert.ok(h.share > 0.05 && h.share <= 1, `share of line ${hot.line}: ${h.share}`);
    assert.ok(Math.abs(h.seconds - h.share * DURATION_S) < 0.01, 'seconds = share × duration');
  }
  const sleepy = p.hotspots.find((x) => x.line === HOT[0].line)!;
  assert.deepEqual(
    sleepy.static.map((s) => [s.code, s.line]),
    [['BHD006', HOT[0].line]],
    `time.sleep line linked to its static finding (${c.python})`,
  );
  for (const cold of COLD)
    assert.equal(
      p.hotspots.find((h) => h.line === cold.line),
      undefined,
      'the awaiting line is never listed',
    );
}

describe('loop profile of a loaded server', () => {
  let app: RunningApp | undefined;
  after(async () => {
    await app?.stop();
  });

  for (const c of CASES) {
    const name = `${c.python} ${c.loop}${c.workers ? ` --workers ${c.workers}` : ''}`;
    test(
      name,
      { skip: !haveRuntime(c.python) && `runtime ${c.python} not built (scripts/ensure-runtimes.sh)` },
      async () => {
        app = await startApp('loopload', c.python, c.loop, c.workers);
        const load = startLoad(app.baseUrl, ['/sleepy', '/hashy', '/awaity'], c.workers ? 2 : 1);
        try {
          await new Promise((r) => setTimeout(r, 500));
          const args = [
            'profile',
            '--pid',
            String(app.pid),
            '--duration',
            String(DURATION_S),
            '--format',
            'json',
          ];
          if (!c.ownPySpy) args.push('--pyspy', pyspy043());
          const r = await runCli(args);
          assert.equal(r.code, 0, r.stderr);
          const out = JSON.parse(r.stdout) as ProfileJson | MultiProfileJson;
          if (c.workers) {
            const multi = out as MultiProfileJson;
            assert.equal(multi.role, 'manager');
            assert.equal(multi.processes.length, c.workers, 'every worker profiled');
            assert.equal(new Set(multi.processes.map((p) => p.pid)).size, c.workers);
            for (const p of multi.processes) assertProfile(p, c);
          } else {
            const one = out as ProfileJson;
            assert.equal(one.pid, app.pid);
            assert.equal(one.loop?.signal, c.loop, 'the loop kind is recognised');
            assertProfile(one, c);
          }
          if (c.python !== '3.12' || c.loop !== 'uvloop' || c.workers) return;
          // The text form says the same for a person.
          const text = await runCli(args.filter((a) => a !== 'json' && a !== '--format'));
          assert.equal(text.code, 0, text.stderr);
          assert.match(text.stdout, /Event loop \(thread MainThread .*\): blocked \d+% of the time/);
          assert.match(text.stdout, /time\.sleep {2}\[BHD006 line \d+\]/);
        } finally {
          const n = await load.stop();
          assert.ok(n > 0, 'the load got answers');
          await app.stop();
          app = undefined;
        }
      },
    );
  }
});
