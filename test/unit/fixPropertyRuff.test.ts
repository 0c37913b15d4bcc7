// Property over public packages (the test venv's site-packages and the fix corpus that scripts/ensure-venv.sh
// installs with --no-deps into .cache/fix-corpus: distributed, slack-bolt, langchain-community), and the
// fixtures: for every file with a finding, safe fix-all (what `--fix` does) and fix-all with unsafe fixes
// (`--unsafe-fixes`) give code that parses in CPython, is idempotent, adds no pyflakes warning (Ruff F401
// unused import / F811 redefinition, before vs after), and `--fix` never applies an unsafe fix (a finding whose
// fix is unsafe is still there, unchanged, after it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPythonParser, type Parser } from '../../src/python/treeSitter';
import { analyze, mightContainFindings } from '../../src/diagnostics/analyze';
import { fixesFor, fixOptionsFor } from '../../src/codeActions/fixes';
import { fixAll } from '../../src/codeActions/fixAll';
import { isTestFile } from '../../src/codeActions/applicability';

const ROOT = path.join(__dirname, '..', '..', '..');
const VENV = path.join(ROOT, '.cache', 'venv');
const PYTHON = path.join(VENV, 'bin', 'python');
const RUFF = path.join(VENV, 'bin', 'ruff');
const CORPUS = path.join(ROOT, '.cache', 'fix-corpus');

function pythonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.py') && !f.includes('__pycache__'))
    .map((f) => path.join(dir, f));
}

let parser: Parser;
let tmp: string;
before(async () => {
  parser = await createPythonParser();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-fixruff-'));
});
after(() => {
  parser.delete();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** One finding as text that survives other fixes moving it: rule and the code it covers. */
function key(code: string, source: string, start: number, end: number): string {
  return `${code} ${source.slice(start, end)}`;
}

/** Ruff's F401/F811 messages per file of `dir` (paths relative to it), as multisets. */
function pyflakes(dir: string): Map<string, string[]> {
  const r = spawnSync(
    RUFF,
    [
      'check',
      '--isolated',
      '--no-cache',
      '--select',
      'F401,F811',
      '--output-format',
      'json',
      '--exit-zero',
      '.',
    ],
    { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, string[]>();
  for (const d of JSON.parse(r.stdout) as { filename: string; code: string; message: string }[]) {
    const rel = path.relative(dir, d.filename);
    out.set(rel, [...(out.get(rel) ?? []), `${d.code} ${d.message}`]);
  }
  return out;
}

test('safe and unsafe fix-all on public packages: parse, idempotent, no new F401/F811, --fix never unsafe', () => {
  assert.ok(fs.existsSync(RUFF), `ruff is missing from the test venv (${RUFF}): run scripts/ensure-venv.sh`);
  assert.ok(fs.existsSync(CORPUS), `the fix corpus is missing (${CORPUS}): run scripts/ensure-venv.sh`);
  const site = fs.readdirSync(path.join(VENV, 'lib')).map((v) => path.join(VENV, 'lib', v, 'site-packages'));
  // Each file with the root of its package tree (test directories are looked for below it).
  const roots = [...site, CORPUS, path.join(ROOT, 'test', 'fixtures')];
  const files = roots.flatMap((root) => pythonFiles(root).map((file) => ({ root, file })));
  const stats = {
    files: 0,
    withFindings: 0,
    findings: 0,
    safeApplied: 0,
    unsafeApplied: 0,
    unsafeLeftBySafe: 0,
  };
  const byRule = new Map<string, { safe: number; unsafe: number }>();
  const dirs = {
    before: path.join(tmp, 'before'),
    safe: path.join(tmp, 'safe'),
    unsafe: path.join(tmp, 'unsafe'),
  };
  for (const { root, file } of files) {
    stats.files++;
    const source = fs.readFileSync(file, 'utf8');
    if (!mightContainFindings(source)) continue;
    const tree = parser.parse(source);
    if (!tree) continue;
    const rel = path.relative(ROOT, file).replace(/^\.cache[\\/]/, '');
    const options = fixOptionsFor(source, { pythonVersion: [3, 11], testFile: isTestFile(file, root) });
    // The findings whose main fix is unsafe here: `--fix` must leave every one of them as it is.
    const mustStay: string[] = [];
    let count = 0;
    try {
      if (tree.rootNode.hasError) continue; // --fix never touches a file that does not parse
      for (const f of analyze(tree, source)) {
        count++;
        const main = fixesFor(f, tree, source, options).find((a) => a.preferred);
        if (main?.applicability === 'unsafe') mustStay.push(key(f.code, source, f.startIndex, f.endIndex));
      }
    } finally {
      tree.delete();
    }
    if (count === 0) continue;
    stats.withFindings++;
    stats.findings += count;
    const safe = fixAll(source, parser, options);
    const unsafe = fixAll(source, parser, { ...options, unsafeFixes: true });
    stats.safeApplied += safe.applied.length;
    stats.unsafeApplied += unsafe.applied.length;
    for (const [list, kind] of [
      [safe.applied, 'safe'],
      [unsafe.applied, 'unsafe'],
    ] as const)
      for (const f of list) {
        const r = byRule.get(f.code) ?? { safe: 0, unsafe: 0 };
        r[kind]++;
        byRule.set(f.code, r);
      }
    for (const [label, result, unsafeFixes] of [
      ['safe', safe, false],
      ['unsafe', unsafe, true],
    ] as const) {
      const again = fixAll(result.text, parser, { ...options, unsafeFixes });
      assert.equal(again.text, result.text, `${rel} (${label}): not idempotent`);
    }
    // --fix never applies an unsafe fix: each of those findings is still there after it, covering the same code.
    const afterTree = parser.parse(safe.text)!;
    try {
      const left = analyze(afterTree, safe.text).map((f) => key(f.code, safe.text, f.startIndex, f.endIndex));
      for (const k of mustStay) {
        const i = left.indexOf(k);
        assert.ok(i >= 0, `${rel}: --fix applied an unsafe fix (${k.split('\n')[0]})`);
        left.splice(i, 1);
        stats.unsafeLeftBySafe++;
      }
    } finally {
      afterTree.delete();
    }
    for (const [d, text] of [
      [dirs.before, source],
      [dirs.safe, safe.text],
      [dirs.unsafe, unsafe.text],
    ] as const) {
      fs.mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
      fs.writeFileSync(path.join(d, rel), text);
    }
  }
  console.log(
    `${stats.files} files, ${stats.withFindings} with findings (${stats.findings}); --fix applied ${stats.safeApplied} ` +
      `safe fixes and left ${stats.unsafeLeftBySafe} unsafe ones as they were; --unsafe-fixes applied ${stats.unsafeApplied}. ` +
      `Per rule (safe / with unsafe): ${[...byRule].map(([c, r]) => `${c} ${r.safe}/${r.unsafe}`).join(', ')}`,
  );
  assert.ok(stats.withFindings >= 50, `expected a corpus with findings, got ${stats.withFindings} files`);
  assert.ok(stats.safeApplied > 0 && stats.unsafeApplied > stats.safeApplied, JSON.stringify(stats));

  // Every fixed file parses in CPython (one interpreter for all of them).
  for (const d of [dirs.safe, dirs.unsafe]) {
    const bad = execFileSync(
      PYTHON,
      [
        '-c',
        'import ast, pathlib, sys\nfor p in pathlib.Path(sys.argv[1]).rglob("*.py"):\n    try:\n        ast.parse(p.read_text(encoding="utf-8"))\n    except SyntaxError as e:\n        print(f"{p}: {e}")',
        d,
      ],
      { encoding: 'utf8', maxBuffer: 16 << 20 },
    );
    assert.equal(bad, '', `fixed files that CPython cannot parse:\n${bad}`);
  }

  // No new pyflakes warning: each fixed file's F401/F811 messages are among the original's.
  const original = pyflakes(dirs.before);
  let added = 0;
  for (const d of [dirs.safe, dirs.unsafe]) {
    for (const [rel, messages] of pyflakes(d)) {
      const was = [...(original.get(rel) ?? [])];
      for (const m of messages) {
        const i = was.indexOf(m);
        if (i >= 0) was.splice(i, 1);
        else {
          added++;
          console.log(`new in ${path.basename(d)}: ${rel}: ${m}`);
        }
      }
    }
  }
  assert.equal(added, 0, 'fixes added pyflakes warnings (F401/F811)');
});
