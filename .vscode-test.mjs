// @vscode/test-cli configuration (`npm run test:electron`): the SAME mocha suites as scripts/vscodeTest.mjs
// (out/test/integration/**/*.test.js), run in desktop VS Code 1.100.3 downloaded by @vscode/test-electron.
// One set of suites, two launchers. Desktop VS Code cannot be downloaded on the offline CI machines; there,
// `npm run test:integration` (code-server + headless Chromium) runs these suites instead.
import { defineConfig } from '@vscode/test-cli';
import { REPO_ROOT_ENV, makeTempDir, makeWorkspace, removeDir, repoRoot } from './scripts/codeServer.mjs';
import path from 'node:path';

// A fresh copy of the fixture workspace (examples/news-backend + test/fixtures/workspace), like the code-server
// launcher makes, so tests that edit files never touch the repository; removed when the CLI exits.
const tmp = makeTempDir('bhd-electron-');
process.on('exit', () => removeDir(tmp));
const workspaceFolder = makeWorkspace(path.join(tmp, 'news-backend'));

export default defineConfig({
  label: 'integration',
  files: 'out/test/integration/**/*.test.js',
  version: '1.100.3',
  extensionDevelopmentPath: repoRoot,
  workspaceFolder,
  launchArgs: ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  env: { [REPO_ROOT_ENV]: repoRoot, BACKEND_HANG_TEST_WORKSPACE: workspaceFolder },
  mocha: { ui: 'tdd', timeout: 60_000 },
});
