/**
 * BHD007's reading of instances of known classes from the text (src/diagnostics/callGraph/instances): which
 * bindings the text shows, how many times a scope binds a name, and the uses an instance's call stands for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProjectIndex } from '../../src/diagnostics/callGraph/projectIndex';
import { bindingCounts } from '../../src/diagnostics/callGraph/bindingCounts';
import {
  annotationClass,
  instanceMap,
  instanceUses,
  typeBindings,
} from '../../src/diagnostics/callGraph/instances';
import { asyncMethod, defBlocks, onlyAsync } from '../../src/diagnostics/callGraph/defBlocks';
import { lexTopLevel } from '../../src/python/lexer';

test('annotationClass: the class an annotation starts with, through Annotated/Optional; builtins and strings are none', () => {
  assert.equal(annotationClass('NewsService'), 'NewsService');
  assert.equal(annotationClass(' m.Svc = None'), 'm.Svc');
  assert.equal(annotationClass('Annotated[Svc, Depends(get)]'), 'Svc');
  assert.equal(annotationClass('typing.Optional[Svc]'), 'Svc');
  assert.equal(annotationClass('Svc | None'), 'Svc');
  assert.equal(annotationClass('Optional[Annotated[Svc, x]]'), 'Svc');
  assert.equal(annotationClass('"Svc"'), undefined);
  assert.equal(annotationClass('int'), undefined);
  assert.equal(annotationClass('Union[A, B]'), undefined);
  assert.equal(annotationClass('list[Svc]'), undefined);
  assert.equal(annotationClass('svc_type'), undefined, 'not a class by its name (CapWords)');
});

test('typeBindings: constructions and annotations, not keyword arguments, comparisons, lambdas or self', () => {
  const code = [
    'svc = NewsService()',
    'made = make_service()',
    'log = logging.getLogger(__name__)',
    'other = m . Client (1)',
    'f(kw=Client())',
    'if a == Client(): pass',
    'def route(p: Svc, q: Annotated[Other, 1], *r: Third, s=Default()):',
    '    local: Typed = make()',
    '    fn = lambda x: Client()',
    '    self = Svc()',
    '    n = 1',
    '    d = {"k": Value()}',
  ].join('\n');
  const found = typeBindings(code).map((b) => `${b.name}:${b.cls}${b.constructed ? '()' : ''}`);
  assert.deepEqual(found, [
    'svc:NewsService()',
    'other:m.Client()',
    'p:Svc',
    'q:Other',
    'r:Third',
    'local:Typed',
  ]);
  assert.deepEqual(
    [...instanceMap('a = A()\nif x:\n    a = B()\na = A()\n')],
    [['a', ['A', 'B']]],
    'every class a name is bound to, once each',
  );
});

test('bindingCounts: assignments, augmented ones, tuples, loops, with/except targets, walrus, global, def', () => {
  const body = [
    'svc = Svc()',
    'a, b = pair()',
    'n += 1',
    'x >>= 2',
    'if y <= 2 and z != 3: pass',
    'for i, j in items: pass',
    'with open(p) as fh: pass',
    'if (w := get()): pass',
    'global g',
    'def inner(param): pass',
    'import os.path as osp',
    'k = 1; k = 2',
    'call(kw=1)',
    'v == 3',
  ].join('\n');
  const counts = bindingCounts(body);
  const get = (n: string): number => counts.get(n) ?? 0;
  assert.equal(get('svc'), 1);
  assert.equal(get('a'), 1);
  assert.equal(get('b'), 1);
  assert.equal(get('n'), 1);
  assert.equal(get('x'), 1);
  assert.equal(get('y'), 0, 'a comparison binds nothing');
  assert.equal(get('z'), 0);
  assert.equal(get('i'), 1);
  assert.equal(get('j'), 1);
  assert.equal(get('fh'), 1);
  assert.equal(get('w'), 1);
  assert.equal(get('g'), 1);
  assert.equal(get('inner'), 1);
  assert.equal(get('param'), 0, "a nested def's parameter binds in that def");
  assert.ok(get('osp') >= 1, 'an import binds (over-counted here: an imported name is never typed)');
  assert.equal(get('k'), 2, 'both statements of a line');
  assert.equal(get('v'), 0);
  const calls = 'svc.run(x, kw=1)\nf(\n    svc=svc,\n)\n(a, b) = pair()\nd[key] = 1\n';
  const logical = bindingCounts(calls, [0, 17, 35, 51]);
  assert.equal(logical.get('svc') ?? 0, 0, "a call's keyword arguments bind nothing (one logical line)");
  assert.equal(logical.get('a'), 1, 'a parenthesised target list binds');
  assert.equal(
    bindingCounts(calls).get('svc'),
    1,
    'physical lines: a keyword argument on its own line counts',
  );
});

test('instanceUses: `svc.f(` stands for `C.f(`; calls of the instance and longer chains for nothing', () => {
  const map = new Map([['svc', ['Svc', 'm.Other']]]);
  assert.deepEqual(instanceUses({ word: 'svc', call: false, self: false, tail: ['fetch'] }, map), [
    { word: 'Svc', call: false, self: false, tail: ['fetch'], instance: true },
    { word: 'm', call: false, self: false, tail: ['Other', 'fetch'], instance: true },
  ]);
  assert.deepEqual(
    instanceUses({ word: 'svc', call: false, self: false }, map).map((u) => u.tail),
    [undefined, undefined],
    'a shape not read for sure: the whole class',
  );
  assert.deepEqual(instanceUses({ word: 'svc', call: true, self: false, tail: [] }, map), []);
  assert.deepEqual(instanceUses({ word: 'svc', call: false, self: false, tail: ['a', 'f'] }, map), []);
  assert.deepEqual(instanceUses({ word: 'svc', call: false, self: true }, map), []);
  assert.deepEqual(instanceUses({ word: 'x', call: false, self: false, tail: ['f'] }, map), []);
});

test('asyncMethod / onlyAsync: the method a class ends up with after sync overloads; async-only names', () => {
  const code = [
    'class Agent:',
    '    @overload',
    '    def arun(self, a: int): ...',
    '    async def arun(self, a):',
    '        def run(): pass',
    '        return 1',
    '    def run(self):',
    '        async def helper(): pass',
    '',
    'class Mixed:',
    '    async def go(self):',
    '        async def go(): pass',
    '    def go(self): pass',
    '',
    'async def only(): pass',
    'def both(): pass',
    'async def both(): pass',
  ].join('\n');
  const lexed = lexTopLevel(code)!;
  const blocks = defBlocks(lexed.code, lexed.lines)!;
  assert.equal(asyncMethod(blocks, lexed.code, 'Agent', 'arun'), true);
  assert.equal(
    asyncMethod(blocks, lexed.code, 'Agent', 'run'),
    false,
    'a nested def named run does not count',
  );
  assert.equal(asyncMethod(blocks, lexed.code, 'Mixed', 'go'), false, 'the last method is sync');
  assert.equal(asyncMethod(blocks, lexed.code, 'Nope', 'go'), false);
  assert.equal(onlyAsync(blocks, lexed.code, 'only'), true);
  assert.equal(onlyAsync(blocks, lexed.code, 'helper'), true);
  assert.equal(onlyAsync(blocks, lexed.code, 'both'), false);
  assert.equal(onlyAsync(blocks, lexed.code, 'Agent'), false);
});

test('pre-filter: an async def reached from sync code, or an async method after overloads, starts no chain', () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-inst-')));
  try {
    fs.writeFileSync(
      path.join(dir, 'models.py'),
      [
        'import time',
        'from typing import overload',
        '',
        'async def slow():',
        '    time.sleep(1)',
        '',
        'def dispatch():',
        '    return slow()',
        '',
        'class Agent:',
        '    @overload',
        '    def arun(self, a: int): ...',
        '    async def arun(self, a):',
        '        time.sleep(1)',
        '',
        '    def run(self):',
        '        time.sleep(1)',
        '',
        'agent = Agent()',
        '',
        'late = None',
        '',
        'def init():',
        '    global late',
        '    late = Agent()',
        '',
        'class Wrapper:',
        '    def __init__(self):',
        '        self.agent = Agent()',
        '',
        '    def go(self):',
        '        return self.agent.run()',
      ].join('\n'),
    );
    const index = new ProjectIndex({ roots: [dir], stable: true });
    const main = path.join(dir, 'main.py');
    const chains = (imports: string, body: string): boolean =>
      index.mayHaveChains(main, `${imports}\n\nasync def route():\n    ${body}\n`);
    assert.equal(
      chains('from models import dispatch', 'dispatch()'),
      false,
      'dispatch() only makes a coroutine',
    );
    assert.equal(chains('from models import Agent', 'a = Agent()\n    a.arun(1)'), false, 'arun is async');
    assert.equal(chains('from models import Agent', 'a = Agent()\n    a.run()'), true);
    assert.equal(chains('from models import agent', 'agent.arun(1)'), false);
    assert.equal(chains('from models import agent', 'agent.run()'), true, "the module's instance");
    // Bound twice (`late = None`, then `global late` in init()): no type, as in the call graph.
    assert.equal(chains('from models import late', 'late.run()'), false, 'bound twice');
    assert.equal(chains('import models', 'models.late.run()'), false, 'bound twice');
    assert.equal(chains('import models', 'models.agent.run()'), true);
    // An attribute of self set once to an instance: its class's methods.
    const method = (init: string, call: string): boolean =>
      index.mayHaveChains(
        main,
        `from models import Agent\n\nclass Api:\n    def __init__(self):\n        ${init}\n\n    async def go(self):\n        ${call}\n`,
      );
    assert.equal(method('self.agent = Agent()', 'self.agent.run()'), true);
    assert.equal(method('self.agent = None', 'self.agent.run()'), false);
    // ...or to a parameter annotated with a class (`def __init__(self, agent: Agent)`: injected).
    const injected = (param: string): boolean =>
      index.mayHaveChains(
        main,
        `from models import Agent\n\nclass Api:\n    def __init__(self, ${param}):\n        self.agent = agent\n\n    async def go(self):\n        self.agent.run()\n`,
      );
    assert.equal(injected('agent: Agent'), true);
    assert.equal(injected('agent: "Agent"'), false, 'a string annotation is not read');
    assert.equal(injected('agent'), false, 'no annotation');
    // ...also in a module followed: Wrapper.go() -> self.agent.run() -> Agent.run().
    assert.equal(chains('from models import Wrapper', 'w = Wrapper()\n    w.go()'), true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
