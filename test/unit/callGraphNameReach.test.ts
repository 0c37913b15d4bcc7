/**
 * BHD007's text-level pre-filter at the level of names (src/diagnostics/callGraph/nameReach.ts, defBlocks.ts,
 * prefilter.ts): a call in async code is a candidate only when what it names may block, through the blocks of
 * the defs and classes it reaches, across modules. It must never hide a finding: on random projects (modules
 * importing each other, classes, constructors, `self.` methods, module aliases, blocking calls here and
 * there) the findings with the pre-filter equal those of the full search, and a file it skips has none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkSource } from '../../src/diagnostics/analyze';
import { ProjectIndex } from '../../src/diagnostics/callGraph/projectIndex';
import { blocksReach, defBlocks } from '../../src/diagnostics/callGraph/defBlocks';
import { lexTopLevel } from '../../src/python/lexer';
import { seededRandom } from './seededRandom';

function project(files: Record<string, string>): {
  dir: string;
  index: ProjectIndex;
  file: (n: string) => string;
} {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-reach-')));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const index = new ProjectIndex({ roots: [dir], stable: true });
  return { dir, index, file: (n) => path.join(dir, n) };
}

test('defBlocks: each def and class block by name, nested ones included; tabs are not trusted', () => {
  const code = [
    'import x',
    '@decorator',
    'def f(a):',
    '    return g(a)',
    '',
    'class C:',
    '    def m(self):',
    '        self.n()',
    '    async def n(self):',
    '        pass',
    'y = 1',
  ].join('\n');
  const lexed = lexTopLevel(code)!;
  const blocks = defBlocks(lexed.code, lexed.lines)!;
  const text = (name: string): string[] =>
    (blocks.get(name) ?? []).map(([a, b]) => code.slice(a, b).trimEnd());
  assert.deepEqual(text('f'), ['def f(a):\n    return g(a)']);
  assert.deepEqual(text('m'), ['def m(self):\n        self.n()']);
  assert.deepEqual(text('n'), ['async def n(self):\n        pass']);
  assert.match(text('C')[0]!, /^class C:[\s\S]*pass$/);
  assert.equal(blocks.get('C')![0]![2], true, 'a class');
  assert.equal(blocks.get('f')![0]![2], false);
  const uses: string[] = [];
  const visited = blocksReach(lexed.code, blocks, 'f', (u) => {
    uses.push(`${u.word}${u.call ? '(' : '.'}`);
    return false;
  });
  // f calls g (asked: an import maybe); not its own name, not `x` (never called).
  assert.deepEqual(uses, ['g(']);
  assert.deepEqual([...(visited as Set<string>)], ['f']);
  uses.length = 0;
  blocksReach(lexed.code, blocks, 'C', (u) => {
    uses.push(u.word);
    return false;
  });
  // In C, `self.n()` is followed as a method, never asked as an import.
  assert.deepEqual(uses, []);
  const tabbed = 'def f():\n\treturn 1\n';
  const lexedTabs = lexTopLevel(tabbed)!;
  assert.equal(defBlocks(lexedTabs.code, lexedTabs.lines), undefined);
});

test('pre-filter: constructing an imported class starts no chain; its static methods and helpers may', () => {
  const { dir, index, file } = project({
    'models.py': [
      'import time',
      '',
      'class Agent:',
      '    def run(self):',
      '        time.sleep(1)',
      '',
      'def make():',
      '    return 1',
    ].join('\n'),
    'helpers.py': [
      'from models import Agent, make',
      '',
      'def fine():',
      '    return make()',
      '',
      'def builds():',
      '    return Agent()',
      '',
      'def slow():',
      '    return Agent.run(None)',
    ].join('\n'),
  });
  try {
    const main = file('main.py');
    const chains = (
      body: string,
      imports = 'from models import Agent\nfrom helpers import fine, builds, slow\n',
    ) => index.mayHaveChains(main, `${imports}\nasync def route():\n    ${body}\n`);
    assert.equal(chains('a = Agent()'), false, 'a constructor call');
    assert.equal(chains('Agent.run(None)'), true, 'a method through the class');
    // models.py has time.sleep, but not in make(): the blocks that are reached count, not the module.
    assert.equal(chains('fine()'), false, 'fine() -> make(), which does not block');
    assert.equal(chains('builds()'), false, 'builds() only constructs an Agent');
    assert.equal(chains('slow()'), true);
    // A module without tokens whose helper only constructs: no chain through it.
    fs.writeFileSync(
      path.join(dir, 'plain.py'),
      'from models import Agent\n\ndef build():\n    return Agent()\n',
    );
    fs.writeFileSync(
      path.join(dir, 'calls.py'),
      'from models import Agent\n\ndef go():\n    return Agent.run(None)\n',
    );
    const fresh = new ProjectIndex({ roots: [dir], stable: true });
    const text = (imp: string, call: string): string => `${imp}\n\nasync def route():\n    ${call}\n`;
    assert.equal(fresh.mayHaveChains(main, text('from plain import build', 'build()')), false);
    assert.equal(fresh.mayHaveChains(main, text('from calls import go', 'go()')), true);
    // The same through a local helper of the checked file.
    const local = (helper: string): string =>
      `from models import Agent\n\ndef helper():\n    ${helper}\n\nasync def route():\n    helper()\n`;
    assert.equal(fresh.mayHaveChains(main, local('return Agent()')), false);
    assert.equal(fresh.mayHaveChains(main, local('return Agent.run(None)')), true);
    // Through methods of the checked file's own class (`self.`), to an import that blocks.
    const service = (k: string): string =>
      'from models import Agent\n\nclass Svc:\n    def m(self):\n        self.k()\n\n' +
      `    def k(self):\n        ${k}\n\n    async def am(self):\n        self.m()\n`;
    assert.equal(fresh.mayHaveChains(main, service('Agent.run(None)')), true);
    assert.equal(fresh.mayHaveChains(main, service('Agent()')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pre-filter: `C.f(...)` reaches the method f, not the whole class; longer chains and references start nothing', () => {
  const { dir, index, file } = project({
    'models.py': [
      'import time',
      '',
      'class Agent:',
      '    handlers = {}',
      '',
      '    def run(self):',
      '        time.sleep(1)',
      '',
      '    def name(self):',
      '        return "a"',
      '',
      'def helper():',
      '    return 1',
    ].join('\n'),
    'pkg/__init__.py': 'from .impl import Agent as Reexported\n',
    'pkg/impl.py': 'from models import Agent\n',
  });
  try {
    const main = file('main.py');
    const chains = (body: string, imports = 'from models import Agent, helper\n'): boolean =>
      index.mayHaveChains(main, `${imports}\nasync def route():\n    ${body}\n`);
    assert.equal(chains('Agent.run(None)'), true, 'the blocking method');
    assert.equal(chains('Agent.name(None)'), false, 'another method of the same class');
    assert.equal(chains('Agent.handlers.items()'), false, 'a class attribute: no callee');
    assert.equal(chains('helper.cache_clear()'), false, "a function's attribute: no callee");
    assert.equal(chains('Reexported.run(None)', 'from pkg import Reexported\n'), true, 'through a re-export');
    assert.equal(chains('Reexported.name(None)', 'from pkg import Reexported\n'), false);
    // The same in the checked file's own class, and a blocking function taken as a value, not called.
    const own = (body: string): string =>
      'import time\n\nclass Svc:\n    def slow(self):\n        time.sleep(1)\n\n' +
      `    def quick(self):\n        return 1\n\nasync def route():\n    ${body}\n`;
    assert.equal(index.mayHaveChains(main, own('Svc.slow(None)')), true);
    assert.equal(index.mayHaveChains(main, own('Svc.quick(None)')), false);
    const reference =
      'import time\n\ndef later():\n    t = time.sleep\n    return t\n\nasync def route():\n    later()\n';
    assert.equal(index.mayHaveChains(main, reference), false, '`t = time.sleep` is no call of it');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pre-filter: a method call counts where the module can carry its receiver evidence, as in the analysis', async () => {
  // Each helper module holds one method call a blocking rule subscribes to; whether a chain starts there
  // depends on the evidence the rule needs of the receiver, which lives in that module's text.
  const helpers: Record<string, [string, boolean]> = {
    // A future's `.result()` needs a `.submit(` somewhere in the module (BHD003).
    result_no_submit: ['def h(f):\n    return f.result()\n', false],
    result_submit: [
      'import concurrent.futures as cf\n\ndef h(executor):\n    f = executor.submit(len, [])\n    f.result()\n',
      true,
    ],
    // An executor's `.shutdown()` needs executor evidence (a class or an `executor` name, BHD002).
    shutdown_pool: ['def h(pool):\n    pool.shutdown()\n', false],
    shutdown_executor: ['def h(executor):\n    executor.shutdown()\n', true],
    // A Session's HTTP methods need requests imported and a Session (BHD006); `dict.get` is not one.
    get_dict: ['import requests\n\ndef h(d):\n    return d.get("k")\n', false],
    get_session: ['import requests\n\nS = requests.Session()\n\ndef h():\n    return S.get("u")\n', true],
    get_session_alias: [
      'import requests as rq\n\nS = rq.sessions.Session()\n\ndef h():\n    return S.get("u")\n',
      true,
    ],
    get_session_class: [
      'from requests import Session\n\nS = Session()\n\ndef h():\n    return S.get("u")\n',
      true,
    ],
    // ...in reach of the receiver: in the same top-level def or class, or in module-level code.
    get_session_elsewhere: [
      'import requests\n\ndef make():\n    return requests.Session()\n\ndef h(d):\n    return d.get("k")\n',
      false,
    ],
    get_session_attribute: [
      'import requests as rq\n\nclass Api:\n    def __init__(self):\n        self.s = rq.Session()\n\n    def get(self):\n        return self.s.get("u")\n\ndef h(x):\n    api = Api()\n    return api.get()\n',
      true,
    ],
    get_session_alias_class: [
      'from requests import Session as Http\n\ndef h():\n    return Http().get("u")\n',
      true,
    ],
  };
  const { dir, index, file } = project(
    Object.fromEntries(Object.entries(helpers).map(([name, [text]]) => [`${name}.py`, text])),
  );
  try {
    for (const [name, [, blocks]] of Object.entries(helpers)) {
      const source = `from ${name} import h\n\nasync def route():\n    h(None)\n`;
      const main = file(`main_${name}.py`);
      const full = await checkSource(source, {
        project: new ProjectIndex({ roots: [dir], stable: true }),
        file: main,
        regions: false,
        select: ['BHD007'],
      });
      assert.equal(full.length > 0, blocks, `${name}: the full search`);
      assert.equal(index.mayHaveChains(main, source), blocks, `${name}: the pre-filter`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A random project of `n` modules m0..m{n-1} that import each other (from-imports with aliases, modules,
 * module aliases, classes), each with functions f0, f1, a helper h, a class with a static method, methods
 * reached through `self.`, and async code calling all of these; blocking calls in a few modules only.
 */
function randomProject(seed: number, n = 5): Record<string, string> {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const others = [...Array(n).keys()].filter((j) => j !== i);
    const lines: string[] = [];
    const blocking = r() < 0.4;
    if (blocking) lines.push('import time');
    // HTTP through a Session (BHD006 needs a Session, from this module's text); dict.get decoys beside it.
    const http = r() < 0.3;
    if (http) lines.push('import requests', ...(r() < 0.5 ? ['HTTP = requests.Session()'] : []));
    const imported = others.filter(() => r() < 0.5);
    const uses: string[] = [];
    for (const j of imported) {
      const style = pick(['from', 'module', 'alias', 'class', 'lazy', 'generator', 'instance']);
      if (style === 'from') {
        lines.push(`from m${j} import f0 as f0_${j}, f1 as f1_${j}`);
        uses.push(`f0_${j}()`, `f1_${j}()`);
      } else if (style === 'module') {
        lines.push(`import m${j}`);
        // A function taken as a value, then called through a local name: not a chain (calls only are).
        uses.push(`m${j}.f0()`, `m${j}.f1()`, `m${j}.C${j}.s()`, `cb = m${j}.f0; cb()`);
      } else if (style === 'alias') {
        lines.push(`import m${j} as mod${j}`);
        uses.push(`mod${j}.f1()`);
      } else if (style === 'lazy') {
        // An import inside the def that uses it (it binds the name there only).
        uses.push(`from m${j} import f0 as lz${j}; lz${j}()`, `import m${j} as lm${j}; lm${j}.f1()`);
      } else if (style === 'instance') {
        // Instances of module j's class: its module-level one imported, one made here, through the module.
        lines.push(`from m${j} import inst${j}, C${j} as K${j}`, `import m${j} as im${j}`);
        uses.push(
          `inst${j}.k()`,
          `inst${j}.own${j}()`,
          `v${j} = K${j}(); v${j}.m()`,
          `w${j} = im${j}.C${j}(); w${j}.k()`,
        );
        uses.push(`im${j}.C${j}.s()`, `im${j}.inst${j}.k()`);
      } else if (style === 'generator') {
        lines.push(`from m${j} import g as g_${j}, W${j}`);
        // A generator runs when iterated, not when called; a class's __enter__/__exit__ when entered.
        uses.push(`g_${j}()`, `for _ in g_${j}(): pass`, `with W${j}(): pass`, `W${j}()`);
        // Through the module: entered only by its plain name (the call graph enters plain names only).
        lines.push(`import m${j} as gm${j}`);
        uses.push(`with gm${j}.W${j}(): pass`);
      } else {
        // A subclass here: its methods reach the ones it inherits (through self, or through the class).
        lines.push(
          `from m${j} import C${j}`,
          `class D${j}(C${j}):`,
          '    def run(self):',
          `        self.own${j}()`,
        );
        // (`own<j>` is defined in module j only: the inherited method is not also a name of this module.)
        uses.push(`C${j}()`, `C${j}.s()`, `D${j}.run(None)`, `D${j}.own${j}(None)`);
      }
    }
    const calls = (method: boolean, count = 1 + Math.floor(r() * 3), acrossOnly = false): string[] => {
      const out: string[] = [];
      // (acrossOnly: a use of another module's name only, so that the one call in async code often leaves it)
      if (acrossOnly && uses.length > 0) return [pick(uses)];
      for (let k = 0; k < count; k++) {
        const choices = ['h()', 'f0()', 'f1()', `C${i}.s()`, `C${i}()`, 'len([])', ...uses, ...uses];
        choices.push('g()', 'x = list(g())', `with W${i}(): pass`);
        // A nested def's body runs when it is called (the call graph follows no nested def); its default here.
        choices.push('def nest():\n    f0()\nnest()', 'def nest(a=f1()):\n    return a', 'def nest(): h()');
        // In a lambda's body a call runs later (elsewhere); in its default, right here.
        choices.push('cb = lambda: h(); cb', 'cb = lambda y=f0(): y', `sorted([], key=lambda v: C${i}.s())`);
        // This module's instance, one made here, one rebound (its class then unknown), an annotated parameter.
        choices.push(`inst${i}.k()`, `loc = C${i}(); loc.m()`, `two = C${i}(); two = None; two.k()`);
        if (count === 1) choices.push('p.k()', 'p.own' + i + '()');
        if (method) choices.push('self.k()', 'self.k()', 'self.m()');
        // Attributes of self holding an instance: set once in __init__, a class-body field, set twice.
        if (method)
          choices.push(
            'self.mine.k()',
            'self.fld.own' + i + '()',
            'self.twice.k()',
            'self.wf.k()',
            'self.wm.k()',
            'self.fwd.k()',
            'self.raw.k()',
          );
        // A blocking method call whose receiver is an executor by its name (BHD002), no import needed.
        if (r() < 0.15) choices.push(method ? 'self._executor.shutdown()' : 'executor.shutdown()');
        // time.time() first: the same head as time.sleep(), which must still be seen after it.
        if (blocking) choices.push('time.time()', 'time.time()');
        if (blocking && r() < 0.6) choices.push('time.sleep(1)');
        // A blocking function taken as a value (no call of it: not a blocking operation for the rules).
        if (blocking && r() < 0.3) choices.push('t = time.sleep; t(1)', `g = C${i}.s; g()`);
        if (http) {
          choices.push('d = {}; d.get(1)', 'd = {}; d.get(1)');
          if (r() < 0.3) choices.push('requests.Session().get("u")', 's = requests.Session(); s.get("u")');
          // A Session made at module level, or kept by C's __init__ (W's methods have none in reach).
          if (r() < 0.3) choices.push('HTTP.get("u")');
          if (method) choices.push('self.http.get("u")');
        }
        // A future's result (BHD003 needs a `.submit(` in the module), and one without any submit.
        if (r() < 0.1) choices.push('fut = executor.submit(len, []); fut.result()');
        if (r() < 0.1) choices.push('x = None; x.result()');
        out.push(pick(choices));
      }
      return out;
    };
    // (a choice of several lines: each indented)
    const body = (indent: string, method = false, count?: number, acrossOnly = false): string[] =>
      calls(method, count, acrossOnly).map((c) => c.replace(/^/gm, indent));
    lines.push('', 'def h():', ...body('    '));
    lines.push('', 'def f0():', ...body('    '));
    lines.push('', 'def f1():', ...body('    '));
    // (`self.fwd = dep`: a parameter annotated with the class; `self.raw = raw`: one without an annotation)
    lines.push('', `class C${i}:`, `    fld: C${i}`, `    def __init__(self, dep: C${i} = None, raw=None):`);
    lines.push('        self.x = 1', '        self.fwd = dep', '        self.raw = raw');
    if (http) lines.push('        self.http = requests.Session()');
    lines.push(`        self.mine = C${i}()`, `        self.twice = C${i}()`, '        self.twice = None');
    lines.push('    @staticmethod', '    def s():', ...body('        '));
    lines.push('    def m(self):', ...body('        ', true));
    lines.push('    def k(self):', ...body('        '));
    lines.push(`    def own${i}(self):`, ...body('        '));
    lines.push('', `inst${i} = C${i}()`);
    if (r() < 0.2) lines.push(`inst${i} = None`);
    // ...or bound again in a def through `global` (then no type either, seen from any module).
    else if (r() < 0.2) lines.push('', 'def setup():', `    global inst${i}`, `    inst${i} = C${i}()`);
    lines.push('', 'def g():', ...body('    '), '    yield 1');
    lines.push(
      '',
      `class W${i}:`,
      `    wf: C${i}`,
      `    def __init__(self, dep: C${i} = None, raw=None):`,
      '        self.fwd = dep',
      '        self.raw = raw',
      '    def __enter__(self):',
      `        self.wm = C${i}()`,
      ...body('        '),
      '        return self',
    );
    lines.push('    def __exit__(self, *exc):', ...body('        '));
    // One call in async code per file: the pre-filter decides per file, so each chain is seen on its own.
    // Sometimes awaited (the call graph skips the operand of `await`), or awaited through `.result()`.
    const awaited = (line: string): string =>
      /[;=]|^\s*def /.test(line)
        ? line
        : r() < 0.3
          ? line.replace(/^(\s*)/, '$1await ')
          : r() < 0.15
            ? line.replace(/^(\s*)(.*)$/, '$1await $2.result()')
            : line;
    // `p`: an annotated parameter (an instance of this module's class, or of nothing known).
    const p = pick([`p: C${i}`, `p: Annotated[C${i}, 1]`, `p: "C${i}"`, 'p']);
    const across = r() < 0.4;
    if (r() < 0.5)
      lines.push(`    async def am(self, ${p}):`, ...body('        ', true, 1, across).map(awaited), '');
    else lines.push('', `async def route(${p}):`, ...body('    ', false, 1, across).map(awaited), '');
    files[`m${i}.py`] = lines.join('\n');
  }
  return files;
}

test('pre-filter never hides a finding: random projects, with and without it', async () => {
  let withFindings = 0;
  let skipped = 0;
  for (let seed = 1; seed <= 80; seed++) {
    const files = randomProject(seed);
    const { dir, file } = project(files);
    try {
      const filtered = new ProjectIndex({ roots: [dir], stable: true });
      // The reference: no text-level answer spares any module its parse (nor the file: regions off below).
      const full = new ProjectIndex({ roots: [dir], stable: true, textGate: false });
      for (const [name, source] of Object.entries(files)) {
        const f = file(name);
        const bhd007 = async (index: ProjectIndex, regions: boolean): Promise<string[]> =>
          (await checkSource(source, { project: index, file: f, regions, select: ['BHD007'] })).map(
            (x) => `${x.range.start.row}:${x.range.start.column} ${x.message}`,
          );
        const expected = await bhd007(full, false);
        const actual = await bhd007(filtered, true);
        assert.deepEqual(actual, expected, `seed ${seed}, ${name}:\n${source}`);
        if (expected.length > 0) withFindings++;
        if (!filtered.mayHaveChains(f, source)) {
          skipped++;
          assert.deepEqual(expected, [], `seed ${seed}, ${name}: skipped with findings`);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  // The generator makes both kinds: files with chains, and files the pre-filter spares.
  assert.ok(withFindings > 15, `files with BHD007 findings: ${withFindings}`);
  assert.ok(skipped > 20, `files the pre-filter skipped: ${skipped}`);
});
