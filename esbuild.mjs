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
};

// esbuild resolves `import ... from 'web-tree-sitter'` through the package's "import" condition (its ESM
// build), which reads `import.meta.url`; in a CJS bundle that is empty and Parser.init() throws. Give the
// bundles a real URL for it (the bundle's own file). [engineer C: needed for the CLI/extension to parse]
const importMetaUrl = "var __importMetaUrl = require('url').pathToFileURL(__filename).href;";
const bundleDefine = { ...common.define, 'import.meta.url': '__importMetaUrl' };

mkdirSync('dist', { recursive: true });
await Promise.all([
  build({
    ...common,
    define: bundleDefine,
    banner: { js: importMetaUrl },
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
  }),
  build({
    ...common,
    define: bundleDefine,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    banner: { js: `#!/usr/bin/env node\n${importMetaUrl}` },
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
