/**
 * The loop profile on recorded real profiles (`py-spy 0.4.3 record --idle --threads --nonblocking
 * --full-filenames --format raw`, 2 s at 100 Hz) of test/fixtures/apps/loopload under load, asyncio and uvloop,
 * CPython 3.9 (cut coroutine stacks), 3.12 and 3.14 (chrooted: `/app-PORT/...` paths), plus an idle server.
 * Every HOT line of the app must be ranked with its call, the COLD (awaiting) line never listed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyzeProfile, nameHotCall } from '../../src/loopProfile/analysis';
import { parseRawFrame, parseRawProfile, shortPath } from '../../src/loopProfile/rawProfile';
import { annotationText, formatProfileText, linkHotspots, toProfileJson } from '../../src/loopProfile/report';
import { parseProfileArgs, ProfileUsageError } from '../../src/cli/profileCommand';
import { checkWithChains } from '../../src/loopProfile/staticCheck';
import { UnparseableDumpError } from '../../src/pyspyView/dumpParser';
import { DUMPS, fixture } from './pyspyFixtures';

const APP_MAIN = path.join(DUMPS, '..', 'apps', 'loopload', 'app', 'main.py');
const SOURCE = readFileSync(APP_MAIN, 'utf8');
const marked = (marker: string): { line: number; note: string }[] =>
  SOURCE.split('\n').flatMap((l, i) =>
    l.includes(marker) ? [{ line: i + 1, note: l.split(marker)[1].trim() }] : [],
  );
const HOT = marked('# HOT');
/** The call a profile must name under each HOT line, in line order. */
const HOT_CALLS = ['time.sleep', 'CPU in hashlib.pbkdf2_hmac'];
const COLD = marked('# COLD');
/** Any recorded path of the app's main.py reads the repo's copy (recorded on another checkout or chroot). */
const sourceText = (f: string): string | undefined => (f.endsWith('app/main.py') ? SOURCE : undefined);

const LOADED: [string, string][] = [
  ['py3.12-asyncio.txt', 'asyncio'],
  ['py3.12-uvloop.txt', 'uvloop'],
  ['py3.9-asyncio.txt', 'asyncio'],
  ['py3.14-uvloop.txt', 'uvloop'],
];

describe('raw profile parser', () => {
  test('thread, process and frame elements of every py-spy version', () => {
    const stacks = parseRawProfile(
      [
        'thread (123): MainThread;main (/srv/app.py:5);handler (/srv/app.py:9) 7',
        'thread (0x7F12AB);f (a.py:1) 2',
        'process 42:"python -m uvicorn app:app";thread (43): MainThread;f (a.py:1);epoll_wait (libc.so.6) 3',
        'f (a.py:1);g (é😀.py:2) 1',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      stacks.map((s) => [
        s.pid,
        s.threadId,
        s.threadName,
        s.frames.map((f) => `${f.function}@${f.line}`),
        s.count,
      ]),
      [
        [undefined, 123, 'MainThread', ['handler@9', 'main@5'], 7],
        [undefined, 0x7f12ab, '0x7F12AB', ['f@1'], 2],
        [42, 43, 'MainThread', ['epoll_wait@0', 'f@1'], 3],
        [undefined, 0, '', ['g@2', 'f@1'], 1],
      ],
    );
    assert.equal(stacks[2].frames[0].library, true, 'native frame is library code');
    assert.equal(stacks[0].frames[0].library, false, "the user's file");
  });

  test('qualified names with dots and angle brackets, and short paths', () => {
    const f = parseRawFrame(
      'wrap_app_handling_exceptions.<locals>.wrapped_app (/v/lib/python3.12/site-packages/starlette/_exception_handler.py:42)',
    )!;
    assert.equal(f.function, 'wrap_app_handling_exceptions.<locals>.wrapped_app');
    assert.equal(f.shortFile, 'starlette/_exception_handler.py');
    assert.equal(f.line, 42);
    assert.equal(f.library, true);
    assert.equal(shortPath('/usr/lib/python3.14/asyncio/runners.py'), 'asyncio/runners.py');
    assert.equal(shortPath('/srv/app/main.py'), '/srv/app/main.py');
  });

  test('text that is not a raw profile is refused', () => {
    assert.throws(() => parseRawProfile('Process 1: python\nThread 1 (idle)\n'), UnparseableDumpError);
    assert.deepEqual(parseRawProfile(''), []);
  });
});

describe('loop-busy analysis on recorded profiles', () => {
  for (const [file, loop] of LOADED) {
    test(`${file}: the sleeping and hashing lines ranked, the awaiting line never`, () => {
      const p = analyzeProfile(parseRawProfile(fixture('profile', file)), {
        pid: 1,
        durationS: 2,
        sourceText,
      });
      assert.ok(p.loop, 'loop thread found');
      assert.equal(p.loop.thread, 'MainThread');
      assert.equal(p.loop.signal, loop);
      assert.ok(p.samples >= 150 && p.samples <= 210, `~200 ticks (${p.samples})`);
      assert.ok(p.loop.busyShare > 0.5, `busy under load (${p.loop.busyShare})`);
      assert.deepEqual(
        p.hotspots
          .slice(0, 2)
          .map((h) => h.line)
          .sort((a, b) => a - b),
        HOT.map((h) => h.line),
      );
      for (const [i, hot] of HOT.entries()) {
        const h = p.hotspots.find((x) => x.line === hot.line)!;
        assert.equal(h.call, HOT_CALLS[i]);
        assert.equal(h.evidence, 'source', 'a C call: named from the line');
        assert.ok(Math.abs(h.seconds - h.share * 2) < 1e-9);
      }
      for (const c of COLD) assert.ok(!p.hotspots.some((h) => h.line === c.line), 'awaiting line not listed');
      const shares = p.hotspots.map((h) => h.share);
      assert.deepEqual(
        shares,
        [...shares].sort((a, b) => b - a),
        'ranked, largest first',
      );
      assert.ok(
        p.loop.busyShare >= shares.reduce((a, b) => a + b, 0) - 1e-9,
        'hotspots are part of busy time',
      );
    });
  }

  test('an idle server: the loop is free, nothing is listed', () => {
    const p = analyzeProfile(parseRawProfile(fixture('profile', 'py3.12-idle.txt')), {
      pid: 1,
      durationS: 1,
      sourceText,
    });
    assert.ok(p.loop);
    assert.ok(p.loop.busyShare < 0.1, `idle (${p.loop.busyShare})`);
    assert.deepEqual(p.hotspots, []);
    assert.match(formatProfileText(p), /blocked \d% of the time[^]*No line of your code kept the loop busy/);
  });

  test('without sources the call is still named from the stack when there is one', () => {
    const frames = parseRawProfile(
      [
        'thread (1): MainThread;run (/usr/lib/python3.12/asyncio/runners.py:118);h (/srv/a.py:3);get (/v/lib/python3.12/site-packages/requests/api.py:73);request (/v/lib/python3.12/site-packages/requests/api.py:59) 5',
        'thread (1): MainThread;run (/usr/lib/python3.12/asyncio/runners.py:118);base_events._run_once (/usr/lib/python3.12/asyncio/base_events.py:1922);select (/usr/lib/python3.12/selectors.py:468) 5',
        'thread (1): MainThread;run (/usr/lib/python3.12/asyncio/runners.py:118);h (/srv/a.py:4);dumps (/usr/lib/python3.12/json/__init__.py:231);encode (/usr/lib/python3.12/json/encoder.py:200) 3',
        'thread (1): MainThread;run (/usr/lib/python3.12/asyncio/runners.py:118);h (/srv/a.py:5) 2',
        'thread (1): MainThread;run (/usr/lib/python3.12/asyncio/runners.py:118);h (/srv/a.py:6);sleep (/usr/lib/python3.12/asyncio/tasks.py:665) 4',
      ].join('\n'),
    );
    const p = analyzeProfile(frames, { pid: 9, durationS: 1 });
    assert.equal(p.loop?.busyShare, 14 / 19);
    assert.equal(p.loop?.frameworkShare, 4 / 19, 'an awaiting line is scheduling, not blocking');
    assert.deepEqual(
      p.hotspots.map((h) => [h.line, h.call, h.evidence]),
      [
        [3, 'requests.get', 'stack'],
        [4, 'json.dumps', 'stack'],
        [5, 'Python code of this line', 'none'],
      ],
    );
  });

  test('nameHotCall: CPU calls named from the line, sleeps as time.sleep', () => {
    assert.deepEqual(nameHotCall([], '    hashlib.sha256(data).hexdigest()'), {
      call: 'CPU in hashlib.sha256',
      evidence: 'source',
    });
    assert.deepEqual(nameHotCall([], '    time.sleep(0.1)  # é'), { call: 'time.sleep', evidence: 'source' });
    assert.deepEqual(nameHotCall([], '    cursor.execute(q)'), {
      call: 'cursor.execute',
      evidence: 'source',
    });
  });

  test('static findings linked to hot lines; JSON shape', async () => {
    const p = analyzeProfile(parseRawProfile(fixture('profile', 'py3.12-uvloop.txt')), {
      pid: 7,
      durationS: 2,
      sourceText,
    });
    const { checkSource } = await import('../../src/diagnostics/analyze');
    await linkHotspots(
      p.hotspots,
      (f) => (f.endsWith('app/main.py') ? { path: APP_MAIN, text: SOURCE } : undefined),
      (s) => checkSource(s),
    );
    const j = toProfileJson(p);
    assert.deepEqual(Object.keys(j), ['pid', 'durationS', 'samples', 'loop', 'hotspots']);
    assert.deepEqual(Object.keys(j.loop!), ['thread', 'osThreadId', 'signal', 'busyShare', 'frameworkShare']);
    const sleepy = j.hotspots.find((h) => h.line === HOT[0].line)!;
    assert.deepEqual(Object.keys(sleepy), [
      'file',
      'line',
      'function',
      'share',
      'seconds',
      'samples',
      'call',
      'static',
    ]);
    assert.deepEqual(
      sleepy.static.map((s) => [s.code, s.line, s.file]),
      [['BHD006', HOT[0].line, APP_MAIN]],
    );
    assert.deepEqual(j.hotspots.find((h) => h.line === HOT[1].line)!.static, []);
    assert.match(formatProfileText(p), /time\.sleep {2}\[BHD006 line \d+\]/);
    const hot = p.hotspots.find((h) => h.line === HOT[0].line)!;
    assert.match(annotationText(hot), /^← \d+% of loop time · time\.sleep · BHD006$/);
  });
});

describe('BHD007 chain', () => {
  test("a sync helper's sleep links the BHD007 finding on the async line that calls it", async () => {
    const src = [
      'import time',
      '',
      '',
      'def slow_helper():',
      '    time.sleep(0.02)',
      '',
      '',
      'async def route():',
      '    slow_helper()',
      '    return 1',
      '',
    ].join('\n');
    const stacks = parseRawProfile(
      [
        'thread (1): MainThread;run (/usr/lib/python3.12/asyncio/runners.py:118);route (/srv/m.py:9);slow_helper (/srv/m.py:5) 10',
        'thread (1): MainThread;run (/usr/lib/python3.12/asyncio/runners.py:118);base_events._run_once (/usr/lib/python3.12/asyncio/base_events.py:1922);select (/usr/lib/python3.12/selectors.py:468) 10',
      ].join('\n'),
    );
    const p = analyzeProfile(stacks, {
      pid: 1,
      durationS: 1,
      sourceText: (f) => (f === '/srv/m.py' ? src : undefined),
    });
    assert.deepEqual(
      p.hotspots.map((h) => [h.function, h.line, h.call, h.callers]),
      [['slow_helper', 5, 'time.sleep', [{ file: '/srv/m.py', line: 9, function: 'route' }]]],
    );
    // BHD007 needs the file's path and project: the chain-aware check of the CLI and the editor.
    const dir = mkdtempSync(path.join(tmpdir(), 'bhd-chain-'));
    const local = path.join(dir, 'm.py');
    writeFileSync(local, src);
    try {
      await linkHotspots(
        p.hotspots,
        (f) => (f === '/srv/m.py' ? { path: local, text: src } : undefined),
        checkWithChains,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(
      p.hotspots[0].static?.map((s) => [s.code, s.line, s.file]),
      [['BHD007', 9, local]],
    );
    assert.equal(annotationText(p.hotspots[0]), '← 50% of loop time · time.sleep · BHD007');
  });
});

describe('profile command arguments', () => {
  test('defaults, values and usage errors', () => {
    assert.deepEqual(parseProfileArgs(['--pid', '42']), { pid: 42, durationS: 5, rate: 100, format: 'text' });
    assert.deepEqual(
      parseProfileArgs([
        '--pid=7',
        '--duration',
        '3',
        '--rate=50',
        '--format',
        'json',
        '--pyspy',
        '/x/py-spy',
      ]),
      {
        pid: 7,
        durationS: 3,
        rate: 50,
        format: 'json',
        pyspy: '/x/py-spy',
      },
    );
    for (const [args, msg] of [
      [[], /--pid is required/],
      [['--pid', '0'], /process id/],
      [['--pid', '1;rm'], /process id/],
      [['--pid', '1', '--duration', '0.5'], /whole number of seconds/],
      [['--pid', '1', '--rate', '5000'], /--rate/],
      [['--pid', '1', '--format', 'sarif'], /text or json/],
      [['--pid', '1', '--bogus'], /unknown option/],
    ] as [string[], RegExp][])
      assert.throws(
        () => parseProfileArgs(args),
        (e: Error) => e instanceof ProfileUsageError && msg.test(e.message),
      );
  });
});
