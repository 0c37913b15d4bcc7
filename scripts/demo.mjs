#!/usr/bin/env node
// `npm run demo`: the whole story on one machine, from a fresh clone. Installs what is missing (Debian packages,
// npm ci, the Python venv, code-server), packages the VSIX and installs it into a demo code-server, starts the
// slow feed server (20 s) and the news backend under `uvicorn --reload` on the LIVE examples/news-backend/backend
// (a quick fix saved in the editor reloads the backend at once), and code-server on 127.0.0.1 with
// examples/news-backend open. Prints the Workbench/Backend URLs and the curl lines that reproduce the hang.
// Ctrl+C (SIGINT) or SIGTERM stops everything it started; it checks that no process is left.
//
// Env: DEMO_WORKBENCH_PORT, DEMO_BACKEND_PORT (default: free ports), DEMO_FEED_DELAY (seconds, default 20).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  remoteUri,
  repoRoot,
  seedUserSettings,
  startCodeServer,
  workbenchUrl,
} from './codeServer.mjs';
import { installVsix } from './uiDriver.mjs';

const demoDir = path.join(repoRoot, '.cache', 'demo');
const workspaceDir = path.join(repoRoot, 'examples', 'news-backend');
const streamPy = path.join(workspaceDir, 'backend', 'app', 'api', 'routes', 'stream.py');
const vsix = path.join(repoRoot, 'backend-hang-debug.vsix');

/** The demo failed in a way the user can act on (a step exited non-zero, a bad port setting). */
class DemoError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DemoError';
  }
}

/** The bundled test/live/liveBackend.ts (loaded after set-up). */
let live;
/** Everything started so far, stopped in reverse order on shutdown. */
const running = [];
let shuttingDown = false;
/** The set-up step running right now (a child process), so Ctrl+C during set-up can stop it too. */
let currentStep;

function say(line = '') {
  process.stdout.write(`${line}\n`);
}

/** Runs one set-up step (argument array, output shown), rejecting with DemoError on a non-zero exit. */
function run(file, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
    currentStep = child;
    child.on('error', (err) => reject(new DemoError(`${file}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      currentStep = undefined;
      if (code === 0) resolve();
      else
        reject(
          new DemoError(`${[path.basename(file), ...args].join(' ')} failed (${signal ?? `exit ${code}`})`),
        );
    });
  });
}

/** npm the way we were started (`npm run demo` sets npm_execpath), else the npm on PATH. */
function npm(args) {
  const cli = process.env.npm_execpath;
  return cli && /\.c?js$/.test(cli) ? run(process.execPath, [cli, ...args]) : run('npm', args);
}

function portFromEnv(name) {
  const raw = process.env[name];
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new DemoError(`${name}=${raw} is not a port`);
  return port;
}

async function setUp() {
  say(
    'demo: checking system packages, node_modules, Python venv, code-server (installs only what is missing)',
  );
  await run('bash', ['scripts/ensure-system.sh']);
  const lock = path.join(repoRoot, 'package-lock.json');
  const installed = path.join(repoRoot, 'node_modules', '.package-lock.json');
  if (!existsSync(installed) || statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
    await npm(['ci', '--no-audit', '--no-fund']);
  }
  await run('bash', ['scripts/ensure-venv.sh']);
  await run('bash', ['scripts/ensure-code-server.sh'], { stdio: ['ignore', 'ignore', 'inherit'] });

  say('demo: packaging the extension (npm run package)');
  await npm(['run', 'package', '--silent']);

  say('demo: installing the VSIX into the demo code-server');
  mkdirSync(demoDir, { recursive: true });
  // A fresh user-data dir every run: repeatable (no restored editors or dialogs from last time).
  const userDataDir = path.join(demoDir, 'user-data');
  const extensionsDir = path.join(demoDir, 'extensions');
  rmSync(userDataDir, { recursive: true, force: true });
  mkdirSync(userDataDir, { recursive: true });
  installVsix(vsix, extensionsDir, userDataDir);
  seedUserSettings(userDataDir, { 'workbench.colorTheme': 'Default Dark Modern' });

  // The fixture module is TypeScript in test/live; bundle just it (node builtins only) for this script.
  const { build } = await import('esbuild');
  const fixture = path.join(demoDir, 'liveBackend.cjs');
  await build({
    entryPoints: [path.join(repoRoot, 'test', 'live', 'liveBackend.ts')],
    outfile: fixture,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  live = createRequire(import.meta.url)(fixture);
  return { userDataDir, extensionsDir };
}

async function main() {
  const workbenchPort = portFromEnv('DEMO_WORKBENCH_PORT');
  const backendPort = portFromEnv('DEMO_BACKEND_PORT');
  const feedDelay = Number(process.env.DEMO_FEED_DELAY ?? 20);
  const { userDataDir, extensionsDir } = await setUp();
  if (shuttingDown) return;

  say(`demo: starting the feed server (every feed answers after ${feedDelay} s) and uvicorn --reload`);
  const backendLog = createWriteStream(path.join(demoDir, 'backend.log'));
  const backend = await live.startNewsBackend({
    feedDelaySeconds: feedDelay,
    reload: true,
    port: backendPort,
    onOutput: (line) => backendLog.write(`${line}\n`),
  });
  running.push({ name: 'backend', stop: () => backend.stop(), pids: () => [backend.pid] });
  if (shuttingDown) return;

  say('demo: starting code-server');
  const serverLog = createWriteStream(path.join(demoDir, 'code-server.log'));
  const server = await startCodeServer({
    workspaceDir,
    userDataDir,
    extensionsDir,
    port: workbenchPort,
    // The extension finds py-spy on PATH (the project venv), as it would in a user's activated venv.
    env: {
      PATH: `${path.join(repoRoot, '.cache', 'venv', 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    },
    onOutput: (chunk) => serverLog.write(chunk),
  });
  running.push({ name: 'code-server', stop: () => server.stop(), pids: () => [server.child.pid] });
  server.child.once('exit', () => void shutdown('code-server exited', 1));
  if (shuttingDown) return;

  const openStream = workbenchUrl(server.host, workspaceDir, [
    ['openFile', remoteUri(server.host, streamPy)],
  ]);
  const [serving] = await backend.servingPids();
  const b = backend.baseUrl;
  say();
  // The plain root URL opens the folder with no editor (code-server drops `payload` on its redirect), so the
  // Workbench line is the URL that also opens stream.py; the bare root is printed for copying by hand.
  say(`Workbench: ${openStream}`);
  say(`Backend:   ${b}`);
  say();
  say(`(The same workbench without opening a file: http://${server.host}/)`);
  say(
    `uvicorn --reload supervisor pid ${backend.pid}; serving process pid ${serving} (py-spy that one; it changes on reload)`,
  );
  say(
    `Feeds: ${backend.feed.url} (each answers after ${feedDelay} s). Logs: ${path.relative(process.cwd(), demoDir)}/`,
  );
  say();
  say('Reproduce the hang:');
  const repro = [
    [`curl -s -m 5 -w ' %{time_total}s\\n' ${b}/health`, 'answers at once'],
    [`curl -s -m 1 ${b}/news/stream`, 'a client that gives up after 1 s'],
    [`curl -s -m 5 -w ' %{time_total}s\\n' ${b}/health`, 'times out: the loop is stuck in executor.shutdown'],
    [`.cache/venv/bin/py-spy dump --pid ${serving}`, 'shows where'],
  ];
  const width = Math.max(...repro.map(([cmd]) => cmd.length));
  for (const [cmd, note] of repro) say(`  ${cmd.padEnd(width)}   # ${note}`);
  say();
  say('The editor edits the real examples/news-backend files (git checkout them to undo a fix).');
  say('Press Ctrl+C to stop everything.');
  // Keep running until a signal arrives (the backend's child processes are unref'd by the fixture).
  setInterval(() => {}, 1 << 30);
}

async function shutdown(reason, code) {
  if (shuttingDown) return;
  shuttingDown = true;
  say(`\ndemo: ${reason}; stopping ...`);
  if (currentStep?.pid) {
    try {
      currentStep.kill('SIGTERM');
    } catch {
      // Already gone.
    }
  }
  // Reverse order: code-server (its extension host may hold a py-spy on the backend), then the backend.
  for (const item of running.reverse()) {
    try {
      await item.stop();
    } catch (err) {
      say(`demo: stopping ${item.name} failed: ${err.message}`);
      code ||= 1;
    }
  }
  // Group members that are still running (zombies waiting for a reaper do not count).
  const alive = () =>
    running.flatMap((item) => item.pids()).flatMap((pgid) => live?.liveGroupMembers(pgid) ?? []);
  const deadline = Date.now() + 5000;
  while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const left = alive();
  say(
    left.length
      ? `demo: process groups still alive: ${left.join(', ')}`
      : 'demo: stopped, nothing left running.',
  );
  process.exit(left.length ? 1 : code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => void shutdown(`${signal} received`, 0));
}

main().catch((err) => {
  say(`demo: ${err instanceof DemoError ? err.message : (err?.stack ?? err)}`);
  void shutdown('failed', 1);
});
