// The packaged VSIX installs into code-server and carries what the extension needs at run time: the bundles,
// both tree-sitter .wasm files and the rule docs its diagnostics link to, and nothing from src/ or test/.
// Run last by `npm test` (packaging rewrites dist/ as a production build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageVsix } from '../../scripts/package.mjs';
import { installVsix } from '../../scripts/uiDriver.mjs';

test('npm run package makes a VSIX that installs into code-server with its runtime files', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bhd-vsix-'));
  try {
    const vsix = packageVsix({ out: path.join(tmp, 'backend-hang-debug.vsix'), quiet: true });
    const kib = statSync(vsix).size / 1024;
    console.log(`# VSIX size: ${kib.toFixed(1)} KiB`);
    assert.ok(kib < 4096, `VSIX unexpectedly large: ${kib.toFixed(1)} KiB`);

    const extensionsDir = path.join(tmp, 'ext');
    installVsix(vsix, extensionsDir, path.join(tmp, 'ud'));
    const installed = readdirSync(extensionsDir).filter((d) => d.startsWith('backend-hang.backend-hang-debug-'));
    assert.equal(installed.length, 1, `installed: ${readdirSync(extensionsDir).join(', ')}`);
    const dir = path.join(extensionsDir, installed[0]);
    for (const f of [
      'package.json',
      'dist/extension.js',
      'dist/cli.js',
      'dist/web-tree-sitter.wasm',
      'dist/tree-sitter-python.wasm',
      'docs/rules/BHD001.md',
      'media/activity-bar.svg',
    ]) {
      assert.ok(existsSync(path.join(dir, f)), `missing in the installed extension: ${f}`);
    }
    for (const f of ['src', 'test', 'node_modules', 'examples', '.cache', 'media/screenshots']) {
      assert.ok(!existsSync(path.join(dir, f)), `should not ship: ${f}`);
    }
    const maps = readdirSync(path.join(dir, 'dist')).filter((f) => f.endsWith('.map'));
    assert.deepEqual(maps, [], 'source maps should not ship');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
