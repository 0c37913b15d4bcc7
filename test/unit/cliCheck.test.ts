/**
 * `backend-hang check` end to end: runs the built CLI (dist/cli.js, built by `node esbuild.mjs`) as a child
 * process on temp trees; exit codes, text/JSON shape, SARIF required fields, bad paths, skipped folders.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCheckArgs } from '../../src/cli/checkCommand';
import { RULE_CODES } from '../../src/diagnostics/types';

const repo = path.resolve(__dirname, '../../..');
const cli = path.join(repo, 'dist/cli.js');
let dir: string;

function run(args: string[], cwd = dir): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'check', ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  assert.ok(fs.existsSync(cli), 'dist/cli.js exists (run node esbuild.mjs)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-cli-'));
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write(
    'app/routes.py',
    [
      'import time',
      'from concurrent.futures import ThreadPoolExecutor',
      '',
      'async def stream():',
      '    with ThreadPoolExecutor() as ex:  # é',
      '        time.sleep(1)',
      '',
    ].join('\n'),
  );
  write('app/clean.py', 'async def ok():\n    return 1\n');
  write('app/net.py', 'import requests\n\ndef get(u):\n    return requests.get(u)\n');
  // Never entered: virtual environments, node_modules, .git, __pycache__.
  for (const skipped of ['.venv', 'venv', 'node_modules', '.git', '__pycache__']) {
    write(`${skipped}/bad.py`, 'import requests\nrequests.get("x")\n');
  }
  write('clean/only.py', 'x = 1\n');
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('concise output, exit 1 on findings, skipped folders not entered; safe vs unsafe fixes counted', () => {
  const r = run(['--output-format', 'concise', '.']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stdout,
    [
      'app/net.py:4:12: BHD005 [warning] `requests.get()` has no timeout (unsafe fix)',
      'app/routes.py:5:10: BHD001 [error] `with ThreadPoolExecutor(...)` in async code blocks the event loop when the block exits (fixable)',
      'app/routes.py:6:9: BHD006 [warning] `time.sleep()` blocks the event loop (unsafe fix)',
      'Found 3 findings in 2 files.',
      '[*] 1 fixable with the `--fix` option.',
      '2 more fixes available with --unsafe-fixes.',
      '',
    ].join('\n'),
  );
  assert.equal(r.stderr, '');
  // `--format text` is the old name of the concise format; `check` with no path checks `.`.
  assert.equal(run(['--format', 'text']).stdout, r.stdout);
  const unsafe = run(['--output-format=concise', '--unsafe-fixes']);
  assert.match(unsafe.stdout, /^\[\*\] 3 fixable with the `--fix` option\.$/m);
  assert.doesNotMatch(unsafe.stdout, /more fix/);
});

test('exit 0 without findings; explicit venv path is checked', () => {
  assert.equal(run(['clean', 'app/clean.py']).code, 0);
  assert.equal(run(['clean']).stdout, 'All checks passed!\n');
  assert.equal(run(['.venv']).code, 1);
});

test('a type stub (*.pyi) is never run: no findings and no fixes in it, beside a module with the same code', () => {
  const stubs = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-stubs-'));
  try {
    const code = 'import time\n\nasync def f():\n    time.sleep(1)\n';
    fs.writeFileSync(path.join(stubs, 'mod.pyi'), code);
    fs.writeFileSync(path.join(stubs, 'mod.py'), code);
    const r = run(['--output-format', 'concise', '.'], stubs);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^mod\.py:4:5: BHD006 /m);
    assert.doesNotMatch(r.stdout, /mod\.pyi/);
    assert.equal(run(['mod.pyi'], stubs).code, 0, 'a stub named on the command line');
    run(['--fix', '--unsafe-fixes', '.'], stubs);
    assert.equal(fs.readFileSync(path.join(stubs, 'mod.pyi'), 'utf8'), code, 'the stub is left as it was');
    assert.notEqual(fs.readFileSync(path.join(stubs, 'mod.py'), 'utf8'), code, 'the module is fixed');
  } finally {
    fs.rmSync(stubs, { recursive: true, force: true });
  }
});

test('--format json: one array of records with 1-based positions', () => {
  const r = run(['--format', 'json', '--select', 'BHD001,BHD005', 'app']);
  assert.equal(r.code, 1);
  const records = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(records, [
    {
      file: 'app/net.py',
      line: 4,
      column: 12,
      endLine: 4,
      endColumn: 27,
      code: 'BHD005',
      message: '`requests.get()` has no timeout',
      severity: 'warning',
      fixable: true,
      applicability: 'unsafe',
      unsafeBecause: 'a call that legitimately takes longer than the timeout would now fail',
    },
    {
      file: 'app/routes.py',
      line: 5,
      column: 10,
      endLine: 5,
      endColumn: 30,
      code: 'BHD001',
      message: '`with ThreadPoolExecutor(...)` in async code blocks the event loop when the block exits',
      severity: 'error',
      fixable: true,
      applicability: 'safe',
    },
  ]);
  assert.deepEqual(JSON.parse(run(['--format=json', 'clean']).stdout), []);
});

test('--format sarif: valid SARIF 2.1.0 (required fields of the schema)', () => {
  const r = run(['--format', 'sarif', 'app']);
  assert.equal(r.code, 1);
  const log = JSON.parse(r.stdout);
  assert.equal(log.version, '2.1.0');
  assert.ok(Array.isArray(log.runs) && log.runs.length === 1);
  const [sarifRun] = log.runs;
  assert.equal(sarifRun.tool.driver.name, 'backend-hang');
  const ruleIds = sarifRun.tool.driver.rules.map((rule: { id: string }) => rule.id);
  assert.deepEqual(ruleIds, [...RULE_CODES]);
  assert.equal(sarifRun.results.length, 3);
  for (const result of sarifRun.results) {
    // result requires message (text or id); ruleId/ruleIndex must agree with the driver's rules.
    assert.equal(typeof result.message.text, 'string');
    assert.equal(ruleIds[result.ruleIndex], result.ruleId);
    assert.ok(['error', 'warning', 'note', 'none'].includes(result.level));
    const loc = result.locations[0].physicalLocation;
    assert.equal(typeof loc.artifactLocation.uri, 'string');
    assert.equal(loc.artifactLocation.uriBaseId, '%SRCROOT%');
    assert.ok(loc.region.startLine >= 1 && loc.region.startColumn >= 1);
  }
  assert.match(sarifRun.originalUriBaseIds['%SRCROOT%'].uri, /^file:\/\/.*\/$/);
  assert.equal(sarifRun.results[1].locations[0].physicalLocation.artifactLocation.uri, 'app/routes.py');
});

test('usage and I/O errors exit 2 with a clear message', () => {
  const missing = run(['nope/does-not-exist.py']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\/does-not-exist\.py: no such file or directory/);
  const mixed = run(['app', 'missing-dir']);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stdout, /BHD001/); // what could be checked is still reported
  for (const [args, message] of [
    [['--format', 'xml', '.'], /unknown format 'xml'/],
    [['--select', 'BHD004', '.'], /unknown rule code BHD004/],
    [['--bogus', '.'], /unknown option '--bogus'/],
    [['--format'], /--format needs a value/],
  ] as const) {
    const r = run([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Usage: backend-hang check/);
  }
});

test('parseCheckArgs', () => {
  const parsed = parseCheckArgs(['--select', 'bhd001, BHD002', '--format=sarif', 'a', '--', '-weird.py']);
  assert.deepEqual(
    { format: parsed.format, select: parsed.select, fix: parsed.fix, paths: parsed.paths },
    { format: 'sarif', select: ['BHD001', 'BHD002'], fix: false, paths: ['a', '-weird.py'] },
  );
  assert.deepEqual(parseCheckArgs([]).paths, []);
  assert.equal(parseCheckArgs(['--http-timeout', '2.5']).httpTimeout, 2.5);
  assert.deepEqual(parseCheckArgs(['--target-version', 'py38']).targetVersion, [3, 8]);
  assert.throws(() => parseCheckArgs(['--fix', '--diff']), /cannot be used together/);
  assert.throws(() => parseCheckArgs(['--http-timeout', '0']), /positive number/);
  assert.equal(parseCheckArgs(['--fix', 'x']).fix, true);
});

test('"fixable" means --fix changes it: shapes the fix declines are reported as not fixable', () => {
  const file = path.join(dir, 'fixable/futures.py');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    [
      'from concurrent.futures import ThreadPoolExecutor',
      'EX = ThreadPoolExecutor()',
      '',
      'async def with_timeout():',
      '    fut = EX.submit(len, "x")',
      '    return fut.result(timeout=3)',
      '',
      'async def plain():',
      '    fut = EX.submit(len, "x")',
      '    return fut.result()',
      '',
    ].join('\n'),
  );
  const r = run(['--format', 'json', 'fixable/futures.py']);
  assert.equal(r.code, 1, r.stderr);
  const records = JSON.parse(r.stdout) as { line: number; code: string; fixable: boolean }[];
  assert.deepEqual(
    records.map((x) => [x.line, x.code, x.fixable]),
    [
      [6, 'BHD003', false],
      [10, 'BHD003', true],
    ],
  );
});
