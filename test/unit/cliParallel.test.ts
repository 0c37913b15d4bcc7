/**
 * `backend-hang check` on several threads (src/cli/parallelCheck): the work list hands every file out exactly
 * once, and the built CLI (dist/cli.js) reports byte for byte the same on one thread and on three, BHD007 chains
 * across modules included, with the workers really started (one CPU profile per thread). The cache
 * (src/cli/checkCache): a second run reads it and reports the same; a change to the file, to a module its chain
 * goes through (checked or not), or to the settings is seen; a broken cache file is ignored; --no-cache writes
 * none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claimer, threadCount, workList } from '../../src/cli/parallelCheck';

const repo = path.resolve(__dirname, '../../..');
const cli = path.join(repo, 'dist/cli.js');
const rules = path.join(repo, 'test/fixtures/rules');

test('the work list hands every index out once: own range first, then the rest of the largest range', () => {
  for (const [total, threads] of [
    [0, 2],
    [1, 3],
    [7, 2],
    [100, 3],
    [1001, 4],
  ] as [number, number][]) {
    const list = workList(total, threads);
    const claims = Array.from({ length: threads }, (_, t) => claimer(list, t));
    const got: number[][] = claims.map(() => []);
    // Thread 0 is slow (one claim per round), the others fast: they finish their ranges and steal.
    for (let round = 0, live = threads; live > 0; round++) {
      live = 0;
      for (let t = 0; t < threads; t++) {
        const times = t === 0 ? 1 : 3;
        for (let k = 0; k < times; k++) {
          const i = claims[t]!();
          if (i === undefined) continue;
          got[t]!.push(i);
          live++;
        }
      }
      assert.ok(round < 10_000);
    }
    const all = got.flat().sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: total }, (_, i) => i),
      `${total} files on ${threads} threads`,
    );
    if (total >= 100) {
      // Each thread started at the front of its own range, and the fast ones helped with thread 0's.
      for (let t = 0; t < threads; t++) assert.equal(got[t]![0], Math.floor((total * t) / threads));
      const ownEnd = Math.floor(total / threads);
      assert.ok(
        got.slice(1).some((g) => g.some((i) => i < ownEnd)),
        'a fast thread took files of thread 0',
      );
    }
  }
});

test('thread count: one per CPU but one (at most 4) and per 400 files, BACKEND_HANG_THREADS wins', () => {
  assert.equal(threadCount(10, {}, 8), 1);
  assert.equal(threadCount(799, {}, 8), 1);
  assert.equal(threadCount(800, {}, 8), 2);
  assert.equal(threadCount(100_000, {}, 8), 4);
  assert.equal(threadCount(100_000, {}, 4), 3);
  // Two CPUs: V8's own GC and JIT threads use the second one.
  assert.equal(threadCount(100_000, {}, 2), 1);
  assert.equal(threadCount(100_000, {}, 1), 1);
  assert.equal(threadCount(100_000, { BACKEND_HANG_THREADS: '1' }, 8), 1);
  assert.equal(threadCount(3, { BACKEND_HANG_THREADS: '3' }, 1), 3);
  assert.equal(threadCount(800, { BACKEND_HANG_THREADS: 'many' }, 8), 2);
});

test('the CLI reports the same on one thread and on three, with the workers really running', () => {
  assert.ok(fs.existsSync(cli), 'dist/cli.js exists (run node esbuild.mjs)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-parallel-'));
  try {
    // 12 copies of the rule fixtures (BHD007's package across modules included) among plain modules.
    for (let k = 0; k < 12; k++) {
      const pkg = path.join(dir, `proj${k}`);
      fs.cpSync(rules, pkg, { recursive: true });
      for (let j = 0; j < 20; j++)
        fs.writeFileSync(path.join(pkg, `plain${j}.py`), `async def f${j}():\n    return ${j}\n`);
    }
    const run = (threads: string) => {
      const r = spawnSync(
        process.execPath,
        [cli, 'check', '.', '--no-cache', '--output-format', 'json', '-v'],
        {
          cwd: dir,
          encoding: 'utf8',
          // (the JSON of 12 copies of the fixtures is over spawnSync's default 1 MB)
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, BACKEND_HANG_THREADS: threads },
        },
      );
      assert.equal(r.status, 1, r.stderr);
      return r;
    };
    const one = run('1').stdout;
    const three = run('3');
    assert.equal(three.stdout, one);
    // --verbose tells what each thread checked: three threads, together every file, the workers some.
    // (Not --cpu-prof, whose profile files once proved it: Node 20 can crash in V8's wasm code logging when
    // a worker compiles the grammar while the profiler runs, a V8 bug a user's run without it never meets.)
    const shares = /checked on 3 threads \((\d+) \+ (\d+) \+ (\d+) files\)/.exec(three.stderr);
    assert.ok(shares, three.stderr);
    const files = Number(/(\d+) files found/.exec(three.stderr)?.[1]);
    assert.equal(
      files,
      12 * (fs.readdirSync(rules, { recursive: true }).filter((f) => String(f).endsWith('.py')).length + 20),
    );
    assert.equal(Number(shares[1]) + Number(shares[2]) + Number(shares[3]), files);
    assert.ok(Number(shares[2]) + Number(shares[3]) > 0, 'the workers checked files');
    const findings = JSON.parse(one) as { code: string; file: string }[];
    const codes = new Set(findings.map((f) => f.code));
    for (const code of ['BHD001', 'BHD002', 'BHD005', 'BHD006', 'BHD007']) assert.ok(codes.has(code), code);
    assert.ok(findings.filter((f) => f.code === 'BHD007').length >= 24, 'BHD007 in every copy');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the cache: same report from it, and a change to a file, a callee module or the settings is seen', () => {
  assert.ok(fs.existsSync(cli), 'dist/cli.js exists (run node esbuild.mjs)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-cache-'));
  try {
    fs.cpSync(path.join(rules, 'bhd007'), dir, { recursive: true });
    fs.copyFileSync(path.join(rules, 'BHD005.py'), path.join(dir, 'bhd005.py'));
    const run = (...extra: string[]) => {
      const paths = extra[0] && !extra[0].startsWith('-') ? [] : ['.'];
      const r = spawnSync(process.execPath, [cli, 'check', ...paths, '--output-format', 'json', ...extra], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, BACKEND_HANG_THREADS: '1' },
      });
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      return r.stdout;
    };
    const count = (out: string, code: string) =>
      (JSON.parse(out) as { code: string }[]).filter((f) => f.code === code).length;
    const fresh = run('--no-cache');
    assert.ok(!fs.existsSync(path.join(dir, '.backend-hang-cache')), '--no-cache writes no cache');
    assert.equal(run(), fresh);
    const cacheDir = path.join(dir, '.backend-hang-cache');
    const cacheFiles = fs
      .readdirSync(cacheDir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.json'));
    assert.equal(cacheFiles.length, 1);
    assert.match(fs.readFileSync(path.join(cacheDir, '.gitignore'), 'utf8'), /^\*$/m);
    assert.equal(run(), fresh, 'from the cache');
    // The chain's end changes in another module: the caller's BHD007 findings follow.
    const services = path.join(dir, 'app/services/files.py');
    const before = count(fresh, 'BHD007');
    assert.ok(before > 0);
    fs.writeFileSync(services, fs.readFileSync(services, 'utf8').replace('    time.sleep(0.5)', '    pass'));
    const edited = run();
    assert.ok(count(edited, 'BHD007') < before, 'a callee module changed');
    assert.equal(edited, run('--no-cache'));
    // A callee module that is not among the checked files is watched too (the modules the answer read).
    const routes = run('app/api/routes.py');
    fs.writeFileSync(services, fs.readFileSync(services, 'utf8').replace('    pass', '    time.sleep(0.5)'));
    const routesAfter = run('app/api/routes.py');
    assert.ok(count(routesAfter, 'BHD007') > count(routes, 'BHD007'), 'an unchecked callee module changed');
    assert.equal(routesAfter, run('app/api/routes.py', '--no-cache'));
    fs.writeFileSync(services, fs.readFileSync(services, 'utf8').replace('    time.sleep(0.5)', '    pass'));
    // The settings change: --select is part of each entry's key.
    assert.equal(count(run('--select', 'BHD005'), 'BHD007'), 0);
    assert.ok(count(run('--select', 'BHD005'), 'BHD005') > 0);
    // A broken cache file is not an error.
    fs.writeFileSync(path.join(cacheDir, cacheFiles[0]!), '{not json');
    assert.equal(run(), edited);
    // --cache-dir puts it elsewhere.
    const elsewhere = path.join(dir, 'elsewhere');
    assert.equal(run('--cache-dir', elsewhere), edited);
    assert.ok(fs.existsSync(path.join(elsewhere, '.gitignore')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('workers never keep the CLI up: --diff, no Python files, a config error, a normal run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-pool-'));
  try {
    fs.cpSync(rules, path.join(dir, 'pkg'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'empty'));
    for (const [args, code] of [
      [['pkg', '--diff'], 1],
      [['empty'], 0],
      [['pkg', '--no-cache', '--exit-zero'], 0],
      [['pkg', '--config', 'missing.toml'], 2],
    ] as [string[], number][]) {
      const r = spawnSync(process.execPath, [cli, 'check', ...args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, BACKEND_HANG_THREADS: '3' },
      });
      assert.equal(r.error, undefined, `${args.join(' ')} exited by itself`);
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
