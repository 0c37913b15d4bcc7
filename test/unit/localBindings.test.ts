/**
 * Local bindings that shadow an import or a module-level def (../../src/python/localBindings): where a name
 * binds, and that asking about every call of a file costs work linear in its calls (a file of thousands of
 * `time.sleep` calls once compared each call with every other occurrence: 10^8 wasm calls).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Node as TreeSitterNode } from 'web-tree-sitter';
import { createPythonParser, type Parser } from '../../src/python/treeSitter';
import { bindingPlace, scanned } from '../../src/python/localBindings';
import { analyze, checkSource } from '../../src/diagnostics/analyze';
import { fixesFor, fixOptionsFor } from '../../src/codeActions/fixes';
import { ProjectIndex } from '../../src/diagnostics/callGraph/projectIndex';

let parser: Parser;
before(async () => {
  parser = await createPythonParser();
});
after(() => parser.delete());

test('bindingPlace: parameters, targets, defs, comprehension variables bind; uses and imports do not', () => {
  const source = [
    'import requests',
    'def f(a, b: int, c=1, *d, e: int = 2, **g):',
    '    h = 1',
    '    i, (j, *k) = t',
    '    for m in x: pass',
    '    with cm as (n, o): pass',
    '    (p := 3)',
    '    def q(): pass',
    '    global r',
    '    [s for s in y]',
    '    use(u, v.w)',
    '',
  ].join('\n');
  const tree = parser.parse(source)!;
  try {
    /** Where the identifier `name` at the first `probe` (the name and what follows it) binds. */
    const place = (probe: string, name = probe.replace(/[^A-Za-z_]+$/, '')): string => {
      assert.ok(source.includes(probe), probe);
      const at = source.indexOf(probe) + probe.indexOf(name);
      const node = tree.rootNode.descendantForIndex(at, at + name.length);
      assert.equal(node?.text, name);
      const found = bindingPlace(node!);
      if (!found) return 'none';
      if (found.kind === 'comprehension') return 'comprehension';
      const scope = found.scope
        ? (found.scope.childForFieldName('name')?.text ?? found.scope.type)
        : 'module';
      return `${found.kind}:${scope}`;
    };
    const bound: [string, string][] = [
      ['(a,', 'a'],
      ['b:', 'b'],
      ['c=', 'c'],
      ['*d', 'd'],
      ['e:', 'e'],
      ['**g', 'g'],
      ['h =', 'h'],
      ['i,', 'i'],
      ['(j', 'j'],
      ['*k)', 'k'],
      ['m in', 'm'],
      ['(n,', 'n'],
      ['o)', 'o'],
      ['p :=', 'p'],
      ['q(', 'q'],
    ];
    for (const [probe, name] of bound) assert.equal(place(probe, name), 'scope:f', probe);
    assert.equal(place('f('), 'scope:module');
    assert.equal(place('r\n', 'r'), 'declared:f');
    assert.equal(place('s in', 's'), 'comprehension');
    assert.equal(place('requests'), 'none', 'an import is read by the import tables');
    assert.equal(place('u,', 'u'), 'none');
    assert.equal(place('w)', 'w'), 'none');
  } finally {
    tree.delete();
  }
});

/** Reads of Node's `endIndex` getter (each a wasm call; `startIndex` is a plain field) while `run` runs. */
async function nodeReads(run: () => Promise<unknown>): Promise<number> {
  const proto = TreeSitterNode.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, 'endIndex')!;
  assert.ok(original.get, 'endIndex is a getter');
  let reads = 0;
  Object.defineProperty(proto, 'endIndex', {
    ...original,
    get(this: TreeSitterNode) {
      reads++;
      return original.get!.call(this);
    },
  });
  try {
    await run();
  } finally {
    Object.defineProperty(proto, 'endIndex', original);
  }
  return reads;
}

test('shadowing is asked at a cost linear in the calls (4x the calls: not 16x the node reads)', async () => {
  const file = (n: number): string => {
    const lines = ['import time', ''];
    for (let i = 0; i < n; i++)
      lines.push(`def g${i}(x):`, `    if x:`, `        return g${(i * 7) % n}(x - 1)`, `    time.sleep(0)`);
    lines.push('async def a():', '    g1(1)', '');
    return lines.join('\n');
  };
  const work = async (n: number): Promise<number> =>
    nodeReads(async () => {
      const findings = await checkSource(file(n), {
        project: new ProjectIndex({ roots: ['/nonexistent'], stable: true }),
        file: '/nonexistent/m.py',
      });
      assert.deepEqual(
        findings.map((f) => f.code),
        ['BHD007'],
      );
    });
  const small = await work(150);
  const large = await work(600);
  assert.ok(large < small * 6, `node reads: ${small} for 150 defs, ${large} for 600`);
});

test('a name used (not bound) thousands of times: checks and fixes stay linear (4x the calls: not 16x the node reads)', async () => {
  // `time.sleep(0); xs.append(time)`: every `time` may bind by its text; each is asked of the tree once per
  // file, and the fixes (one `importEdit` per finding) share what was read.
  const file = (n: number): string =>
    [
      'import time',
      '',
      'async def handler(xs):',
      ...Array.from({ length: n }, () => '    time.sleep(0); xs.append(time)'),
      '',
    ].join('\n');
  let chars = 0;
  const work = async (n: number): Promise<number> =>
    nodeReads(async () => {
      scanned.chars = 0;
      const source = file(n);
      const tree = parser.parse(source)!;
      try {
        const findings = analyze(tree, source);
        assert.equal(findings.length, n);
        const options = fixOptionsFor(source, {});
        for (const finding of findings) assert.ok(fixesFor(finding, tree, source, options).length > 0);
        chars = scanned.chars / source.length;
      } finally {
        tree.delete();
      }
    });
  const small = await work(100);
  const smallScans = chars;
  const large = await work(400);
  assert.ok(large < small * 6, `node reads: ${small} for 100 calls, ${large} for 400`);
  // The scope texts scanned for candidate bindings: a few times the file, not once per finding.
  assert.ok(
    chars < 10 && smallScans < 10,
    `texts scanned: ${smallScans}x the file for 100 calls, ${chars}x for 400`,
  );
});
