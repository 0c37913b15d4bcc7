import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDumpArgs, DumpUsageError } from '../../src/cli/dumpArgs';
import { blockedFindings, formatCaptureText, toCaptureJson } from '../../src/pyspyView/captureFormat';
import { parseJsonDump } from '../../src/pyspyView/dumpParser';
import { diagnose } from '../../src/pyspyView/diagnosis';
import {
  classifyPySpyFailure,
  dumpArgs,
  NotPythonError,
  ProcessGoneError,
  PySpyError,
  PySpyPermissionError,
} from '../../src/pyspyView/runner';
import { fixture, RECORDED_ROOT } from './pyspyFixtures';

test('dump arguments', () => {
  assert.deepEqual(parseDumpArgs(['--pid', '42']), {
    pid: 42,
    format: 'text',
    locals: false,
    native: false,
    copyPySpy: false,
    pathMaps: [],
    timeoutSeconds: 30,
  });
  assert.deepEqual(
    parseDumpArgs([
      '--pid=7',
      '--format',
      'json',
      '--locals',
      '--native',
      '--pyspy',
      '/x/py-spy',
      '--timeout',
      '5',
    ]),
    {
      pid: 7,
      format: 'json',
      locals: true,
      native: true,
      pyspy: '/x/py-spy',
      copyPySpy: false,
      pathMaps: [],
      timeoutSeconds: 5,
    },
  );
  assert.deepEqual(
    parseDumpArgs([
      '--file',
      'd.txt',
      '--path-map',
      '/srv/app=./backend',
      '--path-map=/opt=/x',
      '--format',
      'markdown',
    ]),
    {
      file: 'd.txt',
      format: 'markdown',
      locals: false,
      native: false,
      copyPySpy: false,
      pathMaps: [
        { remote: '/srv/app', local: './backend' },
        { remote: '/opt', local: '/x' },
      ],
      timeoutSeconds: 30,
    },
  );
  assert.equal(parseDumpArgs(['--container', 'api-1', '--pid', '1', '--copy-pyspy']).container, 'api-1');
  assert.equal(parseDumpArgs(['--port', '8000']).port, 8000);
  assert.equal(parseDumpArgs(['--file', '-']).stdin, true);
  for (const bad of [
    [],
    ['--pid', 'abc'],
    ['--pid', '1', '--format', 'xml'],
    ['--pid', '1', '--bogus'],
    ['--pid'],
    ['--container', 'a;rm -rf /'],
    ['--container', '-x'],
    ['--pid', '1', '--file', 'x'],
    ['--port', '70000'],
    ['--pid', '1', '--copy-pyspy'],
    ['--file', 'x', '--path-map', 'noequals'],
  ]) {
    assert.throws(() => parseDumpArgs(bad), DumpUsageError, bad.join(' '));
  }
  assert.deepEqual(dumpArgs(9, { locals: true, nonblocking: true }), [
    'dump',
    '--pid',
    '9',
    '--json',
    '--locals',
    '--nonblocking',
  ]);
});

test('the JSON shape of the issue, from the recorded hang', () => {
  const dump = parseJsonDump(fixture('single', 'hung.json'));
  const json = toCaptureJson(dump, diagnose(dump));
  assert.deepEqual(Object.keys(json), ['pid', 'threads', 'findings']);
  assert.equal(json.pid, dump.pid);
  const loop = json.threads.filter((t) => t.eventLoop);
  assert.deepEqual(
    loop.map((t) => t.name),
    ['MainThread'],
  );
  assert.deepEqual(Object.keys(loop[0]), ['name', 'osThreadId', 'active', 'ownsGil', 'eventLoop', 'frames']);
  assert.deepEqual(Object.keys(loop[0].frames[0]), ['function', 'file', 'line', 'library']);
  assert.ok(
    json.threads.every((t) => t.frames.every((f) => f.file.startsWith('/'))),
    'absolute file paths',
  );
  assert.deepEqual(json.findings, [
    {
      kind: 'event-loop-blocked',
      thread: 'MainThread',
      blockingCall: 'ThreadPoolExecutor.shutdown',
      frame: {
        function: 'event_generator',
        file: `${RECORDED_ROOT}/examples/news-backend/backend/app/api/routes/stream.py`,
        line: 18,
      },
      // Not linked here: toCaptureJson of a bare diagnosis (the CLI links through staticLink).
      static: [],
      loopSignal: 'asyncio',
      waitsFor: [
        {
          count: 5,
          where: 'process_source (app/services/rss_ingestion.py:13)',
          threads: blockedFindings(json)[0].waitsFor![0].threads,
        },
      ],
      message: json.findings[0].message,
    },
  ]);
  assert.equal(json.findings[0].waitsFor![0].threads.length, 5);
  const text = formatCaptureText(dump, diagnose(dump));
  assert.match(text, /^EVENT LOOP BLOCKED: Event loop blocked in ThreadPoolExecutor\.shutdown/m);
  assert.match(text, /frame: .*\/app\/api\/routes\/stream\.py:18 \(event_generator\)/);
  // Loop thread first, user frames marked.
  assert.match(text.split('\n\n')[1], /^Thread \d+ \(idle\): "MainThread" \[event loop\]/);
  assert.match(text, /event_generator \(app\/api\/routes\/stream\.py:18\) {3}<- your code/);
  assert.match(text, /^ {2}waits for 5 threads \((\d+, ){4}\d+\): process_source/m);
});

test('a pool of hundreds of waited-for threads stays one readable line in the text (JSON keeps every id)', () => {
  const dump = parseJsonDump(fixture('single', 'hung.json'));
  const workers = dump.threads.filter((t) => t.frames.some((f) => f.function === 'process_source'));
  assert.ok(workers.length > 0);
  // The same hang with 300 workers: each recorded worker cloned under new thread ids.
  const many = {
    ...dump,
    threads: [
      ...dump.threads.filter((t) => !workers.includes(t)),
      ...Array.from({ length: 300 }, (_, i) => ({
        ...workers[i % workers.length]!,
        osThreadId: 500_000 + i,
      })),
    ],
  };
  const text = formatCaptureText(many, diagnose(many));
  const line = text.split('\n').find((l) => l.startsWith('  waits for '));
  assert.equal(
    line,
    `  waits for 300 threads (${Array.from({ length: 10 }, (_, i) => 500_000 + i).join(', ')}, … 290 more): process_source (app/services/rss_ingestion.py:13)`,
  );
  assert.equal(blockedFindings(toCaptureJson(many, diagnose(many)))[0]!.waitsFor![0]!.threads.length, 300);
});

test("py-spy's recorded failure messages become typed errors", () => {
  const errors = JSON.parse(fixture('errors.json')) as Record<
    'notPython' | 'gone',
    { code: number; stderr: string }
  >;
  assert.ok(classifyPySpyFailure(5, errors.notPython.stderr, true) instanceof NotPythonError);
  assert.ok(classifyPySpyFailure(5, errors.gone.stderr, false) instanceof ProcessGoneError);
  assert.ok(classifyPySpyFailure(5, errors.gone.stderr, true) instanceof ProcessGoneError);
  const perm =
    'Error: Failed to get process executable name. Check that the process is running.\n\nCaused by:\n    0: Permission denied (os error 13)';
  assert.ok(classifyPySpyFailure(1, perm, true) instanceof PySpyPermissionError);
  assert.ok(
    classifyPySpyFailure(1, 'Error: Operation not permitted (os error 1)', true) instanceof
      PySpyPermissionError,
  );
  const other = classifyPySpyFailure(1, 'Error: weird thing happened', true);
  assert.ok(other instanceof PySpyError && other.constructor === PySpyError);
  assert.equal(other.message, 'py-spy failed: weird thing happened');
});
