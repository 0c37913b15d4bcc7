import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeFixes, fixFiles } from '../../src/cli/fixFiles';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'fixes');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-fixfiles-'));
}

test('fixes in place: mode, CRLF and BOM kept; unchanged files not touched; report lists what changed', async () => {
  const dir = tempDir();
  try {
    const stream = path.join(dir, 'stream.py');
    fs.writeFileSync(stream, fixture('seedStream.in.py'), { mode: 0o640 });
    fs.chmodSync(stream, 0o640);
    const crlf = path.join(dir, 'crlf.py');
    fs.writeFileSync(crlf, fixture('otherRules.in.py').replace(/\n/g, '\r\n'));
    const bom = path.join(dir, 'bom.py');
    fs.writeFileSync(
      bom,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fixture('noAs.in.py'))]),
    );
    const clean = path.join(dir, 'clean.py');
    fs.writeFileSync(clean, fixture('alreadyFixed.in.py'));
    const old = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(clean, old, old);
    const cleanIno = fs.statSync(clean).ino;

    const reports = await fixFiles([stream, crlf, bom, clean], { pythonVersion: '3.11' });
    assert.deepEqual(
      reports.map((r) => [path.basename(r.file), r.status]),
      [
        ['stream.py', 'fixed'],
        ['crlf.py', 'fixed'],
        ['bom.py', 'fixed'],
        ['clean.py', 'unchanged'],
      ],
    );
    assert.deepEqual(reports[0]!.applied, [{ code: 'BHD001', line: 18 }]);
    assert.equal(fs.readFileSync(stream, 'utf8'), fixture('seedStream.out.py'));
    assert.equal(fs.statSync(stream).mode & 0o777, 0o640);
    // --fix applies the safe fixes only (BHD003 here); BHD002/BHD005/BHD006 wait for --unsafe-fixes.
    assert.equal(fs.readFileSync(crlf, 'utf8'), fixture('otherRules.safe.out.py').replace(/\n/g, '\r\n'));
    const bomBytes = fs.readFileSync(bom);
    assert.deepEqual([...bomBytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(bomBytes.subarray(3).toString('utf8'), fixture('noAs.out.py'));
    assert.equal(fs.statSync(clean).mtimeMs, old.getTime(), 'unchanged file not rewritten');
    assert.equal(fs.statSync(clean).ino, cleanIno);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp files left',
    );
    assert.match(
      describeFixes(reports, (f) => path.basename(f))[0]!,
      /^Fixed 1 in stream\.py: BHD001 \(line 18\)$/,
    );

    const again = await fixFiles([stream, crlf, bom], { pythonVersion: '3.11' });
    assert.deepEqual(
      again.map((r) => r.status),
      ['unchanged', 'unchanged', 'unchanged'],
      'idempotent on disk',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('non-UTF-8, declared latin-1 and missing files: clear error, bytes untouched', async () => {
  const dir = tempDir();
  try {
    const latin1 = path.join(dir, 'latin1.py');
    const bytes = Buffer.concat([
      Buffer.from('import requests\n# caf'),
      Buffer.from([0xe9]),
      Buffer.from('\nr = requests.get("u")\n'),
    ]);
    fs.writeFileSync(latin1, bytes);
    const declared = path.join(dir, 'declared.py');
    const declaredText = '# -*- coding: latin-1 -*-\nimport requests\nr = requests.get("é")\n';
    fs.writeFileSync(declared, declaredText);
    const missing = path.join(dir, 'missing.py');
    const reports = await fixFiles([latin1, declared, missing]);
    assert.deepEqual(
      reports.map((r) => r.status),
      ['error', 'error', 'error'],
    );
    assert.match(reports[0]!.error!, /latin1\.py: not UTF-8 text; left untouched/);
    assert.match(reports[1]!.error!, /not UTF-8/);
    assert.match(reports[2]!.error!, /missing\.py: no such file/);
    assert.deepEqual(fs.readFileSync(latin1), bytes);
    assert.equal(fs.readFileSync(declared, 'utf8'), declaredText);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a symlinked file is fixed through the link (the link stays a link)', async () => {
  const dir = tempDir();
  try {
    const real = path.join(dir, 'real.py');
    fs.writeFileSync(real, fixture('noAs.in.py'));
    const link = path.join(dir, 'link.py');
    fs.symlinkSync(real, link);
    const [report] = await fixFiles([link]);
    assert.equal(report!.status, 'fixed');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(real, 'utf8'), fixture('noAs.out.py'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pre-3.9 target from the nearest pyproject.toml', async () => {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[project]\nrequires-python = ">=3.8"\n');
    fs.mkdirSync(path.join(dir, 'app'));
    const file = path.join(dir, 'app', 'stream.py');
    fs.writeFileSync(file, fixture('preThreeNine.in.py'));
    await fixFiles([file]);
    assert.equal(fs.readFileSync(file, 'utf8'), fixture('preThreeNine.out.py'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a read-only file is reported and left untouched (rename would otherwise replace it)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-fixro-'));
  try {
    const file = path.join(dir, 'stream.py');
    const source = fs.readFileSync(path.join(FIXTURES, 'seedStream.in.py'), 'utf8');
    fs.writeFileSync(file, source);
    fs.chmodSync(file, 0o444);
    const [report] = await fixFiles([file]);
    assert.equal(report!.status, 'error');
    assert.equal(report!.error, `${file}: read-only; left untouched`);
    assert.equal(fs.readFileSync(file, 'utf8'), source);
    assert.equal(fs.statSync(file).mode & 0o777, 0o444);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left behind',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('describeFixes: past ten fixes in a file, the line counts the rest per rule', () => {
  const applied = [
    ...Array.from({ length: 8 }, (_, i) => ({ code: 'BHD006' as const, line: i + 1 })),
    ...Array.from({ length: 500 }, (_, i) => ({ code: 'BHD005' as const, line: 100 + i })),
    { code: 'BHD007' as const, line: 900 },
  ];
  const [line] = describeFixes([{ file: 'big.py', status: 'fixed', applied, declined: [] }]);
  assert.equal(
    line,
    'Fixed 509 in big.py: ' +
      [
        ...Array.from({ length: 8 }, (_, i) => `BHD006 (line ${i + 1})`),
        'BHD005 (line 100)',
        'BHD005 (line 101)',
        '498 more BHD005',
        '1 more BHD007',
      ].join(', '),
  );
});

test('BHD007 fixes read the fixed file from the round, not from disk once per chain; later files see it fixed', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'routes.py');
  const lines = [
    'import time',
    '',
    'def helper():',
    '    time.sleep(1)',
    '',
    'def mid():',
    '    helper()',
    '',
  ];
  for (let i = 0; i < 300; i++) lines.push(`async def route_${i}():`, '    mid()', '');
  fs.writeFileSync(file, lines.join('\n'));
  // A second file whose route reaches the first file's helper.
  const other = path.join(dir, 'other.py');
  fs.writeFileSync(other, 'from routes import mid\n\n\nasync def other_route():\n    mid()\n');
  // The fs module object the sources' `import * as fs` reads through (an ES import binding cannot be assigned).
  const nodeFs = require('node:fs') as { readFileSync: typeof fs.readFileSync };
  const realRead = nodeFs.readFileSync;
  let reads = 0;
  nodeFs.readFileSync = ((p: fs.PathOrFileDescriptor, ...rest: []) => {
    if (p === file) reads++;
    return realRead(p, ...rest);
  }) as typeof fs.readFileSync;
  let reports;
  try {
    try {
      reports = await fixFiles([file, other], { unsafeFixes: true, srcRoots: [dir] });
    } finally {
      nodeFs.readFileSync = realRead;
    }
    assert.deepEqual(
      reports.map((r) => [path.basename(r.file), r.status, r.applied.length]),
      [
        ['routes.py', 'fixed', 300],
        ['other.py', 'fixed', 1],
      ],
    );
    assert.ok(reads <= 3, `routes.py read from disk ${reads} times`);
    assert.equal((fs.readFileSync(file, 'utf8').match(/await asyncio\.to_thread\(mid\)/g) ?? []).length, 300);
    assert.match(fs.readFileSync(other, 'utf8'), /await asyncio\.to_thread\(mid\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
