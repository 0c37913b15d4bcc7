/**
 * asyncio tasks on recorded real output of CPython 3.14's `python -m asyncio pstree|ps PID` (Debian sid,
 * test/fixtures/apps/deadlock under uvicorn, chrooted at /app-rec): two requests deadlocked on two locks taken
 * in opposite order, an Event nobody sets, a gather of two Queue waits, and (cycle.*) two tasks awaiting each
 * other, which pstree refuses to draw. The `# PARKED` lines of the app are where the lock waiters must be named.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { mergeTaskViews, parsePsTable } from '../../src/asyncTasks/psTable';
import { parseCycles, parseFrameLabel, parsePstree } from '../../src/asyncTasks/pstree';
import { diagnoseTasks, groupByAwait, markStuck, taskWait } from '../../src/asyncTasks/tasksDiagnosis';
import { formatTasksText } from '../../src/asyncTasks/tasksFormat';
import { tasksHeadline, tasksTree } from '../../src/asyncTasks/tasksTree';
import { supportsTaskView, inspectorFor } from '../../src/asyncTasks/captureTasks';
import { detectFormat, parseAnyDump } from '../../src/dumpFormats';
import { formatCaptureText, toCaptureJson } from '../../src/pyspyView/captureFormat';
import { diagnose } from '../../src/pyspyView/diagnosis';
import { DUMPS, fixture } from './pyspyFixtures';

const APP = readFileSync(path.join(DUMPS, '..', 'apps', 'deadlock', 'app', 'main.py'), 'utf8').split('\n');
const PARKED = APP.flatMap((l, i) => (l.includes('# PARKED') ? [i + 1] : []));
const lineOf = (re: RegExp): number => APP.findIndex((l) => re.test(l)) + 1;
const tree = fixture('asyncio', 'deadlock.pstree.txt');
const table = fixture('asyncio', 'deadlock.ps.txt');

describe('pstree and ps parsers', () => {
  test('pstree: tasks, coroutine frames innermost first, who awaits whom', () => {
    const { tasks, cycles } = parsePstree(tree);
    assert.deepEqual(cycles, []);
    assert.deepEqual(
      tasks.map((t) => t.name),
      ['Task-1', 'Task-2', 'Task-3', 'Task-4', 'Task-5', 'Task-6', 'Task-7', 'Task-8'],
    );
    const settle = tasks.find((t) => t.frames.some((f) => f.function === 'settle'))!;
    assert.deepEqual(
      settle.frames.slice(0, 3).map((f) => [f.function, f.shortFile, f.line, f.library]),
      [
        ['Lock.acquire', 'asyncio/locks.py', 110, true],
        ['_ContextManagerMixin.__aenter__', 'asyncio/locks.py', 14, true],
        ['settle', '/app-rec/app/main.py', PARKED[1], false],
      ],
    );
    assert.equal(settle.frames.at(-1)!.function, 'RequestResponseCycle.run_asgi', 'outermost last');
    const t6 = tasks.find((t) => t.name === 'Task-6')!;
    assert.deepEqual(
      t6.awaitedBy.map((a) => [a.id, a.frames![0].function, a.frames![0].line]),
      [['Task-5', 'fanout', lineOf(/asyncio\.gather/)]],
    );
    assert.deepEqual(
      t6.frames.map((f) => f.function),
      ['Queue.get', 'consume'],
    );
  });

  test('ps: hex ids, threads, stacks by name, awaiter ids', () => {
    const tasks = parsePsTable(table);
    assert.equal(tasks.length, 8);
    assert.ok(tasks.every((t) => /^0x[0-9a-f]+$/.test(t.id) && t.threadId === 8940));
    const t6 = tasks.find((t) => t.name === 'Task-6')!;
    const t5 = tasks.find((t) => t.name === 'Task-5')!;
    assert.deepEqual(
      t6.frames.map((f) => f.function),
      ['Queue.get', 'consume'],
    );
    assert.deepEqual(
      t6.awaitedBy.map((a) => [a.id, a.name, a.frames![0].function]),
      [[t5.id, 'Task-5', 'fanout']],
    );
    assert.deepEqual(tasks.find((t) => t.name === 'Task-1')!.awaitedBy, []);
  });

  test('merged views: ps ids with pstree files and lines', () => {
    const merged = mergeTaskViews(parsePsTable(table), parsePstree(tree).tasks, []);
    const t4 = merged.find((t) => t.name === 'Task-4')!;
    assert.match(t4.id, /^0x/);
    assert.deepEqual([t4.frames[2].function, t4.frames[2].line], ['reserve', PARKED[0]]);
    const t7 = merged.find((t) => t.name === 'Task-7')!;
    assert.equal(t7.awaitedBy[0].frames![0].file, '/app-rec/app/main.py');
  });

  test('frame labels and cycle reports', () => {
    assert.deepEqual(parseFrameLabel(' cycle.<locals>.alpha /srv/my app/main.py:62'), {
      function: 'cycle.<locals>.alpha',
      file: '/srv/my app/main.py',
      line: 62,
      shortFile: '/srv/my app/main.py',
      library: false,
    });
    assert.deepEqual(parseFrameLabel('sleep').file, '');
    assert.deepEqual(parseCycles(fixture('asyncio', 'cycle.pstree.stderr.txt')), [['beta', 'alpha', 'beta']]);
  });
});

describe('tasks-waiting diagnosis', () => {
  const tasks = mergeTaskViews(parsePsTable(table), parsePstree(tree).tasks, []);

  test('both lock waiters named at their user line, with the primitive', () => {
    const findings = diagnoseTasks(tasks);
    const locks = findings.filter((f) => f.awaits === 'asyncio.Lock.acquire');
    assert.deepEqual(locks.map((f) => [f.frame.function, f.frame.line, f.tasks.length]).sort(), [
      ['reserve', PARKED[0], 1],
      ['settle', PARKED[1], 1],
    ]);
    assert.ok(
      locks.every(
        (f) => f.frame.file === '/app-rec/app/main.py' && f.awaitKind === 'lock' && f.stuck === undefined,
      ),
    );
    const byAwait = new Map(findings.map((f) => [`${f.frame.function}:${f.awaits}`, f]));
    assert.equal(byAwait.get('notify:asyncio.Event.wait')?.frame.line, lineOf(/ready\.wait\(\)/));
    assert.equal(
      byAwait.get('consume:asyncio.Queue.get')?.tasks.length,
      2,
      'the two gathered consumers are one group',
    );
    assert.equal(byAwait.get('fanout:tasks Task-6, Task-7')?.awaitKind, 'task');
    // Server tasks (uvicorn's main loop sleeping, the lifespan queue) have no user frame: no finding.
    assert.ok(!findings.some((f) => /Server|Lifespan/.test(f.frame.function)));
    assert.match(
      locks[0].message,
      /^Task Task-\d waits in asyncio\.Lock\.acquire at (reserve|settle) \(\/app-rec\/app\/main\.py:\d+\)$/,
    );
  });

  test('a second capture with the same stacks marks them stuck; a moved task is not', () => {
    const again = markStuck(tasks, tasks);
    assert.ok(again.every((t) => t.stuck));
    const locks = diagnoseTasks(again).filter((f) => f.awaitKind === 'lock');
    assert.ok(locks.every((f) => f.stuck && /stuck: its stack did not move/.test(f.message)));
    const moved = tasks.map((t) => (t.name === 'Task-4' ? { ...t, frames: t.frames.slice(1) } : t));
    const next = markStuck(moved, tasks);
    assert.equal(next.find((t) => t.name === 'Task-4')!.stuck, false);
    assert.equal(next.find((t) => t.name === 'Task-3')!.stuck, true);
    const f = diagnoseTasks(next).filter((x) => x.awaitKind === 'lock');
    assert.deepEqual(
      f.map((x) => [x.frame.function, x.stuck]),
      [
        ['settle', true],
        ['reserve', false],
      ],
      'stuck first',
    );
  });

  test('an await cycle is a deadlock', () => {
    const cycles = parseCycles(fixture('asyncio', 'cycle.pstree.stderr.txt'));
    const all = mergeTaskViews(
      parsePsTable(fixture('asyncio', 'cycle.ps.txt')),
      parsePstree(fixture('asyncio', 'cycle.flat.txt')).tasks,
      cycles,
    );
    const findings = diagnoseTasks(all);
    const dead = findings.filter((f) => f.deadlock);
    assert.deepEqual(dead.map((f) => f.frame.function).sort(), [
      'cycle.<locals>.alpha',
      'cycle.<locals>.beta',
    ]);
    assert.equal(findings[0].deadlock, true, 'deadlocks first');
    assert.match(dead[0].message, /await cycle beta → alpha → beta/);
    assert.equal(dead.find((f) => f.frame.function.endsWith('alpha'))!.awaits, 'task beta');
  });

  test('tasks grouped by what they wait on; where each waits', () => {
    const groups = groupByAwait(tasks);
    assert.deepEqual(
      groups.map((g) => [g.kind, g.tasks.length]),
      [
        ['lock', 2],
        ['event', 1],
        ['queue', 3],
        ['task', 1],
        ['sleep', 1],
      ],
    );
    const t8 = tasks.find((t) => t.name === 'Task-8')!;
    assert.deepEqual(taskWait(t8), { kind: 'event', awaits: 'asyncio.Event.wait', userFrame: 1 });
  });
});

describe('dump formats and capture output', () => {
  test('pstree and ps text are recognised and parsed as task dumps (dump --file)', () => {
    assert.equal(detectFormat(tree)?.id, 'asyncio-pstree');
    assert.equal(detectFormat(table)?.id, 'asyncio-ps');
    assert.equal(detectFormat(fixture('asyncio', 'cycle.pstree.stderr.txt'))?.id, 'asyncio-pstree');
    assert.notEqual(detectFormat(fixture('single', 'hung.txt'))?.id, 'asyncio-pstree');
    const dump = parseAnyDump(tree, { pid: 8940 });
    assert.equal(dump.format, 'asyncio-pstree');
    assert.deepEqual(dump.threads, []);
    assert.equal(dump.tasks?.length, 8);
    assert.equal(parseAnyDump(table).pid, 8940, 'ps: the loop thread id is the pid (main thread)');
  });

  test('capture JSON: tasks (id, name, frames, awaitedBy) and tasks-waiting findings', () => {
    const dump = parseAnyDump(tree, { pid: 8940 });
    const json = toCaptureJson(dump, diagnose(dump));
    assert.equal(json.tasks?.length, 8);
    assert.deepEqual(Object.keys(json.tasks![5]), ['id', 'name', 'frames', 'awaitedBy']);
    const waiting = json.findings.filter((f) => f.kind === 'tasks-waiting');
    const lock = waiting.filter((f) => f.kind === 'tasks-waiting' && f.awaits === 'asyncio.Lock.acquire');
    assert.deepEqual(
      lock.map((f) => f.frame).sort((a, b) => a!.line - b!.line),
      [
        { file: '/app-rec/app/main.py', line: PARKED[0], function: 'reserve' },
        { file: '/app-rec/app/main.py', line: PARKED[1], function: 'settle' },
      ],
    );
    const text = formatCaptureText(dump, diagnose(dump));
    assert.match(text, /TASKS WAITING: Task Task-\d waits in asyncio\.Lock\.acquire at reserve/);
    assert.doesNotMatch(text, /No asyncio event-loop thread found/);
    assert.match(formatTasksText(dump), /waiting on lock \(2\):/);
  });

  test('older Pythons: the task view says it needs 3.14', () => {
    assert.equal(supportsTaskView('3.14'), true);
    assert.equal(supportsTaskView('3.15'), true);
    assert.equal(supportsTaskView('3.13'), false);
    assert.equal(supportsTaskView(undefined), false);
    const dump = {
      ...parseAnyDump(fixture('single', 'hung.txt')),
      tasksNote:
        'The asyncio task view needs Python 3.14+ (this server runs Python 3.12); showing thread stacks.',
    };
    const json = toCaptureJson(dump, diagnose(dump));
    assert.equal(json.tasks, undefined);
    assert.match(json.tasksNote!, /needs Python 3\.14\+/);
    assert.match(
      formatCaptureText(dump, diagnose(dump)),
      /asyncio tasks: The asyncio task view needs Python 3\.14\+/,
    );
  });

  test('the inspecting interpreter: itself, the root loader in a chroot, nsenter into a container', () => {
    assert.deepEqual(inspectorFor({ pid: 9, exe: '/usr/bin/python3.14' }), {
      file: '/usr/bin/python3.14',
      args: [],
    });
    const have = new Set([
      '/r/lib64/ld-linux-x86-64.so.2',
      '/r/lib/x86_64-linux-gnu',
      '/r/usr/lib/x86_64-linux-gnu',
    ]);
    assert.deepEqual(
      inspectorFor({ pid: 9, exe: '/r/usr/bin/python3.14', rootPrefix: '/r' }, (p) => have.has(p)),
      {
        file: '/r/lib64/ld-linux-x86-64.so.2',
        args: [
          '--library-path',
          '/r/lib/x86_64-linux-gnu:/r/usr/lib/x86_64-linux-gnu',
          '/r/usr/bin/python3.14',
        ],
      },
    );
    // A container (another mount namespace): its exe reads as its own path, and CPython's remote reader opens
    // the binary the target maps by that path, so the inspector runs in there, given the pid it has in there.
    assert.deepEqual(
      inspectorFor({ pid: 9, exe: '/usr/local/bin/python3.14', rootPrefix: '/proc/9/root' }, () => false, 1),
      {
        file: 'nsenter',
        args: ['-t', '9', '-m', '-p', '--', '/usr/local/bin/python3.14'],
        pid: 1,
      },
    );
  });
});

describe('Tasks node data and saved captures', () => {
  test('the Tasks node: findings first, then tasks grouped by what they wait on, frames with the user one marked', () => {
    const dump = parseAnyDump(tree, { pid: 8940 });
    const root = tasksTree(dump)!;
    assert.equal(root.label, 'Tasks');
    assert.equal(root.description, '8 asyncio tasks · 6 waiting in your code');
    assert.deepEqual(root.children.map((c) => [c.kind, c.label]).slice(0, 6), [
      ['finding', 'Tasks waiting'],
      ['finding', 'Tasks waiting'],
      ['finding', 'Tasks waiting'],
      ['finding', 'Tasks waiting'],
      ['finding', 'Tasks waiting'],
      ['group', 'waiting on locks'],
    ]);
    const locks = root.children.find((c) => c.label === 'waiting on locks')!;
    const task = locks.children[0];
    assert.match(task.description!, /^asyncio\.Lock\.acquire · main\.py:(24|32)$/);
    const user = task.children.filter((f) => f.user);
    assert.equal(user.length, 1, 'one user frame among library frames');
    assert.deepEqual(user[0].open, { file: '/app-rec/app/main.py', line: user[0].open!.line });
    assert.ok(PARKED.includes(user[0].open!.line));
    assert.deepEqual(tasksHeadline(dump), { text: '6 tasks waiting in your code', severe: false });
    const again = { ...dump, tasks: markStuck(dump.tasks!, dump.tasks!) };
    assert.equal(tasksHeadline(again)?.severe, true);
    assert.match(tasksHeadline(again)!.text, /^\d+ tasks stuck$/);
    assert.deepEqual(
      tasksTree({ pid: 1, threads: [], hasLocals: false, tasksNote: 'needs 3.14' })?.kind,
      'note',
    );
  });

  test('a saved capture JSON with tasks reads back with its tasks and findings', () => {
    const dump = parseAnyDump(tree, { pid: 8940 });
    const saved = JSON.stringify(toCaptureJson(dump, diagnose(dump)));
    const back = parseAnyDump(saved);
    assert.equal(back.format, 'backend-hang-json');
    assert.equal(back.tasks?.length, 8);
    assert.deepEqual(
      diagnoseTasks(back.tasks!).map((f) => f.message),
      diagnoseTasks(dump.tasks!).map((f) => f.message),
    );
  });
});
