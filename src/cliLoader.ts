/**
 * dist/cli.js, what `backend-hang` runs: starts the CLI bundle (dist/cli-main.js, built from ./cli.ts) from
 * V8's code cache of it (./cli/codeCache says where). The first run compiles the bundle as Node would and, at
 * exit, keeps the bytecode of every function that ran; later runs start from it. On Node 20, 22 and 24 alike
 * (Node's own module.enableCompileCache, from 22.1, cannot cover the file that calls it). Anything wrong with
 * the cache (missing, unreadable, rejected by V8, a folder that cannot be written) only means a compile: the
 * run is the same. Kept tiny: it is compiled on every run without a cache.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';
import { codeCacheDir, codeCacheName, setCodeCacheState, staleCodeCaches } from './cli/codeCache';

const main = path.join(__dirname, 'cli-main.js');
let source: string;
try {
  source = readFileSync(main, 'utf8');
} catch (err) {
  process.stderr.write(
    `backend-hang: cannot read ${main} (${(err as Error).message}): dist/cli.js needs dist/cli-main.js ` +
      `beside it; reinstall the package or run \`node esbuild.mjs\` in its repository\n`,
  );
  process.exit(2);
}

let dir: string | undefined;
try {
  dir = codeCacheDir({ platform: process.platform, env: process.env, home: homedir() });
} catch {
  dir = undefined; // no home folder: no cache
}
const name =
  dir && codeCacheName(createHash('sha256').update(source).digest('hex'), process.versions.v8, process.arch);
const file = dir && name && path.join(dir, name);
let cached: Buffer | undefined;
try {
  if (file) cached = readFileSync(file);
} catch {
  cached = undefined;
}

const script = new Script(Module.wrap(source.startsWith('#!') ? `//${source.slice(2)}` : source), {
  filename: main,
  cachedData: cached,
  // The bundle's own `import()`s (none on the CLI's paths today) resolve as in any CommonJS module.
  importModuleDynamically: vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});

// false only when V8 was given a cache and took it.
const stale = script.cachedDataRejected !== false;
setCodeCacheState(file ? { state: stale ? 'written' : 'used', file } : { state: 'off' });
if (dir && name && file && stale) {
  // At exit the bytecode covers the functions this run compiled, not only the bundle's top level.
  process.once('exit', () => {
    const partial = `${file}.${process.pid}.tmp`;
    try {
      const data = script.createCachedData();
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(partial, data, { mode: 0o600 });
      renameSync(partial, file); // whole or not at all, also with runs in parallel
      for (const old of staleCodeCaches(readdirSync(dir), name)) rmSync(path.join(dir, old), { force: true });
    } catch {
      // a folder we cannot write: the next run compiles again
      try {
        rmSync(partial, { force: true });
      } catch {
        // nothing was written
      }
    }
  });
}

const mod = new Module(main, module);
mod.filename = main;
mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
const run = script.runInThisContext() as (
  exports: unknown,
  require: NodeJS.Require,
  module: Module,
  filename: string,
  dirname: string,
) => void;
run.call(mod.exports, mod.exports, createRequire(main), mod, main, __dirname);
