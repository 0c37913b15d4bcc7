import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonDump, parseTextDump } from '../../src/pyspyView/dumpParser';
import { diagnose, isEventLoopThread, unchangedFrames } from '../../src/pyspyView/diagnosis';
import type { Frame, ParsedDump, ThreadDump } from '../../src/pyspyView/types';
import { fixture, RECORDED_ROOT, SHAPES } from './pyspyFixtures';

const STREAM = `${RECORDED_ROOT}/examples/news-backend/backend/app/api/routes/stream.py`;

for (const shape of SHAPES) {
  test(`${shape}: the recorded hang is diagnosed: loop thread, ThreadPoolExecutor.shutdown, stream.py:18, 5 workers`, () => {
    for (const file of ['hung.json', 'hung-locals.json']) {
      const dump = parseJsonDump(fixture(shape, file));
      const d = diagnose(dump);
      const main = dump.threads.find((t) => t.name === 'MainThread')!;
      assert.deepEqual(d.eventLoopThreadIds, [main.osThreadId]);
      assert.equal(d.findings.length, 1);
      const f = d.findings[0];
      assert.equal(f.kind, 'event-loop-blocked');
      assert.equal(f.thread, 'MainThread');
      assert.equal(f.blockingCall, 'ThreadPoolExecutor.shutdown');
      assert.deepEqual(f.frame, {
        function: 'event_generator',
        file: STREAM,
        shortFile: 'app/api/routes/stream.py',
        line: 18,
      });
      assert.equal(f.waitsFor.length, 5);
      for (const w of f.waitsFor) {
        assert.match(w.name, /^ThreadPoolExecutor-\d+_\d$/);
        assert.equal(w.userFrame, 'process_source (app/services/rss_ingestion.py:13)');
        assert.equal(w.innermost, 'readinto (socket.py:706)');
      }
      assert.match(
        f.message,
        /^Event loop blocked in ThreadPoolExecutor\.shutdown, called from event_generator \(app\/api\/routes\/stream\.py:18\); it waits for 5 worker threads/,
      );
    }
  });

  test(`${shape}: the text form gives the same diagnosis (short file names)`, () => {
    const d = diagnose(parseTextDump(fixture(shape, 'hung.txt')));
    assert.equal(d.findings.length, 1);
    assert.equal(d.findings[0].blockingCall, 'ThreadPoolExecutor.shutdown');
    assert.equal(d.findings[0].frame?.file, 'app/api/routes/stream.py');
    assert.equal(d.findings[0].frame?.line, 18);
  });

  test(`${shape}: an idle server (loop waiting in select) has a loop thread and no finding`, () => {
    for (const dump of [
      parseJsonDump(fixture(shape, 'idle.json')),
      parseTextDump(fixture(shape, 'idle.txt')),
    ]) {
      const d = diagnose(dump);
      assert.equal(d.eventLoopThreadIds.length, 1);
      assert.deepEqual(d.findings, []);
    }
  });

  test(`${shape}: two captures of the hang: the loop thread did not move at all`, () => {
    const a = parseJsonDump(fixture(shape, 'hung.json'));
    const b = parseJsonDump(fixture(shape, 'hung-again.json'));
    const main = b.threads.find((t) => t.name === 'MainThread')!;
    const u = unchangedFrames(a, b).find((x) => x.osThreadId === main.osThreadId)!;
    assert.equal(u.whollyUnchanged, true);
    assert.equal(u.unchangedCount, main.frames.length);
    // Against the idle capture of the same process, only the outer frames (uvicorn's startup) are shared.
    const idle = parseJsonDump(fixture(shape, 'idle.json'));
    const partial = unchangedFrames(idle, b).find((x) => x.osThreadId === main.osThreadId);
    if (partial) {
      assert.equal(partial.whollyUnchanged, false);
      assert.ok(partial.unchangedCount > 0 && partial.unchangedCount < main.frames.length);
    }
  });
}

const fr = (fn: string, file: string, line: number, library = !file.startsWith('/app/')): Frame => ({
  function: fn,
  file,
  shortFile: file,
  line,
  library,
});
const LOOP: Frame[] = [
  fr('_run', 'asyncio/events.py', 80),
  fr('_run_once', 'asyncio/base_events.py', 1922),
  fr('run_forever', 'asyncio/base_events.py', 607),
];
const thread = (frames: Frame[], active = false, name = 'MainThread', id = 1): ThreadDump => ({
  name,
  osThreadId: id,
  active,
  ownsGil: active,
  frames,
});
const dumpOf = (...threads: ThreadDump[]): ParsedDump => ({ pid: 1, threads, hasLocals: false });

test('blocking calls on the loop thread are named; the nearest user frame is the fix site', () => {
  const table: [string, Frame[], boolean, string | undefined][] = [
    [
      'time.sleep (C call straight from user code)',
      [fr('handler', '/app/routes.py', 12), ...LOOP],
      false,
      'a C-level call',
    ],
    [
      'Future.result',
      [
        fr('wait', 'threading.py', 320),
        fr('result', 'concurrent/futures/_base.py', 451),
        fr('handler', '/app/routes.py', 7),
        ...LOOP,
      ],
      false,
      'Future.result',
    ],
    [
      'requests.get from the loop',
      [
        fr('readinto', 'socket.py', 706),
        fr('get', 'requests/api.py', 73),
        fr('handler', '/app/routes.py', 9),
        ...LOOP,
      ],
      false,
      'requests.get',
    ],
    [
      'Thread.join',
      [
        fr('_wait_for_tstate_lock', 'threading.py', 1139),
        fr('join', 'threading.py', 1119),
        fr('handler', '/app/routes.py', 3),
        ...LOOP,
      ],
      false,
      'Thread.join',
    ],
    [
      'queue.get',
      [
        fr('wait', 'threading.py', 324),
        fr('get', 'queue.py', 171),
        fr('handler', '/app/routes.py', 3),
        ...LOOP,
      ],
      false,
      'queue.Queue.get',
    ],
    [
      'active CPU work in user code: not reported from one capture',
      [fr('handler', '/app/routes.py', 12), ...LOOP],
      true,
      undefined,
    ],
    ['idle in select: healthy', [fr('select', 'selectors.py', 468), ...LOOP.slice(1)], false, undefined],
    [
      'native frames above select: healthy',
      [fr('epoll_wait', 'libc.so.6', 0), fr('select', 'selectors.py', 468), ...LOOP.slice(1)],
      false,
      undefined,
    ],
  ];
  for (const [name, frames, active, expected] of table) {
    const d = diagnose(dumpOf(thread(frames, active)));
    assert.deepEqual(d.eventLoopThreadIds, [1], name);
    assert.equal(d.findings[0]?.blockingCall, expected, name);
    if (expected) assert.equal(d.findings[0].frame?.file.startsWith('/app/'), true, name);
  }
});

test('threads without asyncio frames are not event loops; uvloop frames are', () => {
  assert.equal(isEventLoopThread(thread([fr('run', 'threading.py', 982)])), false);
  assert.equal(
    isEventLoopThread(thread([fr('run', '/venv/lib/python3.11/site-packages/uvloop/__init__.py', 105)])),
    true,
  );
  assert.deepEqual(diagnose(dumpOf(thread([fr('main', '/app/cli.py', 3)]))), {
    eventLoopThreadIds: [],
    findings: [],
  });
});
