/**
 * Region parsing (src/diagnostics/regions.ts) must find exactly what a full parse finds: checked on every
 * Python file of the fixtures and the demo app, on synthetic files mixing kept and blanked statements, and on
 * the lexer's edge cases (strings spanning lines, decorators, clauses, continuations, CRLF).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkSource } from '../../src/diagnostics/analyze';
import { planCheck } from '../../src/diagnostics/regions';
import { topLevelStarts } from '../../src/python/lexer';

const repo = path.join(__dirname, '../../..');

function pythonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.pyi?$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

async function assertSameAsFullParse(source: string, label: string): Promise<void> {
  const region = await checkSource(source);
  const full = await checkSource(source, { regions: false });
  assert.deepEqual(region, full, label);
}

test('region parse == full parse on every fixture file and the demo app', async () => {
  const files = [
    ...pythonFiles(path.join(repo, 'test/fixtures')),
    ...pythonFiles(path.join(repo, 'examples/news-backend')),
  ];
  assert.ok(files.length > 10, `expected fixture files, found ${files.length}`);
  let withFindings = 0;
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8');
    await assertSameAsFullParse(source, file);
    if ((await checkSource(source, { regions: false })).length > 0) withFindings++;
  }
  assert.ok(withFindings > 5, `fixtures with findings: ${withFindings}`);
});

const MIXED = [
  '"""Module docstring',
  'def not_a_statement():  (inside the docstring)',
  '"""',
  'import time, requests',
  'from concurrent.futures import ThreadPoolExecutor as TPE',
  'POOL = TPE(2)',
  '',
  '@decorator',
  '@other(',
  '    1)',
  'async def decorated():',
  '    with TPE() as ex:',
  "        x = '''",
  'class Fake:',
  "'''",
  '        time.sleep(1)',
  '',
  'def unrelated(a, b):',
  '    return a + b',
  '',
  'class Holder:',
  '    def __init__(self):',
  '        self.pool = TPE(4)',
  '    async def stop(self):',
  '        self.pool.shutdown()',
  '',
  'try:',
  '    import ujson as json',
  'except ImportError:',
  '    import json',
  '',
  'def fetch(url):',
  '    return requests.get(url, \\',
  '        headers={})',
  '',
  'def helper():',
  '    # a comment at column 0 follows',
  '# column 0 comment',
  '    return 1',
  '',
  'async def later():',
  '    x = [',
  'requests.post("u")]',
  '    return x',
].join('\n');

test('region parse == full parse on a file mixing kept and blanked statements (LF and CRLF)', async () => {
  const full = await checkSource(MIXED, { regions: false });
  assert.deepEqual(
    full.map((f) => `${f.code} ${f.range.start.row}`),
    ['BHD001 11', 'BHD006 15', 'BHD002 24', 'BHD005 32', 'BHD005 42', 'BHD006 42'],
  );
  const plan = planCheck(MIXED);
  assert.ok(plan.parse && plan.pieces, 'parsed in part');
  const region = plan.text;
  assert.ok(!region.includes('def unrelated'), 'an unrelated def is left out');
  assert.ok(region.includes('def __init__'), 'a class with an executor shutdown in async code is kept');
  await assertSameAsFullParse(MIXED, 'LF');
  await assertSameAsFullParse(MIXED.replace(/\n/g, '\r\n'), 'CRLF');
});

test('topLevelStarts: decorators and clauses join their statement; strings and brackets hide line starts', () => {
  const src = [
    '@d',
    'def f(',
    'x): pass',
    'if a:',
    '  pass',
    'else:',
    '  pass',
    's = """',
    'y = 1',
    '"""',
    'z',
  ].join('\n');
  const starts = topLevelStarts(src)!.map((i) =>
    src.slice(i, src.indexOf('\n', i) < 0 ? undefined : src.indexOf('\n', i)),
  );
  assert.deepEqual(starts, ['@d', 'if a:', 's = """', 'z']);
  assert.equal(topLevelStarts('x = (1,\n'), undefined, 'unclosed bracket: full parse');
  assert.equal(topLevelStarts('x = """never closed\n'), undefined, 'unterminated string: full parse');
  assert.deepEqual(planCheck('import time\n'), { parse: false }, 'no call at all: nothing to parse');
});

test('a syntax error in a kept statement falls back to the full parse', async () => {
  const source = [
    'import time',
    'def unrelated():',
    '    return 1',
    'async def broken(:',
    '    time.sleep(1)',
    'async def fine():',
    '    time.sleep(2)',
  ].join('\n');
  await assertSameAsFullParse(source, 'syntax error');
  assert.ok((await checkSource(source)).some((f) => f.range.start.row === 6));
});
