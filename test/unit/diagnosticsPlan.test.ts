/**
 * planCheck (src/diagnostics/regions.ts) decides from the text alone which files and statements a whole-file
 * check parses. It must never change a finding: on every Python file of the fixtures and the demo app, on
 * pairs of them glued together, and on systematic variants (code moved into a class, async <-> sync,
 * renamed receivers, CRLF, tabs, calls in strings, code under `if`), checkSource with planning must equal
 * checkSource parsing the whole file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkSource, mightContainFindings } from '../../src/diagnostics/analyze';
import { planCheck } from '../../src/diagnostics/regions';
import { ProjectIndex, readDisk } from '../../src/diagnostics/callGraph/projectIndex';
import type { Finding } from '../../src/diagnostics/types';
import { rootsForFiles } from '../../src/diagnostics/callGraph/roots';

const repo = path.join(__dirname, '../../..');

function pythonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.pyi?$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const SOURCES = [
  ...pythonFiles(path.join(repo, 'test/fixtures')),
  ...pythonFiles(path.join(repo, 'examples/news-backend')),
].map((file) => ({ file, source: fs.readFileSync(file, 'utf8') }));

const indent = (text: string, by: string): string =>
  text
    .split('\n')
    .map((line) => (line.trim() ? by + line : line))
    .join('\n');

/** Variants of one file that move findings in and out of reach of the planner's shortcuts. */
function variants(source: string): [string, string][] {
  return [
    ['as is', source],
    [
      'in a class',
      `import typing\n\nclass Wrapper:\n${indent(source.replace(/^(import|from) .*$/gm, ''), '    ')}\n${source.match(/^(import|from) .*$/gm)?.join('\n') ?? ''}\n`,
    ],
    [
      'imports first, code in a class',
      `${source.match(/^(import|from) .*$/gm)?.join('\n') ?? ''}\n\nclass Wrapper:\n${indent(source.replace(/^(import|from) .*$/gm, ''), '    ')}\n`,
    ],
    [
      'under if',
      `${source.match(/^(import|from) .*$/gm)?.join('\n') ?? ''}\nif True:\n${indent(source.replace(/^(import|from) .*$/gm, ''), '    ')}\n`,
    ],
    ['async -> sync', source.replace(/async def/g, 'def')],
    ['sync -> async', source.replace(/(?<!async )def /g, 'async def ')],
    ['receivers renamed', source.replace(/\bexecutor\b/g, 'pool').replace(/\bsession\b/g, 'client')],
    ['executor-named receivers', source.replace(/\bpool\b/g, 'executor')],
    ['CRLF', source.replace(/\n/g, '\r\n')],
    ['tabs', source.replace(/^( {4})+/gm, (m) => '\t'.repeat(m.length / 4))],
    ['eight spaces as a tab', source.replace(/^ {8}/gm, '\t')],
    [
      'calls in strings',
      `${source}\nTEXT = "requests.get(u) time.sleep(1) executor.shutdown()"\n# requests.post(u)\n`,
    ],
    ['broken tail', `${source}\nasync def broken(:\n    time.sleep(1)\n`],
  ];
}

async function assertSame(source: string, label: string): Promise<void> {
  const planned = await checkSource(source);
  const full = await checkSource(source, { regions: false });
  assert.deepEqual(planned, full, label);
}

test('planned check == full parse on fixtures, the demo app and their variants', async () => {
  assert.ok(SOURCES.length > 10, `expected fixture files, found ${SOURCES.length}`);
  let skipped = 0;
  let partial = 0;
  let checked = 0;
  for (const { file, source } of SOURCES) {
    for (const [name, variant] of variants(source)) {
      await assertSame(variant, `${path.relative(repo, file)} (${name})`);
      const plan = planCheck(variant);
      if (!plan.parse) skipped++;
      else if (plan.pieces) partial++;
      checked++;
    }
  }
  // The planner must actually skip and trim (else this test would prove nothing about its shortcuts).
  assert.ok(skipped > 10, `files not parsed at all: ${skipped} of ${checked}`);
  assert.ok(partial > 10, `files parsed in part: ${partial} of ${checked}`);
});

test('BHD007: the text pre-filter and planned parsing == whole-file analysis, with a project index', async () => {
  // Every fixture file and its variants, checked as that file of its project (imports resolve from its
  // roots): skipping by text (mayHaveChains) must never lose a chain the full summary finds.
  let chains = 0;
  let skipped = 0;
  // The reference reads every module a call leads to (no text-level answer spares one).
  const projects = new Map<string, [ProjectIndex, ProjectIndex]>();
  // The variant being checked is what both read of its file (as the editor's open buffer), the disk elsewhere.
  const open = { file: '', text: '' };
  const readText = (f: string): string | undefined => (f === open.file ? open.text : readDisk(f));
  for (const { file, source } of SOURCES) {
    const roots = rootsForFiles([file]);
    const key = roots.join('\u0000');
    let pair = projects.get(key);
    if (!pair)
      projects.set(
        key,
        (pair = [
          new ProjectIndex({ roots, readText }),
          new ProjectIndex({ roots, readText, textGate: false }),
        ]),
      );
    const [project, reference] = pair;
    for (const [name, variant] of variants(source)) {
      open.file = path.resolve(file);
      open.text = variant;
      const planned = await checkSource(variant, { project, file });
      const full = await checkSource(variant, { project: reference, file, regions: false });
      assert.deepEqual(planned, full, `${path.relative(repo, file)} (${name})`);
      chains += full.filter((f) => f.code === 'BHD007').length;
      if (!project.mayHaveChains(file, variant)) skipped++;
    }
  }
  assert.ok(chains > 20, `BHD007 findings: ${chains}`);
  assert.ok(skipped > 20, `files the pre-filter spared: ${skipped}`);
});

/**
 * A project in a temporary directory with `files` (name -> text), its index, and `main.py`: `says(code)` saves
 * `code` as main.py (a chain's hops are read from their files) and gives what the pre-filter says of it and
 * how many BHD007 findings the check has. Removed after `body`.
 */
async function withMain(
  files: Record<string, string>,
  body: (p: {
    project: ProjectIndex;
    file: string;
    says: (code: string) => Promise<[boolean, number]>;
  }) => Promise<void> | void,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-prefilter-'));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const project = new ProjectIndex({ roots: [dir] });
    const file = path.join(dir, 'main.py');
    const says = async (code: string): Promise<[boolean, number]> => {
      fs.writeFileSync(file, code);
      project.changed(file);
      return [
        project.mayHaveChains(file, code),
        (await checkSource(code, { project, file })).filter((f) => f.code === 'BHD007').length,
      ];
    };
    await body({ project, file, says });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('BHD007 pre-filter: a call from async code to an async def (or a name only an async def has) starts no chain', async () => {
  // helpers.py may block (time.sleep) but its `fetch` is async; `load` is sync.
  const helpers = 'import time\n\nasync def fetch():\n    time.sleep(1)\n\ndef load():\n    time.sleep(1)\n';
  await withMain({ 'helpers.py': helpers }, ({ project, file }) => {
    const own = (def: string): string =>
      `import time\n\n${def} helper():\n    time.sleep(1)\n\nasync def main():\n    helper()\n`;
    assert.equal(project.mayHaveChains(file, own('async def')), false);
    assert.equal(project.mayHaveChains(file, own('def')), true);
    // Awaited, a call is skipped by the call graph (an awaitable, not a helper's result): so by the pre-filter.
    assert.equal(
      project.mayHaveChains(file, own('def').replace('    helper()', '    await helper()')),
      false,
    );
    assert.equal(project.mayHaveChains(file, own('async \\\n  def')), false);
    const imported = (name: string): string =>
      `from helpers import ${name}\n\nasync def main():\n    ${name}()\n`;
    assert.equal(project.mayHaveChains(file, imported('fetch')), false);
    assert.equal(project.mayHaveChains(file, imported('load')), true);
  });
});

test('BHD007 pre-filter: a def header is no call, and a plain call runs no method nor nested def', async () => {
  await withMain({}, async ({ says }) => {
    const blocking = 'import time\n\nclass Client:\n    def map(self, xs):\n        time.sleep(1)\n\n';
    // `async def fetch(` in async code names a sync def `fetch` (the module's): a header, not a call.
    const header =
      'import time\n\ndef fetch():\n    time.sleep(1)\n\nclass Api:\n    async def fetch(self):\n        return 1\n';
    assert.deepEqual(await says(header), [false, 0]);
    // A plain `map(...)` is the builtin: Client.map runs only through a Client.
    assert.deepEqual(await says(`${blocking}async def go(xs):\n    return list(map(str, xs))\n`), [false, 0]);
    // A nested sync def is not followed by the call graph (nor is its header a call).
    const nested = 'import time\n\nasync def go():\n    def helper():\n        time.sleep(1)\n    helper()\n';
    assert.deepEqual(await says(nested), [false, 0]);
    // A module-level def, also one under `if`, and a method through self: followed.
    assert.deepEqual(
      await says(`${blocking}def map(xs):\n    time.sleep(1)\n\nasync def go(xs):\n    map(xs)\n`),
      [true, 1],
    );
    const underIf =
      'import time\n\nif True:\n    def helper():\n        time.sleep(1)\n\nasync def go():\n    helper()\n';
    assert.deepEqual(await says(underIf), [true, 1]);
    const viaSelf = `${blocking}class Sub(Client):\n    async def go(self, xs):\n        self.map(xs)\n`;
    assert.deepEqual(await says(viaSelf), [true, 1]);
    // A call in a lambda's body runs when the lambda is called (elsewhere); a default value runs here.
    const lambdas = (body: string): string =>
      `import time\n\ndef helper():\n    time.sleep(1)\n\nasync def go(loop):\n    ${body}\n`;
    assert.deepEqual(await says(lambdas('await loop.run_in_executor(None, lambda: helper())')), [false, 0]);
    assert.deepEqual(await says(lambdas('loop.call_soon(lambda x=helper(): x)')), [true, 1]);
    assert.deepEqual(await says(lambdas('cb = lambda: 0; helper()')), [true, 1]);
  });
});

test('BHD007 pre-filter: `m.f()` in a helper asks about f of module m, not about all of m', async () => {
  // search.py blocks in `slow`, not in `index_name`.
  const search =
    'import time\n\ndef index_name(uid):\n    return f"x_{uid}"\n\ndef slow():\n    time.sleep(1)\n';
  await withMain({ 'search.py': search }, async ({ says }) => {
    const helper = (call: string, lazy: boolean): string =>
      `${lazy ? '' : 'import search as s\n'}\ndef helper():\n    ${lazy ? 'import search as s\n    ' : ''}return s.${call}(1)\n\nasync def go():\n    helper()\n`;
    for (const lazy of [false, true]) {
      assert.deepEqual(await says(helper('index_name', lazy)), [false, 0], `index_name, lazy: ${lazy}`);
      assert.deepEqual(await says(helper('slow', lazy)), [true, 1], `slow, lazy: ${lazy}`);
    }
  });
});

test("BHD007 pre-filter: a nested def's body is its own (not followed), its defaults run where it is written", async () => {
  await withMain({}, async ({ says }) => {
    const helper = (nested: string): string =>
      `import time\n\ndef slow():\n    time.sleep(1)\n\ndef helper():\n${nested}\n    return 1\n\nasync def go():\n    helper()\n`;
    assert.deepEqual(await says(helper('    def inner():\n        slow()')), [false, 0]);
    assert.deepEqual(await says(helper('    def inner(x=slow()):\n        return x')), [true, 1]);
    assert.deepEqual(
      await says(helper('    def inner(\n        x=slow(),\n    ):\n        return x')),
      [true, 1],
      'a default on a later line of the header',
    );
    // A body on the header's line is kept (not read apart): the pre-filter stays on the safe side.
    assert.deepEqual(await says(helper('    def inner(): slow()')), [true, 0]);
  });
});

test('BHD007 pre-filter: `with C():` enters a class named plainly; `with m.C():` is a call (as in the call graph)', async () => {
  const pool =
    'import time\n\nclass Pool:\n    def __enter__(self):\n        return self\n    def __exit__(self, *exc):\n        time.sleep(1)\n';
  await withMain({ 'pool.py': pool }, async ({ says }) => {
    const go = (imports: string, item: string): string =>
      `${imports}\n\nasync def go():\n    with ${item}:\n        pass\n`;
    assert.deepEqual(await says(go('from pool import Pool', 'Pool()')), [true, 1]);
    assert.deepEqual(await says(go('import pool', 'pool.Pool()')), [false, 0]);
    assert.deepEqual(await says(go('import pool as p', 'p.Pool() as x')), [false, 0]);
  });
});

test('BHD007 pre-filter: a module in an import cycle that reaches a blocking one is not cached as "no"', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-cycle-'));
  try {
    // a imports b and c; b imports a back; c blocks. Asking about a first walks a -> b -> a (a cycle) -> c.
    fs.writeFileSync(path.join(dir, 'a.py'), 'import b\nimport c\n\ndef fa():\n    return c.fc()\n');
    fs.writeFileSync(path.join(dir, 'b.py'), 'import a\n\ndef fb():\n    return a.fa()\n');
    fs.writeFileSync(path.join(dir, 'c.py'), 'import time\n\ndef fc():\n    time.sleep(1)\n');
    const project = new ProjectIndex({ roots: [dir] });
    const viaA = 'from a import fa\n\nasync def main():\n    fa()\n';
    const viaB = 'from b import fb\n\nasync def main():\n    fb()\n';
    assert.equal(project.mayHaveChains(path.join(dir, 'm1.py'), viaA), true);
    assert.equal(project.mayHaveChains(path.join(dir, 'm2.py'), viaB), true, 'b reaches c through a');
    const findings = await checkSource(viaB, { project, file: path.join(dir, 'm2.py') });
    assert.match(findings.find((f) => f.code === 'BHD007')?.message ?? '', /fb\(\).*a\.fa|fa\(\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('planned check == full parse on pairs of files glued together', async () => {
  for (let i = 0; i < SOURCES.length; i++) {
    for (const j of [i + 1, i + 7, i + 13]) {
      const a = SOURCES[i]!;
      const b = SOURCES[j % SOURCES.length]!;
      await assertSame(`${a.source}\n${b.source}`, `${a.file} + ${b.file}`);
      await assertSame(
        `${b.source}\n\nclass Glue:\n${indent(a.source, '    ')}\n`,
        `${b.file} + class(${a.file})`,
      );
    }
  }
});

test('planCheck: what makes a file worth parsing', () => {
  const parse = (src: string): boolean => planCheck(src).parse;
  // no candidate call at all
  assert.equal(parse('import requests\n\ndef f():\n    return 1\n'), false);
  // requests only in a docstring
  assert.equal(parse('"""\n>>> import requests\n>>> requests.get(u)\n"""\nimport os\n'), false);
  // a requests call without async: BHD005 applies anywhere
  assert.equal(parse('import requests\n\ndef f(u):\n    return requests.get(u)\n'), true);
  // time.sleep only in sync code of a file with async code elsewhere
  assert.equal(parse('import time\n\nasync def a():\n    pass\n\ndef b():\n    time.sleep(1)\n'), false);
  // ... and in async code, even in a continuation line with less indentation
  assert.equal(parse('import time\n\nasync def a():\n    x = f(\ntime.sleep(1))\n'), true);
  // a sync def nested in an async def is not async code; its defaults are
  assert.equal(parse('import time\nasync def a():\n    def b():\n        time.sleep(1)\n'), false);
  assert.equal(parse('import time\nasync def a():\n    def b(x=time.sleep(1)):\n        pass\n'), true);
  // .shutdown() on a receiver with no executor evidence
  assert.equal(
    parse('async def a(server):\n    server.shutdown()\n\ndef make_executor():\n    pass\n'),
    false,
  );
  assert.equal(parse('async def a(self):\n    self._executor.shutdown()\n'), true);
  // evidence through a module-level binding of a plain name
  assert.equal(
    parse(
      'from concurrent.futures import ThreadPoolExecutor as P\nPOOL = P()\nasync def a():\n    POOL.shutdown()\n',
    ),
    true,
  );
  // inconsistent indentation: no shortcut on the async check
  assert.equal(parse('import time\nasync def a():\n        x = 1\n    time.sleep(1)\n'), true);
});

test('checkSource with keepTree: a plan keeping most of the file is parsed whole once; --select BHD007 parses nothing', async () => {
  const helpers = Array.from({ length: 30 }, (_, i) => `def helper_${i}(a, b):\n    return a + b\n`).join(
    '\n',
  );
  const call = 'async def fetch(u):\n    return requests.get(u)\n';
  // Most of the file is a candidate: parsed whole, and the tree handed over (no second parse for the fixes).
  const mostly = `import requests\n\n${call}\n${call.replace('fetch', 'fetch2')}`;
  const plan = planCheck(`${mostly}\ndef small():\n    pass\n`);
  assert.ok(plan.parse && plan.pieces, 'the plan drops a statement');
  const kept: { tree?: import('../../src/python/treeSitter').Tree } = {};
  const a = await checkSource(`${mostly}\ndef small():\n    pass\n`, { keepTree: kept });
  assert.equal(a.length, 4); // BHD005 and BHD006 on each call
  assert.ok(kept.tree, 'whole-file tree handed over');
  assert.equal(kept.tree.rootNode.endIndex, `${mostly}\ndef small():\n    pass\n`.length);
  kept.tree.delete();
  // A plan keeping a small part: parsed in part (no tree to hand over), same findings as without keepTree.
  const little = `import requests\n\n${helpers}\n${call}`;
  const kept2: { tree?: import('../../src/python/treeSitter').Tree } = {};
  const b = await checkSource(little, { keepTree: kept2 });
  assert.equal(kept2.tree, undefined, 'parsed in part');
  assert.deepEqual(b, await checkSource(little));
  assert.deepEqual(b, await checkSource(little, { regions: false }));
  // Only BHD007 selected and no project: the other rules' plan and parse are skipped.
  const kept3: { tree?: import('../../src/python/treeSitter').Tree } = {};
  assert.deepEqual(await checkSource(mostly, { select: ['BHD007'], keepTree: kept3 }), []);
  assert.equal(kept3.tree, undefined);
});

test('planCheck: receivers with non-ASCII names keep their bindings', async () => {
  const source = [
    'from concurrent.futures import ThreadPoolExecutor',
    'async def a():',
    '    café = ThreadPoolExecutor()',
    '    café.shutdown()',
    '',
  ].join('\n');
  assert.equal(planCheck(source).parse, true);
  const findings = await checkSource(source);
  assert.deepEqual(
    findings.map((f) => f.code),
    ['BHD002'],
  );
  assert.deepEqual(findings, await checkSource(source, { regions: false }));
  const aliased = 'import requests as réq\n\ndef f(u):\n    return réq.get(u)\n';
  assert.equal(planCheck(aliased).parse, true, 'a non-ASCII import alias');
  assert.equal((await checkSource(aliased)).length, 1);
});

test('mightContainFindings: requests imports in every form, not doctest lines', () => {
  const yes = [
    'import requests\n',
    'import os, requests\n',
    'import os, \\\n    requests\n',
    'from requests import get\n',
    'from \\\n  requests import get\n',
    'try: import requests\nexcept ImportError: pass\n',
    'x = 1; import requests\n',
    'def f():\n    import requests as r\n',
    'from pip._vendor import requests\n',
    'from pip._vendor import (\n    requests,\n)\n',
    'import pip._vendor.requests as requests\n',
  ];
  for (const src of yes) assert.equal(mightContainFindings(src), true, src);
  assert.equal(mightContainFindings('"""\n>>> import requests\n>>> requests.get(u)\n"""\n'), false);
});

/** The whole-file findings of a generated case: in its own async code, and through a helper from a route. */
interface CaseFindings {
  direct: Finding[];
  chain: Finding[];
}

/**
 * Each case `[name, top, body]` as three modules of a fresh package: `app/h_<name>.py` (`top`, then `body` in
 * `def helper(<param>):`), `app/d_<name>.py` (the body in `async def main`) and `app/r_<name>.py` (async code
 * calling the helper). The last two, checked planned and pre-filtered, must equal the whole-file check against a
 * call graph without text gates; their whole-file findings are returned by case name.
 */
async function plannedEqualsWhole(
  cases: Iterable<readonly [name: string, top: string, body: string]>,
  param = 'url',
): Promise<Map<string, CaseFindings>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-cases-'));
  try {
    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'app', '__init__.py'), '');
    // (every module written before the indexes are made: they list directories once)
    const checks: [string, string, string][] = [];
    for (const [name, top, body] of cases) {
      fs.writeFileSync(path.join(dir, 'app', `h_${name}.py`), `${top}def helper(${param}):\n${body}`);
      const route = `from app.h_${name} import helper\n\n\nasync def route(${param}):\n    helper(${param})\n`;
      checks.push([name, path.join(dir, 'app', `d_${name}.py`), `${top}async def main(${param}):\n${body}`]);
      checks.push([name, path.join(dir, 'app', `r_${name}.py`), route]);
    }
    for (const [, file, source] of checks) fs.writeFileSync(file, source);
    const project = new ProjectIndex({ roots: [dir] });
    const reference = new ProjectIndex({ roots: [dir], textGate: false });
    const found = new Map<string, CaseFindings>();
    for (const [name, file, source] of checks) {
      const planned = await checkSource(source, { project, file });
      const full = await checkSource(source, { project: reference, file, regions: false });
      assert.deepEqual(planned, full, name);
      const entry = found.get(name) ?? { direct: [], chain: [] };
      if (path.basename(file).startsWith('d_')) entry.direct = full;
      else entry.chain = full;
      found.set(name, entry);
    }
    return found;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('httpx.Client receivers: every binding x call shape, planned and pre-filtered == whole-file (BHD006, BHD007)', async () => {
  // ./callGraph/clientText reads receivers from text; the analysis (valueKinds) from the tree. Shapes from a
  // review: line breaks before/after the dot, continuations, walrus, aliases, chains of names, non-ASCII names.
  const bindings: Record<string, string> = {
    plain: '    client = httpx.Client()\n',
    parenArgs: '    client = httpx.Client(\n        timeout=5,\n    )\n',
    contRight: '    client = \\\n        httpx.Client()\n',
    contLeft: '    client \\\n        = httpx.Client()\n',
    annotation: '    client: httpx.Client\n',
    walrus: '    if (client := httpx.Client()):\n        pass\n',
    with: '    with httpx.Client() as client:\n        pass\n',
    withCont: '    with httpx.Client() as \\\n            client:\n        pass\n',
    viaName: '    base = httpx.Client()\n    client = base\n',
    viaWalrusName: '    base = httpx.Client()\n    if (client := base):\n        pass\n',
    viaAnnotatedName: '    base: httpx.Client\n    client: object = base\n',
    aliasClass: '    client = HC()\n',
    aliasModule: '    client = hx.Client()\n',
    nonAscii: '    clienté = httpx.Client()\n    client = clienté\n',
    nonAsciiMarks: '    सेवा = httpx.Client()\n    client = सेवा\n',
    withName: '    base = httpx.Client()\n    with base as client:\n        pass\n',
    walrusIf: '    base = httpx.Client()\n    if client := base:\n        pass\n',
    annotationWithEquals: '    base = httpx.Client()\n    client: Annotated[object, dict(doc=1)] = base\n',
    annotatedValue: '    client: httpx.Client = make()\n',
    annotatedValueAlias: '    client: Optional[HC] = make()\n',
  };
  const calls: Record<string, string> = {
    plain: '    client.get(url)\n',
    spaces: '    client . get (url)\n',
    newlineInParens: '    (client\n        .get(url))\n',
    contBeforeDot: '    client \\\n        .get(url)\n',
    contAfterDot: '    client. \\\n        get(url)\n',
    contBeforeParen: '    client.get \\\n        (url)\n',
    commentInParens: '    (client  # c\n        .get(url))\n',
    returned: '    return client.post(url)\n',
  };
  // Unrelated bindings of other names first (they must not use up the chain's budget), and a form feed that
  // makes the lexer give up (the pre-filters then take every call).
  const prefixes: Record<string, string> = {
    none: '',
    otherNames: 'def f1():\n    a = b1\n\n\ndef f2():\n    a = b2\n\n\ndef f3():\n    a = b3\n\n\n',
    formFeed: '\f\n',
  };
  const header = 'import httpx\nimport httpx as hx\nfrom httpx import Client as HC\n\n\n';
  const cases: [string, string, string][] = [];
  for (const [b, binding] of Object.entries(bindings))
    for (const [c, call] of Object.entries(calls))
      for (const [p, prefix] of Object.entries(prefixes))
        cases.push([`${b}_${c}_${p}`, `${header}${prefix}`, `${binding}${call}`]);
  const found = [...(await plannedEqualsWhole(cases)).values()];
  const direct = found.flatMap((f) => f.direct).filter((f) => f.code === 'BHD006').length;
  const chains = found.flatMap((f) => f.chain).filter((f) => f.code === 'BHD007').length;
  // (the analysis reads most of these shapes: the comparison above is not between two empty answers)
  assert.ok(direct > 200 && chains > 200, `BHD006 ${direct}, BHD007 ${chains}`);
});

test('factories declared to return a client, Session or Popen: planned and pre-filtered == whole-file (BHD006, BHD007)', async () => {
  // The analysis (../factories) reads a def's return annotation, or what every `return` of an unannotated one
  // returns; the planner must keep that def and the text gates (clientText, blockingText) must take its calls
  // for the class. Nothing else names the class at module level here: the factory is the only evidence.
  const kinds: Record<string, { imports: string; type: string; call: (r: string) => string }> = {
    client: { imports: 'import httpx\n', type: 'httpx.Client', call: (r) => `${r}.get(url)` },
    session: {
      imports: 'import requests\n',
      type: 'requests.Session',
      call: (r) => `${r}.get(url, timeout=5)`,
    },
    popen: { imports: 'import subprocess\n', type: 'subprocess.Popen', call: (r) => `${r}.wait()` },
  };
  const headers: Record<string, (type: string) => string> = {
    plain: (t) => `def make(url=None) -> ${t}:\n    return None\n`,
    optional: (t) => `def make(url=None) -> Optional[${t}]:\n    return None\n`,
    decorated: (t) => `@lru_cache\ndef make(url=None) -> ${t}:\n    return None\n`,
    multiLine: (t) => `def make(\n    url=None,\n) -> ${t}:\n    return None\n`,
    decoy: () => 'def make(url=None) -> dict:\n    return {}\n',
    unannotated: () => 'def make(url=None):\n    return None\n',
    inferred: (t) => `def make(url=None):\n    if url:\n        raise ValueError(url)\n    return ${t}()\n`,
    inferredViaName: (t) => `def make(url=None):\n    made = ${t}()\n    return made\n`,
    maybeNone: (t) => `def make(url=None):\n    if url:\n        return None\n    return ${t}()\n`,
    fallsOff: (t) => `def make(url=None):\n    if url:\n        return ${t}()\n`,
    chained: (t) => `def inner():\n    return ${t}()\n\n\ndef make(url=None):\n    return inner()\n`,
    recursive: () => 'def make(url=None):\n    return make(url)\n',
    reassigned: (t) => `def make(url=None):\n    made = ${t}()\n    made = wrap(made)\n    return made\n`,
  };
  const uses: Record<string, (call: (r: string) => string) => string> = {
    bound: (call) => `    x = make()\n    ${call('x')}\n`,
    viaName: (call) => `    base = make(url)\n    x = base\n    ${call('x')}\n`,
    inline: (call) => `    ${call('make()')}\n`,
  };
  const cases: [string, string, string][] = [];
  for (const [k, kind] of Object.entries(kinds))
    for (const [h, header] of Object.entries(headers))
      for (const [u, use] of Object.entries(uses))
        cases.push([
          `${k}_${h}_${u}`,
          // (a def between the factory and its use: the planner leaves it out, not the factory)
          `${kind.imports}from functools import lru_cache\nfrom typing import Optional\n\n\n${header(kind.type)}\n\ndef other():\n    return 1\n\n\n`,
          use(kind.call),
        ]);
  const found = new Map<string, number>();
  for (const [name, { direct, chain }] of await plannedEqualsWhole(cases)) {
    const key = name.split('_')[1]!;
    found.set(key, (found.get(key) ?? 0) + direct.length + chain.length);
  }
  // Each declared factory: a finding per kind x use, in async code and through the helper (3 x 3 x 2).
  for (const h of ['plain', 'optional', 'decorated', 'multiLine', 'inferred', 'inferredViaName', 'chained'])
    assert.equal(found.get(h), 18, h);
  for (const h of ['decoy', 'unannotated', 'maybeNone', 'fallsOff', 'recursive', 'reassigned'])
    assert.equal(found.get(h), 0, h);
});

test('mightContainFindings: the other HTTP clients under other names (urllib3, httpx, urlopen aliases)', async () => {
  for (const source of [
    'from urllib3 import request as fetch\n\nasync def main(url):\n    fetch("GET", url)\n',
    'import httpx as h\n\nasync def main(url):\n    h.get(url)\n',
    'from httpx import get as fetch\n\nasync def main(url):\n    fetch(url)\n',
    'from urllib.request import urlopen as fetch\n\nasync def main(url):\n    fetch(url)\n',
  ]) {
    assert.ok(mightContainFindings(source), source);
    assert.deepEqual(
      (await checkSource(source)).map((f) => f.code),
      ['BHD006'],
      source,
    );
  }
  assert.ok(!mightContainFindings('import httpx\n\nasync def main(url):\n    return httpx.URL(url)\n'));
});

test('process calls: every import x call shape, planned and pre-filtered == whole-file (BHD006, BHD007)', async () => {
  // The text pre-filters (mayRunProcess, the BHD007 gates) read imports and calls from text; the analysis from
  // the tree. Each case: [imports, call, blocks].
  const processCalls: Record<string, [string, string, boolean]> = {
    module: ['import subprocess\n', 'subprocess.run(cmd)', true],
    moduleAlias: ['import subprocess as sp\n', 'sp.check_call(cmd)', true],
    byName: ['from subprocess import run\n', 'run(cmd)', true],
    byNameAlias: ['from subprocess import check_output as co\n', 'co(cmd)', true],
    star: ['from subprocess import *\n', 'getstatusoutput(cmd)', true],
    osSystem: ['import os\n', 'os.system(cmd)', true],
    osAlias: ['import os as o\n', 'o.system(cmd)', true],
    osPath: ['import os.path\n', 'os.system(cmd)', true],
    osByName: ['from os import system as shell\n', 'shell(cmd)', true],
    osStar: ['from os import *\n', 'waitpid(cmd, 0)', true],
    noHang: ['import os\n', 'os.waitpid(cmd, os.WNOHANG)', false],
    noHangByName: ['from os import WNOHANG, waitpid\n', 'waitpid(cmd, WNOHANG)', false],
    spawnWait: ['import os\n', 'os.spawnv(os.P_WAIT, cmd, [cmd])', true],
    spawnNoWait: ['import os\n', 'os.spawnv(os.P_NOWAIT, cmd, [cmd])', false],
    popen: ['import subprocess\n', 'subprocess.Popen(cmd)', false],
    popenWait: ['import subprocess\n', 'subprocess.Popen(cmd).wait()', true],
    popenAlias: ['from subprocess import Popen as P\n', 'P(cmd) \\\n        .communicate()', true],
    eventWait: ['import subprocess\n', 'cmd.wait()', false],
    contBeforeDot: ['import os\n', 'os \\\n        .system(cmd)', true],
    contAfterDot: ['import subprocess\n', 'subprocess. \\\n        call(cmd)', true],
    inParens: ['import subprocess\n', '(subprocess\n        .run(cmd))', true],
    notTheModule: ['import os\n', 'os.getcwd()', false],
    // (the same line breaks for the older targets)
    sleepContBeforeDot: ['import time\n', 'time \\\n        .sleep(1)', true],
    sleepContBeforeParen: ['from time import sleep\n', 'sleep \\\n        (1)', true],
  };
  const shapes: Record<string, (call: string) => string> = {
    statement: (c) => `    ${c}\n`,
    assigned: (c) => `    out = ${c}\n    return out\n`,
    returned: (c) => `    return ${c}\n`,
    nested: (c) => `    return [${c}]\n`,
    localImport: (c) => `    import subprocess, os\n    ${c}\n`,
  };
  const cases: [string, string, string][] = [];
  const blocks = new Map<string, boolean>();
  for (const [k, [imports, call, blocking]] of Object.entries(processCalls))
    for (const [sh, shape] of Object.entries(shapes)) {
      cases.push([`${k}_${sh}`, `${imports}\n\n`, shape(call)]);
      blocks.set(`${k}_${sh}`, blocking);
    }
  for (const [name, found] of await plannedEqualsWhole(cases, 'cmd'))
    for (const [where, findings] of [
      ['in async code', found.direct],
      ['through a helper', found.chain],
    ] as const) {
      const codes = findings.map((f) => f.code).filter((c) => c === 'BHD006' || c === 'BHD007');
      assert.equal(codes.length > 0, blocks.get(name), `${name} (${where}): ${codes.join(',')}`);
    }
});

test('mightContainFindings: process calls under other names, and not for os without them', () => {
  for (const source of [
    'import subprocess as sp\n\nasync def main(c):\n    sp.run(c)\n',
    'from os import system as shell\n\nasync def main(c):\n    shell(c)\n',
    'import os as o\n\nasync def main(c):\n    o.system(c)\n',
    'import os\n\nasync def main(c):\n    os . \\\n        waitpid(c, 0)\n',
  ])
    assert.ok(mightContainFindings(source), source);
  assert.ok(!mightContainFindings('import os\n\nasync def main(p):\n    return os.path.join(p, "x")\n'));
});
