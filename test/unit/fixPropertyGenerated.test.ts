// Property over generated shapes: every combination of enclosing block x executor `with` header x block body x
// indentation style is fixed into code that CPython parses, with no BHD001 left, and fix-all is idempotent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { createPythonParser, type Parser } from '../../src/python/treeSitter';
import { analyze } from '../../src/diagnostics/analyze';
import { fixOptionsFor } from '../../src/codeActions/fixes';
import { fixAll } from '../../src/codeActions/fixAll';

const PYTHON = path.join(__dirname, '..', '..', '..', '.cache', 'venv', 'bin', 'python');

const WRAPPERS: [string, string][] = [
  ['', ''],
  ['try:', 'except OSError:\n    pass'],
  ['for _ in range(2):', ''],
  ['if flag:', 'else:\n    pass'],
  ['while flag:', ''],
  ['async with lock:', ''],
];
const HEADERS = [
  'with ThreadPoolExecutor(max_workers=5) as executor:',
  'with cf.ThreadPoolExecutor() as executor:  # per request',
  'with ThreadPoolExecutor(2):',
  'with lock2, ThreadPoolExecutor() as executor:',
  'with (ThreadPoolExecutor() as executor, open("f") as fh):',
];
const BODIES = [
  [
    'futures = [loop.run_in_executor(executor, len, s) for s in xs]',
    'for fut in asyncio.as_completed(futures):',
    '    yield await fut',
  ],
  ['fut = executor.submit(len, "x")', '', '# comment', 'return await asyncio.wrap_future(fut)'],
  [
    'pending = []',
    'for s in xs:',
    '    pending.append(executor.submit(len, s))',
    'text = """a',
    'b"""',
    'print([await asyncio.wrap_future(f) for f in pending], text)',
  ],
  ['await asyncio.sleep(0)'],
];

let parser: Parser;
before(async () => {
  parser = await createPythonParser();
});
after(() => parser.delete());

function program(wrapper: [string, string], header: string, body: string[], unit: string): string {
  const lines = [
    'import asyncio',
    'import concurrent.futures as cf',
    'from concurrent.futures import ThreadPoolExecutor',
    '',
    '',
  ];
  lines.push('async def handler(loop, xs, flag, lock, lock2):');
  let depth = 1;
  if (wrapper[0]) {
    lines.push(unit + wrapper[0]);
    depth = 2;
  }
  const pad = unit.repeat(depth);
  lines.push(pad + header);
  // The multi-line string's second line must stay at column 0 whatever the indentation.
  for (const l of body)
    lines.push(l === '' ? '' : l.endsWith('b"""') ? l : pad + unit + l.replace(/^ {4}/, unit));
  if (wrapper[1]) for (const l of wrapper[1].split('\n')) lines.push(unit + l.replace(/^ {4}/, unit));
  return lines.join('\n') + '\n';
}

test('generated with-shapes: fixed code parses in CPython, no BHD001 left, idempotent', () => {
  const outputs: { file: string; text: string }[] = [];
  for (const wrapper of WRAPPERS)
    for (const header of HEADERS)
      for (const body of BODIES)
        for (const unit of ['    ', '  ', '\t']) {
          const source = program(wrapper, header, body, unit);
          const label = JSON.stringify({ wrapper: wrapper[0], header, body: body[0], unit });
          const options = fixOptionsFor(source, { pythonVersion: [3, 11] });
          const once = fixAll(source, parser, options);
          assert.deepEqual(
            once.applied.map((f) => f.code),
            ['BHD001'],
            label,
          );
          assert.equal(fixAll(once.text, parser, options).text, once.text, `${label}: not idempotent`);
          const tree = parser.parse(once.text)!;
          try {
            assert.ok(!tree.rootNode.hasError, `${label}:\n${once.text}`);
            assert.deepEqual(
              analyze(tree, once.text).filter((f) => f.code === 'BHD001'),
              [],
              label,
            );
          } finally {
            tree.delete();
          }
          if (once.text.includes('"""a'))
            assert.match(once.text, /"""a\r?\nb"""/, `${label}: string changed`);
          outputs.push({ file: label, text: once.text });
        }
  const script =
    'import ast, json, sys\nbad = []\nfor i in json.load(sys.stdin):\n    try:\n        ast.parse(i["text"])\n' +
    '    except SyntaxError as e:\n        bad.append(i["file"] + ": " + str(e) + "\\n" + i["text"])\nprint(json.dumps(bad))';
  const bad = JSON.parse(
    execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(outputs), encoding: 'utf8' }),
  );
  assert.deepEqual(bad, []);
  console.log(`${outputs.length} generated programs fixed`);
});
