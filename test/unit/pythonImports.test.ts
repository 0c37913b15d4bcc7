/**
 * The one import reader (src/python/imports.ts), as a table: statement -> the names it binds, with module,
 * member, level and the item node's text; and its users (the rules' import table, the fixes' top-level names
 * and import removal) agreeing with it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPythonParser, type Parser } from '../../src/python/treeSitter';
import { qualifiedName, readImport, readImports } from '../../src/python/imports';
import { collectImports, qualify } from '../../src/python/scope';
import { moduleImportedNames } from '../../src/codeActions/pythonTree';
import { importRemovalEdit } from '../../src/codeActions/imports';
import { applyEdits } from '../../src/codeActions/fixes';

let parser: Parser;
before(async () => {
  parser = await createPythonParser();
});
after(() => parser.delete());

/** Each binding as `local=qualified (module|member|level) [item text]`, plus `*module` for a star import. */
function read(source: string): string[] | undefined {
  const tree = parser.parse(source)!;
  try {
    const statement = readImport(tree.rootNode.namedChildren[0]!);
    if (!statement) return undefined;
    const names = statement.names.map(
      (n) => `${n.local}=${qualifiedName(n)} (${n.module}|${n.member ?? '-'}|${n.level}) [${n.node.text}]`,
    );
    return statement.star ? [`*${'.'.repeat(statement.level)}${statement.module}`, ...names] : names;
  } finally {
    tree.delete();
  }
}

const TABLE: [string, string[] | undefined][] = [
  ['import os', ['os=os (os|-|0) [os]']],
  ['import os.path, sys', ['os=os (os.path|-|0) [os.path]', 'sys=sys (sys|-|0) [sys]']],
  ['import os . path', ['os=os (os.path|-|0) [os . path]']],
  [
    'import concurrent.futures as cf',
    ['cf=concurrent.futures (concurrent.futures|-|0) [concurrent.futures as cf]'],
  ],
  ['from time import sleep', ['sleep=time.sleep (time|sleep|0) [sleep]']],
  [
    'from concurrent.futures import (ThreadPoolExecutor as TPE,  # é😀\n  wait)',
    [
      'TPE=concurrent.futures.ThreadPoolExecutor (concurrent.futures|ThreadPoolExecutor|0) [ThreadPoolExecutor as TPE]',
      'wait=concurrent.futures.wait (concurrent.futures|wait|0) [wait]',
    ],
  ],
  ['from . import helpers', ['helpers=.helpers (|helpers|1) [helpers]']],
  ['from ..pkg.mod import f as g', ['g=..pkg.mod.f (pkg.mod|f|2) [f as g]']],
  ['from ...a import b', ['b=...a.b (a|b|3) [b]']],
  ['from pip._vendor import requests', ['requests=pip._vendor.requests (pip._vendor|requests|0) [requests]']],
  ['from asyncio import *', ['*asyncio']],
  ['from .mod import *', ['*.mod']],
  // Not imports to this reader: tree-sitter gives `from __future__` its own statement type.
  ['from __future__ import annotations', undefined],
  ['x = 1', undefined],
];

for (const [source, expected] of TABLE) {
  test(`readImport: ${JSON.stringify(source)}`, () => {
    assert.deepEqual(read(source), expected);
  });
}

test('readImports skips other statements and keeps source order', () => {
  const tree = parser.parse('"""doc"""\nimport a\nx = 1\nfrom b import c\n')!;
  try {
    const statements = readImports(tree.rootNode.namedChildren);
    assert.deepEqual(
      statements.map((s) => [s.from, s.module, s.names.map((n) => n.local)]),
      [
        [false, '', ['a']],
        [true, 'b', ['c']],
      ],
    );
  } finally {
    tree.delete();
  }
});

const MODULE = [
  'from __future__ import annotations',
  'import os.path, sys as system',
  'from pip._vendor import requests',
  'from concurrent.futures import ThreadPoolExecutor as TPE, wait',
  'from .local import helper',
  'from asyncio import *',
  'try:',
  '    import ujson as json',
  'except ImportError:',
  '    import json',
  'def f():',
  '    from time import sleep',
  '',
].join('\n');

test("the rules' import table: nested imports, vendoring stripped, relative imports left out, a def's own apart", () => {
  const tree = parser.parse(MODULE)!;
  try {
    const table = collectImports(tree, MODULE);
    assert.deepEqual(Object.fromEntries(table.names), {
      os: 'os',
      system: 'sys',
      requests: 'requests',
      TPE: 'concurrent.futures.ThreadPoolExecutor',
      wait: 'concurrent.futures.wait',
      json: 'json',
    });
    assert.deepEqual(table.starModules, ['asyncio']);
    // `from time import sleep` in f binds in f only: resolved there, not at module level.
    assert.deepEqual(
      [...(table.local ?? [])].map(([k, v]) => [k, [...v]]),
      [['sleep', ['time.sleep']]],
    );
    const inF = tree.rootNode.descendantsOfType('identifier').find((n) => n?.text === 'sleep');
    assert.equal(
      qualify(inF!, table, () => false),
      'time.sleep',
    );
  } finally {
    tree.delete();
  }
});

test("the fixes' top-level names: only module-level statements, relative ones too", () => {
  const tree = parser.parse(MODULE)!;
  try {
    assert.deepEqual(Object.fromEntries(moduleImportedNames(tree.rootNode)), {
      os: 'os',
      system: 'sys',
      requests: 'pip._vendor.requests',
      TPE: 'concurrent.futures.ThreadPoolExecutor',
      wait: 'concurrent.futures.wait',
      helper: '.local.helper',
    });
  } finally {
    tree.delete();
  }
});

test('import removal takes the item the reader found, with its comma', () => {
  const cases: [string, string, string | undefined][] = [
    ['import os, time\nx = 1\n', 'time', 'import os\nx = 1\n'],
    ['import time, os\n', 'time', 'import os\n'],
    ['from a import (b,\n  time as t)\n', 't', 'from a import (b)\n'],
    ['import time  # why\nx = 1\n', 'time', 'x = 1\n'],
    ['from time import *\n', 'time', undefined],
    ['import time; x = 1\n', 'time', undefined],
  ];
  for (const [source, name, expected] of cases) {
    const tree = parser.parse(source)!;
    try {
      const edit = importRemovalEdit(tree, source, name);
      assert.equal(edit && applyEdits(source, [edit]), expected, source);
    } finally {
      tree.delete();
    }
  }
});
