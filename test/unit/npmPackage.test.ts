// Where Python teams run linters: the npm package (`npm pack` -> `npm i -g` into a temporary prefix -> the
// `backend-hang` command; `npx backend-hang`) and the pre-commit hooks of .pre-commit-hooks.yaml run by the real
// `pre-commit` (PyPI, installed into the test venv by scripts/ensure-venv.sh) on a temporary git repository.
// The hook repository is the packed package committed to git (what a release tag holds: dist/ built; a clone of
// the source tree builds dist/ itself through the `prepare` script instead).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const PRE_COMMIT = path.join(ROOT, '.cache', 'venv', 'bin', 'pre-commit');
let tmp: string;
let tarball: string;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 300_000,
    maxBuffer: 32 << 20,
  });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what}: ${r.error ?? ''}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
};

const STREAM = [
  'from concurrent.futures import ThreadPoolExecutor',
  '',
  '',
  'async def stream(loop):',
  '    with ThreadPoolExecutor() as ex:',
  '        return await loop.run_in_executor(ex, len, "x")',
  '',
].join('\n');

before(() => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'cli.js')), 'dist/cli.js exists (run node esbuild.mjs)');
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-npm-')));
  // --ignore-scripts: pack the dist/ this test run built (the `prepare` build is for clones of the sources).
  const out = ok(
    sh('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp, '--json'], ROOT),
    'npm pack',
  );
  tarball = path.join(tmp, (JSON.parse(out) as { filename: string }[])[0]!.filename);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('npm pack holds the CLI and no sources; npm i -g gives a working backend-hang; npx runs it', () => {
  const listing = ok(sh('tar', ['tzf', tarball], tmp), 'tar')
    .split('\n')
    .filter(Boolean)
    .sort();
  for (const f of [
    'package/dist/cli.js',
    'package/dist/tree-sitter-python.wasm',
    'package/dist/web-tree-sitter.wasm',
  ])
    assert.ok(listing.includes(f), `${f} in ${listing.join(', ')}`);
  assert.ok(
    !listing.some((f) => /^package\/(src|test|scripts|node_modules)\/|\.map$/.test(f)),
    listing.join(', '),
  );

  const prefix = path.join(tmp, 'prefix');
  ok(sh('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball], tmp), 'npm i -g');
  const bin = path.join(prefix, 'bin', 'backend-hang');
  const project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'stream.py'), STREAM);
  const r = sh(bin, ['check', '--output-format', 'concise'], project);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^stream\.py:5:10: BHD001 \[error\] .* \(fixable\)$/m);
  assert.match(ok(sh(bin, ['--help'], project), 'help'), /Commands:/);
  // npx: the package (here the tarball, on npm its name) fetched into npx's cache and its bin run.
  const npx = sh(
    'npx',
    ['--yes', '--package', tarball, 'backend-hang', 'check', '--statistics', '.'],
    project,
  );
  assert.equal(npx.status, 1, npx.stderr);
  assert.match(npx.stdout, /^1\tBHD001\t\[\*\]/m);
});

test('the pre-commit hooks run through real pre-commit: check fails, fix fixes, then check passes', () => {
  assert.ok(fs.existsSync(PRE_COMMIT), `pre-commit is missing (${PRE_COMMIT}): run scripts/ensure-venv.sh`);
  // The hook repository: the packed package (dist/ built) and .pre-commit-hooks.yaml, committed.
  const hooks = path.join(tmp, 'hooks');
  fs.mkdirSync(hooks);
  ok(sh('tar', ['xzf', tarball, '--strip-components=1', '-C', hooks], tmp), 'untar');
  const manifest = JSON.parse(fs.readFileSync(path.join(hooks, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  // A release commit: dist/ is there, nothing to build (no devDependencies, no prepare).
  delete manifest.devDependencies;
  delete manifest.scripts;
  fs.writeFileSync(path.join(hooks, 'package.json'), JSON.stringify(manifest, null, 2));
  ok(sh('git', ['init', '-q', '-b', 'main'], hooks), 'git init hooks');
  ok(sh('git', ['add', '-A'], hooks), 'git add');
  ok(sh('git', ['commit', '-q', '-m', 'release'], hooks, GIT_ENV), 'git commit hooks');
  const rev = ok(sh('git', ['rev-parse', 'HEAD'], hooks), 'rev-parse').trim();

  const repo = path.join(tmp, 'repo');
  fs.mkdirSync(path.join(repo, 'app'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'app', 'stream.py'), STREAM);
  fs.writeFileSync(path.join(repo, 'app', 'clean.py'), 'x = 1\n');
  fs.writeFileSync(
    path.join(repo, '.pre-commit-config.yaml'),
    `repos:\n  - repo: ${hooks}\n    rev: ${rev}\n    hooks:\n      - id: backend-hang-check\n      - id: backend-hang-fix\n`,
  );
  ok(sh('git', ['init', '-q', '-b', 'main'], repo), 'git init repo');
  ok(sh('git', ['add', '-A'], repo), 'git add repo');
  const env = { ...GIT_ENV, PRE_COMMIT_HOME: path.join(tmp, 'pre-commit-home') };

  const check = sh(PRE_COMMIT, ['run', 'backend-hang-check', '--all-files'], repo, env);
  assert.equal(check.status, 1, `${check.stdout}\n${check.stderr}`);
  assert.match(check.stdout, /backend-hang check\.+Failed/);
  assert.match(check.stdout, /app\/stream\.py:5:10: BHD001 \[error\]/);

  const fix = sh(PRE_COMMIT, ['run', 'backend-hang-fix', '--all-files'], repo, env);
  assert.equal(fix.status, 1, `files were modified: pre-commit fails the run\n${fix.stdout}\n${fix.stderr}`);
  assert.match(fix.stdout, /Fixed 1 in app\/stream\.py: BHD001 \(line 5\)/);
  const fixed = fs.readFileSync(path.join(repo, 'app', 'stream.py'), 'utf8');
  assert.match(fixed, /ex\.shutdown\(wait=False, cancel_futures=True\)/);

  const again = sh(PRE_COMMIT, ['run', '--all-files'], repo, env);
  assert.equal(again.status, 0, `${again.stdout}\n${again.stderr}`);
  assert.match(again.stdout, /backend-hang check\.+Passed/);
  assert.match(again.stdout, /backend-hang fix\.+Passed/);
});
