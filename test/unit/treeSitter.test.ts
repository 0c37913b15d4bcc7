import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPythonParser } from '../../src/python/treeSitter';

test('columns are UTF-16 code units, like VS Code (non-ASCII before the node)', async () => {
  const parser = await createPythonParser();
  const source = 'x = "é😀"; y = 1\n';
  const tree = parser.parse(source)!;
  try {
    const assignment = tree.rootNode.descendantsOfType('assignment')[1]!;
    assert.equal(assignment.startPosition.column, source.indexOf('y = 1'));
    assert.equal(assignment.startIndex, source.indexOf('y = 1'));
  } finally {
    tree.delete();
    parser.delete();
  }
});
