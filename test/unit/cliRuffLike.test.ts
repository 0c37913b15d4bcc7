// `backend-hang` behaves like its neighbours (Ruff): end to end through the bundled CLI (dist/cli.js) on temp
// trees — help on every command, `check` with no path, full output with the source line and a caret, colour,
// --diff, --statistics, --exit-zero, the messages for missing paths, no Python files, syntax errors, binary and
// non-UTF-8 files, and a project's [tool.backend-hang] configuration.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');
let dir: string;

function run(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...opts.env };
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? dir, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const write = (rel: string, text: string | Buffer): void => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
};

const SLEEPER = 'import time\n\n\nasync def tick():\n    time.sleep(1)  # é\n';
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
  assert.ok(fs.existsSync(CLI), 'dist/cli.js exists (run node esbuild.mjs)');
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-ruffcli-')));
  write('proj/app/sleeper.py', SLEEPER);
  write('proj/app/stream.py', STREAM);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('--help on every command, exit 0, on stdout', () => {
  for (const command of ['check', 'dump', 'profile', 'triage', 'verify']) {
    for (const args of [
      [command, '--help'],
      [command, '-h'],
      ['help', command],
    ]) {
      const r = run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`backend-hang ${command}`, 'i'), args.join(' '));
    }
  }
  const top = run(['--help']);
  assert.equal(top.code, 0);
  for (const command of ['check', 'dump', 'triage', 'verify'])
    assert.match(top.stdout, new RegExp(`^  ${command} `, 'm'));
  assert.match(run(['check', '--help']).stdout, /--unsafe-fixes[\s\S]*--diff[\s\S]*--output-format/);
});

test('check with no path checks `.`; full output shows the line and a caret; counts safe and unsafe fixes', () => {
  const r = run(['check'], { cwd: path.join(dir, 'proj') });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  const at = lines.indexOf('BHD006 `time.sleep()` blocks the event loop');
  assert.ok(at >= 0, r.stdout);
  assert.deepEqual(lines.slice(at + 1, at + 6), [
    ' --> app/sleeper.py:5:5',
    '  |',
    '4 | async def tick():',
    '5 |     time.sleep(1)  # é',
    '  |     ^^^^^^^^^^^^^',
  ]);
  assert.match(r.stdout, /^BHD001 \[\*\] `with ThreadPoolExecutor\(\.\.\.\)`/m, 'the safe fix is marked [*]');
  assert.match(r.stdout, /^help: unsafe fix available with --unsafe-fixes/m);
  assert.match(
    r.stdout,
    /^Found 2 findings in 2 files\.\n\[\*\] 1 fixable with the `--fix` option\.\n1 more fix available with --unsafe-fixes\.\n$/m,
  );
});

test('colour on --color always / FORCE_COLOR, never with NO_COLOR or when piped', () => {
  const cwd = path.join(dir, 'proj');
  assert.match(run(['check', '--color', 'always'], { cwd }).stdout, /\x1b\[1m/);
  assert.match(run(['check'], { cwd, env: { FORCE_COLOR: '1' } }).stdout, /\x1b\[/);
  assert.doesNotMatch(run(['check'], { cwd }).stdout, /\x1b\[/, 'a pipe is not a terminal');
  assert.doesNotMatch(run(['check'], { cwd, env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout, /\x1b\[/);
  assert.equal(run(['check', '--color', 'sometimes'], { cwd }).code, 2);
});

test('--diff shows what --fix would change, changes nothing, exit 1 (0 when nothing would change)', () => {
  const cwd = path.join(dir, 'proj');
  const before = fs.readFileSync(path.join(cwd, 'app/stream.py'), 'utf8');
  const r = run(['check', '--diff'], { cwd });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^--- app\/stream\.py\n\+\+\+ app\/stream\.py\n@@ -2,5 \+2,8 @@/m);
  assert.match(r.stdout, /^-    with ThreadPoolExecutor\(\) as ex:$/m);
  assert.match(r.stdout, /^\+        ex\.shutdown\(wait=False, cancel_futures=True\)$/m);
  assert.doesNotMatch(r.stdout, /sleeper/, 'unsafe fixes are not in the diff');
  assert.match(r.stderr, /Would fix 1 finding\.\n1 more fix available with --unsafe-fixes\./);
  assert.equal(fs.readFileSync(path.join(cwd, 'app/stream.py'), 'utf8'), before);
  // The diff is a real patch: applied (git apply) to a copy it gives what --fix writes to another copy.
  const patched = path.join(dir, 'patched');
  const fixed = path.join(dir, 'fixed');
  fs.cpSync(cwd, patched, { recursive: true });
  fs.cpSync(cwd, fixed, { recursive: true });
  const diffFile = path.join(dir, 'fix.diff');
  fs.writeFileSync(
    diffFile,
    r.stdout.replace(/^(---|\+\+\+) /gm, '$1 a/').replace(/^\+\+\+ a\//gm, '+++ b/'),
  );
  const applied = spawnSync('git', ['apply', '-p1', diffFile], { cwd: patched, encoding: 'utf8' });
  assert.equal(applied.status, 0, applied.stderr);
  assert.equal(run(['check', '--fix', '-q', '.'], { cwd: fixed }).code, 1);
  for (const f of ['app/stream.py', 'app/sleeper.py'])
    assert.equal(
      fs.readFileSync(path.join(patched, f), 'utf8'),
      fs.readFileSync(path.join(fixed, f), 'utf8'),
      f,
    );
  assert.match(
    run(['check', '--diff', '--unsafe-fixes'], { cwd }).stdout,
    /^\+    await asyncio\.sleep\(1\)  # é$/m,
  );
  const none = run(['check', '--diff', '--select', 'BHD002'], { cwd });
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, '');
  assert.equal(run(['check', '--diff', '--fix'], { cwd }).code, 2);
});

test('--statistics and --exit-zero', () => {
  const cwd = path.join(dir, 'proj');
  const s = run(['check', '--statistics'], { cwd });
  assert.equal(s.code, 1);
  assert.match(s.stdout, /^1\tBHD001\t\[\*\] `with` on an executor in async code$/m);
  assert.match(s.stdout, /^1\tBHD006\t {4}Blocking call in async code$/m);
  const z = run(['check', '--exit-zero'], { cwd });
  assert.equal(z.code, 0);
  assert.match(z.stdout, /Found 2 findings/);
});

test('missing paths, no Python files, binary and non-UTF-8 files: clear messages, exit codes like Ruff', () => {
  const missing = run(['check', 'nope.py']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, '', 'no "All checks passed!" when nothing could be checked');
  assert.match(missing.stderr, /error: nope\.py: no such file or directory/);
  fs.mkdirSync(path.join(dir, 'empty/sub'), { recursive: true });
  write('empty/notes.txt', 'x');
  const empty = run(['check', 'empty']);
  assert.equal(empty.code, 0);
  assert.equal(empty.stdout, '');
  assert.equal(empty.stderr, 'warning: No Python files found under the given path(s)\n');
  write('odd/bin.py', Buffer.from([0x61, 0x73, 0x79, 0x6e, 0x63, 0x00, 0x01, 0x02]));
  write('odd/latin.py', Buffer.concat([Buffer.from('import requests\n# caf'), Buffer.from([0xe9, 0x0a])]));
  const odd = run(['check', 'odd']);
  assert.equal(odd.code, 2);
  assert.match(odd.stderr, /odd\/bin\.py: a binary file, not Python source; not checked/);
  assert.match(odd.stderr, /odd\/latin\.py: not UTF-8 text; not checked/);
  // Declared in its coding line (PEP 263), as Python reads it: checked in that encoding, never rewritten.
  const latin = Buffer.concat([
    Buffer.from('# -*- coding: latin-1 -*-\nimport time\n\n\nasync def f():\n    time.sleep(1)  # caf'),
    Buffer.from([0xe9, 0x0a]),
  ]);
  write('declared/latin.py', latin);
  const declared = run(['check', '--output-format', 'concise', 'declared']);
  assert.equal(declared.code, 1, declared.stderr);
  assert.match(declared.stdout, /declared\/latin\.py:6:5: BHD006 /);
  const fixed = run(['check', '--fix', '--unsafe-fixes', 'declared']);
  assert.equal(fixed.code, 2);
  assert.match(
    fixed.stderr,
    /encoded as latin-1 \(its coding line\), not UTF-8: checked, but fixes rewrite UTF-8 files only/,
  );
  assert.deepEqual(fs.readFileSync(path.join(dir, 'declared/latin.py')), latin);
});

test('a file with a syntax error is reported like E999 and never fixed', () => {
  const source = `${SLEEPER}\n\ndef broken(:\n    pass\n`;
  write('syntax/bad.py', source);
  const r = run(['check', '--output-format', 'concise', 'syntax']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^syntax\/bad\.py:8:\d+: E999 SyntaxError: /m);
  const fix = run(['check', '--fix', '--unsafe-fixes', '--output-format', 'concise', 'syntax']);
  assert.equal(fix.code, 1);
  assert.match(fix.stdout, /^Not fixed: syntax\/bad\.py:8:\d+: E999 SyntaxError: .* never fixed\)$/m);
  assert.equal(fs.readFileSync(path.join(dir, 'syntax/bad.py'), 'utf8'), source, 'left as it was');
  const json = JSON.parse(run(['check', '--output-format', 'json', 'syntax']).stdout) as {
    code: string;
    fixable: boolean;
    reason?: string;
  }[];
  assert.deepEqual(
    json.map((j) => [j.code, j.fixable, j.reason]),
    [
      ['BHD006', false, 'the file has a syntax error'],
      ['E999', false, 'the file does not parse'],
    ],
  );
});

test('valid code the grammar misreads (a call on a subscript in an annotation) is no E999 and is fixed', () => {
  const source = `from typing import Annotated\n\nDEPS = {}\n\n\ndef route(db: Annotated[int, DEPS["db"](1)], x: P[f](1, 2) = 0, q: Annotated[str, Q["q"](name="k")] = ""):\n    pass\n\n\n${SLEEPER}`;
  write('misread/ok.py', source);
  const r = run(['check', '--output-format', 'concise', 'misread']);
  assert.doesNotMatch(r.stdout, /E999/);
  assert.match(r.stdout, /BHD006/);
  const fix = run(['check', '--fix', '--unsafe-fixes', '--output-format', 'concise', 'misread']);
  assert.equal(fix.code, 0, fix.stdout);
  assert.match(fs.readFileSync(path.join(dir, 'misread/ok.py'), 'utf8'), /await asyncio\.sleep\(1\)/);
  // Real errors in the same shape are still reported: a positional after a keyword, a keyword as a name.
  write('misread3/bad.py', `def h(k: A[Q["q"](name="k", 1)]):\n    pass\n\n\n${SLEEPER}`);
  assert.match(run(['check', '--output-format', 'concise', 'misread3']).stdout, /E999/);
  write('misread4/bad.py', `y: P[f](lambda=1) = 1\n\n\n${SLEEPER}`);
  assert.match(run(['check', '--output-format', 'concise', 'misread4']).stdout, /E999/);
  // A real error after the misread one is still reported.
  write('misread2/bad.py', `def h(k: A[P[f](1)], j = ):\n    pass\n\n\n${SLEEPER}`);
  assert.match(
    run(['check', '--output-format', 'concise', 'misread2']).stdout,
    /^misread2\/bad\.py:1:\d+: E999 /m,
  );
});

test("a project's [tool.backend-hang]: exclude, per-file-ignores, severity, http-timeout, gitignore", () => {
  write(
    'cfg/pyproject.toml',
    [
      '[tool.backend-hang]',
      'extend-exclude = ["legacy"]',
      'http-timeout = 2.5',
      'per-file-ignores = { "scripts/*" = ["BHD006"] }',
      'severity = { BHD005 = "error" }',
      '',
    ].join('\n'),
  );
  write('cfg/.gitignore', 'generated/\n');
  fs.mkdirSync(path.join(dir, 'cfg/.git'), { recursive: true });
  const net = 'import requests\n\n\ndef get(u):\n    return requests.get(u)\n';
  write('cfg/app/net.py', net);
  write('cfg/legacy/old.py', net);
  write('cfg/generated/gen.py', net);
  write('cfg/scripts/tool.py', SLEEPER);
  const cwd = path.join(dir, 'cfg');
  const r = run(['check', '--output-format', 'concise'], { cwd });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stdout.split('\n')[0],
    'app/net.py:5:12: BHD005 [error] `requests.get()` has no timeout (unsafe fix)',
  );
  assert.match(r.stdout, /^Found 1 finding in 1 file\.$/m);
  const fixed = run(['check', '--fix', '--unsafe-fixes', 'app'], { cwd });
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.match(fs.readFileSync(path.join(cwd, 'app/net.py'), 'utf8'), /requests\.get\(u, timeout=2\.5\)/);
  // The command line wins over the file.
  write('cfg/app/net.py', net);
  run(['check', '--fix', '--unsafe-fixes', '--http-timeout', '7', 'app'], { cwd });
  assert.match(fs.readFileSync(path.join(cwd, 'app/net.py'), 'utf8'), /timeout=7\)/);
  // A config mistake is a warning, not a crash.
  write('cfg2/backend-hang.toml', 'select = ["BHD001"\n');
  write('cfg2/a.py', SLEEPER);
  const bad = run(['check', 'cfg2']);
  assert.match(
    bad.stderr,
    /^warning: .*backend-hang\.toml: not valid TOML \(line \d+: .*\); its settings are ignored$/m,
  );
});

test('cross-file BHD007: what check counts as fixable, --fix --unsafe-fixes applies (same project index)', () => {
  const project = path.join(dir, 'bhd007');
  fs.cpSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'rules', 'bhd007'), project, {
    recursive: true,
  });
  const before = JSON.parse(
    run(['check', '--output-format', 'json', '--select', 'BHD007'], { cwd: project }).stdout,
  ) as {
    fixable: boolean;
    applicability?: string;
  }[];
  const fixable = before.filter((f) => f.fixable);
  assert.ok(fixable.length >= 3, JSON.stringify(before));
  assert.ok(fixable.every((f) => f.applicability === 'unsafe'));
  const safeOnly = run(['check', '--fix', '--select', 'BHD007', '-q'], { cwd: project });
  assert.doesNotMatch(safeOnly.stdout, /Fixed/, 'to_thread is unsafe: --fix alone leaves it');
  const r = run(['check', '--fix', '--unsafe-fixes', '--select', 'BHD007', '--output-format', 'concise'], {
    cwd: project,
  });
  const applied = [...r.stdout.matchAll(/^Fixed (\d+) in /gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(applied, fixable.length, r.stdout);
  assert.doesNotMatch(r.stdout, /\(fixable\)|\(unsafe fix\)/, 'nothing fixable is left');
});

test("BHD007 resolves imports from the project's `src` roots (like Ruff's `src`), checked from anywhere", () => {
  // The helpers live in lib/, which is not a package beside the checked file: only `src` makes it a root.
  const project = path.join(dir, 'srcroots');
  write('srcroots/lib/helpers/__init__.py', '');
  write('srcroots/lib/helpers/slow.py', 'import time\n\n\ndef wait():\n    time.sleep(1)\n');
  write('srcroots/app/routes.py', 'from helpers.slow import wait\n\n\nasync def route():\n    wait()\n');
  const codes = (cwd: string, target: string): string[] =>
    (
      JSON.parse(
        run(['check', '--output-format', 'json', '--select', 'BHD007', '--exit-zero', target], { cwd })
          .stdout,
      ) as { code: string }[]
    ).map((f) => f.code);
  assert.deepEqual(codes(project, 'app'), [], 'without `src`, helpers is not importable from app/');
  fs.writeFileSync(path.join(project, 'pyproject.toml'), '[tool.backend-hang]\nsrc = ["lib"]\n');
  assert.deepEqual(codes(project, 'app'), ['BHD007']);
  assert.deepEqual(codes(path.join(project, 'app'), 'routes.py'), ['BHD007'], 'from inside app/ too');
});

test("BHD007's chain in every format: each hop's path:line:col as the files are shown (full, JSON, SARIF)", () => {
  // store/ has no __init__.py (a namespace package, and a root of its own): the message must still name
  // app/store/client.py, not a bare client.py.
  const project = path.join(dir, 'chainout');
  write('chainout/app/__init__.py', '');
  write('chainout/app/store/client.py', 'import time\n\n\ndef fetch():\n    time.sleep(1)\n');
  write(
    'chainout/app/routes.py',
    'from app.store.client import fetch\n\n\nasync def route():\n    fetch()\n',
  );
  const check = (format: string, cwd = project): string =>
    run(['check', '--no-cache', '--select', 'BHD007', '--exit-zero', '--output-format', format, '.'], { cwd })
      .stdout;
  const full = check('full');
  assert.match(full, /blocks the event loop: → time\.sleep\(\) \(app\/store\/client\.py:5\)/, full);
  assert.match(full, /^ += note: app\/store\/client\.py:4:5 fetch\(\)$/m, full);
  assert.match(full, /^ += note: app\/store\/client\.py:5:5 time\.sleep\(\) blocks$/m, full);
  assert.ok(full.indexOf('= note:') < full.indexOf('help:'), 'the chain comes before the help line');
  const [record] = JSON.parse(check('json')) as {
    file: string;
    related?: { file: string; line: number; column: number; message: string }[];
  }[];
  assert.equal(record!.file, 'app/routes.py');
  assert.deepEqual(
    record!.related?.map((r) => [r.file, r.line, r.column, r.message]),
    [
      ['app/store/client.py', 4, 5, 'fetch()'],
      ['app/store/client.py', 5, 5, 'time.sleep() blocks'],
    ],
  );
  const sarif = JSON.parse(check('sarif')) as {
    runs: {
      results: {
        relatedLocations?: {
          physicalLocation: {
            artifactLocation: { uri: string; uriBaseId?: string };
            region: { startLine: number };
          };
          message: { text: string };
        }[];
      }[];
    }[];
  };
  const related = sarif.runs[0]!.results[0]!.relatedLocations ?? [];
  assert.deepEqual(
    related.map((r) => [
      r.physicalLocation.artifactLocation.uri,
      r.physicalLocation.artifactLocation.uriBaseId,
      r.physicalLocation.region.startLine,
      r.message.text,
    ]),
    [
      ['app/store/client.py', '%SRCROOT%', 4, 'fetch()'],
      ['app/store/client.py', '%SRCROOT%', 5, 'time.sleep() blocks'],
    ],
  );
  // Checked from inside app/ and from above the project: the message and the hops name the files as the
  // output does, from the working directory (not from the project's import roots).
  const shown = (cwd: string, target: string): [string, string | undefined, string[] | undefined] => {
    const [r] = JSON.parse(
      run(['check', '--no-cache', '--select', 'BHD007', '--exit-zero', '--output-format', 'json', target], {
        cwd,
      }).stdout,
    ) as { file: string; message: string; related?: { file: string }[] }[];
    return [r!.file, /\(([^()]*):5\)$/.exec(r!.message)?.[1], r!.related?.map((h) => h.file)];
  };
  assert.deepEqual(shown(path.join(project, 'app'), '.'), [
    'routes.py',
    'store/client.py',
    ['store/client.py', 'store/client.py'],
  ]);
  assert.deepEqual(shown(dir, 'chainout'), [
    'chainout/app/routes.py',
    'chainout/app/store/client.py',
    ['chainout/app/store/client.py', 'chainout/app/store/client.py'],
  ]);
});

test('the caret sits under the finding with tabs, emoji and wide characters before it', () => {
  write('wide/w.py', 'import requests\n\n\ndef f(u):\n\tx = "😀漢"; requests.get(u)\n');
  const lines = run(['check', 'wide/w.py']).stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('5 |'));
  assert.equal(lines[at], '5 | \tx = "😀漢"; requests.get(u)');
  // A tab stays a tab; 😀 and 漢 take two terminal cells each.
  assert.equal(
    lines[at + 1],
    `  | \t${' '.repeat(4 + 1 + 2 + 2 + 3)}${'^'.repeat('requests.get(u)'.length)}`,
  );
});
