// The integration-test launcher (scripts/vscodeTest.mjs) reports results truthfully: a failing suite gives a
// non-zero exit, a passing one 0, a missing tests file non-zero; a failing suite also in the newest VS Code
// (code-server 4.139.1, which runs the tests only with the smoke-test driver on). Each case is a full real run
// (code-server + headless Chromium, about 10 s). Build first: `node esbuild.mjs`; needs
// `bash scripts/ensure-code-server.sh` and `bash scripts/ensure-code-server.sh 4.139.1`.
import { spawn } from 'node:child_process';
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const repoRoot = path.resolve(__dirname, '../../..');
const launcher = path.join(repoRoot, 'scripts/vscodeTest.mjs');

interface Run {
  code: number | null;
  output: string;
}

/** Runs the launcher with `args`; resolves with its exit code and combined output. */
function runLauncher(args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [launcher, '--timeout', '90', ...args], { cwd: repoRoot });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => {
      // The launcher has its own time-out (90 s above); this is the backstop if the launcher itself hangs.
      child.kill('SIGTERM');
      reject(new Error(`launcher did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('prerequisites are built and installed', () => {
  assert.ok(existsSync(path.join(repoRoot, 'out/test/launcher/failing/index.js')), 'run node esbuild.mjs');
  assert.ok(
    existsSync(path.join(repoRoot, '.cache/code-server/node_modules/code-server/out/node/entry.js')),
    'run bash scripts/ensure-code-server.sh',
  );
  assert.ok(
    existsSync(path.join(repoRoot, '.cache/code-server-4.139.1/node_modules/code-server/out/node/entry.js')),
    'run bash scripts/ensure-code-server.sh 4.139.1',
  );
});

test('a failing integration test makes the launcher exit non-zero', async () => {
  const run = await runLauncher(['--tests', path.join(repoRoot, 'out/test/launcher/failing/index.js')]);
  assert.equal(run.code, 1, run.output);
  // Proof the suite really ran in the extension host (not a harness error that happens to be non-zero).
  assert.match(run.output, /1 passing/);
  assert.match(run.output, /fails on purpose/);
  assert.match(run.output, /deliberate failure/);
});

test('a failing integration test makes the launcher exit 1 in VS Code 1.139.1 too', async () => {
  const run = await runLauncher([
    '--vscode',
    '4.139.1',
    '--tests',
    path.join(repoRoot, 'out/test/launcher/failing/index.js'),
  ]);
  assert.equal(run.code, 1, run.output);
  assert.match(run.output, /\[vscode-test 1\.139\.1\]/);
  assert.match(run.output, /1 passing/);
  assert.match(run.output, /deliberate failure/);
});

test('a passing integration suite makes the launcher exit 0', async () => {
  const run = await runLauncher(['--tests', path.join(repoRoot, 'out/test/launcher/passing/index.js')]);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /runs inside a VS Code extension host/);
  assert.match(run.output, /1 passing/);
});

test('a missing tests file makes the launcher exit non-zero', async () => {
  const run = await runLauncher(['--tests', path.join(repoRoot, 'out/test/launcher/does-not-exist.js')]);
  assert.notEqual(run.code, 0, run.output);
  assert.match(run.output, /tests file not found/);
});
