/**
 * Table-driven rule tests: snippet -> exact findings (code, 0-based range, reported text), positives and the
 * negatives a naive checker gets wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPythonParser } from '../../src/python/treeSitter';
import { AnalysisCache, analyze, checkSource, mightContainFindings } from '../../src/diagnostics/analyze';
import type { RuleCode } from '../../src/diagnostics/types';
import { IncrementalParse, type ContentChange } from '../../src/diagnostics/incrementalParse';

/** `code row:col-row:col text` for each finding (fixable marked with *). */
async function run(source: string, select?: RuleCode[]): Promise<string[]> {
  const findings = await checkSource(source, select ? { select } : {});
  return findings.map(
    (f) =>
      `${f.code}${f.fixable ? '*' : ''} ${f.range.start.row}:${f.range.start.column}-${f.range.end.row}:${f.range.end.column} ` +
      source.slice(f.startIndex, f.endIndex),
  );
}

const py = (lines: string[]): string => lines.join('\n') + '\n';

interface Case {
  name: string;
  source: string;
  expected: string[];
  select?: RuleCode[];
}

const STREAM = fs.readFileSync(
  path.join(__dirname, '../../../examples/news-backend/backend/app/api/routes/stream.py'),
  'utf8',
);

const cases: Case[] = [
  // ---------------------------------------------------------------- BHD001
  {
    name: 'BHD001: the demo route (examples/news-backend stream.py)',
    source: STREAM,
    expected: ['BHD001* 17:13-17:46 ThreadPoolExecutor(max_workers=5)'],
  },
  {
    name: 'BHD001: bare name, no `as`',
    source: py([
      'from concurrent.futures import ThreadPoolExecutor',
      'async def f():',
      '    with ThreadPoolExecutor():',
      '        pass',
    ]),
    expected: ['BHD001* 2:9-2:29 ThreadPoolExecutor()'],
  },
  {
    name: 'BHD001: module alias, ProcessPoolExecutor, second with item',
    source: py([
      'import concurrent.futures as cf',
      'async def f(path):',
      '    with open(path) as fh, cf.ProcessPoolExecutor(2) as pool:',
      '        pass',
    ]),
    expected: ['BHD001* 2:27-2:52 cf.ProcessPoolExecutor(2)'],
  },
  {
    name: 'BHD001: fully qualified, name alias, decorated method in a class, nested in if/for/try',
    source: py([
      'import concurrent.futures',
      'from concurrent.futures import ThreadPoolExecutor as TPE',
      'class Service:',
      '    @decorator',
      '    async def run(self, items):',
      '        if items:',
      '            for _ in items:',
      '                try:',
      '                    with concurrent.futures.ThreadPoolExecutor() as ex:',
      '                        pass',
      '                finally:',
      '                    with TPE(4) as ex2:',
      '                        pass',
    ]),
    expected: ['BHD001* 8:25-8:64 concurrent.futures.ThreadPoolExecutor()', 'BHD001* 11:25-11:31 TPE(4)'],
  },
  {
    name: 'BHD001: async generator inside `async with`, `from concurrent import futures`',
    source: py([
      'from concurrent import futures',
      'async def gen(lock):',
      '    async with lock:',
      '        with futures.ThreadPoolExecutor(max_workers=2) as ex:',
      '            yield 1',
    ]),
    expected: ['BHD001* 3:13-3:54 futures.ThreadPoolExecutor(max_workers=2)'],
  },
  {
    name: 'BHD001: star import',
    source: py([
      'from concurrent.futures import *',
      'async def f():',
      '    with ThreadPoolExecutor() as ex:',
      '        pass',
    ]),
    expected: ['BHD001* 2:9-2:29 ThreadPoolExecutor()'],
  },
  {
    name: 'BHD001 negative: sync def run through asyncio.to_thread',
    source: py([
      'import asyncio',
      'from concurrent.futures import ThreadPoolExecutor',
      'def work():',
      '    with ThreadPoolExecutor() as ex:',
      '        return list(ex.map(str, range(3)))',
      'async def route():',
      '    return await asyncio.to_thread(work)',
    ]),
    expected: [],
  },
  {
    name: 'BHD001 negative: nested sync def, lambda and class inside async def',
    source: py([
      'from concurrent.futures import ThreadPoolExecutor',
      'async def route(loop):',
      '    def inner():',
      '        with ThreadPoolExecutor() as ex:',
      '            pass',
      '    fn = lambda: ThreadPoolExecutor().shutdown()',
      '    class Helper:',
      '        with ThreadPoolExecutor() as ex:',
      '            pass',
      '    await loop.run_in_executor(None, inner)',
    ]),
    expected: [],
  },
  {
    name: 'BHD001 negative: module-level with, with lock / open(), unresolved name, text in strings and comments',
    source: py([
      'import threading',
      'from concurrent.futures import ThreadPoolExecutor',
      'from mylib import ProcessPoolExecutor',
      'with ThreadPoolExecutor() as ex:',
      '    pass',
      'lock = threading.Lock()',
      'async def f(path):',
      '    with lock:',
      '        pass',
      '    with open(path) as fh:',
      '        pass',
      '    with ProcessPoolExecutor() as pp:  # a different class',
      '        pass',
      '    # with ThreadPoolExecutor() as ex:',
      '    doc = """with ThreadPoolExecutor() as ex: executor.shutdown() time.sleep(1)"""',
      "    s = 'with ThreadPoolExecutor() as ex:'",
    ]),
    expected: [],
  },
  {
    name: 'BHD001 negative: async with, and a with on a ThreadPoolExecutor variable (not constructed there)',
    source: py([
      'from concurrent.futures import ThreadPoolExecutor',
      'POOL = ThreadPoolExecutor()',
      'async def f():',
      '    async with ThreadPoolExecutor() as ex:',
      '        pass',
    ]),
    expected: [],
  },
  {
    name: 'tabs, CRLF and non-ASCII text before the finding on the same line (UTF-16 columns)',
    source: [
      'from concurrent.futures import ThreadPoolExecutor\r',
      'async def f():\r',
      '\tx = "é😀"; time = 1\r',
      '\twith ThreadPoolExecutor() as ex:  # é😀\r',
      '\t\tpass\r',
      '\ty = "😀é"; ex.shutdown()\r',
      '',
    ].join('\n'),
    expected: ['BHD001* 3:6-3:26 ThreadPoolExecutor()', 'BHD002* 5:12-5:25 ex.shutdown()'],
  },
  {
    name: 'a syntax error elsewhere does not hide findings in intact functions',
    source: py([
      'from concurrent.futures import ThreadPoolExecutor',
      'def broken(:',
      '    return )',
      '',
      'async def ok():',
      '    with ThreadPoolExecutor() as ex:',
      '        pass',
    ]),
    expected: ['BHD001* 5:9-5:29 ThreadPoolExecutor()'],
  },
  // ---------------------------------------------------------------- BHD002
  {
    name: 'BHD002: assigned in the function, wait=True, wait=variable, no args; not with wait=False / False',
    source: py([
      'from concurrent.futures import ThreadPoolExecutor',
      'async def f(flag):',
      '    pool = ThreadPoolExecutor()',
      '    pool.shutdown()',
      '    pool.shutdown(wait=True)',
      '    pool.shutdown(wait=flag)',
      '    pool.shutdown(wait=False)',
      '    pool.shutdown(False)',
      '    pool.shutdown(wait=False, cancel_futures=True)',
      '    pool.shutdown(**options)',
    ]),
    expected: [
      'BHD002* 3:4-3:19 pool.shutdown()',
      'BHD002* 4:4-4:28 pool.shutdown(wait=True)',
      'BHD002* 5:4-5:28 pool.shutdown(wait=flag)',
    ],
  },
  {
    name: 'BHD002: module-level executor, self.attr set anywhere in the class, names like executor',
    source: py([
      'import concurrent.futures as cf',
      'POOL = cf.ThreadPoolExecutor(4)',
      'class Service:',
      '    def __init__(self):',
      '        self.pool = cf.ProcessPoolExecutor()',
      '    async def close(self, app):',
      '        self.pool.shutdown()',
      '        POOL.shutdown(cancel_futures=True)',
      '        app.state.executor.shutdown()',
      '        io_executor.shutdown()',
      '        self._executor.shutdown(wait=True)',
    ]),
    expected: [
      'BHD002* 6:8-6:28 self.pool.shutdown()',
      'BHD002* 7:8-7:42 POOL.shutdown(cancel_futures=True)',
      'BHD002* 8:8-8:37 app.state.executor.shutdown()',
      'BHD002* 9:8-9:30 io_executor.shutdown()',
      'BHD002* 10:8-10:42 self._executor.shutdown(wait=True)',
    ],
  },
  {
    name: 'BHD002: annotated parameter and `with ... as` binding',
    source: py([
      'from concurrent.futures import ThreadPoolExecutor',
      'from typing import Optional',
      'async def stop(p: Optional[ThreadPoolExecutor]):',
      '    p.shutdown()',
    ]),
    expected: ['BHD002* 3:4-3:16 p.shutdown()'],
  },
  {
    name: 'BHD002 negative: receivers without executor evidence, sync code, nested def',
    source: py([
      'from concurrent.futures import ThreadPoolExecutor',
      'async def f(server, scheduler, loop):',
      '    server.shutdown()',
      '    scheduler.shutdown()',
      '    loop.shutdown_default_executor()',
      '    def later():',
      '        executor.shutdown()',
      'def sync_close(executor):',
      '    executor.shutdown()',
      'async def g():',
      '    pool = make_pool()',
      '    pool.shutdown()',
    ]),
    expected: [],
  },
  // ---------------------------------------------------------------- BHD003
  {
    name: 'BHD003: concurrent.futures wait/as_completed through imports and aliases; .result() of submit',
    source: py([
      'import concurrent.futures',
      'from concurrent.futures import wait as cf_wait, as_completed',
      'async def f(executor, items):',
      '    futs = [executor.submit(work, i) for i in items]',
      '    done, _ = cf_wait(futs)',
      '    for fut in as_completed(futs):',
      '        print(fut.result())',
      '    concurrent.futures.wait(futs, timeout=1)',
      '    one = executor.submit(work, 1)',
      '    one.result()',
      '    executor.submit(work, 2).result(timeout=3)',
      '    for f in futs:',
      '        f.result()',
    ]),
    expected: [
      'BHD003 4:14-4:27 cf_wait(futs)',
      'BHD003 5:15-5:33 as_completed(futs)',
      'BHD003* 6:14-6:26 fut.result()',
      'BHD003 7:4-7:44 concurrent.futures.wait(futs, timeout=1)',
      'BHD003* 9:4-9:16 one.result()',
      'BHD003* 10:4-10:46 executor.submit(work, 2).result(timeout=3)',
      'BHD003* 12:8-12:18 f.result()',
    ],
  },
  {
    name: 'BHD003 negative: asyncio.as_completed / asyncio.wait / wrap_future, sync code, other .result()',
    source: py([
      'import asyncio',
      'from concurrent.futures import ThreadPoolExecutor, wait',
      'async def f(loop, executor, task, items):',
      '    futs = [loop.run_in_executor(executor, work, i) for i in items]',
      '    for fut in asyncio.as_completed(futs):',
      '        await fut',
      '    await asyncio.wait(futs)',
      '    await asyncio.wrap_future(executor.submit(work, 1))',
      '    task.result()',
      '    response.result()',
      '    futs[0].result()',
      'def sync(executor):',
      '    wait([executor.submit(work)])',
      '    executor.submit(work).result()',
    ]),
    expected: [],
  },
  // ---------------------------------------------------------------- BHD005 / BHD006
  {
    name: 'BHD005 anywhere, BHD006 in async code; timeout= and **kwargs are fine',
    source: py([
      'import requests',
      'import requests as rq',
      'from requests import post as send',
      'def sync(url, **kw):',
      '    requests.get(url)',
      '    requests.get(url, timeout=5)',
      '    requests.get(url, **kw)',
      '    rq.request("GET", url)',
      'async def route(url):',
      '    send(url, json={})',
      '    requests.head(url, timeout=1)',
    ]),
    expected: [
      'BHD005* 4:4-4:21 requests.get(url)',
      'BHD005* 7:4-7:26 rq.request("GET", url)',
      'BHD005* 9:4-9:22 send(url, json={})',
      'BHD006* 9:4-9:22 send(url, json={})',
      'BHD006* 10:4-10:33 requests.head(url, timeout=1)',
    ],
  },
  {
    name: 'BHD005: requests.Session() instances (local, with-as, self.attr); other .get() untouched',
    source: py([
      'import requests',
      'class Client:',
      '    def __init__(self):',
      '        self.http = requests.Session()',
      '    def fetch(self, url, cache):',
      '        cache.get(url)',
      '        return self.http.post(url, data=1)',
      'def once(url, d):',
      '    s = requests.session()',
      '    s.get(url)',
      '    d.get(url)',
      '    with requests.Session() as sess:',
      '        sess.put(url, timeout=2)',
      '        sess.delete(url)',
    ]),
    expected: [
      'BHD005* 6:15-6:42 self.http.post(url, data=1)',
      'BHD005* 9:4-9:14 s.get(url)',
      'BHD005* 13:8-13:24 sess.delete(url)',
    ],
  },
  {
    name: 'BHD006: time.sleep through import forms; asyncio.sleep and other sleeps are fine',
    source: py([
      'import time',
      'import time as t',
      'from time import sleep',
      'import asyncio',
      'async def f(obj):',
      '    time.sleep(1)',
      '    t.sleep(0.5)',
      '    sleep(2)',
      '    await asyncio.sleep(1)',
      '    obj.sleep(1)',
      '    time.time()',
      'def g():',
      '    time.sleep(1)',
    ]),
    expected: [
      'BHD006* 5:4-5:17 time.sleep(1)',
      'BHD006* 6:4-6:16 t.sleep(0.5)',
      'BHD006* 7:4-7:12 sleep(2)',
    ],
  },
  {
    name: 'BHD006 negative: unimported sleep/requests names',
    source: py(['async def f(requests, sleep):', '    sleep(1)', '    requests.get("x")']),
    expected: [],
  },
  // ---------------------------------------------------------------- noqa and select
  {
    name: '# noqa: codes and bare; other codes do not suppress; `# noqa` inside a string does not count',
    source: py([
      'import time, requests',
      'async def f(url):',
      '    time.sleep(1)  # noqa: BHD006',
      '    time.sleep(2)  # noqa',
      '    time.sleep(3)  # noqa: E501',
      '    requests.get(url)  # noqa: BHD005,BHD006',
      '    requests.get(url)  # NOQA:BHD005',
      '    time.sleep(4); x = "# noqa"',
      '    requests.get(',
      '        url,',
      '    )  # noqa: BHD005 BHD006',
    ]),
    expected: [
      'BHD006* 4:4-4:17 time.sleep(3)',
      'BHD006* 6:4-6:21 requests.get(url)',
      'BHD006* 7:4-7:17 time.sleep(4)',
    ],
  },
  {
    name: 'select limits the rules',
    source: py(['import time, requests', 'async def f(url):', '    time.sleep(1)', '    requests.get(url)']),
    select: ['BHD005'],
    expected: ['BHD005* 3:4-3:21 requests.get(url)'],
  },
  {
    name: 'vendored requests (pip._vendor) resolves like requests',
    source: py(['from pip._vendor import requests', 'def f(u):', '    return requests.get(u)']),
    expected: ['BHD005* 2:11-2:26 requests.get(u)'],
  },
];

for (const c of cases) {
  test(c.name, async () => {
    assert.deepEqual(await run(c.source, c.select), c.expected);
  });
}

test('every finding has a one-line message and a detail', async () => {
  const findings = await checkSource(STREAM);
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.match(f!.message, /^`with ThreadPoolExecutor\(\.\.\.\)` in async code/);
  assert.doesNotMatch(f!.message, /\n/);
  assert.match(f!.detail, /shutdown\(wait=True\)/);
  assert.match(f!.detail, /disconnect/);
});

test('mightContainFindings rejects files without candidate tokens and accepts the demo', () => {
  assert.equal(mightContainFindings('import os\nasync def f():\n    return os.getcwd()\n'), false);
  assert.equal(mightContainFindings('x = "concurrency"\n'), false);
  assert.equal(mightContainFindings(STREAM), true);
  assert.equal(mightContainFindings('from time import sleep\n'), false); // no async def, no requests
  assert.equal(mightContainFindings('from time import sleep\nasync def f():\n    sleep(1)\n'), true);
  assert.equal(mightContainFindings('from starlette.requests import Request\n'), false);
  assert.equal(mightContainFindings('from pip._vendor import requests\n'), true);
});

test('analyze on an incrementally re-parsed tree (IncrementalParse) matches a full parse', async () => {
  const parser = await createPythonParser();
  const before = 'from concurrent.futures import ThreadPoolExecutor\nasync def f():\n    x = "é😀"; pass\n';
  const doc = new IncrementalParse(parser, before);
  try {
    assert.deepEqual(analyze(doc.tree!, before), []);
    // Type the bug in, one change like VS Code reports it (range in the old text, UTF-16 offsets).
    const insertAt = before.indexOf('pass');
    const inserted = 'with ThreadPoolExecutor() as ex:\n        ';
    const after = before.slice(0, insertAt) + inserted + before.slice(insertAt);
    const column = insertAt - before.lastIndexOf('\n', insertAt) - 1;
    const change: ContentChange = {
      range: { start: { line: 2, character: column }, end: { line: 2, character: column } },
      rangeOffset: insertAt,
      rangeLength: 0,
      text: inserted,
    };
    const tree = doc.update([change], after)!;
    const full = await checkSource(after);
    assert.deepEqual(analyze(tree, after), full);
    assert.deepEqual(
      full.map((f) => [f.code, f.range.start.row, f.range.start.column]),
      [['BHD001', 2, column + 5]],
    );
    // Delete it again: the finding is gone.
    const removal: ContentChange = {
      range: { start: { line: 2, character: column }, end: { line: 3, character: 8 } },
      rangeOffset: insertAt,
      rangeLength: inserted.length,
      text: '',
    };
    assert.deepEqual(analyze(doc.update([removal], before)!, before), []);
    assert.equal(doc.tree!.rootNode.text, before);
  } finally {
    doc.dispose();
    parser.delete();
  }
});

test('AnalysisCache: cached results equal fresh ones across edits, import changes and moved statements', async () => {
  const parser = await createPythonParser();
  const cache = new AnalysisCache();
  const versions = [
    py(['import time', 'async def a():', '    time.sleep(1)', 'async def b():', '    time.sleep(2)']),
    // a statement inserted above: same statements, new rows
    py([
      'import time',
      'X = 1',
      '',
      'async def a():',
      '    time.sleep(1)',
      'async def b():',
      '    time.sleep(2)',
    ]),
    // the import goes away: nothing resolves any more (context change invalidates the cache)
    py(['X = 1', '', 'async def a():', '    time.sleep(1)', 'async def b():', '    time.sleep(2)']),
    // back, aliased, and a statement indented after `;` on the first line (column differs)
    py([
      'import time as t; import time',
      'async def a():',
      '    t.sleep(1)',
      'async def b():',
      '    time.sleep(2)',
    ]),
    // a syntax error in one statement
    py(['import time', 'async def a(:', '    time.sleep(1)', 'async def b():', '    time.sleep(2)']),
  ];
  try {
    for (const source of versions) {
      const tree = parser.parse(source)!;
      try {
        assert.deepEqual(analyze(tree, source, { cache }), analyze(tree, source), source);
      } finally {
        tree.delete();
      }
    }
  } finally {
    parser.delete();
  }
});
