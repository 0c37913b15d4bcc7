/**
 * The blocking calls of issue 5 on recorded real dumps of test/fixtures/apps/blocking (scripts/recordDumps.mjs
 * blocking): time.sleep, requests.get, a socket read, a lock acquire, Future.result and Thread.join, each made
 * straight from an async route. Each blocking line of the app carries `# BLOCK: <expected blockingCall>`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  blockingCallFromSource,
  codeOfLine,
  diagnose,
  type SourceLineReader,
} from '../../src/pyspyView/diagnosis';
import { parseDump } from '../../src/pyspyView/dumpParser';
import { DUMPS, fixture, RECORDED_ROOT } from './pyspyFixtures';

const APP_MAIN = path.join(DUMPS, '..', 'apps', 'blocking', 'app', 'main.py');
const SOURCE = readFileSync(APP_MAIN, 'utf8').split('\n');
const RECORDED_MAIN = `${RECORDED_ROOT}/test/fixtures/apps/blocking/app/main.py`;
/** route -> [expected blockingCall, 1-based line] from the `# BLOCK:` markers. */
const EXPECTED = new Map<string, [string, number]>();
SOURCE.forEach((l, i) => {
  const m = /async def (\w+)_route|# BLOCK: (.+)$/.exec(l);
  if (m?.[2]) {
    const route = [...SOURCE.slice(0, i)].reverse().find((x) => /async def \w+_route/.test(x));
    EXPECTED.set(/async def (\w+)_route/.exec(route!)![1], [m[2].trim(), i + 1]);
  }
});

/** Reads the fixture app's lines for the recorded absolute path (--json) or py-spy's short name (text). */
const reader: SourceLineReader = (file, line) =>
  file === RECORDED_MAIN || file === 'app/main.py' ? SOURCE[line - 1] : undefined;

test('the fixture app marks six blocking routes', () => {
  assert.deepEqual([...EXPECTED.keys()].sort(), ['future', 'join', 'lock', 'requests', 'sleep', 'socket']);
});

for (const [route, [call, line]] of EXPECTED) {
  for (const form of ['json', 'txt', 'native.txt']) {
    test(`${route} (${form}): the loop thread is blocked in ${call} at app/main.py:${line}`, () => {
      const dump = parseDump(fixture('blocking', `${route}.${form}`));
      const d = diagnose(dump, { sourceLine: reader });
      assert.equal(d.eventLoopThreadIds.length, 1);
      const loop = dump.threads.find((t) => t.osThreadId === d.eventLoopThreadIds[0]);
      assert.equal(loop?.name, 'MainThread');
      assert.equal(d.findings.length, 1, JSON.stringify(d.findings));
      const f = d.findings[0];
      assert.equal(f.blockingCall, call);
      assert.equal(f.frame?.function, `${route}_route`);
      assert.equal(f.frame?.line, line);
      assert.equal(f.frame?.file, form === 'json' ? RECORDED_MAIN : 'app/main.py');
      // --native shows the C function itself; without it, C calls made straight from the line are read off it.
      const cLevel = ['sleep', 'socket', 'lock'].includes(route);
      assert.equal(f.evidence, cLevel && form !== 'native.txt' ? 'source' : 'stack');
      assert.match(
        f.message,
        new RegExp(
          `^Event loop blocked in ${call.replace('.', '\\.')}, called from ${route}_route \\(app/main\\.py:${line}\\)`,
        ),
      );
      // The joined thread / the executor worker running slow_work is what the loop waits for.
      if (route === 'join' || route === 'future') {
        assert.deepEqual(
          f.waitsFor.map((w) => w.userFrame?.replace(/:\d+\)$/, ')')),
          ['slow_work (app/main.py)'],
        );
      } else {
        assert.deepEqual(f.waitsFor, []);
      }
    });
  }
}

test('without the source, a C call straight from the user line is still reported, with what to do', () => {
  for (const route of ['sleep', 'socket', 'lock']) {
    const d = diagnose(parseDump(fixture('blocking', `${route}.txt`)));
    assert.equal(d.findings[0]?.blockingCall, 'a C-level call', route);
    assert.equal(d.findings[0].evidence, 'none');
    assert.match(d.findings[0].message, /capture with --native/);
    assert.equal(d.findings[0].frame?.line, EXPECTED.get(route)![1]);
  }
});

test('a reader that throws costs only the name of the call', () => {
  const d = diagnose(parseDump(fixture('blocking', 'sleep.json')), {
    sourceLine: () => {
      throw new Error('EACCES');
    },
  });
  assert.equal(d.findings[0].blockingCall, 'a C-level call');
});

test('blockingCallFromSource names the call on a line; comments and strings do not count', () => {
  const cases: [string, string | undefined][] = [
    ['    time.sleep(5)', 'time.sleep'],
    ['    sleep(0.5)  # from time import sleep', 'time.sleep'],
    ['    await asyncio.sleep(1)', undefined],
    ['    got = lock.acquire(timeout=3)', 'lock acquire'],
    ['    with self._lock:', 'lock acquire'],
    ['    with state_mutex:', 'lock acquire'],
    ['    data = conn.recv(4096)', 'socket read'],
    ['    client, addr = server.accept()', 'socket read'],
    ['    sock.connect((host, port))', 'socket connect'],
    ['    s = socket.create_connection((h, p))', 'socket connect'],
    ['    sock.sendall(payload)', 'socket write'],
    ['    value = fut.result()', 'Future.result'],
    ['    r, _, _ = select.select([s], [], [])', 'select'],
    ['    rows = cursor.execute("SELECT 1 # not a comment")', 'cursor.execute'],
    ['    return compute_report(data)', 'compute_report'],
    ['    x = 1  # time.sleep(3) in a comment', undefined],
    ['    msg = "time.sleep(3)"', undefined],
    ['', undefined],
  ];
  for (const [line, expected] of cases) assert.equal(blockingCallFromSource(line), expected, line);
  assert.equal(codeOfLine(`x = "a # b"  # c`), 'x = "a # b"');
  assert.equal(codeOfLine(`x = 'it\\'s # b' # c`), `x = 'it\\'s # b'`);
});
