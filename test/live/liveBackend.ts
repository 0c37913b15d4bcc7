/**
 * Live-backend fixture: runs the real demo backend (examples/news-backend under uvicorn) and the local slow
 * feed server on 127.0.0.1, so tests (plain Node, and inside the VS Code extension host) meet a real hang.
 *
 * Node builtins only. Every process is started in its own process group (detached) and stopped by signalling
 * the whole group, so uvicorn's --reload/--workers children go too. Processes still running when the test
 * process exits (a failed test that never called stop()) are killed from an `exit`/signal handler; on Linux
 * a small watchdog process kills the group if this process dies by SIGKILL (see spawnWatchdog).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

/** Something went wrong starting, probing or stopping the live backend. */
export class LiveBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveBackendError';
  }
}

/** An operation on the live backend did not finish in time. `partial` holds what arrived before that. */
export class LiveTimeoutError extends LiveBackendError {
  constructor(
    message: string,
    readonly partial: string[] = [],
  ) {
    super(message);
    this.name = 'LiveTimeoutError';
  }
}

/** The running feed server. */
export interface FeedServer {
  /** e.g. `http://127.0.0.1:41234`; feeds are served at `${url}/feed/<name>`. */
  url: string;
  port: number;
  pid: number;
  /** Idempotent; resolves when no process of the server is left. */
  stop(): Promise<void>;
}

/** Options for {@link startNewsBackend}. */
export interface NewsBackendOptions {
  /** Directory uvicorn runs in (it imports `app.main:app` from there). Default examples/news-backend/backend. */
  appDir?: string;
  /** Delay of the feed server this call starts (ignored when `feedUrl` is given). Default 20 s: the hang. */
  feedDelaySeconds?: number;
  /** Use this feed server instead of starting one (it is then not stopped by `stop()`). */
  feedUrl?: string;
  /** `--workers N` (N > 1): the serving processes are spawned children. */
  workers?: number;
  /** `--reload`: the serving process is a spawned child, restarted when a .py file under `appDir` changes. */
  reload?: boolean;
  /** Port to bind; default 0 (a free one chosen by the OS, read back from uvicorn's log). */
  port?: number;
  /** Time to wait for /health to answer after start. Default 30 s. */
  startTimeoutMs?: number;
  /** Called with each line uvicorn writes (stdout and stderr), e.g. to keep a log file. */
  onOutput?: (line: string) => void;
}

/** The running demo backend. */
export interface NewsBackend {
  /** e.g. `http://127.0.0.1:41235` (no trailing slash). */
  baseUrl: string;
  port: number;
  /** uvicorn's own pid (its command line is `.../python .../uvicorn app.main:app ...`). */
  pid: number;
  /**
   * The processes that serve requests: `[pid]` normally; with --reload/--workers the spawned children
   * (`python -c "from multiprocessing.spawn import spawn_main; ..." --multiprocessing-fork`), read fresh
   * on each call (a reload replaces the child).
   */
  servingPids(): Promise<number[]>;
  feed: { url: string };
  /** uvicorn's recent stdout+stderr (for failure messages). */
  output(): string;
  /** Idempotent. SIGTERM to the whole process tree, SIGKILL after a short grace; then the feed server. */
  stop(): Promise<void>;
}

const PACKAGE_NAME = 'backend-hang-debug';
/** A hung event loop never finishes uvicorn's graceful shutdown, so SIGTERM gets only this long. */
const STOP_GRACE_MS = 2000;
/** After the client socket closes, give the server this long to notice the disconnect (and block). */
const ABORT_SETTLE_MS = 150;

let cachedRoot: string | undefined;

/**
 * The repository root: the nearest directory at or above $BACKEND_HANG_REPO_ROOT, this file, or the cwd whose
 * package.json is named backend-hang-debug.
 */
export function repoRoot(): string {
  if (cachedRoot) {
    return cachedRoot;
  }
  // BACKEND_HANG_REPO_ROOT: set by scripts/codeServer.mjs for tests running inside the extension host.
  const starts = [process.env.BACKEND_HANG_REPO_ROOT, __dirname, process.cwd()].filter(
    (d): d is string => !!d,
  );
  for (const start of starts) {
    let dir = path.resolve(start);
    for (;;) {
      const pkg = path.join(dir, 'package.json');
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // No (readable) package.json here: keep walking up.
      }
      const parent = path.dirname(dir);
      if (parent === dir) {
        break;
      }
      dir = parent;
    }
  }
  throw new LiveBackendError(`no package.json named ${PACKAGE_NAME} above ${__dirname} or ${process.cwd()}`);
}

/** Path of an executable in the project venv (.cache/venv/bin/NAME; created by scripts/ensure-venv.sh). */
export function venvBin(name: string): string {
  return path.join(repoRoot(), '.cache', 'venv', 'bin', name);
}

// ---------------------------------------------------------------------------------------------------------
// Process groups and cleanup

export interface Managed {
  child: ChildProcess;
  pid: number;
  label: string;
  /** Last lines of stdout+stderr. */
  lines: string[];
  exited: boolean;
  exitInfo?: string;
  /** Kills the group if this process dies without running its hooks (see spawnWatchdog). */
  watchdog?: ChildProcess;
  stopping?: Promise<void>;
}

const live = new Set<Managed>();
const cleanupSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let exitHookInstalled = false;

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

function killAllNow(): void {
  for (const m of live) {
    signalGroup(m.pid, 'SIGKILL');
    killWatchdog(m);
  }
  live.clear();
}

function onFatalSignal(signal: NodeJS.Signals): void {
  killAllNow();
  uninstallSignalHooks();
  // Were we the only listener, Node's default action (exit) was suppressed by listening: re-raise it.
  if (process.listenerCount(signal) === 0) {
    process.kill(process.pid, signal);
  }
}

function installHooks(): void {
  if (!exitHookInstalled) {
    // 'exit' handlers must be synchronous: process.kill is.
    process.on('exit', killAllNow);
    exitHookInstalled = true;
  }
  // Signal listeners only while something is running, so the host process keeps its normal behaviour otherwise.
  for (const s of cleanupSignals) {
    if (!process.listeners(s).includes(onFatalSignal)) {
      process.on(s, onFatalSignal);
    }
  }
}

function uninstallSignalHooks(): void {
  for (const s of cleanupSignals) {
    process.removeListener(s, onFatalSignal);
  }
}

/** Pids in process group `pgid` that are still running (not zombies). Linux: /proc; elsewhere: kill(-pgid, 0). */
export function liveGroupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') {
      members.push(Number(entry));
    }
  }
  return members;
}

function readStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // The process went away while we looked.
  }
  // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses, so cut at the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]) };
}

function readCmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Direct children of `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && readStat(Number(entry))?.ppid === pid) {
      out.push(Number(entry));
    }
  }
  return out.sort((a, b) => a - b);
}

export function spawnManaged(
  label: string,
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  onOutput?: (line: string) => void,
): Managed {
  if (!fs.existsSync(file)) {
    throw new LiveBackendError(`${label}: ${file} not found (run: bash scripts/ensure-venv.sh)`);
  }
  const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    throw new LiveBackendError(`${label}: could not spawn ${file}`);
  }
  const m: Managed = { child, pid: child.pid, label, lines: [], exited: false };
  // Whole lines only: a chunk may end mid-line (the port in "Uvicorn running on ..." must not be cut short).
  const keepLines = (stream: NodeJS.ReadableStream | null): void => {
    let partial = '';
    const push = (line: string): void => {
      if (line) {
        m.lines.push(line);
        onOutput?.(line);
      }
      if (m.lines.length > 200) {
        m.lines.splice(0, m.lines.length - 200);
      }
    };
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? '';
      parts.forEach(push);
    });
    stream?.on('end', () => push(partial));
  };
  keepLines(child.stdout);
  keepLines(child.stderr);
  child.on('exit', (code, signal) => {
    m.exited = true;
    m.exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.on('error', (err) => {
    m.exited = true;
    m.exitInfo = String(err);
  });
  // Unref: a test that forgets stop() must not keep its process alive forever; the exit hook kills the group.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  m.watchdog = spawnWatchdog(m.pid);
  live.add(m);
  installHooks();
  return m;
}

/**
 * A tiny process that SIGKILLs process group `pgid` when its stdin reaches EOF, i.e. when this Node process
 * dies in a way no handler sees (SIGKILL, a crash). Our end of the pipe is close-on-exec, so only we hold it.
 */
function spawnWatchdog(pgid: number): ChildProcess | undefined {
  const code = [
    'import os, sys',
    'sys.stdin.buffer.read()',
    'try:',
    `    os.killpg(${pgid}, 9)`,
    'except OSError:',
    '    pass',
  ].join('\n');
  try {
    const dog = spawn(venvBin('python'), ['-c', code], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    dog.on('error', () => undefined); // Best effort: the exit/signal hooks still cover the usual cases.
    dog.unref();
    (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return dog;
  } catch {
    return undefined;
  }
}

function killWatchdog(m: Managed): void {
  if (m.watchdog?.pid !== undefined && m.watchdog.exitCode === null) {
    try {
      process.kill(m.watchdog.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export function stopManaged(m: Managed): Promise<void> {
  m.stopping ??= (async () => {
    signalGroup(m.pid, 'SIGTERM');
    if (!(await waitUntil(() => liveGroupMembers(m.pid).length === 0, STOP_GRACE_MS))) {
      signalGroup(m.pid, 'SIGKILL');
      if (!(await waitUntil(() => liveGroupMembers(m.pid).length === 0, 5000))) {
        throw new LiveBackendError(
          `${m.label}: processes ${liveGroupMembers(m.pid).join(', ')} survived SIGKILL`,
        );
      }
    }
    killWatchdog(m);
    live.delete(m);
    if (live.size === 0) {
      uninstallSignalHooks();
    }
  })();
  return m.stopping;
}

export function describe(m: Managed): string {
  return `${m.label} (pid ${m.pid}${m.exited ? `, ${m.exitInfo}` : ''}); last output:\n  ${m.lines.slice(-30).join('\n  ')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `pred` until true (resolves true) or `timeoutMs` passes (resolves false). */
export async function waitUntil(
  pred: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) {
      return true;
    }
    if (Date.now() >= deadline) {
      return false;
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Feed server and backend

/** Starts examples/news-backend/feeds/feed_server.py on a free 127.0.0.1 port; every feed answers after the delay. */
export async function startFeedServer(opts: { delaySeconds: number }): Promise<FeedServer> {
  const script = path.join(repoRoot(), 'examples', 'news-backend', 'feeds', 'feed_server.py');
  const m = spawnManaged(
    'feed server',
    venvBin('python'),
    ['-u', script, '--port', '0', '--delay', String(opts.delaySeconds), '--quiet'],
    path.dirname(script),
    { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  );
  let port: number | undefined;
  const found = await waitUntil(
    () => {
      port ??= firstMatch(m.lines, /^FEED_PORT=(\d+)$/);
      return port !== undefined || m.exited;
    },
    10_000,
    20,
  );
  if (!found || port === undefined) {
    const detail = describe(m);
    await stopManaged(m);
    throw new LiveBackendError(`feed server did not report its port: ${detail}`);
  }
  return { url: `http://127.0.0.1:${port}`, port, pid: m.pid, stop: () => stopManaged(m) };
}

function firstMatch(lines: string[], re: RegExp): number | undefined {
  for (const line of lines) {
    const match = re.exec(line);
    if (match) {
      return Number(match[1]);
    }
  }
  return undefined;
}

/**
 * Starts the demo backend under uvicorn (always `--host 127.0.0.1`) with its feeds pointed at a feed server
 * (started here unless `feedUrl` is given). Resolves once /health answers 200.
 */
export async function startNewsBackend(opts: NewsBackendOptions = {}): Promise<NewsBackend> {
  const appDir = opts.appDir ?? path.join(repoRoot(), 'examples', 'news-backend', 'backend');
  const feed = opts.feedUrl
    ? undefined
    : await startFeedServer({ delaySeconds: opts.feedDelaySeconds ?? 20 });
  const feedUrl = opts.feedUrl ?? feed!.url;
  const args = ['app.main:app', '--host', '127.0.0.1', '--port', String(opts.port ?? 0)];
  // A short graceful shutdown: an open SSE stream would otherwise hold SIGTERM up for the whole grace period.
  args.push('--timeout-graceful-shutdown', '1');
  if (opts.reload) {
    args.push('--reload', '--reload-dir', appDir);
  } else if (opts.workers && opts.workers > 1) {
    args.push('--workers', String(opts.workers));
  }
  let m: Managed;
  try {
    m = spawnManaged(
      'uvicorn',
      venvBin('uvicorn'),
      args,
      appDir,
      {
        ...process.env,
        NEWS_FEED_BASE_URL: feedUrl,
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      opts.onOutput,
    );
  } catch (err) {
    await feed?.stop();
    throw err;
  }
  const stop = async (): Promise<void> => {
    try {
      await stopManaged(m);
    } finally {
      await feed?.stop();
    }
  };
  try {
    // uvicorn logs the port it bound (also for --port 0, also in the --reload/--workers supervisor).
    let port: number | undefined = opts.port || undefined;
    const startTimeout = opts.startTimeoutMs ?? 30_000;
    const deadline = Date.now() + startTimeout;
    const bound = await waitUntil(
      () => {
        port ??= firstMatch(m.lines, /Uvicorn running on http:\/\/127\.0\.0\.1:(\d+)/);
        return port !== undefined || m.exited;
      },
      startTimeout,
      20,
    );
    if (!bound || port === undefined || m.exited) {
      throw new LiveBackendError(`uvicorn did not start: ${describe(m)}`);
    }
    const baseUrl = `http://127.0.0.1:${port}`;
    const healthy = await waitUntil(
      async () => m.exited || (await probeHealth(baseUrl, 1000)).ok,
      Math.max(0, deadline - Date.now()),
      100,
    );
    if (!healthy || m.exited) {
      throw new LiveBackendError(`uvicorn did not answer /health at ${baseUrl}: ${describe(m)}`);
    }
    const multi = Boolean(opts.reload) || (opts.workers ?? 1) > 1;
    const servingPids = async (): Promise<number[]> =>
      multi ? childPids(m.pid).filter((p) => readCmdline(p).some((a) => a.includes('spawn_main'))) : [m.pid];
    // /health answers as soon as one worker is up; callers attaching py-spy want all of them.
    const expected = opts.reload ? 1 : Math.max(1, opts.workers ?? 1);
    if (
      !(await waitUntil(
        async () => (await servingPids()).length >= expected,
        Math.max(0, deadline - Date.now()),
      ))
    ) {
      throw new LiveBackendError(
        `expected ${expected} serving processes, saw ${(await servingPids()).join(', ')}`,
      );
    }
    return {
      baseUrl,
      port,
      pid: m.pid,
      servingPids,
      feed: { url: feedUrl },
      output: () => m.lines.join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP probes (a fresh connection each, no keep-alive agent that could hold sockets or reuse a stuck one)

/** GET /health with a time-out. `ok` is true for a 200 within `timeoutMs`; `ms` is the measured latency. */
export function probeHealth(baseUrl: string, timeoutMs: number): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ok, ms: Math.round(performance.now() - started) });
    };
    const req = http.get(new URL('/health', baseUrl), { agent: false }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode === 200));
      res.on('error', () => finish(false));
    });
    req.on('error', () => finish(false));
    const timer = setTimeout(() => finish(false), timeoutMs);
  });
}

/**
 * Opens GET /news/stream and closes the client connection after `afterMs` (like a browser tab going away),
 * then waits briefly so the server has seen the disconnect. Rejects if the stream could not be opened
 * (connection refused, non-200); resolves early if the stream ends by itself first.
 */
export function abortStream(baseUrl: string, afterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let aborting = false;
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) {
        reject(err);
      } else {
        setTimeout(resolve, ABORT_SETTLE_MS);
      }
    };
    const req = http.get(
      new URL('/news/stream', baseUrl),
      { agent: false, headers: { accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          settle(new LiveBackendError(`GET /news/stream answered ${res.statusCode}`));
          return;
        }
        res.resume();
        res.on('end', () => settle());
        res.on('error', () =>
          settle(aborting ? undefined : new LiveBackendError('stream broke before the abort')),
        );
      },
    );
    req.on('error', (err) => settle(aborting ? undefined : err));
    req.on('close', () => {
      if (aborting) {
        settle();
      }
    });
    const timer = setTimeout(() => {
      aborting = true;
      req.destroy();
      settle();
    }, afterMs);
  });
}

/**
 * Reads GET /news/stream to its end and returns every SSE `data` item (multi-line data joined with "\n").
 * Rejects with {@link LiveTimeoutError} (carrying the items so far) if the stream has not ended in `timeoutMs`.
 */
export function readStream(baseUrl: string, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const items: string[] = [];
    let data: string[] = [];
    let buffer = '';
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) {
        reject(err);
      } else {
        resolve(items);
      }
    };
    const onLine = (line: string): void => {
      if (line === '') {
        // A blank line dispatches the event (if it had data); comments such as ": ping" carry none.
        if (data.length > 0) {
          items.push(data.join('\n'));
        }
        data = [];
        return;
      }
      if (line.startsWith(':')) {
        return;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) {
        value = value.slice(1);
      }
      if (field === 'data') {
        data.push(value);
      }
    };
    const req = http.get(
      new URL('/news/stream', baseUrl),
      { agent: false, headers: { accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          settle(new LiveBackendError(`GET /news/stream answered ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          // Lines end in CRLF, LF or CR; a trailing CR may be half of a CRLF split across chunks: keep it.
          const parts = buffer.split(/\r\n|\r(?!$)|\n/);
          buffer = parts.pop() ?? '';
          parts.forEach(onLine);
        });
        res.on('end', () => settle());
        res.on('error', (err) => settle(err));
      },
    );
    req.on('error', (err) => settle(err));
    const timer = setTimeout(
      () => settle(new LiveTimeoutError(`GET /news/stream did not end within ${timeoutMs} ms`, [...items])),
      timeoutMs,
    );
  });
}

/** Runs the built CLI (dist/cli.js; `node esbuild.mjs` first) with `args`; resolves with its exit code and output. */
export function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot(), 'dist', 'cli.js'), ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
