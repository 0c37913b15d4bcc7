/**
 * BHD007 module resolution (src/diagnostics/callGraph/projectIndex.ts) in a project with several roots: a
 * package and, beside it, a tests directory that is a root of its own (no `__init__.py`). Both have a
 * `common`; an absolute import resolves from the importing file's own root first, as Python does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkSource } from '../../src/diagnostics/analyze';
import { ProjectIndex } from '../../src/diagnostics/callGraph/projectIndex';
import { rootsForFiles } from '../../src/diagnostics/callGraph/roots';
import { rootRelative } from '../../src/diagnostics/callGraph/chainFinding';
import { argumentShape, assigns, falsyParams, passes } from '../../src/diagnostics/callGraph/guards';

const BLOCKS = 'import time\n\ndef fetch():\n    time.sleep(1)\n';
const FINE = 'def fetch():\n    return 1\n';
const CALLER = 'from common import fetch\n\nasync def route():\n    fetch()\n';

/** Writes `text` to `rel` under `dir` (directories made), returning the file's path. */
const writer =
  (dir: string) =>
  (rel: string, text: string): string => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };

/** BHD007's messages for `caller` (routes.py) in a temp project of one more module `name` with `lines`. */
async function chainMessages(name: string, lines: string[], caller: string): Promise<string[]> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-chain-')));
  try {
    const write = writer(dir);
    write(name, lines.join('\n'));
    const file = write('routes.py', caller);
    const project = new ProjectIndex({ roots: [dir], stable: true, checked: [file] });
    return (await checkSource(caller, { project, file }))
      .filter((f) => f.code === 'BHD007')
      .map((f) => f.message);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function chains(blockingIn: 'package' | 'tests'): Promise<{ app: number; tests: number }> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-roots-')));
  try {
    const write = writer(dir);
    write('app/__init__.py', '');
    write('common/__init__.py', blockingIn === 'package' ? BLOCKS : FINE);
    write('tests/common.py', blockingIn === 'tests' ? BLOCKS : FINE);
    const app = write('app/routes.py', CALLER);
    const tests = write('tests/test_routes.py', CALLER);
    const roots = rootsForFiles([app, tests]);
    // The tests root is the longer path: it came first in the old lookup, for every file.
    assert.deepEqual([...roots].sort(), [dir, path.join(dir, 'tests')].sort());
    const project = new ProjectIndex({ roots, stable: true, checked: [app, tests] });
    const count = async (file: string): Promise<number> =>
      (await checkSource(CALLER, { project, file })).filter((f) => f.code === 'BHD007').length;
    return { app: await count(app), tests: await count(tests) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("BHD007: an absolute import resolves from the importing file's own root first", async () => {
  // app/routes.py imports the package `common` (project root); tests/test_routes.py its own tests/common.py.
  assert.deepEqual(await chains('package'), { app: 1, tests: 0 });
  assert.deepEqual(await chains('tests'), { app: 0, tests: 1 });
});

test("a chain's file is named from the innermost root holding it in a directory, else the outermost", () => {
  const p = path.join(os.tmpdir(), 'proj');
  const roots = [path.join(p, 'app', 'store'), path.join(p, 'src'), p]; // innermost first, as the index sorts them
  // A folder without __init__.py is a root of its own: its files are named from the root above.
  assert.equal(rootRelative(roots, path.join(p, 'app', 'store', 'client.py')), 'app/store/client.py');
  assert.equal(rootRelative(roots, path.join(p, 'src', 'pkg', 'db.py')), 'pkg/db.py');
  assert.equal(rootRelative(roots, path.join(p, 'tool.py')), 'tool.py');
  assert.equal(rootRelative([path.join(p, 'scripts')], path.join(p, 'scripts', 'run.py')), 'run.py');
  assert.equal(rootRelative(roots, path.join(os.tmpdir(), 'elsewhere', 'x.py')), 'x.py');
});

test('flags (guards.ts): falsy defaults, assignments, what a call passes', () => {
  assert.deepEqual(
    [...falsyParams('(self, items, parallel: bool = False, n=0, s="", *, wait=None, **kw)').entries()],
    [
      ['parallel', { param: 'parallel', index: 2, default: 'False' }],
      ['n', { param: 'n', index: 3, default: '0' }],
      ['wait', { param: 'wait', index: -1, default: 'None' }],
    ],
  );
  // (True is a flag's default too: `blocking=True` then `if not blocking: return`)
  assert.deepEqual([...falsyParams('(a, b=True, c=1, d=f(x, y))').keys()], ['b']);
  for (const body of [
    '\n    p = p or x\n',
    '\n    p: bool = True\n',
    '\n    p |= x\n',
    '\n    for p in xs:\n',
    '\n    with f() as p:\n',
    '\n    global p\n',
  ])
    assert.ok(assigns(body, 'p'), body);
  for (const body of ['\n    if p == 1:\n', '\n    q = p\n', '\n    f(p=1)\n', '\n    pp = 2\n'])
    assert.ok(!assigns(body, 'p'), body);
  const shape = argumentShape('(a, f(b, c), key="x,y", parallel=True)');
  assert.deepEqual([shape.positional, [...shape.keywords], shape.spread], [2, ['key', 'parallel'], false]);
  assert.equal(argumentShape('(*args)').spread, true);
  assert.equal(argumentShape('(**kw)').spread, true);
  assert.equal(argumentShape('()').positional, 0);
  // A parameter without a default is a flag when the body tests it: the call passes its value.
  assert.deepEqual(
    [...falsyParams('(self, name, wait: bool, *, poll, n=1, **kw)', (p) => p !== 'name').entries()],
    [
      ['self', { param: 'self', index: 0 }],
      ['wait', { param: 'wait', index: 2 }],
      ['poll', { param: 'poll', index: -1 }],
    ],
  );
  const req = { param: 'wait', index: 2 };
  assert.ok(!passes(argumentShape('(a, b, False)'), req, false));
  assert.ok(passes(argumentShape('(a, b, x)'), req, false));
  assert.ok(passes(argumentShape('(a, b)'), req, false), 'not read where it is passed: anything');
  const g = { param: 'parallel', index: 2, default: 'False' };
  assert.ok(!passes(argumentShape('(a, b)'), g, false));
  assert.ok(passes(argumentShape('(a, b, True)'), g, false));
  assert.ok(passes(argumentShape('(a, True)'), g, true), 'a method: self may be bound');
  assert.ok(passes(argumentShape('(a, parallel=x)'), g, false));
  assert.ok(
    !passes(argumentShape('(a, b, c)'), { param: 'wait', index: -1, default: 'None' }, false),
    'keyword-only',
  );
  // Negated tests: `if not p:` runs unless a truthy literal is passed; `if p is None:` unless any non-None one.
  const off = { param: 'ephemeral', index: 0, default: 'False', test: 'falsy' as const };
  assert.ok(passes(argumentShape('()'), off, false), 'not passed: the default (False) runs `if not p:`');
  assert.ok(!passes(argumentShape('(ephemeral=True)'), off, false));
  assert.ok(passes(argumentShape('(ephemeral=x)'), off, false));
  assert.ok(passes(argumentShape('(0)'), off, false));
  const none = { param: 'client', index: 0, default: 'None', test: 'isNone' as const };
  assert.ok(passes(argumentShape('()'), none, false));
  assert.ok(!passes(argumentShape('("x")'), none, false));
  assert.ok(!passes(argumentShape('(False)'), none, false));
  assert.ok(passes(argumentShape('(None)'), none, false));
  assert.ok(!passes(argumentShape('()'), { ...none, default: '0' }, false), '0 is not None');
});

test('BHD007 shows a chain that runs on any platform before one under `if sys.platform == "win32":`', async () => {
  const caller =
    'from tools import not_windows, start, windows_only\n\nasync def route():\n    start()\n    windows_only()\n    not_windows()\n';
  const messages = await chainMessages(
    'tools.py',
    [
      'import os, platform, subprocess, sys, time',
      '',
      'def node_path():',
      '    if sys.platform == "win32":',
      '        return subprocess.check_output(["where", "node"])',
      '    return "/usr/bin/node"',
      '',
      'def wait_ready():',
      '    time.sleep(1)',
      '',
      'def start():',
      '    path = node_path()',
      '    wait_ready()',
      '    return path',
      '',
      'def windows_only():',
      '    if os.name == "nt" and path_set():',
      '        os.system("cls")',
      '    elif platform.system() == "Darwin":',
      '        helper()',
      '',
      'def helper():',
      '    time.sleep(1)',
      '',
      'def path_set():',
      '    return True',
      '',
      'def not_windows():',
      '    if sys.platform != "win32":',
      '        os.system("clear")',
      '',
    ],
    caller,
  );
  assert.equal(messages.length, 3, messages.join('\n'));
  // start(): node_path() comes first, but its process runs on Windows only; wait_ready() sleeps everywhere.
  assert.match(messages[0]!, /start\(\).*wait_ready\(\).*time\.sleep/);
  // Only platform-specific paths: still reported (the first: the operation in the def itself).
  assert.match(messages[1]!, /windows_only\(\).*os\.system/);
  // `!= "win32"` is the branch a Linux server takes.
  assert.match(messages[2]!, /not_windows\(\).*os\.system/);
});

test("BHD007 shows what blocks first: an operation in a `with` body before the `with`'s own exit", async () => {
  const caller =
    'from server import fan_out, fetch, serve, pooled\n\nasync def route(cmd):\n    serve(cmd)\n    fan_out(cmd)\n    fetch(cmd)\n    pooled(cmd)\n';
  const messages = await chainMessages(
    'server.py',
    [
      'import subprocess, time',
      'from urllib.request import urlopen',
      'from concurrent.futures import ThreadPoolExecutor',
      '',
      'def serve(cmd):',
      '    with subprocess.Popen(cmd) as proc:',
      '        while proc.poll() is None:',
      '            time.sleep(1)',
      '',
      'def fetch(url):',
      '    with urlopen(url) as page:',
      '        time.sleep(1)',
      '',
      'def fan_out(items):',
      '    with ThreadPoolExecutor() as ex, subprocess.Popen(items):',
      '        pass',
      '    time.sleep(1)',
      '',
      'def pooled(items):',
      '    if not items:',
      '        return []',
      '    with ThreadPoolExecutor() as ex:',
      '        time.sleep(1)',
      '',
    ],
    caller,
  );
  assert.equal(messages.length, 4, messages.join('\n'));
  // The same under a flag (`if not items: return`: the rest runs when the caller passes items).
  assert.match(messages[3]!, /pooled\(\).*time\.sleep\(\) \(server\.py:23\)/);
  assert.match(messages[0]!, /serve\(\).*time\.sleep\(\) \(server\.py:8\)/);
  // Nothing in the body: the exits, the last item's first (Python leaves them in reverse order).
  assert.match(messages[1]!, /fan_out\(\).*with subprocess\.Popen\(\.\.\.\) \(server\.py:15\)/);
  // `with urlopen(...)` blocks when entered, before its body runs.
  assert.match(messages[2]!, /fetch\(\).*urlopen\(\) \(server\.py:11\)/);
});

test('BHD007 follows names a star import brings: a function, a class method, a module-level instance', async () => {
  const caller = [
    'from models import *',
    '',
    'def save():',
    '    return 1',
    '',
    'class Local:',
    '    def load_all(self):  # a method of that name: not what `load_all()` calls',
    '        return 1',
    '',
    'async def route(x):',
    '    load_all()',
    '    Repo.load()',
    '    repo.fetch()',
    '    save()',
    '    Repo.fine()',
    '    _hidden()',
    '',
  ].join('\n');
  const messages = await chainMessages(
    'models.py',
    [
      'import time',
      '',
      'def load_all():',
      '    time.sleep(1)',
      '',
      'def save():',
      '    time.sleep(1)',
      '',
      'def _hidden():',
      '    time.sleep(1)',
      '',
      'class Repo:',
      '    @staticmethod',
      '    def load():',
      '        time.sleep(1)',
      '    @staticmethod',
      '    def fine():',
      '        return 1',
      '    def fetch(self):',
      '        time.sleep(1)',
      '',
      'repo = Repo()',
      '',
    ],
    caller,
  );
  // A method named like a star import's function is no def of the module: `load_all()` is still the star's.
  const alone = await chainMessages(
    'models.py',
    ['import time', '', 'def load_all():', '    time.sleep(1)', ''],
    'from models import *\n\nclass Local:\n    def load_all(self):\n        return 1\n\nasync def route():\n    load_all()\n',
  );
  assert.equal(alone.length, 1, 'a method of the same name');
  // (this module's own `save` wins; `_hidden` is not brought by a star import)
  assert.deepEqual(
    messages.map((m) => m.replace(/ blocks the event loop.*/, '')),
    ['`load_all()`', '`Repo.load()`', '`repo.fetch()`'],
  );
});

test('BHD007 names the call on one line: `Svc(...).run()` for an instance made there, no continuations', async () => {
  const caller = [
    'from svc import Svc, helper',
    '',
    'async def route(x):',
    '    Svc(',
    '        x,',
    '    ).run()',
    '    helper \\',
    '        (x)',
    '',
  ].join('\n');
  const messages = await chainMessages(
    'svc.py',
    [
      'import time',
      '',
      'class Svc:',
      '    def run(self):',
      '        time.sleep(1)',
      '',
      'def helper(x):',
      '    time.sleep(x)',
      '',
    ],
    caller,
  );
  assert.deepEqual(
    messages.map((m) => m.replace(/ blocks the event loop.*/, '')),
    ['`Svc(...).run()`', '`helper()`'],
  );
  assert.match(messages[0]!, /→ Svc\.run\(\) → time\.sleep\(\)/);
});
