// Bundles the extension and the CLI, and copies the two tree-sitter .wasm files beside them,
// so src/python/treeSitter.ts finds them in dist/ after bundling (no __dirname guesses).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, chmodSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  define: { VERSION: JSON.stringify(process.env.npm_package_version ?? '0.0.0') },
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // src/python/treeSitter.ts falls back to require.resolve() only when run unbundled from out/ (unit tests).
  logOverride: { 'require-resolve-not-external': 'silent' },
};

// web-tree-sitter ships an ESM build (reads `import.meta.url`, which is empty in a CJS bundle) and a CJS build.
// esbuild would pick the ESM one for our `import` statements; point it at the CJS build instead.
const treeSitterCjs = require.resolve('web-tree-sitter');
const bundle = { ...common, alias: { 'web-tree-sitter': treeSitterCjs } };

mkdirSync('dist', { recursive: true });
await Promise.all([
  build({
    ...bundle,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
  }),
  // The CLI: dist/cli.js (src/cliLoader.ts, what `backend-hang` runs) starts dist/cli-main.js from V8's code
  // cache of it; check workers load dist/cli-main.js themselves.
  build({
    ...bundle,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli-main.js',
  }),
  build({
    ...common,
    entryPoints: ['src/cliLoader.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
chmodSync('dist/cli.js', 0o755);

// Tests are bundled per file (transpile only, node_modules left external) into out/, so one feature's
// work-in-progress type error never blocks another feature's tests; `npm run typecheck` checks all of it.
if (!process.argv.includes('--no-tests')) {
  const testEntries = readdirSync('test', { recursive: true })
    .map(String)
    .filter((f) => /\.ts$/.test(f) && !f.startsWith('fixtures/') && !f.endsWith('.d.ts'))
    .map((f) => path.join('test', f));
  await build({
    ...common,
    entryPoints: testEntries,
    outdir: 'out/test',
    outbase: 'test',
    packages: 'external',
    external: ['vscode'],
    sourcemap: true,
    minify: false,
  });
}

const wtsDir = path.dirname(require.resolve('web-tree-sitter'));
copyFileSync(path.join(wtsDir, 'web-tree-sitter.wasm'), 'dist/web-tree-sitter.wasm');
copyFileSync(require.resolve('tree-sitter-python/tree-sitter-python.wasm'), 'dist/tree-sitter-python.wasm');
