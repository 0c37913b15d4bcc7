// Fix safety (src/codeActions/applicability.ts) as a table: which files are test code, which comments say a
// line is deliberate, and what that does to each rule's main fix.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPythonParser, type Parser } from '../../src/python/treeSitter';
import { analyze } from '../../src/diagnostics/analyze';
import { fixesFor, fixOptionsFor } from '../../src/codeActions/fixes';
import { isTestFile } from '../../src/codeActions/applicability';

let parser: Parser;
before(async () => {
  parser = await createPythonParser();
});
after(() => parser.delete());

test('test files: pytest/unittest names, and test directories below the project root only', () => {
  const root = '/home/me/test/proj';
  const cases: [string, boolean][] = [
    ['/home/me/test/proj/app/routes.py', false], // `test` above the project does not count
    ['/home/me/test/proj/tests/test_routes.py', true],
    ['/home/me/test/proj/tests/helpers.py', true],
    ['/home/me/test/proj/app/test_routes.py', true],
    ['/home/me/test/proj/app/routes_test.py', true],
    ['/home/me/test/proj/conftest.py', true],
    ['/home/me/test/proj/app/testing/fakes.py', true],
    ['/home/me/test/proj/app/contest.py', false],
    ['/home/me/test/proj/app/latest_test_results.py', false],
  ];
  for (const [file, expected] of cases) assert.equal(isTestFile(file, root), expected, file);
  // Outside the root (or none): only the file's name and its own directory.
  assert.equal(isTestFile('/elsewhere/tests/x.py', root), true);
  assert.equal(isTestFile('/test/a/b/x.py'), false);
});

/** The applicability of each finding's main fix in `source` (code -> applicability [why]). */
function safety(source: string, testFile = false): string[] {
  const tree = parser.parse(source)!;
  try {
    const options = fixOptionsFor(source, { pythonVersion: [3, 11], testFile });
    return analyze(tree, source).map((f) => {
      const main = fixesFor(f, tree, source, options).find((a) => a.preferred);
      return `${f.code} ${main ? main.applicability : 'none'}${main?.unsafeBecause ? ` [${main.unsafeBecause}]` : ''}`;
    });
  } finally {
    tree.delete();
  }
}

const WITH = (comment: string, above = ''): string =>
  [
    'from concurrent.futures import ThreadPoolExecutor',
    '',
    '',
    'async def h(loop):',
    ...(above ? [`    ${above}`] : []),
    `    with ThreadPoolExecutor() as ex:${comment}`,
    '        return await loop.run_in_executor(ex, len, "x")',
    '',
  ].join('\n');

test('a line commented as deliberate (on it or alone above it) gets no safe fix; a TODO about the bug does', () => {
  assert.deepEqual(safety(WITH('')), ['BHD001 safe']);
  assert.match(
    safety(WITH('  # deliberately blocking: the docs demo'))[0]!,
    /^BHD001 unsafe \[the line is commented as deliberate/,
  );
  assert.match(safety(WITH('', '# Intentional: shows the hang'))[0]!, /^BHD001 unsafe/);
  assert.match(safety(WITH('', '# simulate a stuck request'))[0]!, /^BHD001 unsafe/);
  assert.deepEqual(safety(WITH('  # TODO: this blocks the event loop')), ['BHD001 safe']);
  assert.deepEqual(safety(WITH('', 'x = "deliberately"  # not a comment line of its own')), ['BHD001 safe']);
  assert.match(safety(WITH(''), true)[0]!, /^BHD001 unsafe \[test code may block the loop on purpose\]/);
});

test('each rule: the fixes that change behaviour are unsafe, whatever the file', () => {
  const source = [
    'import time',
    'from concurrent.futures import ThreadPoolExecutor',
    '',
    'import requests',
    '',
    'EX = ThreadPoolExecutor()',
    '',
    '',
    'async def h():',
    '    EX.shutdown()',
    '    fut = EX.submit(len, "x")',
    '    n = fut.result()',
    '    time.sleep(1)',
    '    return n',
    '',
    '',
    'def get(u):',
    '    return requests.get(u)',
    '',
  ].join('\n');
  assert.deepEqual(
    safety(source).map((s) => s.replace(/ \[.*\]$/, '')),
    ['BHD002 unsafe', 'BHD003 safe', 'BHD006 unsafe', 'BHD005 unsafe'],
  );
});
