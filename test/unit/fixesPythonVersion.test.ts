import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  lowerBoundOf,
  parseVersionSetting,
  pythonVersionForFile,
  requiresPythonOf,
  resolvePythonVersion,
} from '../../src/codeActions/pythonVersion';

test('lower bound of requires-python specifiers', () => {
  const table: [string, [number, number] | undefined][] = [
    ['>=3.8', [3, 8]],
    ['>=3.8,<4', [3, 8]],
    ['<4, >=3.10', [3, 10]],
    ['~=3.7', [3, 7]],
    ['>3.7', [3, 7]],
    ['>3.8', [3, 8]], // admits 3.8.1: no cancel_futures
    ['>3.8.1', [3, 8]],
    ['>=3.8,<4', [3, 8]],
    ['~=3.7', [3, 7]],
    ['>= 3.8', [3, 8]],
    ['!=3.9,>=3.7', [3, 7]],
    ['^3.7 || ^3.10', [3, 7]],
    ['^3.10 | ^3.7', [3, 7]],
    ['>=3.10 || <3', undefined],
    ['==3.11.*', [3, 11]],
    ['^3.8', [3, 8]],
    ['>=3', [3, 0]],
    ['<4', undefined],
    ['!=3.5', undefined],
  ];
  for (const [spec, expected] of table) assert.deepEqual(lowerBoundOf(spec), expected, spec);
});

test('requires-python from [project] or Poetry; other sections ignored', () => {
  assert.equal(requiresPythonOf('[project]\nname = "x"\nrequires-python = ">=3.8"  # comment\n'), '>=3.8');
  assert.equal(requiresPythonOf('[tool.poetry.dependencies]\npython = "^3.7"\n'), '^3.7');
  assert.equal(requiresPythonOf('[tool.other]\nrequires-python = ">=3.6"\n'), undefined);
  assert.equal(requiresPythonOf("[project]\r\nrequires-python = '>=3.10'\r\n"), '>=3.10');
});

test('setting wins, then pyproject, then 3.9', () => {
  assert.deepEqual(parseVersionSetting('3.8'), [3, 8]);
  assert.equal(parseVersionSetting(''), undefined);
  assert.deepEqual(resolvePythonVersion('3.7', '[project]\nrequires-python = ">=3.11"\n'), [3, 7]);
  assert.deepEqual(resolvePythonVersion('', '[project]\nrequires-python = ">=3.11"\n'), [3, 11]);
  assert.deepEqual(resolvePythonVersion('', '[project]\nname = "x"\n'), [3, 9]);
  assert.deepEqual(resolvePythonVersion(undefined, undefined), [3, 9]);
});

test('nearest pyproject.toml up the directory tree', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-pyver-'));
  try {
    fs.mkdirSync(path.join(root, 'app', 'api'), { recursive: true });
    fs.writeFileSync(path.join(root, 'pyproject.toml'), '[project]\nrequires-python = ">=3.8"\n');
    const file = path.join(root, 'app', 'api', 'stream.py');
    assert.deepEqual(pythonVersionForFile(file), [3, 8]);
    fs.writeFileSync(path.join(root, 'app', 'pyproject.toml'), '[project]\nrequires-python = ">=3.12"\n');
    assert.deepEqual(pythonVersionForFile(file), [3, 12]);
    assert.deepEqual(pythonVersionForFile(file, '3.7'), [3, 7]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
