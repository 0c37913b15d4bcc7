/**
 * The runtime matrix: the demo hang on every Python, py-spy, event loop and server users run (runtimes from
 * scripts/ensure-runtimes.sh, cached in .cache/runtimes). One "target" is one hung server (Python × loop ×
 * server); each target is captured with several py-spy versions through the project's own capture path
 * (src/pyspyView/captureProcess: py-spy selection, manager → workers, chroot paths, diagnosis, static link).
 * Not a test file: runtimeMatrix.test.ts runs it, scripts/recordMatrix.mjs records its dumps as fixtures.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { captureServing, type ProcessCapture } from '../../src/pyspyView/captureProcess';
import { PySpyError } from '../../src/pyspyView/runner';
import { staticCheck } from '../../src/cli/dumpCommand';
import {
  abortStream,
  describe as describeManaged,
  probeHealth,
  repoRoot,
  spawnManaged,
  startFeedServer,
  stopManaged,
  waitUntil,
  type FeedServer,
  type Managed,
} from './liveBackend';

export type Server = 'uvicorn' | 'uvicorn --reload' | 'uvicorn --workers 2' | 'gunicorn' | 'hypercorn';
export type Loop = 'asyncio' | 'uvloop';

/** One hung server. */
export interface Target {
  /** `3.9` … `3.13` (pyenv venvs) or `3.14` (Debian sid root, chrooted). */
  python: string;
  loop: Loop;
  server: Server;
  /** py-spy versions to capture it with (`0.4.3`, ...; `own` = the one in the server's venv). */
  pyspys: string[];
}

/** What one capture of one target gave. */
export interface CellResult {
  python: string;
  loop: Loop;
  server: Server;
  pyspy: string;
  ok: boolean;
  /** `ThreadPoolExecutor.shutdown` etc., or the actionable error when py-spy cannot read this Python. */
  blockingCall?: string;
  frameLine?: number;
  withLine?: number;
  staticCode?: string;
  loopSignal?: string;
  error?: string;
  ms: number;
  captures?: ProcessCapture[];
}

const OLD_PYSPY = ['0.3.14', '0.4.0', '0.4.2', '0.4.3'];

/** The matrix as `npm test` runs it. */
export const TARGETS: Target[] = [
  { python: '3.9', loop: 'asyncio', server: 'uvicorn', pyspys: OLD_PYSPY },
  { python: '3.10', loop: 'asyncio', server: 'uvicorn', pyspys: OLD_PYSPY },
  { python: '3.11', loop: 'asyncio', server: 'uvicorn', pyspys: OLD_PYSPY },
  { python: '3.12', loop: 'asyncio', server: 'uvicorn', pyspys: OLD_PYSPY },
  { python: '3.13', loop: 'asyncio', server: 'uvicorn', pyspys: OLD_PYSPY },
  { python: '3.14', loop: 'asyncio', server: 'uvicorn', pyspys: ['own', '0.4.3'] },
  { python: '3.9', loop: 'uvloop', server: 'uvicorn', pyspys: ['0.4.3', '0.4.2'] },
  { python: '3.12', loop: 'uvloop', server: 'uvicorn', pyspys: ['0.4.3', '0.4.2'] },
  { python: '3.13', loop: 'uvloop', server: 'uvicorn', pyspys: ['0.4.3'] },
  { python: '3.14', loop: 'uvloop', server: 'uvicorn', pyspys: ['own'] },
  { python: '3.12', loop: 'uvloop', server: 'uvicorn --reload', pyspys: ['0.4.3'] },
  { python: '3.12', loop: 'uvloop', server: 'uvicorn --workers 2', pyspys: ['0.4.3'] },
  { python: '3.11', loop: 'uvloop', server: 'gunicorn', pyspys: ['0.4.3'] },
  { python: '3.12', loop: 'asyncio', server: 'hypercorn', pyspys: ['0.4.3'] },
];

export const runtimesDir = (): string => path.join(repoRoot(), '.cache', 'runtimes');
const sidRoot = (): string => path.join(runtimesDir(), 'sid');
const pyspyBin = (v: string): string => path.join(runtimesDir(), 'pyspy', v, 'bin', 'py-spy');

/** A free 127.0.0.1 port (bound and released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The server's argument list after the interpreter (`-m uvicorn ...`). */
function serverArgs(t: Target, port: number, appDir: string): string[] {
  const bind = ['127.0.0.1', String(port)];
  switch (t.server) {
    case 'uvicorn':
    case 'uvicorn --reload':
    case 'uvicorn --workers 2': {
      const args = ['-m', 'uvicorn', 'app.main:app', '--host', bind[0], '--port', bind[1]];
      args.push('--loop', t.loop, '--timeout-graceful-shutdown', '1');
      if (t.server === 'uvicorn --reload') args.push('--reload', '--reload-dir', appDir);
      if (t.server === 'uvicorn --workers 2') args.push('--workers', '2');
      return args;
    }
    case 'gunicorn':
      // UvicornWorker picks uvloop when installed (uvicorn[standard]); UvicornH11Worker would force asyncio.
      return [
        '-m',
        'gunicorn',
        '-k',
        'uvicorn.workers.UvicornWorker',
        '-w',
        '2',
        '-b',
        bind.join(':'),
        'app.main:app',
      ];
    case 'hypercorn':
      return ['-m', 'hypercorn', '--bind', bind.join(':'), '-k', t.loop, 'app.main:app'];
  }
}

interface Running {
  baseUrl: string;
  pid: number;
  managed: Managed;
  feed: FeedServer;
  cleanup: () => void;
}

/** Starts one target (the demo backend, feeds answering after `delay` s). */
async function startTarget(t: Target, delay: number): Promise<Running> {
  const feed = await startFeedServer({ delaySeconds: delay });
  const port = await freePort();
  const env = {
    ...process.env,
    NEWS_FEED_BASE_URL: feed.url,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  let managed: Managed;
  let cleanup = (): void => undefined;
  const src = path.join(repoRoot(), 'examples', 'news-backend', 'backend');
  try {
    if (t.python === '3.14') {
      // A chrooted server: its frames say /app-N/..., files that exist on the host only under its root.
      const rel = `app-${port}`;
      const appDir = path.join(sidRoot(), rel);
      fs.cpSync(src, appDir, { recursive: true });
      cleanup = () => fs.rmSync(appDir, { recursive: true, force: true });
      managed = spawnManaged(
        `py${t.python} ${t.server}`,
        '/usr/sbin/chroot',
        [
          sidRoot(),
          '/bin/sh',
          '-c',
          `cd /${rel} && exec "$@"`,
          'sh',
          '/opt/v/bin/python',
          ...serverArgs(t, port, `/${rel}`),
        ],
        '/',
        env,
      );
    } else {
      const python = path.join(runtimesDir(), `py${t.python}`, 'bin', 'python');
      managed = spawnManaged(`py${t.python} ${t.server}`, python, serverArgs(t, port, src), src, env);
    }
  } catch (err) {
    await feed.stop();
    cleanup();
    throw err;
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  const up = await waitUntil(
    async () => managed.exited || (await probeHealth(baseUrl, 1000)).ok,
    40_000,
    150,
  );
  if (!up || managed.exited) {
    const detail = describeManaged(managed);
    await stopManaged(managed);
    await feed.stop();
    cleanup();
    throw new Error(`${t.server} on ${t.python} did not answer /health: ${detail}`);
  }
  return { baseUrl, pid: managed.pid, managed, feed, cleanup };
}

/** The `with ThreadPoolExecutor` line of the demo's stream.py (what every cell must link). */
export function demoWithLine(): number {
  const text = fs.readFileSync(
    path.join(repoRoot(), 'examples', 'news-backend', 'backend', 'app', 'api', 'routes', 'stream.py'),
    'utf8',
  );
  return text.split('\n').findIndex((l) => /with ThreadPoolExecutor/.test(l)) + 1;
}

/** Hangs one target for real and captures it with each of its py-spy versions. */
export async function runTarget(t: Target, opts: { delay?: number } = {}): Promise<CellResult[]> {
  const running = await startTarget(t, opts.delay ?? 25);
  const results: CellResult[] = [];
  try {
    // With several workers, abort a few streams so that every worker is likely to be hung by one.
    const streams = t.server.includes('workers') || t.server === 'gunicorn' ? 4 : 1;
    await Promise.all(Array.from({ length: streams }, () => abortStream(running.baseUrl, 600)));
    // One serving process: /health must time out. Several: the probe may land on a worker that is not stuck.
    const hung = streams > 1 || !(await probeHealth(running.baseUrl, 1500)).ok;
    for (const v of t.pyspys) {
      const started = Date.now();
      const base = { python: t.python, loop: t.loop, server: t.server, pyspy: v };
      try {
        const captures = await captureServing(running.pid, {
          timeoutMs: 20_000,
          // `own`: nothing configured, the py-spy found beside the server (its venv, inside its chroot).
          configured: v === 'own' ? undefined : pyspyBin(v),
          useTargetEnvironment: v === 'own',
          pathEnv: '',
          check: staticCheck,
        });
        const blocked = captures.flatMap((c) => c.diagnosis.findings);
        const f = blocked[0];
        results.push({
          ...base,
          ok:
            hung &&
            !!f &&
            f.blockingCall === 'ThreadPoolExecutor.shutdown' &&
            f.static?.[0]?.line === demoWithLine(),
          blockingCall: f?.blockingCall,
          frameLine: f?.frame?.line,
          withLine: f?.static?.[0]?.line,
          staticCode: f?.static?.[0]?.code,
          loopSignal: f?.loopSignal,
          error: hung ? undefined : '/health still answered after the abort: no hang to capture',
          ms: Date.now() - started,
          captures,
        });
      } catch (err) {
        results.push({
          ...base,
          ok: false,
          error: err instanceof PySpyError ? `${err.name}: ${err.message}` : String(err),
          ms: Date.now() - started,
        });
      }
    }
  } finally {
    await stopManaged(running.managed);
    await running.feed.stop();
    running.cleanup();
  }
  return results;
}

/** The py-spy versions a recipe says cannot read this Python (the cell then expects that message). */
export function expectUnsupported(python: string, pyspy: string): boolean {
  const minor = Number(python.split('.')[1]);
  return pyspy === '0.3.14' && minor >= 12;
}

/** `py-spy --version` of a runtime binary. */
export function pyspyVersion(v: string): string {
  return execFileSync(pyspyBin(v), ['--version'], { encoding: 'utf8' }).trim();
}

/** Runs targets with at most `parallel` hung servers at once. */
export async function runMatrix(
  targets: Target[],
  parallel = 3,
  onResult?: (r: CellResult[]) => void,
): Promise<CellResult[]> {
  const queue = [...targets];
  const all: CellResult[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        let r: CellResult[];
        try {
          r = await runTarget(t);
        } catch (err) {
          r = [
            {
              python: t.python,
              loop: t.loop,
              server: t.server,
              pyspy: t.pyspys.join(','),
              ok: false,
              error: String(err),
              ms: 0,
            },
          ];
        }
        all.push(...r);
        onResult?.(r);
      }
    }),
  );
  return all;
}
