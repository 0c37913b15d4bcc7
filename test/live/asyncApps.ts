/**
 * Live helpers of the loop-profile and asyncio-task tests: one of the small FastAPI apps of
 * test/fixtures/apps (loopload, deadlock) under real uvicorn on a runtime of the matrix (.cache/runtimes:
 * pyenv venvs 3.9-3.13; 3.14 chrooted into the Debian sid root, its files under /app-PORT there), and a
 * steady load of plain HTTP requests. Not a test file.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  describe as describeManaged,
  probeHealth,
  repoRoot,
  spawnManaged,
  stopManaged,
  waitUntil,
  type Managed,
} from './liveBackend';

export const runtimesDir = (): string => path.join(repoRoot(), '.cache', 'runtimes');
export const sidRoot = (): string => path.join(runtimesDir(), 'sid');
export const pyspy043 = (): string => path.join(runtimesDir(), 'pyspy', '0.4.3', 'bin', 'py-spy');

/** The app's main.py on this machine (the test's copy for 3.14 lives under the sid root). */
export const appMain = (app: string): string =>
  path.join(repoRoot(), 'test', 'fixtures', 'apps', app, 'app', 'main.py');

/** 1-based lines of app/main.py carrying `marker`, with the text after it. */
export function markedLines(app: string, marker: string): { line: number; note: string }[] {
  return fs
    .readFileSync(appMain(app), 'utf8')
    .split('\n')
    .flatMap((l, i) => (l.includes(marker) ? [{ line: i + 1, note: l.split(marker)[1].trim() }] : []));
}

/** Whether a runtime of the matrix is built here (scripts/ensure-runtimes.sh). */
export function haveRuntime(python: string): boolean {
  return python === '3.14'
    ? fs.existsSync(path.join(sidRoot(), 'usr', 'bin', 'python3.14')) &&
        fs.existsSync(path.join(sidRoot(), 'opt', 'v', 'bin', 'uvicorn'))
    : fs.existsSync(path.join(runtimesDir(), `py${python}`, 'bin', 'python'));
}

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

/** A running app. */
export interface RunningApp {
  baseUrl: string;
  pid: number;
  /** Where its main.py is on this machine (the copy under the sid root for 3.14). */
  mainPy: string;
  managed: Managed;
  stop(): Promise<void>;
}

/**
 * Starts `app` under uvicorn on `python` with `loop` (`--workers N` when given), from its fixture folder or
 * from `srcDir` (a copy of it, e.g. inside a screenshot's workspace).
 */
export async function startApp(
  app: 'loopload' | 'deadlock',
  python: string,
  loop: 'asyncio' | 'uvloop',
  workers?: number,
  srcDir?: string,
): Promise<RunningApp> {
  const port = await freePort();
  const src = srcDir ?? path.join(repoRoot(), 'test', 'fixtures', 'apps', app);
  const args = [
    '-m',
    'uvicorn',
    'app.main:app',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--loop',
    loop,
  ];
  args.push('--log-level', 'warning', '--timeout-graceful-shutdown', '1');
  if (workers) args.push('--workers', String(workers));
  const env = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
  let managed: Managed;
  let cleanup = (): void => undefined;
  let mainPy = path.join(src, 'app', 'main.py');
  if (python === '3.14') {
    const rel = `app-${port}`;
    const dir = path.join(sidRoot(), rel);
    fs.cpSync(src, dir, { recursive: true });
    cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    mainPy = path.join(dir, 'app', 'main.py');
    managed = spawnManaged(
      `py3.14 ${app}`,
      '/usr/sbin/chroot',
      [sidRoot(), '/bin/sh', '-c', `cd /${rel} && exec "$@"`, 'sh', '/opt/v/bin/python', ...args],
      '/',
      env,
    );
  } else {
    managed = spawnManaged(
      `py${python} ${app}`,
      path.join(runtimesDir(), `py${python}`, 'bin', 'python'),
      args,
      src,
      env,
    );
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
    cleanup();
    throw new Error(`${app} on ${python}/${loop} did not answer /health: ${detail}`);
  }
  // The chroot's sh execs python: the pid spawned is the server's own.
  return {
    baseUrl,
    pid: managed.pid,
    mainPy,
    managed,
    stop: async () => {
      await stopManaged(managed);
      cleanup();
    },
  };
}

/** One GET; resolves with the status (0 on error or time-out). Never rejects. */
export function get(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Sends requests to each path back to back (`perPath` clients each) until stopped. */
export function startLoad(baseUrl: string, paths: string[], perPath = 1): { stop(): Promise<number> } {
  let running = true;
  let done = 0;
  const clients = paths.flatMap((p) =>
    Array.from({ length: perPath }, async () => {
      while (running) {
        await get(`${baseUrl}${p}`, 5000);
        done++;
      }
    }),
  );
  return {
    stop: async () => {
      running = false;
      await Promise.all(clients);
      return done;
    },
  };
}

/** Starts a request that is not expected to finish; `abort()` closes it. */
export function hangingRequest(url: string): { abort(): void } {
  const req = http.get(url, { agent: false }, (res) => res.resume());
  req.on('error', () => undefined);
  return { abort: () => req.destroy() };
}
