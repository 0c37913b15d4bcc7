// `backend-hang check --fix` end to end through the bundled CLI (dist/cli.js, built by `node esbuild.mjs`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const fixture = (name: string): string =>
  fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'fixes', name), 'utf8');

function run(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'check', ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('check --fix fixes, prints what changed, reports what is left; exit 0/1/2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-clifix-'));
  try {
    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'app', 'stream.py'), fixture('seedStream.in.py'));
    // BHD006 on a requests call inside an expression has no automatic fix (only a call standing alone is moved
    // to a thread): it stays and makes the exit code 1.
    fs.writeFileSync(
      path.join(dir, 'app', 'net.py'),
      'import requests\n\n\nasync def h(u):\n    return requests.get(u).json()\n',
    );

    // --fix: the safe BHD001 fix only; adding a timeout (BHD005) is unsafe and is only counted.
    const first = run(dir, '--fix', '--output-format', 'concise', 'app');
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stdout, /^Fixed 1 in app\/stream\.py: BHD001 \(line 18\)$/m);
    assert.doesNotMatch(first.stdout, /Fixed 1 in app\/net\.py/);
    assert.match(first.stdout, /^app\/net\.py:5:12: BHD005 \[warning\] .* \(unsafe fix\)$/m);
    assert.match(first.stdout, /^1 more fix available with --unsafe-fixes\.$/m);
    assert.equal(fs.readFileSync(path.join(dir, 'app', 'stream.py'), 'utf8'), fixture('seedStream.out.py'));

    const unsafe = run(dir, '--fix', '--unsafe-fixes', '--output-format', 'concise', 'app');
    assert.equal(unsafe.code, 1, unsafe.stderr);
    assert.match(unsafe.stdout, /^Fixed 1 in app\/net\.py: BHD005 \(line 5\)$/m);
    assert.match(unsafe.stdout, /app\/net\.py:5:12: BHD006/);
    assert.doesNotMatch(unsafe.stdout, /BHD001 \[/);
    assert.doesNotMatch(unsafe.stdout, /--unsafe-fixes/);
    assert.equal(fs.readFileSync(path.join(dir, 'app', 'stream.py'), 'utf8'), fixture('seedStream.out.py'));

    // JSON output stays one JSON document on stdout; the fix report goes to stderr.
    const json = run(dir, '--fix', '--format', 'json', 'app');
    assert.equal(json.code, 1);
    assert.deepEqual(
      JSON.parse(json.stdout).map((r: { code: string }) => r.code),
      ['BHD006'],
    );

    const clean = run(dir, '--fix', '--select', 'BHD001,BHD005', 'app');
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.doesNotMatch(clean.stdout, /Fixed/);

    fs.writeFileSync(path.join(dir, 'app', 'bad.py'), Buffer.from([0x69, 0x6d, 0x70, 0xff, 0x0a]));
    const bad = run(dir, '--fix', 'app');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /app\/bad\.py: not UTF-8 text; left untouched/);
    assert.deepEqual([...fs.readFileSync(path.join(dir, 'app', 'bad.py'))], [0x69, 0x6d, 0x70, 0xff, 0x0a]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('check --fix says which fixable finding it left alone and why', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-clifix-declined-'));
  try {
    const source = fs.readFileSync(
      path.join(ROOT, 'test', 'fixtures', 'fixes', 'semantics', 'fireAndForget.py'),
      'utf8',
    );
    fs.writeFileSync(path.join(dir, 'jobs.py'), source);
    const r = run(dir, '--fix', 'jobs.py');
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /^Not fixed: jobs\.py:15 BHD001: line 17 starts work on the executor without keeping its future: .*$/m,
    );
    assert.equal(fs.readFileSync(path.join(dir, 'jobs.py'), 'utf8'), source, 'left as it was');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
