import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPythonParser, type Parser } from '../../src/python/treeSitter';
import { analyze } from '../../src/diagnostics/analyze';
import {
  applyEdits,
  checkEdits,
  fixesFor,
  fixOptionsFor,
  type FixOptions,
} from '../../src/codeActions/fixes';
import { fixAll } from '../../src/codeActions/fixAll';
import type { PythonVersion } from '../../src/codeActions/pythonVersion';
import { importEdit } from '../../src/codeActions/imports';
import { toThreadFix } from '../../src/codeActions/toThreadFix';
import type { Finding } from '../../src/diagnostics/types';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'fixes');
const read = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

let parser: Parser;
before(async () => {
  parser = await createPythonParser();
});
after(() => parser.delete());

function parsesCleanly(text: string): boolean {
  const tree = parser.parse(text)!;
  try {
    return !tree.rootNode.hasError;
  } finally {
    tree.delete();
  }
}

/** Findings + the actions fixesFor offers for each (tree deleted before returning). */
function actionsFor(source: string, options: Partial<FixOptions> = {}) {
  const tree = parser.parse(source)!;
  try {
    const opts = fixOptionsFor(source, options);
    return analyze(tree, source).map((finding) => ({
      finding,
      actions: fixesFor(finding, tree, source, opts),
    }));
  } finally {
    tree.delete();
  }
}

// Input -> expected output for every shape the issue lists (fix-all = each finding's preferred fix).
const CASES: {
  name: string;
  version?: PythonVersion;
  transform?: (s: string) => string;
  applied: string[];
  /** Only safe fixes (what `--fix` and fix-all on save do); else every fix shape (`--unsafe-fixes`). */
  safeOnly?: boolean;
  out?: string;
}[] = [
  { name: 'seedStream', applied: ['BHD001'] },
  { name: 'seedStream', transform: crlf, applied: ['BHD001'] },
  { name: 'preThreeNine', version: [3, 8], applied: ['BHD001'] },
  { name: 'qualifiedNames', applied: ['BHD001', 'BHD001', 'BHD001', 'BHD001'] },
  { name: 'nestedBlocks', applied: ['BHD001'] },
  { name: 'multipleItems', applied: ['BHD001'] },
  { name: 'noAs', applied: ['BHD001'] },
  { name: 'loopFutures', applied: ['BHD001'] },
  { name: 'tabs', applied: ['BHD001'] },
  { name: 'commentsInline', applied: ['BHD001', 'BHD001'] },
  {
    name: 'otherRules',
    applied: ['BHD002', 'BHD002', 'BHD003', 'BHD003', 'BHD005', 'BHD005', 'BHD005', 'BHD006'],
  },
  {
    name: 'otherRules',
    transform: crlf,
    applied: ['BHD002', 'BHD002', 'BHD003', 'BHD003', 'BHD005', 'BHD005', 'BHD005', 'BHD006'],
  },
  { name: 'alreadyFixed', applied: [] },
  // Safe only: BHD002/BHD005/BHD006 change behaviour (unsafe), BHD003's wrap_future does not.
  { name: 'otherRules', safeOnly: true, out: 'otherRules.safe.out.py', applied: ['BHD003', 'BHD003'] },
];

describe('fixAll: input -> expected output', () => {
  for (const c of CASES) {
    const label = `${c.name}${c.transform ? ' (CRLF)' : ''}${c.version ? ` (Python ${c.version.join('.')})` : ''}${c.safeOnly ? ' (safe fixes only)' : ''}`;
    test(label, () => {
      const t = c.transform ?? ((s: string) => s);
      const input = t(read(`${c.name}.in.py`));
      const expected = t(read(c.out ?? (c.name === 'alreadyFixed' ? `${c.name}.in.py` : `${c.name}.out.py`)));
      const options = {
        ...fixOptionsFor(input, { pythonVersion: c.version ?? [3, 11] }),
        unsafeFixes: !c.safeOnly,
      };
      const once = fixAll(input, parser, options);
      assert.equal(once.text, expected);
      assert.deepEqual(once.applied.map((f) => f.code).sort(), [...c.applied].sort());
      assert.ok(parsesCleanly(once.text), 'the result parses');
      const twice = fixAll(once.text, parser, options);
      assert.equal(twice.text, once.text, 'idempotent');
      assert.deepEqual(twice.applied, []);
      if (c.transform) assert.ok(!/[^\r]\n/.test(once.text), 'every line break stays CRLF');
      if (c.safeOnly) return;
      // The fixed code has no finding left for the rules the fixes address (BHD001/BHD002).
      const tree = parser.parse(once.text)!;
      try {
        assert.deepEqual(
          analyze(tree, once.text).filter((f) => f.code === 'BHD001' || f.code === 'BHD002'),
          [],
        );
      } finally {
        tree.delete();
      }
    });
  }
});

describe('fixesFor', () => {
  test('seed stream: preferred try/finally fix first, then the module-level executor, then suppress', () => {
    const source = read('seedStream.in.py');
    const [entry, ...rest] = actionsFor(source, { pythonVersion: [3, 11] });
    assert.equal(rest.length, 0);
    assert.equal(entry!.finding.code, 'BHD001');
    const actions = entry!.actions;
    assert.deepEqual(
      actions.map((a) => [a.kind, a.preferred]),
      [
        ['fix', true],
        ['fix', false],
        ['suppress', false],
      ],
    );
    assert.equal(actions.filter((a) => a.preferred).length, 1);
    assert.equal(applyEdits(source, actions[0]!.edits), read('seedStream.out.py'));
    assert.equal(applyEdits(source, actions[1]!.edits), read('seedStream.moduleLevel.out.py'));
    assert.match(actions[1]!.title, /module-level executor \(_EXECUTOR\)/);
    const suppressed = applyEdits(source, actions[2]!.edits);
    assert.equal(
      suppressed,
      source.replace(
        'with ThreadPoolExecutor(max_workers=5) as executor:',
        'with ThreadPoolExecutor(max_workers=5) as executor:  # noqa: BHD001',
      ),
    );
    assert.deepEqual(actionsFor(suppressed), [], 'the suppression silences the finding');
  });

  test('module-level alternative keeps pre-3.9 shutdown and is not offered for local constructor args', () => {
    const source = read('seedStream.in.py');
    const alt = actionsFor(source, { pythonVersion: [3, 8] })[0]!.actions[1]!;
    assert.match(applyEdits(source, alt.edits), /atexit\.register\(_EXECUTOR\.shutdown, wait=False\)\n/);
    const local = source.replace('max_workers=5', 'max_workers=len(SOURCES)');
    const logged: string[] = [];
    const titles = actionsFor(local, { log: (m) => logged.push(m) })[0]!.actions.map((a) => a.title);
    assert.equal(titles.length, 2);
    assert.ok(
      logged.some((m) => /constructor arguments use local names/.test(m)),
      logged.join('\n'),
    );
  });

  test('suppress extends an existing noqa list (BHD005 + BHD006 on one requests call)', () => {
    const source = 'import requests\n\n\nasync def h(u):\n    return requests.get(u)  # noqa: BHD006\n';
    const found = actionsFor(source);
    assert.deepEqual(
      found.map((f) => f.finding.code),
      ['BHD005'],
    );
    const suppress = found[0]!.actions.find((a) => a.kind === 'suppress')!;
    const out = applyEdits(source, suppress.edits);
    assert.equal(out, source.replace('# noqa: BHD006', '# noqa: BHD006, BHD005'));
    assert.deepEqual(actionsFor(out), []);
  });

  test('suppress appends after an unrelated comment, and not offered where the line ends in a string', () => {
    const source = 'import requests\nx = requests.get("u")  # fetch\ny = requests.get("""a\nb""")\n';
    const found = actionsFor(source);
    assert.deepEqual(
      found.map((f) => f.finding.code),
      ['BHD005', 'BHD005'],
    );
    const first = found[0]!.actions.find((a) => a.kind === 'suppress')!;
    assert.equal(applyEdits(source, first.edits), source.replace('# fetch', '# fetch  # noqa: BHD005'));
    // Line 3 ends inside the string: the comment goes on the line where the call ends.
    const second = found[1]!.actions.find((a) => a.kind === 'suppress')!;
    assert.equal(applyEdits(source, second.edits), source.replace('b""")', 'b""")  # noqa: BHD005'));
  });

  test('non-ASCII text before the fix on the same line (UTF-16 offsets)', () => {
    const source = 'import requests\nx = "é😀"; y = requests.get("u")\n';
    const fix = actionsFor(source)[0]!.actions.find((a) => a.preferred)!;
    assert.equal(
      applyEdits(source, fix.edits),
      'import requests\nx = "é😀"; y = requests.get("u", timeout=10)\n',
    );
  });

  test('timeout setting value is used', () => {
    const source = 'import requests\nr = requests.get("u")\n';
    const fix = actionsFor(source, { httpTimeoutSeconds: 2.5 })[0]!.actions[0]!;
    assert.equal(fix.title, 'Add timeout=2.5');
    assert.equal(applyEdits(source, fix.edits), 'import requests\nr = requests.get("u", timeout=2.5)\n');
  });

  test('shapes not rewritten say why (logged) and still offer suppress', () => {
    const source = [
      'from concurrent.futures import ThreadPoolExecutor',
      '',
      'async def h(flag):',
      '    with ThreadPoolExecutor() as (a, b):',
      '        pass',
      '',
    ].join('\n');
    const logged: string[] = [];
    const found = actionsFor(source, { log: (m) => logged.push(m) });
    assert.equal(found.length, 1);
    // The main fix is listed disabled with the reason (the user sees why), then the suppression.
    assert.deepEqual(
      found[0]!.actions.map((a) => [a.kind, a.preferred, a.edits.length, a.disabled]),
      [
        ['fix', false, 0, 'the `as` target is not a plain name'],
        ['suppress', false, 1, undefined],
      ],
    );
    assert.ok(
      logged.some((m) => m.includes('not a plain name')),
      logged.join('\n'),
    );
  });

  test('BHD003 .result() in a generator expression or with a timeout is not rewritten', () => {
    const source = [
      'from concurrent.futures import ThreadPoolExecutor',
      'ex = ThreadPoolExecutor()',
      '',
      'async def h(xs):',
      '    fs = [ex.submit(str, x) for x in xs]',
      '    a = ex.submit(str, 1)',
      '    total = sum(len(f.result()) for f in fs)',
      '    return a.result(timeout=1), total',
      '',
    ].join('\n');
    const found = actionsFor(source).filter((f) => f.finding.code === 'BHD003');
    assert.equal(found.length, 2);
    for (const f of found) {
      assert.ok(!f.actions.some((a) => a.kind === 'fix' && a.edits.length > 0));
      assert.ok(
        f.actions.some((a) => a.disabled),
        'the reason is offered as a disabled action',
      );
    }
  });

  test('BHD007 fix: asyncio.to_thread on 3.9+, run_in_executor before (no keywords then); declined when `asyncio` is local', () => {
    const fixOf = (source: string, toThread: boolean) => {
      const tree = parser.parse(source)!;
      try {
        const at = source.indexOf('helper(a');
        const finding = { code: 'BHD007', startIndex: at, endIndex: source.indexOf(')', at) + 1 } as Finding;
        const rewrite = toThreadFix(finding, tree, source, '\n', toThread);
        return 'reason' in rewrite ? rewrite.reason : applyEdits(source, rewrite.edits);
      } finally {
        tree.delete();
      }
    };
    const plain = 'import asyncio\n\nasync def run(a):\n    helper(a)\n';
    assert.equal(
      fixOf(plain, true),
      'import asyncio\n\nasync def run(a):\n    await asyncio.to_thread(helper, a)\n',
    );
    assert.equal(
      fixOf(plain, false),
      'import asyncio\n\nasync def run(a):\n    await asyncio.get_running_loop().run_in_executor(None, helper, a)\n',
    );
    assert.match(String(fixOf('async def run(a):\n    helper(a, b=1)\n', false)), /keyword arguments/);
    assert.equal(
      fixOf('import asyncio\n\nasync def run(a):\n    return helper(a)\n', true),
      'import asyncio\n\nasync def run(a):\n    return await asyncio.to_thread(helper, a)\n',
    );
    assert.match(String(fixOf('async def run(a):\n    return [helper(a)]\n', true)), /return value/);
    assert.match(
      String(
        fixOf(
          'import asyncio\n\nasync def run(a, items):\n    for asyncio in items:\n        helper(a)\n',
          true,
        ),
      ),
      /`asyncio` is a local name here/,
    );
  });

  test('BHD006 on an HTTP call standing alone: await asyncio.to_thread(...) (unsafe); in an expression or a `with`: no fix', () => {
    const source = [
      'import httpx',
      'import requests',
      '',
      '',
      'async def fetch(url, client: httpx.Client):',
      '    requests.post(url, timeout=5)',
      '    page = httpx.get(url)',
      '    with httpx.stream("GET", url) as response:',
      '        pass',
      '    data = requests.get(url, timeout=5).json()',
      '    return client.get(url)',
      '',
    ].join('\n');
    const found = actionsFor(source).filter((f) => f.finding.code === 'BHD006');
    assert.deepEqual(
      found.map((f) => [f.finding.range.start.row + 1, f.finding.fixable]),
      [
        [6, true],
        [7, true],
        [8, false],
        [10, false],
        [11, true],
      ],
    );
    const fix = (line: number) =>
      found.find((f) => f.finding.range.start.row + 1 === line)!.actions.find((a) => a.kind === 'fix')!;
    assert.equal(fix(7).applicability, 'unsafe');
    assert.match(fix(7).title, /to_thread/);
    assert.match(fix(7).unsafeBecause ?? '', /worker thread/);
    const fixed = applyEdits(source, [...fix(6).edits]);
    assert.match(fixed, /^import asyncio$/m);
    assert.match(fixed, /^ {4}await asyncio\.to_thread\(requests\.post, url, timeout=5\)$/m);
    assert.match(
      applyEdits(source, [...fix(7).edits]),
      /^ {4}page = await asyncio\.to_thread\(httpx\.get, url\)$/m,
    );
    assert.match(
      applyEdits(source, [...fix(11).edits]),
      /^ {4}return await asyncio\.to_thread\(client\.get, url\)$/m,
    );
    for (const line of [8, 10])
      assert.ok(
        !found.find((f) => f.finding.range.start.row + 1 === line)!.actions.some((a) => a.kind === 'fix'),
      );
    // Before 3.9 (run_in_executor: no keywords), a requests call without a timeout gets its timeout first.
    const old = actionsFor('import requests\n\nasync def run(url):\n    requests.get(url)\n', {
      pythonVersion: [3, 8],
    }).find((f) => f.finding.code === 'BHD006')!;
    assert.ok(!old.actions.some((a) => a.kind === 'fix' && a.edits.length > 0));
    assert.match(old.actions.find((a) => a.kind === 'fix')?.disabled ?? '', /timeout first/);
    // time.sleep keeps its own fix.
    const sleep = actionsFor('import time\n\nasync def run():\n    time.sleep(1)\n')[0]!;
    assert.match(sleep.actions.find((a) => a.kind === 'fix')!.title, /asyncio\.sleep/);
  });

  test('BHD006 fix declined when `asyncio` is a local name where it would go', () => {
    const source = 'import time\n\nasync def run(asyncio):\n    time.sleep(1)\n';
    const found = actionsFor(source).filter((f) => f.finding.code === 'BHD006');
    assert.equal(found.length, 1);
    assert.ok(!found[0]!.actions.some((a) => a.kind === 'fix' && a.edits.length > 0));
  });

  test('BHD006 fix and a function-level `import asyncio`: used from an enclosing def, declined when it comes later in the same def', () => {
    const fixed = (source: string): string | undefined => {
      const found = actionsFor(source).filter((f) => f.finding.code === 'BHD006');
      assert.equal(found.length, 1);
      const fix = found[0]!.actions.find((a) => a.kind === 'fix' && a.edits.length > 0);
      return fix && applyEdits(source, fix.edits);
    };
    // The enclosing def's local `asyncio` is what the nested def sees: no module-level import (it would be shadowed).
    const nested = [
      'import os',
      '',
      'def check(n):',
      '    async def inner():',
      '        time.sleep(1)',
      '    import asyncio',
      '    import time',
      '    return asyncio.run(inner())',
      '',
    ].join('\n');
    assert.equal(fixed(nested), nested.replace('time.sleep(1)', 'await asyncio.sleep(1)'));
    // Imported later in the same def: `asyncio` is unbound there (UnboundLocalError), whatever the module imports.
    const later =
      'import time\n\nasync def run():\n    time.sleep(1)\n    import asyncio\n    await asyncio.sleep(0)\n';
    assert.equal(fixed(later), undefined);
    // Imported only under `if __name__ == "__main__":`: not there when the module is imported; the fix adds one.
    const mainOnly =
      'import time\n\nasync def run():\n    time.sleep(1)\n\nif __name__ == "__main__":\n    import asyncio\n    asyncio.run(run())\n';
    assert.match(fixed(mainOnly) ?? '', /^import asyncio\n/);
    // Imported earlier in the same def: used as is.
    const earlier = 'import time\n\nasync def run():\n    import asyncio\n    time.sleep(1)\n';
    assert.equal(
      fixed(earlier),
      // (and the `import time` left unused goes)
      '\nasync def run():\n    import asyncio\n    await asyncio.sleep(1)\n',
    );
  });

  test('BHD005 on `timeout=None`: the fix gives the None a value (no second timeout= added)', () => {
    const source = 'import requests\n\ndef f(u):\n    return requests.get(u, timeout=None, stream=True)\n';
    const found = actionsFor(source).filter((f) => f.finding.code === 'BHD005');
    assert.equal(found.length, 1);
    assert.match(found[0]!.finding.message, /timeout=None/);
    const fix = found[0]!.actions.find((a) => a.preferred);
    assert.ok(fix);
    assert.equal(
      applyEdits(source, fix.edits),
      'import requests\n\ndef f(u):\n    return requests.get(u, timeout=10, stream=True)\n',
    );
  });

  test('a syntax error elsewhere does not block a fix; a fix that would not parse is refused', () => {
    const source = 'import requests\n\ndef broken(:\n    pass\n\nr = requests.get("u")\n';
    const found = actionsFor(source);
    const fix = found.find((f) => f.finding.code === 'BHD005')?.actions.find((a) => a.preferred);
    assert.ok(fix, 'fix offered despite the unrelated error');
    assert.match(applyEdits(source, fix.edits), /requests\.get\("u", timeout=10\)/);
    const clean = 'x = 1\n';
    const tree = parser.parse(clean)!;
    try {
      assert.equal(checkEdits(tree, clean, [{ start: 0, end: 0, newText: '' }]), undefined);
      assert.match(checkEdits(tree, clean, [{ start: 4, end: 5, newText: '(' }]) ?? '', /syntax error/);
    } finally {
      tree.delete();
    }
  });
});

describe('audit shapes (engineer H)', () => {
  const fixed = (source: string, version: PythonVersion = [3, 11]) =>
    fixAll(source, parser, { ...fixOptionsFor(source, { pythonVersion: version }), unsafeFixes: true });

  test('BHD002 changes only `wait`: an explicit cancel_futures (keyword or positional) stays', () => {
    const source = [
      'from concurrent.futures import ThreadPoolExecutor',
      'EXECUTOR = ThreadPoolExecutor()',
      '',
      'async def h(flag):',
      '    EXECUTOR.shutdown(wait=True, cancel_futures=False)',
      '    EXECUTOR.shutdown(True, flag)',
      '    EXECUTOR.shutdown(wait=flag)',
      '    EXECUTOR.shutdown()',
      '',
    ].join('\n');
    const out = fixed(source).text.split('\n').slice(4, 8);
    assert.deepEqual(out, [
      '    EXECUTOR.shutdown(wait=False, cancel_futures=False)',
      '    EXECUTOR.shutdown(wait=False, cancel_futures=flag)',
      '    EXECUTOR.shutdown(wait=False, cancel_futures=True)',
      '    EXECUTOR.shutdown(wait=False, cancel_futures=True)',
    ]);
    const titles = actionsFor(source).map((f) => f.actions[0]!.title);
    assert.equal(titles[0], 'Shut down without waiting (wait=False, cancel_futures=False)');
    assert.deepEqual(fixed(source, [3, 8]).text.split('\n')[7], '    EXECUTOR.shutdown(wait=False)');
  });

  test('a one-line `with` body gets the indentation of the code around it, not of a string or continuation', () => {
    const source = [
      'import asyncio',
      'from concurrent.futures import ThreadPoolExecutor',
      '',
      'TEXT = """',
      '  two spaces inside a string',
      '"""',
      '',
      'async def h(loop):',
      '    with ThreadPoolExecutor() as ex: return await loop.run_in_executor(ex, len, TEXT)',
      '',
    ].join('\n');
    assert.equal(
      fixed(source).text.split('\n').slice(8).join('\n'),
      [
        '    ex = ThreadPoolExecutor()',
        '    try:',
        '        return await loop.run_in_executor(ex, len, TEXT)',
        '    finally:',
        '        ex.shutdown(wait=False, cancel_futures=True)',
        '',
      ].join('\n'),
    );
  });

  test('names holding results or re-bound to non-futures are not cancelled; dropped futures decline', () => {
    const head = [
      'import asyncio',
      'from concurrent.futures import ThreadPoolExecutor',
      '',
      'async def h(loop, xs):',
    ];
    const withBody = (...body: string[]) =>
      [...head, '    with ThreadPoolExecutor() as ex:', ...body.map((l) => `        ${l}`), ''].join('\n');
    const notCancelled = [
      ['r = await loop.run_in_executor(ex, len, "x")', 'return r'],
      ['rs = [await loop.run_in_executor(ex, len, x) for x in xs]', 'return rs'],
      ['fs = [ex.submit(len, x) for x in xs]', 'fs = [f.result() for f in fs]', 'return fs'],
      ['fut = ex.submit(len, "x")', 'for fut in asyncio.as_completed([fut]):', '    return await fut'],
      ['global g', 'g = ex.submit(len, "x")', 'return await asyncio.wrap_future(g)'],
      ['fs = []', 'fs.append(ex.submit(len, "x"))', 'fs.append(None)', 'return fs'],
    ];
    for (const body of notCancelled) {
      const out = fixed(withBody(...body)).text;
      assert.match(out, /ex\.shutdown\(wait=False, cancel_futures=True\)/, body.join('; '));
      assert.doesNotMatch(out, /\.cancel\(\)|= None\n\s+try:|= \[\]\n\s+try:/, `${body.join('; ')}:\n${out}`);
    }
    const cancelled = [
      ['fs = {ex.submit(len, x): x for x in xs}', 'return [await asyncio.wrap_future(f) for f in fs]'],
      [
        'fs = {}',
        'for x in xs:',
        '    fs[ex.submit(len, x)] = x',
        'return [await asyncio.wrap_future(f) for f in fs]',
      ],
    ];
    for (const body of cancelled)
      assert.match(
        fixed(withBody(...body)).text,
        /for f_?\w* in fs:\n\s+f\w*\.cancel\(\)|for future in fs:\n\s+future\.cancel\(\)/,
      );
    const declined: [string[], RegExp][] = [
      [['ex.submit(len, "x")'], /line 6 starts work on the executor without keeping its future/],
      [['ex.submit(len, "x").add_done_callback(print)'], /without keeping its future/],
      [['loop.run_in_executor(ex, len, "x")'], /without keeping its future/],
      [['rs = ex.map(len, xs)'], /lazy results of `ex\.map/],
      [['fut = ex.submit(len, "x")'], /`fut` is never awaited or read/],
    ];
    for (const [body, reason] of declined) {
      const source = withBody(...body);
      const result = fixed(source);
      assert.equal(result.text, source, body.join('; '));
      assert.match(result.declined.map((d) => d.reason).join('\n'), reason);
      const [entry] = actionsFor(source);
      assert.deepEqual(
        entry!.actions.map((a) => [a.kind, a.preferred, Boolean(a.disabled)]),
        [
          ['fix', false, true],
          ['suppress', false, false],
        ],
      );
    }
    // Consumed inside the block: fine.
    assert.match(fixed(withBody('for r in ex.map(len, xs):', '    print(r)')).text, /try:/);
  });
});

describe('applyEdits', () => {
  test('applies in any order, keeps insertion order at one offset, rejects overlaps', () => {
    assert.equal(
      applyEdits('abcdef', [
        { start: 4, end: 6, newText: 'X' },
        { start: 0, end: 0, newText: '1' },
        { start: 0, end: 0, newText: '2' },
      ]),
      '12abcdX',
    );
    assert.throws(() =>
      applyEdits('abcdef', [
        { start: 0, end: 3, newText: '' },
        { start: 2, end: 4, newText: '' },
      ]),
    );
  });
});

describe('import asyncio placement', () => {
  const cases: [string, string, string][] = [
    [
      'after shebang, coding line, docstring and __future__',
      '#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n"""Doc."""\nfrom __future__ import annotations\nimport time\n\nasync def h():\n    time.sleep(1)\n',
      '#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n"""Doc."""\nfrom __future__ import annotations\nimport asyncio\n\nasync def h():\n    await asyncio.sleep(1)\n', // `import time` went with its only use
    ],
    [
      'an existing alias is reused',
      'import asyncio as aio\nfrom time import sleep\n\nasync def h():\n    sleep(1)\n',
      'import asyncio as aio\n\nasync def h():\n    await aio.sleep(1)\n',
    ],
  ];
  for (const [label, input, expected] of cases) {
    test(label, () => {
      assert.equal(fixAll(input, parser, { ...fixOptionsFor(input), unsafeFixes: true }).text, expected);
    });
  }
});

test('importEdit without any import: after shebang, coding comment and docstring', () => {
  const source = '#!/usr/bin/env python\n# coding: utf-8\n"""Doc."""\n\nx = 1\n';
  const tree = parser.parse(source)!;
  try {
    const { name, edit } = importEdit(tree, source, 'asyncio', '\n');
    assert.equal(name, 'asyncio');
    assert.equal(
      applyEdits(source, [edit!]),
      '#!/usr/bin/env python\n# coding: utf-8\n"""Doc."""\nimport asyncio\n\nx = 1\n',
    );
  } finally {
    tree.delete();
  }
});
