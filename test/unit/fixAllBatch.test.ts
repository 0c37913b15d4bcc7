/**
 * Fix-all is linear in findings (src/codeActions/fixAll.ts): the fixes of a round are checked together, so
 * the number of parses does not grow with the number of findings; an edit whose result would not parse is
 * found among hundreds in a few parses; the result equals fixing the same code a few findings at a time. Parses are counted on web-tree-sitter's Parser (the real parser, only counted).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Parser as TreeSitterParser } from 'web-tree-sitter';
import { createPythonParser, type Parser } from '../../src/python/treeSitter';
import { fixAll } from '../../src/codeActions/fixAll';
import { fixOptionsFor } from '../../src/codeActions/fixes';
import type { TextEdit } from '../../src/codeActions/fixTypes';
import { firstNonOverlapping, parsingTogether, SharedEdits } from '../../src/codeActions/fixBatch';

let parser: Parser;
let parses = 0;
const realParse = TreeSitterParser.prototype.parse;
before(async () => {
  parser = await createPythonParser();
  TreeSitterParser.prototype.parse = function (this: TreeSitterParser, ...args) {
    parses++;
    return realParse.apply(this, args);
  } as typeof realParse;
});
after(() => {
  TreeSitterParser.prototype.parse = realParse;
  parser.delete();
});

/**
 * A handler with a `time.sleep` (BHD006, fix: `await asyncio.sleep`) and a requests call without timeout (BHD005:
 * `timeout=`; BHD006: `await asyncio.to_thread(...)`, both applied to the one call).
 */
const handler = (i: number, fixed = false): string =>
  fixed
    ? `async def handler_${i}(url):\n    await asyncio.to_thread(requests.get, url, timeout=10)\n    await asyncio.sleep(1)\n    x = ${i}\n`
    : `async def handler_${i}(url):\n    requests.get(url)\n    time.sleep(1)\n    x = ${i}\n`;

/** `n` handlers after their imports; `fixed`: as fixing each by hand gives. */
const dense = (n: number, fixed = false): string =>
  `${fixed ? 'import asyncio' : 'import time'}\nimport requests\n\n` +
  Array.from({ length: n }, (_, i) => handler(i, fixed)).join('\n');

function fixCounted(text: string): { parses: number; result: ReturnType<typeof fixAll> } {
  parses = 0;
  const result = fixAll(text, parser, { ...fixOptionsFor(text), unsafeFixes: true });
  return { parses, result };
}

test('fix-all parses a bounded number of times, whatever the number of findings', () => {
  const small = fixCounted(dense(10));
  const large = fixCounted(dense(400));
  // 3 fixes per handler apply (the timeout, the thread and the await), over a few rounds.
  assert.equal(small.result.applied.length, 30);
  assert.equal(large.result.applied.length, 1200);
  assert.ok(
    large.parses <= small.parses + 4,
    `400 handlers took ${large.parses} parses, 10 took ${small.parses}: one check per fix again?`,
  );
  assert.ok(large.parses < 40, `${large.parses} parses`);
  assert.match(large.result.text, /^import asyncio$/m);
  assert.doesNotMatch(
    large.result.text,
    /time\.sleep|^import time$/m,
    'every sleep fixed, `import time` dropped',
  );
  assert.equal((large.result.text.match(/await asyncio\.sleep\(1\)/g) ?? []).length, 400);
});

test('the text is what fixing each handler by hand gives', () => {
  assert.equal(fixCounted(dense(60)).result.text, dense(60, true));
});

test('parsingTogether finds the one edit that breaks the parse among 200, in a few parses', () => {
  const source = Array.from({ length: 200 }, (_, i) => `x_${i} = 1`).join('\n');
  const tree = parser.parse(source)!;
  try {
    const at = (i: number): number => source.indexOf(`x_${i} = 1`) + `x_${i} = `.length;
    const fixes: TextEdit[][] = Array.from({ length: 200 }, (_, i) => [
      { start: at(i), end: at(i) + 1, newText: i === 137 ? '(' : '2' },
    ]);
    const edits = new SharedEdits(fixes);
    parses = 0;
    const good = parsingTogether(tree, source, fixes, edits, (f) => f);
    assert.equal(good.length, 199);
    assert.ok(!good.includes(fixes[137]!));
    assert.ok(parses <= 20, `${parses} parses`);
  } finally {
    tree.delete();
  }
});

test('a file with a syntax error elsewhere: each fix is still checked and applied', () => {
  const text = ['import time', '', 'def broken(:', '    pass', '', dense(30)].join('\n');
  const { result } = fixCounted(text);
  assert.equal((result.text.match(/await asyncio\.sleep\(1\)/g) ?? []).length, 30);
  assert.ok(result.text.includes('def broken(:'), 'the broken def is left as it was');
});

test('firstNonOverlapping keeps the earliest of overlapping spans, touching included, in any order', () => {
  const e = (start: number, end: number): TextEdit[] => [{ start, end, newText: '' }];
  const items = [e(10, 20), e(30, 40), e(20, 25), e(0, 5), e(5, 9), e(41, 41), e(40, 41), e(26, 29)];
  const kept = firstNonOverlapping(items, (x) => x).map((x) => [x[0]!.start, x[0]!.end]);
  assert.deepEqual(kept, [
    [10, 20],
    [30, 40],
    [0, 5],
    [41, 41],
    [26, 29],
  ]);
  // Edits only other fixes share (none of its own) never overlap.
  assert.equal(firstNonOverlapping([e(0, 9), []], (x) => x).length, 2);
});
