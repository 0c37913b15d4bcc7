/**
 * Live: asyncio tasks of a real server. A CPython 3.14 target (Debian sid root, chrooted: its frames say
 * /app-PORT/...) with a lock-order deadlock (test/fixtures/apps/deadlock): the loop is free and /health answers,
 * but /reserve and /settle never finish. `backend-hang dump --format json` must list the tasks and name both
 * parked lines in `tasks-waiting` findings; a second capture marks them stuck; the same under uvloop. The same app in a Docker
 * container, captured by its host pid (the inspector enters the container's namespaces). On 3.12 the capture
 * says the task view needs 3.14 and keeps the thread stacks.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { diagnoseTasks, markStuck } from '../../src/asyncTasks/tasksDiagnosis';
import type { TasksWaitingJson } from '../../src/asyncTasks/tasksFormat';
import { captureProcess } from '../../src/pyspyView/captureProcess';
import type { CaptureJson } from '../../src/pyspyView/captureFormat';
import {
  appMain,
  haveRuntime,
  hangingRequest,
  markedLines,
  pyspy043,
  startApp,
  type RunningApp,
} from './asyncApps';
import { docker, dockerAvailable, IMAGE } from './dockerTarget';
import { probeHealth, runCli, waitUntil } from './liveBackend';

const PARKED = markedLines('deadlock', '# PARKED').map((m) => m.line);

const lockWaits = (json: CaptureJson): TasksWaitingJson[] =>
  json.findings.filter(
    (f): f is TasksWaitingJson => f.kind === 'tasks-waiting' && f.awaits === 'asyncio.Lock.acquire',
  );

describe('asyncio tasks of a live server', () => {
  let app: RunningApp | undefined;
  const requests: { abort(): void }[] = [];
  after(async () => {
    for (const r of requests) r.abort();
    await app?.stop();
  });

  test(
    '3.14: a lock-order deadlock names both parked lines; a second capture marks them stuck',
    { skip: !haveRuntime('3.14') && 'sid runtime not built (scripts/ensure-runtimes.sh)' },
    async () => {
      app = await startApp('deadlock', '3.14', 'asyncio');
      requests.push(hangingRequest(`${app.baseUrl}/reserve`), hangingRequest(`${app.baseUrl}/settle`));
      // Each handler holds its first lock after 0.3 s and then waits for the other's.
      await new Promise((r) => setTimeout(r, 900));
      assert.equal((await probeHealth(app.baseUrl, 2000)).ok, true, 'the loop is free: /health answers');

      const r = await runCli(['dump', '--pid', String(app.pid), '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout) as CaptureJson;
      assert.ok(
        json.tasks && json.tasks.length >= 3,
        `tasks listed: ${JSON.stringify(json.tasks?.map((t) => t.name))}`,
      );
      for (const t of json.tasks) {
        assert.equal(typeof t.id, 'string');
        assert.ok(Array.isArray(t.frames) && Array.isArray(t.awaitedBy));
      }
      assert.ok(!json.findings.some((f) => f.kind === 'event-loop-blocked'), 'the loop is not blocked');
      const waits = lockWaits(json);
      assert.deepEqual(
        waits.map((f) => [f.frame.function, f.frame.line]).sort((a, b) => Number(a[1]) - Number(b[1])),
        [
          ['reserve', PARKED[0]],
          ['settle', PARKED[1]],
        ],
        JSON.stringify(json.findings),
      );
      for (const f of waits) {
        assert.match(f.frame.file, /^\/app-\d+\/app\/main\.py$/, 'the path as the chrooted process sees it');
        assert.equal(f.tasks.length, 1);
        assert.ok(
          json.tasks.some((t) => t.id === f.tasks[0].id),
          'the finding names a listed task',
        );
      }

      // Two captures through the same pipeline: the parked tasks did not move.
      const opts = { useTargetEnvironment: true, configured: pyspy043() };
      const first = await captureProcess(app.pid, opts);
      await new Promise((r) => setTimeout(r, 500));
      const second = await captureProcess(app.pid, opts);
      assert.ok(first.dump.tasks && second.dump.tasks, 'both captures read tasks');
      const stuck = diagnoseTasks(markStuck(first.dump.tasks, second.dump.tasks)).filter(
        (f) => f.awaits === 'asyncio.Lock.acquire',
      );
      assert.equal(stuck.length, 2);
      assert.ok(
        stuck.every((f) => f.stuck === true && /stuck/.test(f.message)),
        JSON.stringify(stuck),
      );
    },
  );

  test(
    '3.14 under uvloop: the same two parked lines',
    { skip: !haveRuntime('3.14') && 'sid runtime not built' },
    async () => {
      await app?.stop();
      app = await startApp('deadlock', '3.14', 'uvloop');
      requests.push(hangingRequest(`${app.baseUrl}/reserve`), hangingRequest(`${app.baseUrl}/settle`));
      await new Promise((r) => setTimeout(r, 900));
      const r = await runCli(['dump', '--pid', String(app.pid), '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout) as CaptureJson;
      assert.deepEqual(
        lockWaits(json)
          .map((f) => [f.frame.function, f.frame.line])
          .sort((a, b) => Number(a[1]) - Number(b[1])),
        [
          ['reserve', PARKED[0]],
          ['settle', PARKED[1]],
        ],
      );
      for (const r of requests.splice(0)) r.abort();
      await app.stop();
      app = undefined;
    },
  );

  test(
    '3.14 in a Docker container, by its host pid: the same two parked lines',
    { skip: dockerAvailable() },
    async () => {
      const name = `bh-tasks-${process.pid}`;
      const port = 18900 + Math.floor(Math.random() * 90);
      const appDir = path.dirname(path.dirname(appMain('deadlock')));
      docker([
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'host',
        '-v',
        `${appDir}:/app:ro`,
        '-w',
        '/app',
        IMAGE,
        '/opt/v/bin/python',
        '-m',
        'uvicorn',
        'app.main:app',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
      ]);
      try {
        const baseUrl = `http://127.0.0.1:${port}`;
        assert.ok(
          await waitUntil(async () => (await probeHealth(baseUrl, 1000)).ok, 30_000, 200),
          'container up',
        );
        requests.push(hangingRequest(`${baseUrl}/reserve`), hangingRequest(`${baseUrl}/settle`));
        await new Promise((r) => setTimeout(r, 900));
        const pid = Number(docker(['inspect', '-f', '{{.State.Pid}}', name]).trim());
        const r = await runCli(['dump', '--pid', String(pid), '--format', 'json']);
        assert.equal(r.code, 0, r.stderr);
        const json = JSON.parse(r.stdout) as CaptureJson;
        assert.deepEqual(
          lockWaits(json)
            .map((f) => [f.frame.file, f.frame.line])
            .sort((a, b) => Number(a[1]) - Number(b[1])),
          PARKED.map((line) => ['/app/app/main.py', line]),
          JSON.stringify(json.findings),
        );
      } finally {
        for (const r of requests.splice(0)) r.abort();
        docker(['rm', '-f', name]);
      }
    },
  );

  test(
    '3.12: the capture says the task view needs 3.14 and keeps the thread stacks',
    { skip: !haveRuntime('3.12') && 'py3.12 runtime not built' },
    async () => {
      await app?.stop();
      app = await startApp('deadlock', '3.12', 'asyncio');
      requests.push(hangingRequest(`${app.baseUrl}/reserve`), hangingRequest(`${app.baseUrl}/settle`));
      await new Promise((r) => setTimeout(r, 900));
      const r = await runCli(['dump', '--pid', String(app.pid), '--format', 'json', '--pyspy', pyspy043()]);
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout) as CaptureJson;
      assert.equal(json.tasks, undefined);
      assert.match(json.tasksNote ?? '', /needs Python 3\.14\+ \(this server runs Python 3\.12\)/);
      assert.ok(json.threads.length > 0, 'thread stacks are there');
    },
  );
});
