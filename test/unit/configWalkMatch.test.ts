/**
 * The walk's exclusion test asks one combined regex per pattern list (src/config/glob.ts namesMatcher) instead of
 * each pattern in turn: it must answer as `patterns.some((p) => matchesPattern(p, name))` does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesPattern, namesMatcher } from '../../src/config/glob';
import { DEFAULT_EXCLUDE } from '../../src/config/settings';

const NAMES = [
  'build',
  'dist',
  'venv',
  '.venv',
  'venv2',
  'site-packages',
  '__pycache__',
  'x_pb2.py',
  'a.py',
  'a.pyi',
  'b',
  '.git',
  '.github',
  'node_modules',
  'tests',
  'test_a.py',
  '[x]',
  'ab',
  'a?',
  '',
  'build.py',
  'Build',
];
const LISTS: readonly (readonly string[])[] = [
  DEFAULT_EXCLUDE,
  [],
  ['*_pb2.py', './build', 'dist/', '', 'a?', '[!a]*', 'test_*.py'],
  ['vendor/**', 'b'], // a path pattern: the general test
  ['\\[x\\]', '*.pyi', '**'],
];

test('namesMatcher answers as some(matchesPattern) does', () => {
  for (const [i, list] of LISTS.entries()) {
    const any = namesMatcher(list);
    for (const name of NAMES)
      assert.equal(
        any(name),
        list.some((p) => matchesPattern(p, name)),
        `list ${i}, ${JSON.stringify(name)}`,
      );
  }
});

test('matchesPattern: a name pattern matches any part of a path, or the name alone', () => {
  assert.ok(matchesPattern('build', 'build'));
  assert.ok(matchesPattern('build', 'a/build/x.py'));
  assert.ok(!matchesPattern('build', 'a/builds/x.py'));
  assert.ok(matchesPattern('*.py', 'x.py'));
  assert.ok(!matchesPattern('src/legacy', 'legacy'));
});
