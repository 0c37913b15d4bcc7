import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  classifyProcesses,
  defaultCandidate,
  describeCommandLine,
  formatUptime,
  parseProcStat,
  readProcTable,
  roleLabel,
  serverKind,
  type ProcInfo,
} from '../../src/pyspyView/processes';
import { fixture, SHAPES } from './pyspyFixtures';

interface Recorded {
  rootPid: number;
  servingPids: number[];
  blockedPid: number;
  table: ProcInfo[];
}
const recorded = (shape: string): Recorded => JSON.parse(fixture(shape, 'proc.json')) as Recorded;

/** Unrelated processes a real table also has. */
const NOISE: ProcInfo[] = [
  { pid: 1, ppid: 0, argv: ['/sbin/init'] },
  { pid: 50, ppid: 1, argv: ['/usr/bin/python3', 'manage.py', 'runserver'] },
  { pid: 51, ppid: 1, argv: ['sleep', '30'] },
  { pid: 52, ppid: 1, argv: ['/usr/bin/node', '/x/uvicorn-helper.js'] },
];

test('recorded /proc tables: roles, serving processes and the default pick', () => {
  const expected: Record<string, string[]> = {
    single: ['server'],
    reload: ['reloader', 'server'],
    workers: ['manager', 'worker 1', 'worker 2'],
  };
  for (const shape of SHAPES) {
    const rec = recorded(shape);
    const candidates = classifyProcesses([...NOISE, ...rec.table]);
    assert.deepEqual(candidates.map(roleLabel), expected[shape], shape);
    assert.equal(candidates[0].pid, rec.rootPid, shape);
    assert.deepEqual(
      candidates.filter((c) => c.serving).map((c) => c.pid),
      rec.servingPids,
      shape,
    );
    assert.equal(defaultCandidate(candidates)?.pid, rec.servingPids[0], shape);
    // The resource tracker child is never offered.
    assert.ok(!candidates.some((c) => c.commandLine.includes('resource_tracker')), shape);
    assert.equal(candidates[0].cwd?.endsWith('/examples/news-backend/backend'), true, shape);
  }
});

test('command lines of the uvicorn family', () => {
  const table: [string[], string | undefined][] = [
    [['/v/bin/python', '/v/bin/uvicorn', 'app.main:app'], 'uvicorn'],
    [['uvicorn', 'app:app', '--reload'], 'uvicorn'],
    [['python3.11', '-u', '-m', 'uvicorn', 'app:app'], 'uvicorn'],
    [['/usr/bin/python3', '/v/bin/gunicorn', '-k', 'uvicorn.workers.UvicornWorker', 'app:app'], 'gunicorn'],
    [['hypercorn', 'app:app'], 'hypercorn'],
    [['python', '-m', 'http.server'], undefined],
    [['python', 'serve_uvicorn.py'], undefined],
    [['sleep', '30'], undefined],
  ];
  for (const [argv, kind] of table) assert.equal(serverKind(argv), kind, argv.join(' '));
});

test('gunicorn master with forked uvicorn workers', () => {
  const argv = [
    '/usr/bin/python3',
    '/v/bin/gunicorn',
    '-w',
    '2',
    '-k',
    'uvicorn.workers.UvicornWorker',
    'app:app',
  ];
  const c = classifyProcesses([
    { pid: 10, ppid: 1, argv },
    { pid: 12, ppid: 10, argv },
    { pid: 11, ppid: 10, argv },
  ]);
  assert.deepEqual(
    c.map((x) => [x.pid, roleLabel(x), x.serving]),
    [
      [10, 'manager', false],
      [11, 'worker 1', true],
      [12, 'worker 2', true],
    ],
  );
});

test('/proc/<pid>/stat with spaces and parentheses in the command name; uptime formatting', () => {
  assert.deepEqual(
    parseProcStat('123 (my (weird) name) S 45 123 123 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 98765 0 0'),
    {
      ppid: 45,
      startTicks: 98765,
    },
  );
  assert.equal(parseProcStat('garbage'), undefined);
  assert.deepEqual([5, 65, 3725, undefined].map(formatUptime), ['5s', '1m 05s', '1h 02m', '?']);
});

test('readProcTable reads this very process from the real /proc', async () => {
  const table = await readProcTable();
  const me = table.find((p) => p.pid === process.pid);
  assert.ok(me, 'own pid in the table');
  assert.equal(me.ppid, process.ppid);
  assert.equal(me.cwd, process.cwd());
  assert.ok(me.argv[0].includes('node'));
  assert.ok((me.uptimeSeconds ?? -1) >= 0 && (me.uptimeSeconds ?? 1e9) < 600, String(me.uptimeSeconds));
});

test('picker detail: short interpreter/script names; a spawned worker says which process spawned it', () => {
  const rec = recorded('workers');
  const [manager, worker] = classifyProcesses(rec.table);
  const managerLine = describeCommandLine(manager);
  assert.match(managerLine, /^python uvicorn app\.main:app .*--workers 2/);
  assert.ok(!managerLine.includes('/.cache/venv/bin/'), managerLine);
  const workerLine = describeCommandLine(worker, [manager, worker]);
  assert.ok(workerLine.startsWith(`spawned by ${manager.pid} (python uvicorn app.main:app `), workerLine);
  assert.match(workerLine, /· python .*spawn_main/);
  // Without its parent in the list, the command line itself (shortened).
  assert.match(describeCommandLine(worker), /^python .*spawn_main/);
});
