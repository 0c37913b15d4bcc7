/**
 * The keystroke path (IncrementalParse + AnalysisCache): after every re-parse, the cached analysis must equal
 * a fresh analysis of the same tree, whatever the edits: random insertions and deletions of code fragments,
 * line breaks and indentation, `# noqa` comments, import lines (which change findings elsewhere), several
 * changes batched before one re-parse. Deterministic (seeded), and it checks that the incremental path was
 * really taken (else the equality would be vacuous).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPythonParser } from '../../src/python/treeSitter';
import { AnalysisCache, analyze } from '../../src/diagnostics/analyze';
import { IncrementalParse, rangeReader, type ContentChange } from '../../src/diagnostics/incrementalParse';
import { seededRandom } from './seededRandom';

const BASE = [
  'import asyncio',
  'import time',
  'from concurrent.futures import ThreadPoolExecutor, wait',
  'import requests',
  '',
  'POOL = ThreadPoolExecutor(max_workers=2)',
  'SESSION = requests.Session()',
  '',
  '',
  'class Fetcher:',
  '    def __init__(self):',
  '        self.session = requests.Session()',
  '        self._executor = ThreadPoolExecutor()',
  '',
  '    async def fetch(self, url):',
  '        r = self.session.get(url)',
  '        self._executor.shutdown()',
  '        return r',
  '',
  '',
  'async def handler(request):',
  '    with ThreadPoolExecutor(max_workers=5) as executor:',
  '        fut = executor.submit(time.sleep, 1)',
  '        fut.result()',
  '    time.sleep(0.1)  # noqa: BHD006',
  '    wait([fut])',
  '    return SESSION.post("http://x")',
  '',
  '',
  'def sync_helper():',
  '    requests.get("http://example.org")',
  '    return requests.get("http://example.org", timeout=3)',
  '',
  '',
  'async def other():',
  '    await asyncio.sleep(1)',
  '    data = {"k": requests.get("u")}',
  '    return data',
  '',
  'async def third():',
  '    time.sleep(2)',
  '',
].join('\n');

/** Fragments typed into the file: code, broken code, imports, comments, line breaks, indentation. */
const FRAGMENTS = [
  'x',
  ' ',
  '\n',
  '\n    ',
  '    ',
  '(',
  ')',
  '()',
  ':',
  '=',
  ',',
  '"',
  "'",
  '#',
  '  # noqa',
  '  # noqa: BHD005',
  'time.sleep(1)',
  '\n    time.sleep(3)\n',
  '\n    requests.get(url)\n',
  'requests.get("u")',
  'timeout=1, ',
  'async ',
  'def ',
  '\nasync def added():\n    time.sleep(1)\n',
  '\ndef plain():\n    requests.post("v")\n',
  '\nclass K:\n    async def m(self):\n        self._executor.shutdown(wait=False)\n',
  '\nimport time as t\n',
  '\nfrom requests import get\n',
  'import ',
  '\nPOOL2 = ThreadPoolExecutor()\n',
  'with ThreadPoolExecutor() as e:\n        pass\n',
  'await ',
  '.result()',
  '\t',
];

function position(text: string, index: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, character: index - lineStart };
}

/** A random change of `text` (insertion, deletion or replacement near a random spot). */
function randomChange(text: string, random: () => number): { change: ContentChange; next: string } {
  const at = Math.floor(random() * (text.length + 1));
  const r = random();
  const removeLength = r < 0.5 ? 0 : Math.min(text.length - at, Math.floor(random() * (r < 0.9 ? 4 : 40)));
  const insert = r < 0.75 ? FRAGMENTS[Math.floor(random() * FRAGMENTS.length)]! : '';
  const change: ContentChange = {
    range: { start: position(text, at), end: position(text, at + removeLength) },
    rangeOffset: at,
    rangeLength: removeLength,
    text: insert,
  };
  return { change, next: text.slice(0, at) + insert + text.slice(at + removeLength) };
}

test('incremental analysis equals a fresh analysis after random edit sequences', async () => {
  const parser = await createPythonParser();
  let checks = 0;
  let incremental = 0;
  let unbalanced = 0;
  try {
    for (let seed = 1; seed <= 30; seed++) {
      const random = seededRandom(seed);
      // A bigger file (more statements than the zone around an edit), so most statements stay cached.
      let text = BASE + BASE.replace(/\b(handler|other|third|Fetcher|sync_helper)\b/g, '$1_2');
      const doc = new IncrementalParse(parser, text);
      const cache = new AnalysisCache();
      try {
        analyze(doc.tree!, text, { cache });
        for (let step = 0; step < 40; step++) {
          // Mostly one change per re-parse (a keystroke); sometimes several batched (debounced typing).
          const batch = random() < 0.8 ? 1 : 2 + Math.floor(random() * 3);
          for (let k = 0; k < batch; k++) {
            const { change, next } = randomChange(text, random);
            doc.applyChanges([change]);
            text = next;
          }
          const tree = doc.reparse(text)!;
          const before = cache.incrementalRuns;
          const cached = analyze(tree, text, { cache });
          if (cache.incrementalRuns > before) incremental++;
          // A bounded parse whose statement has a syntax error (an open bracket) is meant to differ from a
          // whole-file parse, where error recovery runs on over the statements after it; those get their own test.
          const broken = doc.isBounded && tree.rootNode.hasError;
          const fresh = analyze(tree, text);
          if (broken) unbalanced++;
          else assert.deepEqual(cached, fresh, `seed ${seed}, step ${step}:\n${text}`);
          checks++;
        }
      } finally {
        doc.dispose();
      }
    }
  } finally {
    parser.delete();
  }
  assert.equal(checks, 30 * 40);
  // Random edits often break the file badly (an unclosed bracket changes everything after it, a dedent makes
  // module-level code) and then the full pass runs; a good share must still take the incremental path.
  assert.ok(incremental > checks / 5, `incremental path taken ${incremental} of ${checks} times`);
  assert.ok(unbalanced < checks / 4, `bounded with a syntax error ${unbalanced} of ${checks} times`);
});

test('incremental analysis: an import edit changes findings in untouched statements', async () => {
  const parser = await createPythonParser();
  let text = BASE;
  const doc = new IncrementalParse(parser, text);
  const cache = new AnalysisCache();
  try {
    const initial = analyze(doc.tree!, text, { cache });
    assert.ok(initial.some((f) => f.code === 'BHD006'));
    // `import time` -> `import tame`: every time.sleep finding elsewhere must go.
    const at = text.indexOf('import time') + 'import t'.length;
    const change: ContentChange = {
      range: { start: position(text, at), end: position(text, at + 1) },
      rangeOffset: at,
      rangeLength: 1,
      text: 'a',
    };
    text = text.slice(0, at) + 'a' + text.slice(at + 1);
    const after = analyze(doc.update([change], text)!, text, { cache });
    assert.deepEqual(after, analyze(doc.tree!, text));
    assert.ok(
      !after.some((f) => f.code === 'BHD006' && text.slice(f.startIndex, f.endIndex).startsWith('time.')),
    );
  } finally {
    doc.dispose();
    parser.delete();
  }
});

test('incremental analysis: a keystroke in one function moves the findings below it', async () => {
  const parser = await createPythonParser();
  let text = BASE;
  const doc = new IncrementalParse(parser, text);
  const cache = new AnalysisCache();
  try {
    const initial = analyze(doc.tree!, text, { cache });
    // A line break inside `handler`: the findings below it move one row down, the ones above stay.
    const at = text.indexOf('    wait([fut])');
    const change: ContentChange = {
      range: { start: position(text, at), end: position(text, at) },
      rangeOffset: at,
      rangeLength: 0,
      text: '\n',
    };
    text = text.slice(0, at) + '\n' + text.slice(at);
    const before = cache.incrementalRuns;
    const after = analyze(doc.update([change], text)!, text, { cache });
    assert.equal(cache.incrementalRuns, before + 1, 'incremental path');
    assert.deepEqual(after, analyze(doc.tree!, text));
    assert.equal(after.length, initial.length);
    for (let i = 0; i < initial.length; i++) {
      const moved = initial[i]!.startIndex >= at ? 1 : 0;
      assert.equal(after[i]!.range.start.row, initial[i]!.range.start.row + moved);
      assert.equal(after[i]!.startIndex, initial[i]!.startIndex + moved);
    }
  } finally {
    doc.dispose();
    parser.delete();
  }
});

test('typing an unclosed `(` in one function: bounded parse of that statement, findings there and below kept', async () => {
  const parser = await createPythonParser();
  // A blank line in `handler` to type on (so nothing else is on the typed line).
  let text = BASE.replace('    wait([fut])', '\n    wait([fut])');
  const doc = new IncrementalParse(parser, text);
  const cache = new AnalysisCache();
  try {
    analyze(doc.tree!, text, { cache });
    // Type `value = compute(a, b` character by character, never closing the `(`.
    let at = text.indexOf('\n    wait([fut])');
    let typed = '';
    for (const ch of [...'    value = compute(a, b']) {
      const change: ContentChange = {
        range: { start: position(text, at), end: position(text, at) },
        rangeOffset: at,
        rangeLength: 0,
        text: ch,
      };
      text = text.slice(0, at) + ch + text.slice(at);
      at++;
      typed += ch;
      const before = cache.incrementalRuns;
      const findings = analyze(doc.update([change], text)!, text, { cache });
      assert.ok(doc.isBounded, 'only the edited statement was parsed');
      assert.equal(cache.incrementalRuns, before + 1, 'bounded path');
      // The same findings (rows and columns) as a whole-file analysis of the text with the `(` closed right
      // after the cursor, where no error recovery runs; except, while the `(` is open, in the rest of the
      // edited function after the cursor (Python reads that as inside the parentheses).
      const closed = text.slice(0, at) + (typed.includes('(') ? ')' : '') + text.slice(at);
      const cursorRow = position(text, at).line;
      const endRow = position(text, text.indexOf('\ndef sync_helper')).line;
      const kept = (row: number): boolean => !typed.includes('(') || row <= cursorRow || row > endRow;
      const shown = (fs: readonly { code: string; range: { start: { row: number; column: number } } }[]) =>
        fs
          .filter((f) => kept(f.range.start.row))
          .map((f) => `${f.code} ${f.range.start.row}:${f.range.start.column}`);
      const tree = parser.parse(closed)!;
      try {
        assert.deepEqual(shown(findings), shown(analyze(tree, closed)), JSON.stringify(typed));
        // Below the edited function nothing is lost (a whole-file parse would lose them to error recovery).
        assert.ok(findings.some((f) => f.range.start.row > endRow));
      } finally {
        tree.delete();
      }
    }
    // Closing it: back to a whole-file parse, equal to a fresh analysis.
    const change: ContentChange = {
      range: { start: position(text, at), end: position(text, at) },
      rangeOffset: at,
      rangeLength: 0,
      text: ')',
    };
    text = text.slice(0, at) + ')' + text.slice(at);
    const findings = analyze(doc.update([change], text)!, text, { cache });
    const tree = doc.full(text)!;
    assert.deepEqual(findings, analyze(tree, text));
  } finally {
    doc.dispose();
    parser.delete();
  }
});

test('a bounded parse reads its ranges through rangeReader: the same tree as from the whole string', async () => {
  const parser = await createPythonParser();
  // Long statements (reads longer than one chunk), non-ASCII text and CRLF line ends.
  const long = `x = [${Array.from({ length: 900 }, (_, i) => `"é${i}"`).join(', ')}]\r\n`;
  const text = (BASE + long + BASE.replace(/handler/g, 'h2') + long + 'y = "日本"\n').repeat(3);
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const point = (index: number): { row: number; column: number } => {
    let row = 0;
    while (row + 1 < lineStarts.length && lineStarts[row + 1]! <= index) row++;
    return { row, column: index - lineStarts[row]! };
  };
  const random = seededRandom(7);
  try {
    for (let round = 0; round < 60; round++) {
      // Sorted, disjoint ranges of whole lines (as boundedZone makes them), 1 to 6 of them.
      const rows = [
        ...new Set(
          Array.from({ length: 2 + Math.floor(random() * 10) }, () =>
            Math.floor(random() * (lineStarts.length - 1)),
          ),
        ),
      ].sort((a, b) => a - b);
      const ranges = [];
      for (let k = 0; k + 1 < rows.length; k += 2) {
        const startIndex = lineStarts[rows[k]!]!;
        const endIndex = lineStarts[rows[k + 1]!]!;
        ranges.push({ startIndex, endIndex, startPosition: point(startIndex), endPosition: point(endIndex) });
      }
      if (ranges.length === 0) continue;
      const fromString = parser.parse(text, null, { includedRanges: ranges })!;
      const fromReader = parser.parse(rangeReader(text, ranges), null, { includedRanges: ranges })!;
      try {
        assert.equal(fromReader.rootNode.toString(), fromString.rootNode.toString(), `round ${round}`);
        assert.equal(fromReader.rootNode.endIndex, fromString.rootNode.endIndex);
        const texts = (t: typeof fromString): string[] =>
          t.rootNode
            .descendantsOfType(['identifier', 'string_content'])
            .map((n) => `${n.startIndex}:${n.text}`);
        assert.deepEqual(texts(fromReader), texts(fromString), `round ${round}`);
      } finally {
        fromString.delete();
        fromReader.delete();
      }
    }
  } finally {
    parser.delete();
  }
});
