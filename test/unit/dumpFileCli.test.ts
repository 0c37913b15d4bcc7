// `backend-hang dump --file` end to end through the bundled CLI (dist/cli.js, built by `node esbuild.mjs`): a
// recorded production dump with its paths mapped (--path-map), the mapping suggested when it is missing,
// Markdown, stdin, and the error for each bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const backend = path.join(ROOT, 'examples', 'news-backend', 'backend');
const fixture = (n: string): string =>
  readFileSync(path.join(ROOT, 'test/fixtures/dumps/foreign', n), 'utf8');

function dump(
  cwd: string,
  args: string[],
  input?: string,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'dump', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    input,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bh-dumpfile-'));
// The dump as a production host wrote it: its own paths (/srv/api/...), which exist nowhere here.
const incident = path.join(tmp, 'incident.txt');
writeFileSync(
  incident,
  fixture('faulthandler-py3.12.txt').replace(/\/work\/main\/examples\/news-backend\/backend/g, '/srv/api'),
);

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('--file with --path-map: the verdict and the static link to the local with line', () => {
  const r = dump(ROOT, [
    '--file',
    incident,
    '--path-map',
    `/srv/api=${path.relative(ROOT, backend)}`,
    '--format',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    source: string;
    format: string;
    findings: { blockingCall: string; static: { code: string; file: string; line: number }[] }[];
  };
  assert.equal(out.source, 'incident.txt');
  assert.equal(out.format, 'faulthandler');
  assert.equal(out.findings[0].blockingCall, 'ThreadPoolExecutor.shutdown');
  assert.equal(out.findings[0].static[0].code, 'BHD001');
  assert.equal(out.findings[0].static[0].file, path.join(backend, 'app/api/routes/stream.py'));
  assert.equal(r.stderr, '', 'nothing left unresolved: no mapping suggested');
});

test('--file without the mapping: still linked by path suffix from the current folder, and the mapping is suggested', () => {
  const r = dump(backend, ['--file', incident]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /EVENT LOOP BLOCKED: Event loop blocked in ThreadPoolExecutor\.shutdown/);
  assert.match(r.stdout, /fix here: .*stream\.py:18:\d+ BHD001/);
  assert.match(r.stdout, /\(from incident\.txt\)/);
  assert.match(
    r.stderr,
    new RegExp(`would open with --path-map /srv/api=${backend.replace(/[/.]/g, '\\$&')}`),
  );
});

test('--file - reads stdin; --format markdown', () => {
  const r = dump(backend, ['--file', '-', '--format', 'markdown'], fixture('pyspy0.4.3-py3.9.txt'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^## Event loop blocked \(stdin/);
  assert.match(r.stdout, /\*\*Fix here:\*\* `app\/api\/routes\/stream\.py:18:\d+` BHD001/);
  assert.match(r.stdout, /> 18 \| +with ThreadPoolExecutor/);
});

test('bad input: a clear message and exit 2 for each', () => {
  const cases: [string[], RegExp, string?][] = [
    [['--file', path.join(tmp, 'missing.txt')], /missing\.txt: no such file/],
    [['--file', tmp], /is a directory, not a dump file/],
    [['--file', '-'], /not a dump this tool reads\. Expected one of: .*faulthandler/, 'hello\n'],
    [['--file', CLI.replace(/cli\.js$/, 'web-tree-sitter.wasm')], /binary file/],
    [['--file', incident, '--path-map', 'nope'], /--path-map must be REMOTE=LOCAL/],
    [['--port', '1'], /no uvicorn, gunicorn or hypercorn process listens on port 1 here/],
  ];
  for (const [args, re, input] of cases) {
    const r = dump(tmp, args, input);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, re, args.join(' '));
  }
});
