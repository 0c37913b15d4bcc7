/**
 * The per-tree lookups fixes use on every finding (importEdit's import list, deliberateComment's comment search):
 * the same answers as a fresh walk, and nothing carried from one tree to the next parse.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPythonParser, type Node, type Parser } from '../../src/python/treeSitter';
import { importEdit } from '../../src/codeActions/imports';
import { deliberateComment } from '../../src/codeActions/applicability';
import type { Finding } from '../../src/diagnostics/types';

let parser: Parser;
before(async () => {
  parser = await createPythonParser();
});
after(() => parser.delete());

/** The first node of `type` whose text is `text`. */
function find(root: Node, type: string, text: string): Node {
  const node = root.descendantsOfType(type).find((n) => n.text === text);
  assert.ok(node, `${type} ${text}`);
  return node;
}

test('importEdit: a function-level import reaches only later code in that function (and nested defs)', () => {
  const source = [
    'def f():',
    '    a()',
    '    import asyncio as aio',
    '    b()',
    '    def g():',
    '        c()',
    'def h():',
    '    d()',
    'if TYPE_CHECKING:',
    '    import asyncio as tc',
    '',
  ].join('\n');
  const tree = parser.parse(source)!;
  try {
    const at = (text: string) => importEdit(tree, source, 'asyncio', '\n', find(tree.rootNode, 'call', text));
    assert.equal(at('a()').name, 'asyncio');
    assert.ok(at('a()').edit);
    assert.deepEqual(at('b()'), { name: 'aio' });
    assert.deepEqual(at('c()'), { name: 'aio' });
    assert.equal(at('d()').name, 'asyncio');
    assert.ok(at('d()').edit);
    assert.ok(importEdit(tree, source, 'asyncio', '\n').edit); // no `at`: only module-level imports count
  } finally {
    tree.delete();
  }
});

test('importEdit: the import list is per tree (a re-parse after an edit sees the new import)', () => {
  const before = 'x = 1\n';
  const t1 = parser.parse(before)!;
  const after = 'import asyncio as aio\nx = 1\n';
  const t2 = parser.parse(after)!;
  try {
    assert.equal(importEdit(t1, before, 'asyncio', '\n').name, 'asyncio');
    assert.ok(importEdit(t1, before, 'asyncio', '\n').edit);
    assert.deepEqual(importEdit(t2, after, 'asyncio', '\n'), { name: 'aio' });
    assert.deepEqual(importEdit(t2, after, 'time', '\n').edit?.newText, 'import time\n');
  } finally {
    t1.delete();
    t2.delete();
  }
});

test('deliberateComment: same line, last line, own line above; not a trailing comment above, not farther', () => {
  const source = [
    '# deliberately far above', // 0
    'x = 1',
    'y = 2  # on purpose, for y', // 2: trailing comment on the line above the finding: does not count
    'time.sleep(1)',
    '# intentional: own line above', // 4
    'time.sleep(2)',
    'time.sleep(3)  # simulated load',
    'f(',
    '  a,',
    ')  # by design',
    'time.sleep(4)',
    '',
  ].join('\n');
  const tree = parser.parse(source)!;
  try {
    const at = (text: string): string | undefined => {
      const node = find(tree.rootNode, 'call', text);
      const finding = { startIndex: node.startIndex, endIndex: node.endIndex } as Finding;
      return deliberateComment(finding, tree, source);
    };
    assert.equal(at('time.sleep(1)'), undefined);
    assert.equal(at('time.sleep(2)'), '# intentional: own line above');
    assert.equal(at('time.sleep(3)'), '# simulated load');
    assert.equal(at('f(\n  a,\n)'), '# by design');
    assert.equal(at('time.sleep(4)'), undefined);
  } finally {
    tree.delete();
  }
});
