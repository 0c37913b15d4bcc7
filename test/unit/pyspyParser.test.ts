import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatFrame,
  parseDump,
  parseJsonDump,
  parseTextDump,
  UnparseableDumpError,
} from '../../src/pyspyView/dumpParser';
import { isLibraryFile } from '../../src/pyspyView/libraryFiles';
import { fixture, RECORDED_ROOT, SHAPES } from './pyspyFixtures';

for (const shape of SHAPES) {
  test(`${shape}: --json and text forms of the same hang parse to the same threads and frames`, () => {
    const json = parseJsonDump(fixture(shape, 'hung.json'));
    const text = parseTextDump(fixture(shape, 'hung.txt'));
    assert.ok(json.pid > 0);
    assert.equal(text.pid, json.pid);
    assert.match(text.commandLine ?? '', /python/);
    assert.equal(text.pythonVersion, '3.11.7');
    const key = (d: typeof json): string[] =>
      d.threads
        .map(
          (t) =>
            `${t.osThreadId} ${t.name} ${t.active} | ${t.frames.map((f) => `${f.function}@${f.shortFile}:${f.line}:${f.library}`).join(' ')}`,
        )
        .sort();
    assert.deepEqual(key(text), key(json));
    const main = json.threads.find((t) => t.name === 'MainThread')!;
    assert.deepEqual(
      main.frames.slice(0, 5).map((f) => formatFrame(f)),
      [
        '_wait_for_tstate_lock (threading.py:1139)',
        'join (threading.py:1119)',
        'shutdown (concurrent/futures/thread.py:235)',
        '__exit__ (concurrent/futures/_base.py:647)',
        'event_generator (app/api/routes/stream.py:18)',
      ],
    );
    assert.equal(
      main.frames[4].file,
      `${RECORDED_ROOT}/examples/news-backend/backend/app/api/routes/stream.py`,
    );
    assert.deepEqual(
      main.frames.slice(0, 6).map((f) => f.library),
      [true, true, true, true, false, true],
    );
    assert.equal(json.hasLocals, false);
  });

  test(`${shape}: --locals (json and text) carry wait=True on shutdown and the CancelledError on __exit__`, () => {
    for (const dump of [
      parseJsonDump(fixture(shape, 'hung-locals.json')),
      parseTextDump(fixture(shape, 'hung-locals.txt')),
    ]) {
      assert.equal(dump.hasLocals, true);
      const main = dump.threads.find((t) => t.name === 'MainThread')!;
      const shutdown = main.frames.find((f) => f.function === 'shutdown')!;
      assert.deepEqual(
        shutdown.locals?.find((l) => l.name === 'wait'),
        { name: 'wait', arg: true, repr: 'True' },
      );
      const exit = main.frames.find((f) => f.function === '__exit__')!;
      assert.match(
        exit.locals?.find((l) => l.name === 'exc_val')?.repr ?? '',
        /^<CancelledError at 0x[0-9a-f]+>$/,
      );
      const gen = main.frames.find((f) => f.function === 'event_generator')!;
      assert.ok(gen.locals?.some((l) => l.name === 'futures' && !l.arg));
    }
  });
}

test('text form: native frames without a line, active+gil states, 0x thread ids', () => {
  const dump = parseTextDump(
    [
      'Process 42: python x.py',
      'Python v3.12.1 (/usr/bin/python3.12)',
      '',
      'Thread 0x7F00AB (active+gil): "MainThread"',
      '    epoll_wait (libc.so.6)',
      '    select (selectors.py:468)',
      '    <module> (x (copy).py:3)',
      'Thread 43 (idle)',
      '    run (worker.py:9)',
    ].join('\n'),
  );
  assert.equal(dump.pythonVersion, '3.12.1');
  assert.deepEqual(
    dump.threads.map((t) => [t.osThreadId, t.name, t.active, t.ownsGil]),
    [
      [0x7f00ab, 'MainThread', true, true],
      [43, 'Thread 43', false, false],
    ],
  );
  assert.deepEqual(
    dump.threads[0].frames.map((f) => [f.function, f.file, f.line, f.library]),
    [
      ['epoll_wait', 'libc.so.6', 0, true],
      ['select', 'selectors.py', 468, true],
      ['<module>', 'x (copy).py', 3, false],
    ],
  );
});

test('garbage is an UnparseableDumpError carrying the raw text', () => {
  for (const raw of ['', 'Error: something', '{"not": "an array"}', '[{"thread_name": "x"}]', '[1, 2']) {
    assert.throws(
      () => parseDump(raw),
      (err: unknown) => err instanceof UnparseableDumpError && err.raw === raw,
      raw,
    );
  }
});

test('library files: stdlib, site-packages, native, scripts vs the user code (absolute and short forms)', () => {
  const table: [string, boolean][] = [
    ['/root/.pyenv/versions/3.11.7/lib/python3.11/threading.py', true],
    ['/srv/.venv/lib/python3.12/site-packages/uvicorn/server.py', true],
    ['/usr/lib/python3/dist-packages/requests/api.py', true],
    ['/srv/.venv/bin/uvicorn', true],
    ['<frozen importlib._bootstrap>', true],
    ['libc.so.6', true],
    ['concurrent/futures/thread.py', true],
    ['starlette/routing.py', true],
    ['/work/app/api/routes/stream.py', false],
    ['app/api/routes/stream.py', false],
    ['main.py', false],
    ['/home/é😀/proj/worker.py', false],
  ];
  for (const [file, lib] of table) assert.equal(isLibraryFile(file), lib, file);
});
