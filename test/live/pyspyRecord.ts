/**
 * Records the py-spy fixtures under test/fixtures/dumps/ from the live demo backend (run through
 * scripts/recordDumps.mjs, which builds first). Real processes, real py-spy: the unit tests parse and
 * diagnose exactly what py-spy printed on this machine. Not a test file (no `.test.` in the name).
 *
 * Layout: <shape>/{proc.json, hung.json, hung.txt, hung-locals.json, hung-locals.txt, hung-again.json,
 * idle.json, idle.txt} for shape in single | reload | workers; blocking/<route>.{json,txt,native.txt} from
 * test/fixtures/apps/blocking (time.sleep, requests.get, a socket read, a lock acquire, Future.result and
 * Thread.join made straight from async routes); plus errors.json (py-spy's stderr for a dead pid and a
 * non-Python pid) and meta.json (repo root at recording time, versions).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  probeHealth,
  repoRoot,
  startNewsBackend,
  venvBin,
  abortStream,
  type NewsBackend,
} from './liveBackend';
import { BLOCKING_APP, BLOCKING_ROUTES, startBlockingRequest } from './pyspyBlockingApp';
import { readProcTable, type ProcInfo } from '../../src/pyspyView/processes';

const pyspy = (): string => venvBin('py-spy');

function dump(pid: number, extra: string[] = []): { stdout: string; stderr: string; code: number } {
  try {
    const stdout = execFileSync(pyspy(), ['dump', '--pid', String(pid), ...extra], {
      encoding: 'utf8',
      env: { ...process.env, RUST_BACKTRACE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    return { stdout, stderr: '', code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.status ?? -1 };
  }
}

function ok(pid: number, extra: string[] = []): string {
  const r = dump(pid, extra);
  if (r.code !== 0) throw new Error(`py-spy dump --pid ${pid} ${extra.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The backend's process tree (root + descendants) from /proc, as classifyProcesses() consumes it. */
async function procTree(rootPid: number): Promise<ProcInfo[]> {
  const table = await readProcTable();
  const keep = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of table) {
      if (keep.has(p.ppid) && !keep.has(p.pid)) {
        keep.add(p.pid);
        grew = true;
      }
    }
  }
  // The parent of the root (this recorder / setpriv) is kept as an unrelated process, like a real table has.
  return table
    .filter((p) => keep.has(p.pid))
    .map((p) => ({ ...p, uptimeSeconds: Math.round((p.uptimeSeconds ?? 0) * 10) / 10 }));
}

/** Finds the serving pid whose event loop is blocked after the abort (with --workers only one is). */
function blockedPid(pids: number[]): number {
  for (const pid of pids) {
    if (ok(pid).includes('concurrent/futures/thread.py')) return pid;
  }
  throw new Error(`no serving process of ${pids.join(', ')} shows the executor hang`);
}

async function recordShape(dir: string, backend: NewsBackend): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const serving = await backend.servingPids();
  const idlePid = serving[0];
  writeFileSync(path.join(dir, 'idle.json'), ok(idlePid, ['--json']));
  writeFileSync(path.join(dir, 'idle.txt'), ok(idlePid));
  await abortStream(backend.baseUrl, 1000);
  await new Promise((r) => setTimeout(r, 300));
  const pid = blockedPid(serving);
  writeFileSync(path.join(dir, 'hung.json'), ok(pid, ['--json']));
  writeFileSync(path.join(dir, 'hung.txt'), ok(pid));
  writeFileSync(path.join(dir, 'hung-locals.json'), ok(pid, ['--json', '--locals']));
  writeFileSync(path.join(dir, 'hung-locals.txt'), ok(pid, ['--locals']));
  await new Promise((r) => setTimeout(r, 1000));
  writeFileSync(path.join(dir, 'hung-again.json'), ok(pid, ['--json']));
  const proc = await procTree(backend.pid);
  writeFileSync(
    path.join(dir, 'proc.json'),
    `${JSON.stringify({ rootPid: backend.pid, servingPids: serving, blockedPid: pid, table: proc }, null, 2)}\n`,
  );
}

/** Each blocking route of the fixture app: hit it, dump the parked loop (json, text, --native), wait it out. */
async function recordBlocking(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  process.env.BLOCKING_HOLD_SECONDS = '4';
  const backend = await startNewsBackend({ appDir: BLOCKING_APP, feedDelaySeconds: 20 });
  try {
    for (const route of BLOCKING_ROUTES) {
      const done = startBlockingRequest(backend.baseUrl, route);
      await new Promise((r) => setTimeout(r, 700));
      writeFileSync(path.join(dir, `${route}.json`), ok(backend.pid, ['--json']));
      writeFileSync(path.join(dir, `${route}.txt`), ok(backend.pid));
      writeFileSync(path.join(dir, `${route}.native.txt`), ok(backend.pid, ['--native']));
      await done;
      while (!(await probeHealth(backend.baseUrl, 1000)).ok) {
        /* the loop is still parked: wait for the hold to end */
      }
    }
  } finally {
    await backend.stop();
  }
}

async function main(): Promise<void> {
  const out = path.join(repoRoot(), 'test', 'fixtures', 'dumps');
  const shapes: [string, Parameters<typeof startNewsBackend>[0]][] = [
    ['single', { feedDelaySeconds: 20 }],
    ['reload', { feedDelaySeconds: 20, reload: true }],
    ['workers', { feedDelaySeconds: 20, workers: 2 }],
  ];
  // `node scripts/recordDumps.mjs blocking` re-records only the named sets (single reload workers blocking errors).
  const only = new Set(process.argv.slice(2));
  const wanted = (name: string): boolean => only.size === 0 || only.has(name);
  for (const [name, opts] of shapes.filter(([n]) => wanted(n))) {
    process.stdout.write(`recording ${name}...\n`);
    const backend = await startNewsBackend(opts);
    try {
      await recordShape(path.join(out, name), backend);
    } finally {
      await backend.stop();
    }
  }
  if (wanted('blocking')) {
    process.stdout.write('recording blocking routes...\n');
    await recordBlocking(path.join(out, 'blocking'));
  }
  if (!wanted('errors')) {
    process.stdout.write(`fixtures written to ${out}\n`);
    return;
  }
  // py-spy's own messages for the failures the runner classifies.
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200));
  const notPython = dump(sleeper.pid!, ['--json']);
  sleeper.kill();
  const gone = dump(2 ** 22 + 12345, ['--json']);
  writeFileSync(
    path.join(out, 'errors.json'),
    `${JSON.stringify({ notPython: { code: notPython.code, stderr: notPython.stderr }, gone: { code: gone.code, stderr: gone.stderr } }, null, 2)}\n`,
  );
  const version = execFileSync(pyspy(), ['--version'], { encoding: 'utf8' }).trim();
  const python = execFileSync(venvBin('python'), ['--version'], { encoding: 'utf8' }).trim();
  writeFileSync(
    path.join(out, 'meta.json'),
    `${JSON.stringify({ repoRoot: repoRoot(), pyspy: version, python, recordedAt: new Date().toISOString() }, null, 2)}\n`,
  );
  process.stdout.write(`fixtures written to ${out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
