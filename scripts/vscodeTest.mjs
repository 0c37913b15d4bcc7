#!/usr/bin/env node
// Runs the mocha integration suites inside a real VS Code extension host: code-server on 127.0.0.1 and its
// workbench in headless Debian Chromium. Exit code = the test result (0 pass, 1 a test failed), 2 for a
// harness error, 124 on time-out. Builds nothing: run `node esbuild.mjs` first.
//
//   node scripts/vscodeTest.mjs [--vscode 4.100.3|4.139.1] [--tests out/test/integration/index.js]
//                               [--timeout 600] [--workspace DIR] [--verbose] [--keep]
//
// --vscode: the code-server version (default 4.100.3 = VS Code 1.100.3; 4.139.1 = VS Code 1.139.1), installed by
// `bash scripts/ensure-code-server.sh VERSION`.
// Tests find the repo through env BACKEND_HANG_REPO_ROOT (or the extension's extensionPath) and the
// workspace through workspaceFolders[0] (also env BACKEND_HANG_TEST_WORKSPACE).
// Each run gets a fresh temp workspace (copy of examples/news-backend + test/fixtures/workspace), user-data and
// extensions dirs; all are removed and every process stopped at the end, whatever happens.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import util from 'node:util';
import {
  codeServerInstall,
  codeServerVersions,
  defaultCodeServerVersion,
  launchChromium,
  makeTempDir,
  makeWorkspace,
  remoteUri,
  removeDir,
  repoRoot,
  seedUserSettings,
  startCodeServer,
  workbenchUrl,
} from './codeServer.mjs';

const EXIT_HARNESS = 2;
const EXIT_TIMEOUT = 124;

const { values: opts } = parseArgs({
  options: {
    vscode: { type: 'string', default: defaultCodeServerVersion },
    tests: { type: 'string', default: path.join(repoRoot, 'out/test/integration/index.js') },
    timeout: { type: 'string', default: '600' },
    workspace: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(
    `usage: node scripts/vscodeTest.mjs [--vscode ${Object.keys(codeServerVersions).join('|')}] [--tests FILE]` +
      ' [--timeout SECONDS] [--workspace DIR] [--verbose] [--keep]',
  );
  process.exit(0);
}
if (!Object.hasOwn(codeServerVersions, opts.vscode)) {
  console.error(
    `[vscode-test] unsupported --vscode ${opts.vscode} (supported: ${Object.keys(codeServerVersions).join(', ')})`,
  );
  process.exit(EXIT_HARNESS);
}
const install = codeServerInstall(opts.vscode);

const testsPath = path.resolve(opts.tests);
const timeoutMs = Number(opts.timeout) * 1000;
// Every harness line names the VS Code version: two runs (oldest and newest) may share one log.
const say = (msg) => console.error(`[vscode-test ${install.vscode}] ${msg}`);

/** Everything to undo, newest first. */
const cleanups = [];
let finishing;

/** Stops browser and server, removes temp dirs (once), then exits with `code`. */
function finish(code) {
  finishing ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        say(`teardown: ${err instanceof Error ? err.message : err}`);
      }
    }
    process.exit(code);
  })();
  return finishing;
}

process.on('SIGINT', () => void finish(130));
process.on('SIGTERM', () => void finish(143));

async function main() {
  if (!existsSync(testsPath)) {
    say(`tests file not found: ${testsPath} (build first: node esbuild.mjs)`);
    return finish(EXIT_HARNESS);
  }
  if (!existsSync(path.join(repoRoot, 'dist/extension.js'))) {
    say('dist/extension.js not found (build first: node esbuild.mjs)');
    return finish(EXIT_HARNESS);
  }
  const started = Date.now();
  const harnessTimer = setTimeout(() => {
    say(`time-out after ${opts.timeout} s: stopping`);
    void finish(EXIT_TIMEOUT);
  }, timeoutMs);
  cleanups.push(() => clearTimeout(harnessTimer));

  const tmp = makeTempDir();
  if (opts.keep) say(`keeping ${tmp}`);
  else cleanups.push(() => removeDir(tmp));
  const workspaceDir = opts.workspace
    ? path.resolve(opts.workspace)
    : makeWorkspace(path.join(tmp, 'news-backend'));
  const userDataDir = path.join(tmp, 'user-data');
  seedUserSettings(userDataDir);

  // code-server's own output is mostly noise; keep it for a failure report, show it live with --verbose.
  let serverOutput = '';
  const server = await startCodeServer({
    version: install.version,
    workspaceDir,
    userDataDir,
    extensionsDir: path.join(tmp, 'extensions'),
    env: { BACKEND_HANG_TEST_WORKSPACE: workspaceDir },
    onOutput: (chunk) => {
      serverOutput = (serverOutput + chunk).slice(-20_000);
      if (opts.verbose) process.stderr.write(chunk);
    },
  });
  cleanups.push(() => server.stop());
  say(
    `code-server ${install.version} (VS Code ${install.vscode}) on ${server.url} (workspace ${workspaceDir})`,
  );

  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  const page = await browser.newPage();

  let resolveExit;
  const result = new Promise((resolve) => (resolveExit = resolve));
  // Both bindings must exist before the workbench loads: it looks them up once at start-up.
  await page.exposeFunction('codeAutomationLog', (level, args) => {
    const line = util.format(...(Array.isArray(args) ? args : [args]));
    // The workbench asks the (unreachable, offline) Open VSX gallery for recommendations: noise.
    if (!opts.verbose && line.includes('open-vsx.org')) return;
    (level >= 3 ? console.error : console.log)(line);
  });
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
  page.on('pageerror', (err) => opts.verbose && say(`page error: ${err.message}`));
  page.on('crash', () => {
    say('the workbench page crashed');
    void finish(EXIT_HARNESS);
  });

  const payload = [
    ['extensionDevelopmentPath', remoteUri(server.host, repoRoot)],
    ['extensionTestsPath', remoteUri(server.host, testsPath)],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  await page.goto(workbenchUrl(server.host, workspaceDir, payload));
  const code = await result;
  say(`tests finished with exit code ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (code !== 0 && !opts.verbose && serverOutput.trim()) {
    say('code-server output (tail):');
    process.stderr.write(serverOutput.split('\n').slice(-40).join('\n') + '\n');
  }
  return finish(code);
}

main().catch((err) => {
  // After Ctrl+C or the time-out, teardown closes the page under main(): that error is expected.
  if (finishing) return;
  say(`harness error: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
  void finish(EXIT_HARNESS);
});
