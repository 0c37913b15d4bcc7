// Property: for every Python file in the fixtures, the demo app and every site-packages file of the test venv
// that mentions an executor, fix-all gives code that parses (tree-sitter AND CPython's own `ast.parse`) and is
// idempotent. Fast enough for `npm test` (a few hundred ms).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPythonParser, type Parser } from '../../src/python/treeSitter';
import { fixOptionsFor } from '../../src/codeActions/fixes';
import { fixAll } from '../../src/codeActions/fixAll';

const ROOT = path.join(__dirname, '..', '..', '..');
const SITE = path.join(ROOT, '.cache', 'venv', 'lib', 'python3.11', 'site-packages');
const PYTHON = path.join(ROOT, '.cache', 'venv', 'bin', 'python');

function pythonFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.py') && !f.includes('__pycache__'))
    .map((f) => path.join(dir, f));
}

let parser: Parser;
before(async () => {
  parser = await createPythonParser();
});
after(() => parser.delete());

function errorCount(text: string): number {
  const tree = parser.parse(text)!;
  try {
    return tree.rootNode.descendantsOfType('ERROR').length + (tree.rootNode.hasError ? 1 : 0);
  } finally {
    tree.delete();
  }
}

test('fix-all output parses and is idempotent (fixtures, demo app, site-packages executors)', () => {
  assert.ok(fs.existsSync(SITE), `the test venv is missing (${SITE}): run scripts/ensure-venv.sh`);
  const site = pythonFiles(SITE).filter((f) => fs.readFileSync(f, 'utf8').includes('Executor'));
  assert.ok(site.length >= 3, `expected site-packages files with executors, found ${site.length}`);
  const files = [
    ...pythonFiles(path.join(ROOT, 'test', 'fixtures')),
    ...pythonFiles(path.join(ROOT, 'examples')),
    ...site,
  ];
  const changed: { file: string; text: string }[] = [];
  let fixes = 0;
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8');
    for (const pythonVersion of [
      [3, 11],
      [3, 8],
    ] as const) {
      const options = fixOptionsFor(source, { pythonVersion: [...pythonVersion] });
      const once = fixAll(source, parser, options);
      const twice = fixAll(once.text, parser, options);
      assert.equal(twice.text, once.text, `${file} (${pythonVersion.join('.')}): not idempotent`);
      assert.equal(twice.applied.length, 0, `${file}: second run applied fixes`);
      assert.ok(errorCount(once.text) <= errorCount(source), `${file}: fix-all added a syntax error`);
      if (once.text !== source) {
        fixes += once.applied.length;
        if (errorCount(source) === 0)
          changed.push({ file: `${file} (${pythonVersion.join('.')})`, text: once.text });
      }
    }
  }
  console.log(`${files.length} files, ${changed.length} changed (both targets), ${fixes} fixes applied`);
  assert.ok(changed.length > 10, 'the corpus exercises the fixes');
  // CPython's parser has the last word on "parses" (tree-sitter is more lenient in places).
  const script = [
    'import ast, json, sys',
    'bad = []',
    'for item in json.load(sys.stdin):',
    '    try:',
    '        ast.parse(item["text"], item["file"])',
    '    except SyntaxError as e:',
    '        bad.append(f"{item[\'file\']}: {e}")',
    'print(json.dumps(bad))',
  ].join('\n');
  const out = execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(changed), encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), []);
});
