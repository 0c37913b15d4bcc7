#!/usr/bin/env node
// `npm run package`: a clean production build of dist/ (minified, no source maps, no tests) and the VSIX
// backend-hang-debug.vsix via @vscode/vsce. Old source maps are removed first so stale maps from a development
// build do not ship. Prints the VSIX path and size. Also used by scripts/uiDriver.mjs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds and packages the extension; returns the VSIX's absolute path.
 * @param {{ out?: string, quiet?: boolean }} [opts]
 */
export function packageVsix(opts = {}) {
  const out = path.resolve(repoRoot, opts.out ?? 'backend-hang-debug.vsix');
  const stdio = opts.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit';
  // Only the maps go (not all of dist/): others may be running tests against dist/extension.js right now.
  const dist = path.join(repoRoot, 'dist');
  mkdirSync(dist, { recursive: true });
  for (const f of readdirSync(dist, { recursive: true }).map(String)) {
    if (f.endsWith('.map')) rmSync(path.join(dist, f), { force: true });
  }
  execFileSync(process.execPath, ['esbuild.mjs', '--production', '--no-tests'], { cwd: repoRoot, stdio });
  const vsce = path.join(repoRoot, 'node_modules/@vscode/vsce/vsce');
  execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--out', out], {
    cwd: repoRoot,
    stdio,
  });
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const vsix = packageVsix();
  console.log(`${path.relative(process.cwd(), vsix)}: ${(statSync(vsix).size / 1024).toFixed(1)} KiB`);
}
