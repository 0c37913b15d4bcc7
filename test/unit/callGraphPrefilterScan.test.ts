/**
 * BHD007's pre-filter looks for calls in async code with one identifier scan and a set lookup
 * (src/diagnostics/callGraph/asyncCalls.ts callsInAsync). It must see the same calls, in the same order, as the
 * alternation regex it replaced: the questions it asks (`keep`) have side effects in the project index (its
 * may-block answers are cached in the order they are asked), so even the order matters. Checked against that
 * regex on systematic snippets and on every fixture file, and the lexer/import caches of ../regions return
 * what a fresh computation does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { namesSync } from '../../src/diagnostics/callGraph/syncNames';
import {
  callsInAsync,
  definedAt,
  directlyAwaited,
  inLambdaBody,
} from '../../src/diagnostics/callGraph/asyncCalls';
import {
  consumedAt,
  enteredAt,
  madeUse,
  methodOfResult,
  useShape,
} from '../../src/diagnostics/callGraph/callShape';
import { importBindings } from '../../src/python/importText';
import { asyncLocator, lexTopLevel } from '../../src/python/lexer';

const repo = path.join(__dirname, '../../..');
const escape = (w: string): string => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The alternation regex the scan replaced (the reference), with what was added since: calls `await` takes
 * as its operand are skipped (directlyAwaited, tested below), and `keep` learns how the name is used
 * (useShape, tested below: called, or a dotted callee's attributes; no question when no call starts there).
 */
function byRegex(
  code: string,
  names: readonly string[],
  asyncAt: (index: number) => boolean,
  keep: (name: string, call: boolean, tail: readonly string[] | undefined, viaSelf: boolean) => boolean,
): boolean {
  const call = new RegExp(
    `(?<![A-Za-z0-9_.])(?:(?:self|cls)[ \\t\\r\\n\\\\]*\\.[ \\t\\r\\n\\\\]*)?(${names.map(escape).join('|')})(?![A-Za-z0-9_])[ \\t\\r\\n\\\\]*[(.]`,
    'g',
  );
  for (const m of code.matchAll(call)) {
    const end = m.index + m[0].length - 1; // at the `(` or `.`, spaces before it are gaps
    // A def's or class's own name (definedAt, tested below) is no call.
    if (m[0].startsWith(m[1]!) && definedAt(code, m.index)) continue;
    if (!asyncAt(m.index) || directlyAwaited(code, m.index, end)) continue;
    const shape = useShape(code, !m[0].startsWith(m[1]!), end);
    if (shape === null) continue;
    // A `with` item of a plain name (enteredAt, tested below) is asked about as a whole name.
    const viaSelf = !m[0].startsWith(m[1]!);
    const entered = !viaSelf && (shape.tail ?? []).length === 0 && enteredAt(code, m.index);
    if (keep(m[1]!, entered ? false : shape.call, entered ? undefined : shape.tail, viaSelf)) return true;
    // `C(...).f(`: then the method of the instance made there, as `C.f(` (madeUse, tested below).
    const made = viaSelf ? null : madeUse(code, m[1]!, shape.tail, end);
    if (made && keep(m[1]!, false, made.tail, false)) return true;
  }
  return false;
}

/** Both versions' answers and the sequence of questions they asked. */
function compare(
  code: string,
  names: readonly string[],
  yes: (name: string) => boolean,
  label: string,
): void {
  const lexed = lexTopLevel(code);
  const locator = lexed ? asyncLocator(lexed.code, lexed.lines) : undefined;
  const asyncAt = locator ?? ((): boolean => true);
  const text = lexed?.code ?? code;
  const run = (f: typeof byRegex): { result: boolean; asked: string[] } => {
    const asked: string[] = [];
    const result = f(
      text,
      names,
      (i) => {
        asked.push(`@${i}:${asyncAt(i)}`);
        return asyncAt(i);
      },
      (name, call, tail, viaSelf) => {
        asked.push(`${viaSelf ? 'self.' : ''}${name}${call ? '(' : '.'}${tail?.join('.') ?? '?'}`);
        return yes(name);
      },
    );
    // Positions may differ only within a line (the regex starts at a `self.` prefix): compare answers. The
    // scan asks nothing outside the async ranges, where every answer is false: only the true ones compare.
    return {
      result,
      asked: asked
        .map((a) => (a.startsWith('@') ? a.replace(/^@\d+/, '@') : a))
        .filter((a) => a !== '@:false'),
    };
  };
  // The scan over the locator's async ranges only (the whole text without a locator).
  const scan: typeof byRegex = (c, n, a, k) => callsInAsync(c, n, a, k, locator?.ranges);
  if (names.includes('self') || names.includes('cls')) {
    // Then the pre-filter asks about every name first and passes the candidates with a `keep` that is always
    // true (a `self.x` call is one match of `self` or of `x`): only the answer counts.
    const candidates = names.filter(yes);
    if (candidates.length === 0) return; // not asked then (an empty alternation would match anywhere)
    assert.equal(
      scan(text, candidates, asyncAt, () => true),
      byRegex(text, candidates, asyncAt, () => true),
      label,
    );
    return;
  }
  assert.deepEqual(run(scan), run(byRegex), label);
}

const SNIPPETS = [
  'async def f():\n    helper()\n',
  'async def f():\n    self.helper()\n    cls . helper ()\n',
  'async def f():\n    x.helper()\n    x. helper()\n    x .helper()\n',
  'async def f():\n    myself.helper()\n    a.self.helper()\n    self.self.helper()\n',
  'async def f():\n    helper2()\n    _helper()\n    helper.sub()\n    helper\t(\n        1)\n',
  'def g():\n    helper()\nasync def f():\n    def inner():\n        helper()\n    return other()\n',
  'async def f():\n    é.helper()\n    éhelper()\n    helperé()\n',
  'class C:\n    async def f(self):\n        self.helper(); cls.other(); self.  other.x()\n',
  'async def f():\n    s = "helper()"  # helper()\n    return [helper(x) for x in other(y)]\n',
  'async def f():\n    await helper()\n    self.helper.other()\n    self\n    .helper()\n',
  // line continuations between the name, the dot and the call (what Python joins into one line)
  'async def f():\n    helper \\\n        (1)\n    x \\\n        .helper()\n    self. \\\n        other()\n',
];
const NAME_SETS: readonly (readonly string[])[] = [
  ['helper'],
  ['helper', 'other'],
  ['other', 'helper', 'helper2', 'sub'],
  ['self', 'helper', 'other'],
  ['cls', 'helper'],
  ['x', 'helper', 'inner', 'g', 'f'],
  ['he.per', 'helper'], // not a word: the regex path
  ['é', 'helper', 'helperé'],
];

test('callsInAsync: same calls, same questions, same order as the alternation regex', () => {
  for (const [s, snippet] of SNIPPETS.entries())
    for (const [n, names] of NAME_SETS.entries())
      for (const yes of [
        (): boolean => false,
        (): boolean => true,
        (name: string): boolean => name === 'other',
        (name: string): boolean => name === 'helper',
      ])
        compare(snippet, names, yes, `snippet ${s}, names ${n}`);
});

test('callsInAsync: same as the regex on every fixture file', () => {
  const dirs = [path.join(repo, 'test/fixtures'), path.join(repo, 'examples')];
  let files = 0;
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !/\.pyi?$/.test(e.name)) continue;
      const source = fs.readFileSync(path.join(e.parentPath, e.name), 'utf8');
      const code = lexTopLevel(source)?.code ?? source;
      const names = new Set<string>();
      for (const m of code.matchAll(/(?<![A-Za-z0-9_])(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)/g))
        names.add(m[1]!);
      for (const b of importBindings(code)) if (b.local !== '*') names.add(b.local);
      if (names.size === 0) continue;
      files++;
      const list = [...names];
      const every3rd = (name: string): boolean => list.indexOf(name) % 3 === 2;
      compare(source, list, () => false, e.name);
      compare(source, list, every3rd, e.name);
    }
  }
  assert.ok(files > 10, `expected fixture files, found ${files}`);
});

test('enteredAt and consumedAt read what the text before a call does with its result', () => {
  const at = (code: string): number => code.indexOf('f(');
  const entered = (code: string): boolean => enteredAt(code, at(code));
  const consumed = (code: string): boolean => consumedAt(code, at(code));
  assert.ok(entered('    with f():'));
  assert.ok(entered('    with \\\n        f() as x:'));
  assert.ok(!entered('    async with f():'), 'async with awaits __aenter__');
  assert.ok(!entered('    x = f()'));
  assert.ok(!entered('    with g(), f():'), 'only the first item is read');
  assert.ok(!entered('    withf()'.replace('withf', 'with_f')));
  for (const yes of [
    'for x in f():',
    '[x for x in f()]',
    'if 1 in f():',
    'with f():',
    'yield from f()',
    'list(f())',
    'sorted( f())',
    '", ".join(f())',
    'next(f())',
  ])
    assert.ok(consumed(yes), yes);
  for (const no of [
    'x = f()',
    'return f()',
    'print(f())',
    'self.list(f())',
    'g(f())',
    'within f()',
    'x = f()',
  ])
    assert.ok(!consumed(no), no);
});

/** The regex namesSync replaced: a whole word `name` that is not an `async def`'s name. */
function namesByRegex(code: string, name: string): boolean {
  const word = new RegExp(`(?<![A-Za-z0-9_])${escape(name)}(?![A-Za-z0-9_])`, 'g');
  const asyncBefore = /(?<![A-Za-z0-9_.])async(?:[ \t]|\\\r?\n)+def[ \t]+$/;
  for (const m of code.matchAll(word))
    if (!asyncBefore.test(code.slice(Math.max(0, m.index - 60), m.index))) return true;
  return false;
}

test('namesSync: the same answer as the word regex it replaced, on every word of the fixtures', () => {
  const snippets = [
    'async def f(): pass\nf2 = 1',
    'async def f(): pass\nx = f',
    'async  def\tf(): pass',
    'async \\\ndef f(): pass\ndef f(): pass',
    'class f_: pass\n_f = f1',
    'é = 1\nfé = 2\nf = éf',
  ];
  let asked = 0;
  const check = (code: string, label: string): void => {
    const words = new Set(code.match(/[A-Za-z0-9_\u0080-\uffff]+/g) ?? []);
    for (const w of ['f', 'é', 'fé', 'def', 'async', 'zz']) words.add(w);
    for (const w of words) {
      asked++;
      assert.equal(namesSync(code, w), namesByRegex(code, w), `${label}: ${w}`);
      if (w.length > 1)
        assert.equal(namesSync(code, w.slice(1)), namesByRegex(code, w.slice(1)), `${label}: ${w}`);
    }
  };
  snippets.forEach((s, i) => check(s, `snippet ${i}`));
  for (const dir of [path.join(repo, 'test/fixtures'), path.join(repo, 'examples')]) {
    if (!fs.existsSync(dir)) continue;
    for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true }))
      if (e.isFile() && /\.pyi?$/.test(e.name))
        check(fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'), e.name);
  }
  assert.ok(asked > 1000, `expected many words, asked ${asked}`);
});

/**
 * asyncLocator's answer as it was computed before it kept one answer per line: from each line, back to the
 * innermost enclosing def/class header (the reference for the one-pass version).
 */
function asyncByWalk(code: string, lines: readonly number[]): ((index: number) => boolean) | undefined {
  const indent: number[] = [];
  const kind: number[] = [];
  for (const from of lines) {
    // (columns as tree-sitter counts them: a tab 8)
    let i = from;
    let width = 0;
    for (; code[i] === ' ' || code[i] === '\t'; i++) width += code[i] === '\t' ? 8 : 1;
    const c = code.charCodeAt(i);
    if (c === 12) return undefined;
    const blank = Number.isNaN(c) || c === 10 || c === 13;
    indent.push(blank ? -1 : width);
    const head = code.slice(i, i + 24);
    kind.push(
      blank
        ? 0
        : /^async[\s\\]+def(?![A-Za-z0-9_])/.test(head)
          ? 2
          : /^(?:def|class)(?![A-Za-z0-9_])/.test(head)
            ? 1
            : 0,
    );
  }
  return (index) => {
    let j = 0;
    while (j + 1 < lines.length && lines[j + 1]! <= index) j++;
    while (j > 0 && indent[j]! < 0) j--;
    if (kind[j] === 2) return true;
    let level = indent[j]!;
    for (let k = j - 1; k >= 0 && level > 0; k--) {
      const w = indent[k]!;
      if (w < 0 || w >= level) continue;
      if (kind[k] === 2) return true;
      if (kind[k] === 1) return false;
      level = w;
    }
    return false;
  };
}

test('asyncLocator: the same answer as walking back to the enclosing header, and false outside its ranges', () => {
  const sources = [...SNIPPETS];
  for (const dir of [path.join(repo, 'test/fixtures'), path.join(repo, 'examples')]) {
    if (!fs.existsSync(dir)) continue;
    for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true }))
      if (e.isFile() && /\.pyi?$/.test(e.name))
        sources.push(fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'));
  }
  // The same indented by tabs, and with eight spaces of a line's indentation as a tab (8 columns, as tree-sitter reads it).
  for (const source of [...sources])
    sources.push(
      source.replace(/^( {4})+/gm, (m) => '\t'.repeat(m.length / 4)),
      source.replace(/^ {8}/gm, '\t'),
    );
  let asked = 0;
  let inAsync = 0;
  for (const source of sources) {
    const lexed = lexTopLevel(source);
    if (!lexed) continue;
    const locator = asyncLocator(lexed.code, lexed.lines);
    const reference = asyncByWalk(lexed.code, lexed.lines);
    assert.equal(locator === undefined, reference === undefined);
    if (!locator || !reference) continue;
    // Every line start, and a point inside each line.
    const points = lexed.lines.flatMap((l) => [l, l + 4]).filter((i) => i < source.length);
    for (const i of points) {
      const answer: boolean = locator(i);
      assert.equal(answer, reference(i), `index ${i} of:\n${source.slice(0, 200)}`);
      if (answer) {
        inAsync++;
        assert.ok(
          locator.ranges.some(([from, to]) => from <= i && i < to),
          `index ${i}: outside the ranges`,
        );
      }
      asked++;
    }
  }
  assert.ok(asked > 1000 && inAsync > 100, `asked ${asked}, in async code ${inAsync}`);
});

test("inLambdaBody: a call after a lambda's colon, up to a comma or a bracket of its level", () => {
  const inside = (line: string, call = 'h('): boolean => inLambdaBody(line, 0, line.indexOf(call));
  assert.equal(inside('run_in_executor(None, lambda: h(1))'), true);
  assert.equal(inside('f(key=lambda x: g(h(x)))'), true);
  assert.equal(inside('cb = lambda: a if c else h()'), true);
  assert.equal(inside('f(lambda x=h(): 0)'), false, 'a default runs where the lambda is written');
  assert.equal(inside('f(lambda: 1, h())'), false, 'after the lambda');
  assert.equal(inside('f(key=lambda x: x, other=h())'), false);
  assert.equal(inside('x = lambda: 0; h()'), false, 'another statement');
  assert.equal(inside('f(lambda: x)[1:h()]'), false);
  assert.equal(inside('if ok: h()'), false);
  assert.equal(inside('g(f"lambda: {h()}")'), false, 'unsure in an f-string');
  assert.equal(inside('y = lambda_x(z: h())'), false, 'not the keyword');
  assert.equal(inside('lambda: {k: h()}'), true);
});

test('definedAt: the name a def or class header defines, not a call after `def` elsewhere', () => {
  const at = (code: string, name: string): boolean => definedAt(code, code.indexOf(name));
  assert.equal(at('def fetch(x):', 'fetch'), true);
  assert.equal(at('async  def fetch(x):', 'fetch'), true);
  assert.equal(at('class Client(Base):', 'Client'), true);
  assert.equal(at('    def \\\n  fetch():', 'fetch'), true);
  assert.equal(at('fetch(x)', 'fetch'), false);
  assert.equal(at('undef fetch(x)', 'fetch'), false);
  assert.equal(at('x.def fetch(x)', 'fetch'), false);
  assert.equal(at('return fetch(x)', 'fetch'), false);
});

test('directlyAwaited: the calls `await` takes as its operand, and only those', () => {
  const at = (code: string, name: string): boolean => {
    const start = code.indexOf(name);
    const head = /^(?:(?:self|cls)\s*\.\s*)?[A-Za-z_]\w*/.exec(code.slice(start))![0];
    return directlyAwaited(code, start, start + head.length);
  };
  assert.equal(at('x = await helper(1)\n', 'helper'), true);
  assert.equal(at('x = await  m.sub.helper(a, (b))\n', 'm.sub'), true);
  assert.equal(at('await self.helper()\n', 'self'), true);
  assert.equal(at('[await helper(x)\n for x in y]', 'helper'), true);
  assert.equal(at('x = await helper(1) if c else 2\n', 'helper'), true);
  assert.equal(at('x = await helper(1).result()\n', 'helper'), false, 'the operand is .result()');
  assert.equal(at('x = await helper(1)()\n', 'helper'), false);
  assert.equal(at('x = await helper(1)[0]\n', 'helper'), false);
  assert.equal(at('x = await helper(1)\n    .done()\n', 'helper'), false, 'continued on the next line');
  assert.equal(at('x = await (helper(1))\n', 'helper'), false, 'parenthesised');
  assert.equal(at('x = helper(1)\n', 'helper'), false);
  assert.equal(at('x = my_await helper(1)\n', 'helper'), false);
  assert.equal(at('x = await helper(f"{a})")\n', 'helper'), true, 'a bracket inside an f-string');
  assert.equal(at('x = await helper(f"{a})")\n    .done()\n', 'helper'), false);
  assert.equal(at('x = await helper(f"{a})\n', 'helper'), false, 'an f-string left open: not sure');
});

test('methodOfResult / madeUse: the method called right away on a call of a class by its CapWords name', () => {
  const at = (code: string, word: string): number => code.indexOf(word) + word.length;
  const of = (code: string, word = 'C'): string | null | undefined => methodOfResult(code, at(code, word));
  assert.equal(of('C(a, (b), [c]).run(x)'), 'run');
  assert.equal(of('C \\\n  (a).\\\n  run  (x)'), 'run');
  assert.equal(of('m.C(a).run(x)', 'm'), 'run');
  assert.equal(of('C(a).run'), null, 'not called');
  assert.equal(of('C(a).x.run()'), null, 'an attribute of the result, then a call');
  assert.equal(of('C(a)'), null);
  assert.equal(of('C.run()'), null, 'no call of C first');
  assert.equal(of('C(f"{x}").run()'), 'run', 'an f-string (kept in code) is skipped whole');
  assert.equal(of('C(f"(", f\'{d["k"]}\').run()'), 'run', 'brackets and quotes inside f-strings');
  assert.equal(of('C(f"{d["k"]}").run()'), 'run', 'the same quote nested (Python 3.12)');
  assert.equal(of('C(f"""\n(\n""").run()'), 'run', 'a triple-quoted f-string');
  assert.equal(of('raise C(f"bad {x}")\n'), null, 'an f-string argument, nothing called on the result');
  assert.equal(of('C(f"{x}\n).run()'), undefined, 'an f-string left open at the line end: not sure');
  assert.equal(of('C(f"{x}'), undefined, 'an f-string never closed: not sure');
  assert.equal(of('C(a, b'), undefined, 'brackets not closed');
  const made = (code: string, word: string, tail: readonly string[] | undefined) =>
    madeUse(code, word, tail, at(code, word));
  assert.deepEqual(made('Svc(db).fetch()', 'Svc', []), { tail: ['fetch'] });
  assert.deepEqual(made('m.Svc(db).fetch()', 'm', ['Svc']), { tail: ['Svc', 'fetch'] });
  assert.equal(made('svc(db).fetch()', 'svc', []), null, 'a function, not a class by its name');
  assert.equal(made('m.make(db).fetch()', 'm', ['make']), null);
  assert.equal(made('Svc(db)', 'Svc', []), null);
  assert.deepEqual(made('Svc(f"{x}").fetch()', 'Svc', []), { tail: ['fetch'] });
  assert.equal(made('raise Svc(f"{x}")', 'Svc', []), null, 'an exception raised: no method');
  assert.deepEqual(made('Svc(f"{x}).fetch()', 'Svc', []), { tail: undefined }, 'not sure');
  assert.equal(
    made('Svc(db).fetch()', 'Svc', undefined),
    null,
    'not sure of the tail: the whole name already',
  );
});

test('useShape: called, or the attributes of a dotted callee up to the call', () => {
  const shape = (code: string, viaSelf = false): ReturnType<typeof useShape> =>
    useShape(code, viaSelf, code.indexOf('name') + 4);
  assert.deepEqual(shape('name (1)'), { call: true, tail: [] });
  assert.deepEqual(shape('name.f(1)'), { call: false, tail: ['f'] });
  assert.deepEqual(shape('name . a .\\\n  f (1)'), { call: false, tail: ['a', 'f'] });
  assert.deepEqual(shape('name.a\n    .f(1)'), { call: false, tail: ['a', 'f'] }, 'inside brackets');
  assert.equal(shape('name.a[0](1)'), null, 'a subscript: not a dotted callee');
  assert.equal(shape('name.a = 1'), null, 'not called');
  assert.deepEqual(shape('self.name.a(1)', true), { call: false }, 'after self.: nothing assumed');
  assert.deepEqual(shape('self.name(1)', true), { call: true, tail: [] });
  assert.deepEqual(shape('name.é(1)'), { call: false }, 'not sure');
});

test('lexTopLevel: of an f- or t-string only the replacement fields stay in code (same length, same lines)', () => {
  const kept = (source: string): string => {
    const code = lexTopLevel(source)!.code;
    assert.equal(code.length, source.length);
    const breaks = (text: string): number[] => [...text].flatMap((c, i) => (c === '\n' ? [i] : []));
    assert.deepEqual(breaks(code), breaks(source), 'line breaks where they were');
    return code.replace(/ +/g, ' ');
  };
  assert.equal(
    kept('x = f"the Agent. {a.run()} {{b.c()}}"\n'),
    'x = f" {a.run()} "\n',
    'doubled braces are text',
  );
  assert.equal(kept('f"{x:{w}.{p}f} Agent."'), 'f"{x:{w}.{p}f} "', 'a format spec with nested fields');
  assert.equal(kept(`f'{d["k"]} Agent.'`), `f'{d["k"]} '`, 'a string inside a field');
  assert.equal(kept('f"a\\"b {x} \\{"'), 'f" {x} "', 'escapes are text');
  assert.equal(kept('f"abc\\\ndef {x}"'), 'f" \\\n {x}"', 'a continuation stays');
  assert.equal(kept('f"""Agent.\n  {x}\n"""'), 'f""" \n {x}\n"""', 'triple-quoted');
  assert.equal(kept('rf"\\d+ Agent. {x}"'), 'rf" {x}"', 'a raw f-string');
  assert.equal(kept('t"Agent. {x}"'), 't" {x}"', 'a t-string');
  assert.equal(kept('f"Agent. {x" + y\n'), 'f" {x" + y\n', 'a field not closed: the rest stays');
  assert.equal(kept('"plain {x}"'), ' ', 'another string is blanked whole');
});

test('lexTopLevel and importBindings: a kept result is the one a fresh run gives', () => {
  const a = 'import time\nasync def f():\n    time.sleep(1)\n';
  const b = 'from x import (y as z)\n';
  const first = lexTopLevel(a);
  assert.equal(lexTopLevel(a), first, 'asked again: the kept result');
  assert.deepEqual(lexTopLevel(b)?.starts, [0]);
  assert.deepEqual(lexTopLevel(a), first);
  assert.equal(lexTopLevel('x = "open'), undefined, 'does not lex');
  assert.deepEqual(lexTopLevel(''), { starts: [], lines: [], code: '' }, 'the empty text lexes');
  assert.deepEqual(
    importBindings('import a.b as c\n').map((x) => [x.local, x.qualified]),
    [['c', 'a.b']],
  );
  assert.deepEqual(
    importBindings(b).map((x) => [x.local, x.qualified]),
    [['z', 'x.y']],
  );
  assert.deepEqual(importBindings(''), []);
});
