/**
 * Live: the real demo backend under uvicorn, hung by an aborted stream, dumped by the real py-spy through
 * the project's runner; the picker's /proc scan on --workers 2 and --reload; the typed errors for a dead pid,
 * a non-Python pid, a missing py-spy and a time-out; the `backend-hang dump` CLI end to end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { diagnose } from '../../src/pyspyView/diagnosis';
import { findServerProcesses, roleLabel } from '../../src/pyspyView/processes';
import {
  captureDump,
  NotPythonError,
  ProcessGoneError,
  PySpyNotFoundError,
  PySpyTimeoutError,
  runPySpy,
} from '../../src/pyspyView/runner';
import {
  abortStream,
  probeHealth,
  repoRoot,
  runCli,
  startNewsBackend,
  venvBin,
  type NewsBackend,
} from './liveBackend';

const STREAM = path.join(
  repoRoot(),
  'examples',
  'news-backend',
  'backend',
  'app',
  'api',
  'routes',
  'stream.py',
);
/** The 1-based line of `with ThreadPoolExecutor(...)` in stream.py: where the loop blocks. */
const WITH_LINE =
  readFileSync(STREAM, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('with ThreadPoolExecutor')) + 1;
const opts = { timeoutMs: 30_000 };

describe('py-spy on the hung demo backend (single process)', () => {
  let backend: NewsBackend;
  before(async () => {
    backend = await startNewsBackend({ feedDelaySeconds: 20 });
  });
  after(async () => {
    await backend?.stop();
  });

  test('the picker finds the lone uvicorn as the server; idle capture has no finding', async () => {
    const candidates = (await findServerProcesses()).filter((c) => c.pid === backend.pid);
    assert.deepEqual(candidates.map(roleLabel), ['server']);
    assert.equal(candidates[0].cwd, path.dirname(path.dirname(path.dirname(path.dirname(STREAM)))));
    const { dump } = await captureDump(venvBin('py-spy'), backend.pid, opts);
    const d = diagnose(dump);
    assert.equal(d.eventLoopThreadIds.length, 1);
    assert.deepEqual(d.findings, []);
  });

  test('after a client abort: loop thread blocked in ThreadPoolExecutor.shutdown at stream.py', async () => {
    await abortStream(backend.baseUrl, 1000);
    assert.equal((await probeHealth(backend.baseUrl, 1500)).ok, false, '/health hangs');
    const started = performance.now();
    const { dump } = await captureDump(venvBin('py-spy'), backend.pid, { ...opts, locals: true });
    const ms = Math.round(performance.now() - started);
    const d = diagnose(dump);
    const loop = dump.threads.find((t) => t.osThreadId === d.eventLoopThreadIds[0]);
    assert.equal(loop?.name, 'MainThread');
    assert.equal(d.findings.length, 1);
    assert.equal(d.findings[0].blockingCall, 'ThreadPoolExecutor.shutdown');
    assert.deepEqual(d.findings[0].frame, {
      function: 'news_stream.<locals>.event_generator',
      file: STREAM,
      shortFile: 'app/api/routes/stream.py',
      line: WITH_LINE,
    });
    assert.equal(d.findings[0].waitsFor.length, 5);
    const shutdown = loop!.frames.find((f) => /(^|\.)shutdown$/.test(f.function));
    assert.equal(shutdown?.locals?.find((l) => l.name === 'wait')?.repr, 'True');
    process.stdout.write(`# py-spy dump --locals of the hung backend took ${ms} ms\n`);
  });

  test('backend-hang dump --format json prints the issue shape and exits 0', async () => {
    const r = await runCli([
      'dump',
      '--pid',
      String(backend.pid),
      '--format',
      'json',
      '--pyspy',
      venvBin('py-spy'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as {
      pid: number;
      findings: { blockingCall: string; frame: { file: string; line: number } }[];
    };
    assert.equal(json.pid, backend.pid);
    assert.deepEqual(
      json.findings.map((f) => [f.blockingCall, f.frame.file, f.frame.line]),
      [['ThreadPoolExecutor.shutdown', STREAM, WITH_LINE]],
    );
    const text = await runCli(['dump', '--pid', String(backend.pid), '--pyspy', venvBin('py-spy')]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /EVENT LOOP BLOCKED: Event loop blocked in ThreadPoolExecutor\.shutdown/);
    // The blocked frame is linked to the static finding on the same line, with the command that fixes it.
    assert.ok(
      new RegExp(`fix here: ${STREAM.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${WITH_LINE}:\\d+ BHD001 `).test(text.stdout),
      `no BHD001 link in:\n${text.stdout.slice(0, 900)}`,
    );
    assert.ok(text.stdout.includes(`(fix: backend-hang check --fix ${STREAM})`));
    // The JSON carries the same link.
    const linked = (json.findings[0] as unknown as { static: { code: string; line: number }[] }).static;
    assert.deepEqual(linked.map((l) => [l.code, l.line]), [['BHD001', WITH_LINE]]);
  });
});

for (const shape of ['workers', 'reload'] as const) {
  describe(`--${shape}: the picker finds the serving processes`, () => {
    let backend: NewsBackend;
    before(async () => {
      backend = await startNewsBackend(
        shape === 'workers' ? { feedDelaySeconds: 20, workers: 2 } : { feedDelaySeconds: 20, reload: true },
      );
    });
    after(async () => {
      await backend?.stop();
    });

    test('roles from /proc, serving = the spawned children, and the hung worker is diagnosed', async () => {
      const serving = await backend.servingPids();
      const candidates = (await findServerProcesses()).filter(
        (c) => c.pid === backend.pid || c.ppid === backend.pid,
      );
      assert.deepEqual(
        candidates.map(roleLabel),
        shape === 'workers' ? ['manager', 'worker 1', 'worker 2'] : ['reloader', 'server'],
      );
      assert.deepEqual(
        candidates.filter((c) => c.serving).map((c) => c.pid),
        serving,
      );
      await abortStream(backend.baseUrl, 1000);
      const blocked = [];
      for (const pid of serving) {
        const d = diagnose((await captureDump(venvBin('py-spy'), pid, opts)).dump);
        blocked.push(...d.findings.map((f) => [f.blockingCall, f.frame?.file, f.frame?.line]));
      }
      assert.deepEqual(blocked, [['ThreadPoolExecutor.shutdown', STREAM, WITH_LINE]]);
    });
  });
}

describe('py-spy failures become typed errors', () => {
  test('a dead pid: ProcessGoneError (runner and CLI exit 2)', async () => {
    const child = spawn('true');
    await new Promise((r) => child.on('exit', r));
    const pid = child.pid!;
    await assert.rejects(captureDump(venvBin('py-spy'), pid, opts), ProcessGoneError);
    // Straight through py-spy too (no /proc pre-check): its own message is classified.
    await assert.rejects(runPySpy(venvBin('py-spy'), ['dump', '--pid', String(pid)], opts), ProcessGoneError);
    const r = await runCli(['dump', '--pid', String(pid), '--pyspy', venvBin('py-spy')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`Process ${pid} is not running`));
  });

  test('a non-Python pid (sleep 30): NotPythonError', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      await assert.rejects(captureDump(venvBin('py-spy'), sleeper.pid!, opts), NotPythonError);
    } finally {
      sleeper.kill();
    }
  });

  test('a missing py-spy: PySpyNotFoundError; a time-out: PySpyTimeoutError', async () => {
    const missing = path.join(repoRoot(), '.cache', 'no-such-py-spy');
    assert.equal(existsSync(missing), false);
    await assert.rejects(captureDump(missing, process.pid, opts), PySpyNotFoundError);
    // py-spy cannot attach, read and print within 1 ms: the runner kills it and says so.
    await assert.rejects(captureDump(venvBin('py-spy'), process.pid, { timeoutMs: 1 }), PySpyTimeoutError);
  });
});
