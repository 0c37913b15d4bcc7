// Configuration like Ruff's: the TOML reader (against CPython's tomllib), settings, discovery from each file
// upward, exclude / per-file-ignores / .gitignore matching, and other tools' suppression comments.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseToml } from '../../src/config/toml';
import { gitignoreVerdict, matchesPattern, parseGitignore } from '../../src/config/glob';
import { ConfigResolver } from '../../src/config/discovery';
import { collectPythonFiles } from '../../src/config/fileWalk';
import { parseSettings } from '../../src/config/settings';
import { analyze } from '../../src/diagnostics/analyze';
import { createPythonParser, type Parser } from '../../src/python/treeSitter';

const ROOT = path.join(__dirname, '..', '..', '..');
const PYTHON = path.join(ROOT, '.cache', 'venv', 'bin', 'python');

const TOML_DOCS = [
  `[project]\nname = "x"\nrequires-python = ">=3.8"\ndependencies = [\n  "a>=1", # comment\n  'b',\n]\n`,
  `[tool.backend-hang]\nselect = ["BHD"]\nignore = ["BHD005"]\nhttp-timeout = 2.5\n` +
    `per-file-ignores = { "tests/*" = ["BHD006"], "__init__.py" = ["BHD001"] }\n` +
    `[tool.backend-hang.severity]\nBHD003 = "error"\n[tool."backend-hang".noqa-aliases]\nBHD006 = ["X1"]\n`,
  `a.b.c = 1\na.d = true\n"quoted key" = 'lit\\eral'\nesc = "tab\\there \\u00e9 \\"q\\""\n` +
    `ml = """\nline1\nline2 \\\n   joined"""\nml2 = '''\nraw \\n'''\nnums = [0x1F, 0o7, 1_000, -2.5e3, +1]\n` +
    `[[srv]]\nname = "a"\n[[srv]]\nname = "b"\n[srv.opt]\nx = []\n`,
];

describe('TOML reader', () => {
  test('reads what CPython tomllib reads, the same way', () => {
    assert.ok(fs.existsSync(PYTHON), `the test venv is missing (${PYTHON}): run scripts/ensure-venv.sh`);
    for (const doc of TOML_DOCS) {
      const expected = JSON.parse(
        execFileSync(
          PYTHON,
          ['-c', 'import sys, json, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))'],
          {
            input: doc,
            encoding: 'utf8',
          },
        ),
      ) as unknown;
      assert.deepEqual(parseToml(doc), expected, doc);
    }
  });

  test('malformed input says where', () => {
    assert.throws(() => parseToml('a = 1\nb = [1, 2\n'), /line \d/);
    assert.throws(() => parseToml('a = 1\na = 2\n'), /duplicate key 'a'/);
    assert.throws(() => parseToml('a = "x\n'), /unterminated string/);
    assert.throws(() => parseToml('[t]\nx = 1\n[t]\ny = 2\n'), /table \[t\] defined twice/);
    assert.throws(() => parseToml('t = { x = 1 }\n[t.u]\n'), /defined inline and cannot be extended/);
    assert.throws(() => parseToml('a = [1]\n[[a]]\n'), /defined inline/);
    // Sub-tables of each [[array]] element are their own.
    assert.deepEqual(parseToml('[[a]]\n[a.s]\nx = 1\n[[a]]\n[a.s]\nx = 2\n'), {
      a: [{ s: { x: 1 } }, { s: { x: 2 } }],
    });
  });
});

describe('settings', () => {
  test('known keys are validated; unknown keys and bad values are warnings', () => {
    const warnings: string[] = [];
    const s = parseSettings(
      parseToml(
        'select = ["BHD00"]\nhttp_timeout = 3\ntarget-version = "py38"\nseverity = { BHD001 = "warning", BHD999 = "x" }\n' +
          'colour = true\nexclude = "x"\nignore = ["S113", "BHD042"]\n',
      ),
      (m) => warnings.push(m),
    );
    assert.deepEqual(s.select, ['BHD00']);
    // Ruff's layout: rule settings under `lint`.
    const lint = parseSettings(
      parseToml('[lint]\nignore = ["BHD006"]\n[lint.per-file-ignores]\n"a.py" = ["BHD001"]\n'),
      () => {
        throw new Error('no warning expected');
      },
    );
    assert.deepEqual(lint, { ignore: ['BHD006'], perFileIgnores: { 'a.py': ['BHD001'] } });
    assert.equal(s.httpTimeout, 3);
    assert.deepEqual(s.targetVersion, [3, 8]);
    assert.deepEqual(s.severity, { BHD001: 'warning' });
    assert.deepEqual(warnings.sort(), [
      "'exclude' must be a list of strings",
      "'ignore': unknown rule code 'BHD042'",
      "'severity': unknown rule code 'BHD999'",
      "unknown setting 'colour'",
    ]);
  });
});

describe('patterns', () => {
  test('exclude / per-file-ignores patterns (Ruff semantics)', () => {
    assert.ok(matchesPattern('build', 'build/x.py'));
    assert.ok(matchesPattern('build', 'a/build/x.py'));
    assert.ok(matchesPattern('*_pb2.py', 'pkg/api_pb2.py'));
    assert.ok(matchesPattern('vendor/**', 'vendor/a/b.py'));
    assert.ok(matchesPattern('src/legacy', 'src/legacy/old.py'));
    assert.ok(matchesPattern('tests/*', 'tests/test_a.py'));
    assert.ok(!matchesPattern('src/legacy', 'lib/src/legacy/old.py'));
    assert.ok(!matchesPattern('*.pyi', 'a.py'));
  });

  test('.gitignore: anchoring, directories, negation, **', () => {
    const rules = parseGitignore('# c\n/build/\n*.gen.py\n!keep.gen.py\ndocs/**/tmp\nnode_modules\n');
    assert.equal(gitignoreVerdict(rules, 'build', true), true);
    assert.equal(
      gitignoreVerdict(rules, 'build', false),
      undefined,
      'a trailing slash matches directories only',
    );
    assert.equal(gitignoreVerdict(rules, 'src/build', true), undefined, 'a leading slash anchors');
    assert.equal(gitignoreVerdict(rules, 'a/b.gen.py', false), true);
    assert.equal(gitignoreVerdict(rules, 'a/keep.gen.py', false), false);
    assert.equal(gitignoreVerdict(rules, 'docs/x/y/tmp', true), true);
    assert.equal(gitignoreVerdict(rules, 'x/node_modules', true), true);
  });
});

describe('discovery and file walking', () => {
  let dir: string;
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  before(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-config-')));
    fs.mkdirSync(path.join(dir, '.git'));
    write('.gitignore', 'generated/\n');
    write(
      'pyproject.toml',
      '[project]\nname = "outer"\nrequires-python = ">=3.8"\n\n[tool.backend-hang]\nignore = ["BHD005"]\n' +
        'extend-exclude = ["third_party"]\nhttp-timeout = 30\n[tool.backend-hang.per-file-ignores]\n"scripts/*" = ["BHD006"]\n',
    );
    write('app/a.py', 'x = 1\n');
    write('scripts/run.py', 'x = 1\n');
    write('third_party/lib.py', 'x = 1\n');
    write('generated/gen.py', 'x = 1\n');
    write('build/out.py', 'x = 1\n');
    // A nested project with its own file: the closest one wins, no merging.
    write('sub/backend-hang.toml', 'select = ["BHD001"]\ntarget-version = "3.11"\n');
    write('sub/pyproject.toml', '[tool.backend-hang]\nselect = ["BHD006"]\n');
    write('sub/m.py', 'x = 1\n');
    // A pyproject.toml without the table is not a config file, but its requires-python counts.
    write('plain/pyproject.toml', '[project]\nname = "p"\nrequires-python = ">=3.7"\n');
    write('plain/p.py', 'x = 1\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the closest config file applies; per-file-ignores; target-version / requires-python', () => {
    const r = new ConfigResolver({ cwd: dir });
    const a = r.forFile(path.join(dir, 'app/a.py'));
    assert.equal(a.file, path.join(dir, 'pyproject.toml'));
    assert.ok(!a.select.has('BHD005') && a.select.has('BHD006'));
    assert.equal(a.httpTimeout, 30);
    assert.deepEqual(a.targetVersion, [3, 8]);
    assert.ok(!r.forFile(path.join(dir, 'scripts/run.py')).select.has('BHD006'));
    const sub = r.forFile(path.join(dir, 'sub/m.py'));
    assert.equal(
      sub.file,
      path.join(dir, 'sub/backend-hang.toml'),
      'backend-hang.toml before pyproject.toml',
    );
    assert.deepEqual([...sub.select], ['BHD001']);
    assert.deepEqual(sub.targetVersion, [3, 11]);
    const plain = r.forFile(path.join(dir, 'plain/p.py'));
    assert.equal(plain.file, path.join(dir, 'pyproject.toml'));
    assert.deepEqual(plain.targetVersion, [3, 7], 'the nearest requires-python (no explicit target-version)');
    const forced = new ConfigResolver({ cwd: dir, overrides: { targetVersion: [3, 12] } });
    assert.deepEqual(forced.forFile(path.join(dir, 'plain/p.py')).targetVersion, [3, 12]);
  });

  test('command-line overrides win; --isolated ignores the files', () => {
    const r = new ConfigResolver({ cwd: dir, overrides: { select: ['BHD005'], httpTimeout: 4 } });
    const a = r.forFile(path.join(dir, 'app/a.py'));
    assert.deepEqual([...a.select], [], "select BHD005 minus the file's ignore");
    assert.equal(a.httpTimeout, 4);
    const iso = new ConfigResolver({ cwd: dir, isolated: true }).forFile(path.join(dir, 'app/a.py'));
    assert.equal(iso.file, undefined);
    assert.ok(iso.select.has('BHD005'));
  });

  test('walking skips extend-exclude, Ruff default excludes and git-ignored folders; explicit files are kept', () => {
    const rel = (files: string[]): string[] => files.map((f) => path.relative(dir, f)).sort();
    const walked = collectPythonFiles([dir], new ConfigResolver({ cwd: dir }));
    assert.deepEqual(walked.errors, []);
    assert.deepEqual(rel(walked.files), ['app/a.py', 'plain/p.py', 'scripts/run.py', 'sub/m.py']);
    const noGit = collectPythonFiles([dir], new ConfigResolver({ cwd: dir }), { respectGitignore: false });
    assert.ok(rel(noGit.files).includes('generated/gen.py'));
    const explicit = collectPythonFiles(
      [path.join(dir, 'third_party/lib.py')],
      new ConfigResolver({ cwd: dir }),
    );
    assert.equal(explicit.files.length, 1);
    const forced = collectPythonFiles(
      [path.join(dir, 'third_party/lib.py')],
      new ConfigResolver({ cwd: dir }),
      {
        forceExclude: true,
      },
    );
    assert.equal(forced.files.length, 0);
  });
});

describe("other tools' suppressions of the same rule", () => {
  let parser: Parser;
  before(async () => {
    parser = await createPythonParser();
  });
  after(() => parser.delete());
  const codes = (source: string): string[] => {
    const tree = parser.parse(source)!;
    try {
      return analyze(tree, source).map((f) => `${f.code}@${f.range.start.row + 1}`);
    } finally {
      tree.delete();
    }
  };
  const head = 'import time\nimport requests\n\n\nasync def h(u):\n';

  test('noqa codes of Ruff / flake8-async / bandit', () => {
    assert.deepEqual(codes(`${head}    time.sleep(1)  # noqa: ASYNC251\n`), []);
    assert.deepEqual(codes(`${head}    return requests.get(u)  # noqa: ASYNC210, S113\n`), []);
    assert.deepEqual(codes(`${head}    return requests.get(u)  # noqa: S113\n`), ['BHD006@6']);
    assert.deepEqual(codes(`${head}    time.sleep(1)  # noqa: E501\n`), ['BHD006@6']);
    assert.deepEqual(
      codes(`${head}    s = "# noqa: ASYNC251"; time.sleep(1)\n`),
      ['BHD006@6'],
      'not in a string',
    );
  });

  test('ruff: ignore[...], disable/enable ranges and file-level exemptions', () => {
    assert.deepEqual(codes(`${head}    time.sleep(1)  # ruff: ignore[ASYNC251]\n`), []);
    assert.deepEqual(
      codes(
        `${head}    # ruff: disable[BHD006]\n    time.sleep(1)\n    # ruff: enable[BHD006]\n    time.sleep(2)\n`,
      ),
      ['BHD006@9'],
    );
    assert.deepEqual(codes(`# ruff: noqa: ASYNC251\n${head}    time.sleep(1)\n`), []);
    assert.deepEqual(codes(`# flake8: noqa\n${head}    time.sleep(1)\n`), []);
    assert.deepEqual(codes(`x = """\n# ruff: noqa\n"""\n${head}    time.sleep(1)\n`), ['BHD006@9']);
  });
});

test('what a repository tells Ruff: excluded folders are skipped, per-file-ignores of the same problems apply', () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-ruffcfg-')));
  try {
    const write = (rel: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write(
      'pyproject.toml',
      '[project]\nname = "r"\n\n[tool.ruff]\nextend-exclude = ["vendored", "src/gen/*.py"]\n' +
        '[tool.ruff.lint.per-file-ignores]\n"src/bench_*.py" = ["ASYNC251"]\n"src/scripts/*" = ["S"]\n',
    );
    write('src/app.py', 'x = 1\n');
    write('src/gen/api_pb2.py', 'x = 1\n');
    write('vendored/lib.py', 'x = 1\n');
    write('sub/ruff.toml', 'exclude = ["legacy"]\n');
    write('sub/legacy/old.py', 'x = 1\n');
    write('sub/new.py', 'x = 1\n');
    const rel = (files: string[]): string[] => files.map((f) => path.relative(dir, f)).sort();
    assert.deepEqual(rel(collectPythonFiles([dir], new ConfigResolver({ cwd: dir })).files), [
      'src/app.py',
      'sub/new.py',
    ]);
    // --isolated: no config file of any tool.
    assert.equal(collectPythonFiles([dir], new ConfigResolver({ cwd: dir, isolated: true })).files.length, 5);
    const r = new ConfigResolver({ cwd: dir });
    assert.ok(r.forFile(path.join(dir, 'vendored/lib.py')).excluded);
    // Ruff's per-file-ignores of the same problems: ASYNC251 -> BHD006, the S prefix (S113) -> BHD005.
    const bench = r.forFile(path.join(dir, 'src/bench_sleep.py')).select;
    assert.ok(!bench.has('BHD006') && bench.has('BHD005') && bench.has('BHD001'));
    const script = r.forFile(path.join(dir, 'src/scripts/fetch.py')).select;
    assert.ok(!script.has('BHD005') && script.has('BHD006'));
    assert.ok(r.forFile(path.join(dir, 'src/app.py')).select.has('BHD006'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
