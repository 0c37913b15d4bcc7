/**
 * The CLI's start from V8's code cache of its bundle (src/cliLoader.ts, src/cli/codeCache.ts): where the cache
 * lives per platform, and end to end through the built dist/cli.js that the first run writes it, later runs
 * use it (the file is not written again: V8 accepted it), and a corrupt, foreign or unwritable cache changes
 * nothing but the speed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CODE_CACHE_FILE, codeCacheDir, codeCacheName, staleCodeCaches } from '../../src/cli/codeCache';

const repo = path.resolve(__dirname, '../../..');
const cli = path.join(repo, 'dist/cli.js');
let dir: string;
let project: string;

before(() => {
  assert.ok(fs.existsSync(cli), 'dist/cli.js exists (run node esbuild.mjs)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-codecache-'));
  project = path.join(dir, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, 'routes.py'),
    ['import time', '', 'def wait():', '    time.sleep(1)', '', 'async def route():', '    wait()', ''].join(
      '\n',
    ),
  );
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function check(cache: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [cli, 'check', '--no-cache', '--output-format', 'concise', ...args, '.'],
    {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, BACKEND_HANG_CODE_CACHE: cache },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cacheFiles = (folder: string): string[] =>
  fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => CODE_CACHE_FILE.test(f)) : [];

test('the cache folder: per user and platform, BACKEND_HANG_CODE_CACHE moves it or turns it off', () => {
  const home = '/home/u';
  assert.equal(codeCacheDir({ platform: 'linux', env: {}, home }), '/home/u/.cache/backend-hang');
  assert.equal(
    codeCacheDir({ platform: 'linux', env: { XDG_CACHE_HOME: '/xdg' }, home }),
    '/xdg/backend-hang',
  );
  // A relative XDG_CACHE_HOME is invalid by the spec: ignored.
  assert.equal(
    codeCacheDir({ platform: 'linux', env: { XDG_CACHE_HOME: 'rel' }, home }),
    '/home/u/.cache/backend-hang',
  );
  assert.equal(
    codeCacheDir({ platform: 'darwin', env: {}, home: '/Users/u' }),
    '/Users/u/Library/Caches/backend-hang',
  );
  assert.equal(
    codeCacheDir({ platform: 'win32', env: { LOCALAPPDATA: path.join(path.sep, 'AppData') }, home }),
    path.join(path.sep, 'AppData', 'backend-hang'),
  );
  assert.equal(codeCacheDir({ platform: 'win32', env: {}, home }), undefined);
  assert.equal(codeCacheDir({ platform: 'linux', env: {}, home: '' }), undefined);
  for (const off of ['0', 'off', 'FALSE', ' no '])
    assert.equal(codeCacheDir({ platform: 'linux', env: { BACKEND_HANG_CODE_CACHE: off }, home }), undefined);
  assert.equal(
    codeCacheDir({ platform: 'linux', env: { BACKEND_HANG_CODE_CACHE: '/c' }, home }),
    path.resolve('/c'),
  );
});

test('cache names: one per bundle content, V8 and CPU; the old builds of this V8 and CPU are stale', () => {
  const a = codeCacheName('ab'.repeat(32), '11.3.244.8-node.38', 'x64');
  assert.match(a, CODE_CACHE_FILE);
  assert.notEqual(a, codeCacheName('cd'.repeat(32), '11.3.244.8-node.38', 'x64'));
  assert.notEqual(a, codeCacheName('ab'.repeat(32), '12.4.254.21-node.33', 'x64'));
  assert.notEqual(a, codeCacheName('ab'.repeat(32), '11.3.244.8-node.38', 'arm64'));
  // Nothing a version string holds reaches outside the folder.
  assert.doesNotMatch(codeCacheName('ab'.repeat(32), '../../x', 'x64'), /\//);
  const oldBuild = codeCacheName('cd'.repeat(32), '11.3.244.8-node.38', 'x64');
  const otherNode = codeCacheName('cd'.repeat(32), '12.4.254.21-node.33', 'x64');
  assert.deepEqual(staleCodeCaches([a, oldBuild, otherNode, 'notes.txt'], a), [oldBuild]);
});

test('dist/cli.js: the first run writes the cache, the next ones start from it with the same output', () => {
  const cache = path.join(dir, 'cache');
  const first = check(cache, '-v');
  assert.equal(first.code, 1, first.stderr);
  assert.match(first.stdout, /routes\.py:7:5: BHD007 /);
  assert.match(first.stderr, /code cache: compiled the CLI, keeping its bytecode in .*code-[0-9a-f]+-v8-/);
  const files = cacheFiles(cache);
  assert.equal(files.length, 1, `one cache file: ${fs.readdirSync(cache).join(', ')}`);
  const file = path.join(cache, files[0]!);
  if (process.platform !== 'win32') {
    assert.equal(fs.statSync(cache).mode & 0o777, 0o700);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  }
  // V8 accepted it: a rejected cache would be written again (mtime and bytes change).
  const bytes = fs.readFileSync(file);
  fs.utimesSync(file, new Date(2000, 0, 1), new Date(2000, 0, 1));
  const second = check(cache, '-v');
  assert.deepEqual([second.code, second.stdout], [first.code, first.stdout]);
  assert.ok(second.stderr.includes(`code cache: started from ${file}`), second.stderr);
  assert.equal(fs.statSync(file).mtime.getFullYear(), 2000, 'the cache was used, not written again');
  assert.deepEqual(fs.readFileSync(file), bytes);
  assert.match(check('off', '-v').stderr, /code cache: off/);
});

test("a corrupt cache is rejected and replaced; an older build's is removed; an unwritable folder is no error", () => {
  const cache = path.join(dir, 'corrupt');
  const first = check(cache);
  const [name] = cacheFiles(cache);
  assert.ok(name);
  const file = path.join(cache, name);
  const good = fs.readFileSync(file);
  // Same length, wrong bytes (V8 checks a cache's source only by its length), and a truncated one.
  for (const bad of [Buffer.alloc(good.length, 7), good.subarray(0, good.length >> 1)]) {
    fs.writeFileSync(file, bad);
    assert.deepEqual(check(cache), first);
    assert.ok(fs.readFileSync(file).length > 1000 && !fs.readFileSync(file).equals(bad), 'written again');
  }
  const stale = codeCacheName('0'.repeat(64), process.versions.v8, process.arch);
  fs.writeFileSync(path.join(cache, stale), 'old build');
  fs.rmSync(file);
  assert.deepEqual(check(cache), first);
  assert.deepEqual(cacheFiles(cache), [name], "the older build's cache is gone");

  // The cache "folder" is a file: nothing can be written, the run is the same.
  const blocked = path.join(dir, 'a-file');
  fs.writeFileSync(blocked, '');
  assert.deepEqual(check(path.join(blocked, 'cache')), first);
  assert.deepEqual(check('0'), first);
});

test('dist/cli.js without dist/cli-main.js beside it: a clear error, exit 2', () => {
  const lone = path.join(dir, 'lone');
  fs.mkdirSync(lone);
  fs.copyFileSync(cli, path.join(lone, 'cli.js'));
  const r = spawnSync(process.execPath, [path.join(lone, 'cli.js'), '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^backend-hang: cannot read .*cli-main\.js .*reinstall the package/);
});
