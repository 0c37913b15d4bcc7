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
import { randomProject } from './randomProject';

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

test('defBlocks: each def and class block by name, nested ones included; tabs read as tree-sitter reads them', () => {
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
  // A tab is 8 columns, as tree-sitter reads it: the same blocks as with spaces; a form feed is not read.
  const tabbed = 'def f():\n\tif a:\n\t    g()\n\th()\ndef k():\n\tpass\n';
  const lexedTabs = lexTopLevel(tabbed)!;
  const tabBlocks = defBlocks(lexedTabs.code, lexedTabs.lines)!;
  assert.deepEqual(
    tabBlocks.get('f')!.map(([a, b]) => tabbed.slice(a, b)),
    ['def f():\n\tif a:\n\t    g()\n\th()\n'],
  );
  const fed = lexTopLevel('def f():\n    \f    return 1\n')!;
  assert.equal(defBlocks(fed.code, fed.lines), undefined);
});

test('blocksReach: a plain call leads to a module-level def, self.f and C.f to a method, never into a nested def', () => {
  const code = [
    'class Workflow:',
    '    def _execute(self):',
    '        slow_a()',
    '    def run(self):',
    '        def _execute():',
    '            slow_b()',
    '        def helper():',
    '            slow_c()',
    '        return _execute()',
    '    def go(self):',
    '        return self.helper()',
    '    def both(self):',
    '        Workflow.helper2()',
    '    def helper2(self):',
    '        slow_d()',
    '',
    'def outer():',
    '    class Inner:',
    '        def helper(self):',
    '            slow_e()',
    '    return helper()',
    '',
    'def helper():',
    '    slow_f()',
  ].join('\n');
  const lexed = lexTopLevel(code)!;
  const blocks = defBlocks(lexed.code, lexed.lines)!;
  const levels = (name: string): number[] => blocks.get(name)!.map((b) => b[3]);
  assert.deepEqual(levels('Workflow'), [0]);
  assert.deepEqual(levels('_execute'), [1, 2], 'a method, then a def nested in a method');
  assert.deepEqual(levels('helper'), [2, 2, 0], 'nested in a method, in a nested class, module-level');
  assert.deepEqual(levels('Inner'), [2]);
  const asked = (name: string): string[] => {
    const words: string[] = [];
    blocksReach(lexed.code, blocks, name, (u) => {
      if (u.word.startsWith('slow_')) words.push(u.word);
      return false;
    });
    return words.sort();
  };
  // `_execute()` in run() is the nested def: not followed (the call graph follows no nested def), and not the
  // method `_execute` either (a plain name is never a method).
  assert.deepEqual(asked('run'), []);
  // `self.helper()`: a method named helper (there is none: the nested ones are not), not the module's def.
  assert.deepEqual(asked('go'), []);
  assert.deepEqual(asked('both'), ['slow_d'], 'Workflow.helper2() reaches the method');
  // `helper()` in outer(): the module-level def, not the method of the class nested in outer().
  assert.deepEqual(asked('outer'), ['slow_f']);
  // What was read whole comes back (for the caller's "no" answers); a name read at one level only does not.
  const visited = blocksReach(lexed.code, blocks, 'outer', () => false) as Set<string>;
  assert.deepEqual([...visited].sort(), ['outer']);
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
    // The text of an f-string is no code (a prompt's "ask the Agent." read as `Agent.` reached the whole
    // class); its replacement fields are.
    assert.equal(fresh.mayHaveChains(main, local('return f"Ask the Agent.\\n{x}"')), false);
    assert.equal(fresh.mayHaveChains(main, local('return f"""Ask the Agent.\n{x}"""')), false);
    assert.equal(fresh.mayHaveChains(main, local('return f"Ask: {Agent.run(None)}"')), true);
    assert.equal(fresh.mayHaveChains(main, local('return f"{x:{Agent.run(None)}}"')), true, 'a nested field');
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

test('pre-filter never hides a finding: random projects, with and without it', async () => {
  let withFindings = 0;
  let skipped = 0;
  // (seeds 81-120: the same kind of projects, calls split by backslash continuations)
  for (let seed = 1; seed <= 140; seed++) {
    const made = randomProject(seed, 5, 0.5, seed > 80 && seed <= 120);
    // (seeds past 120: indented by tabs, or eight spaces of a line's indentation as a tab: 8 columns, as tree-sitter reads it)
    const files =
      seed <= 120
        ? made
        : Object.fromEntries(
            Object.entries(made).map(([name, text]) => [
              name,
              seed % 2 === 0
                ? text.replace(/^( {4})+/gm, (m) => '\t'.repeat(m.length / 4))
                : text.replace(/^ {8}/gm, '\t'),
            ]),
          );
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

test('pre-filter: what an imported def returns (`x = get_service(); x.f()`, `get_service().f()`) as the search reads it', async () => {
  const provider =
    'import time\n\nclass Svc:\n    def poll(self):\n        time.sleep(1)\n    def fine(self):\n        return 1\n\n' +
    'def get_service() -> Svc:\n    return Svc()\n\ndef make():\n    return Svc()\n\ndef maybe(flag):\n    if flag:\n        return Svc()\n';
  const quiet =
    'class Svc:\n    def poll(self):\n        return 1\n\ndef get_service() -> Svc:\n    return Svc()\n';
  const cases: [string, boolean][] = [
    [
      'from provider import get_service\n\nasync def route():\n    svc = get_service()\n    svc.poll()\n',
      true,
    ],
    ['from provider import get_service\n\nasync def route():\n    get_service().poll()\n', true],
    ['from provider import make\n\nasync def route():\n    s: object = make()\n    s.poll()\n', true],
    ['import provider as p\n\nasync def route():\n    p.make().poll()\n', true],
    ['import provider\n\nasync def route():\n    svc = provider.get_service()\n    svc.poll()\n', true],
    [
      'from provider import get_service\n\nasync def route():\n    svc = get_service()\n    svc.fine()\n',
      false,
    ],
    ['from provider import maybe\n\nasync def route():\n    maybe(1).poll()\n', false],
    [
      'from provider import get_service\n\nasync def route():\n    svc = get_service()\n    svc = 1\n    svc.poll()\n',
      false,
    ],
    ['from quiet import get_service\n\nasync def route():\n    get_service().poll()\n', false],
    // Through a sync helper of another module, and of this one: followed in async code only.
    ['from hop import bound\n\nasync def route():\n    bound()\n', false],
    ['from hop import direct\n\nasync def route():\n    direct()\n', false],
    ['from hop import fine\n\nasync def route():\n    fine()\n', false],
    [
      'import provider\n\ndef helper():\n    svc = provider.make()\n    return svc.poll()\n\nasync def route():\n    helper()\n',
      false,
    ],
  ];
  const hop =
    'from provider import get_service, make\n\ndef bound():\n    svc = get_service()\n    svc.poll()\n\n' +
    'def direct():\n    return make().poll()\n\ndef fine():\n    return make().fine()\n';
  const { dir, index, file } = project({ 'provider.py': provider, 'quiet.py': quiet, 'hop.py': hop });
  try {
    for (const [k, [source, blocks]] of cases.entries()) {
      const main = file(`main${k}.py`);
      fs.writeFileSync(main, source);
      const full = await checkSource(source, {
        project: new ProjectIndex({ roots: [dir], stable: true, textGate: false }),
        file: main,
        regions: false,
        select: ['BHD007'],
      });
      assert.equal(full.length > 0, blocks, `the full search:\n${source}`);
      if (blocks) assert.equal(index.mayHaveChains(main, source), true, `the pre-filter:\n${source}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
