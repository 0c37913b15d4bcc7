/**
 * Table-driven rule fixtures: every Python file under test/fixtures/rules (BHD00N.py, and the bhd007/ package
 * whose files call each other) marks the lines that must be reported with `# expect: BHD00N[, BHD00M]`; every
 * other line must stay quiet. Run through checkSource with a project index over the fixture's own root, as the
 * CLI does, so BHD007 resolves imports across the package's files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkSource } from '../../src/diagnostics/analyze';
import { ProjectIndex } from '../../src/diagnostics/callGraph/projectIndex';
import { rootsForFiles } from '../../src/diagnostics/callGraph/roots';

const rules = path.join(__dirname, '../../../test/fixtures/rules');
const pkg = path.join(rules, 'bhd007');

function pythonFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.py'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** `line:CODE` for every `# expect:` comment (1-based lines). */
function expected(source: string): string[] {
  const out: string[] = [];
  source.split('\n').forEach((line, i) => {
    const m = /#\s*expect:\s*(BHD\d{3}(?:\s*,\s*BHD\d{3})*)/.exec(line);
    if (m) for (const code of m[1]!.split(/\s*,\s*/)) out.push(`${i + 1}:${code}`);
  });
  return out.sort();
}

async function found(file: string, project: ProjectIndex, regions = true): Promise<string[]> {
  const source = fs.readFileSync(file, 'utf8');
  const findings = await checkSource(source, { project, file, regions });
  return findings.map((f) => `${f.range.start.row + 1}:${f.code}`).sort();
}

const files = pythonFiles(rules);

test('the rule fixtures cover every rule with reported and quiet cases', () => {
  for (const code of ['BHD001', 'BHD002', 'BHD003', 'BHD005', 'BHD006', 'BHD007'])
    assert.ok(fs.existsSync(path.join(rules, `${code}.py`)), `${code}.py`);
  const all = files.flatMap((f) => expected(fs.readFileSync(f, 'utf8')));
  assert.ok(all.length >= 25, `only ${all.length} expectations`);
});

for (const file of files) {
  test(`fixture ${path.relative(rules, file)}: exactly the expected findings`, async () => {
    const project = new ProjectIndex({ roots: rootsForFiles([file]) });
    assert.deepEqual(await found(file, project), expected(fs.readFileSync(file, 'utf8')));
  });
}

test('BHD007 names the chain in the message and links each hop (related information)', async () => {
  const routes = path.join(pkg, 'app/api/routes.py');
  const project = new ProjectIndex({ roots: [pkg] });
  const source = fs.readFileSync(routes, 'utf8');
  const findings = await checkSource(source, { project, file: routes });
  const chat = findings.find((f) => f.code === 'BHD007' && f.range.start.row === 35)!;
  assert.equal(
    chat.message,
    '`get_files_content()` blocks the event loop: → split_file_attachments() → FileService.get_files() → ' +
      'with ThreadPoolExecutor(...) (app/services/files.py:11)',
  );
  assert.deepEqual(
    chat.related!.map((r) => [path.relative(pkg, r.file), r.range.start.row + 1, r.message]),
    [
      ['app/api/routes.py', 22, 'get_files_content() (app/api/routes.py:22)'],
      ['app/services/files.py', 25, 'split_file_attachments() (app/services/files.py:25)'],
      ['app/services/files.py', 10, 'FileService.get_files() (app/services/files.py:10)'],
      ['app/services/files.py', 11, 'with ThreadPoolExecutor(...) blocks (app/services/files.py:11)'],
    ],
  );
  // The call is a plain statement: the quick fix (await asyncio.to_thread) applies; inside print(...) not.
  assert.equal(chat.fixable, true);
  assert.equal(findings.find((f) => f.code === 'BHD007' && f.range.start.row === 42)!.fixable, false);
});

test('BHD007 on a `with` item names what is entered: its __enter__/__exit__ hop is shown, no fix offered', async () => {
  const locks = path.join(pkg, 'app/api/locks.py');
  const project = new ProjectIndex({ roots: [pkg] });
  const findings = await checkSource(fs.readFileSync(locks, 'utf8'), { project, file: locks });
  assert.deepEqual(
    findings.map((f) => [f.range.start.row + 1, f.message, f.fixable]),
    [
      [
        11,
        '`with FileLock()` blocks the event loop: → FileLock.__enter__() → time.sleep() (app/services/streams.py:34)',
        false,
      ],
      [
        16,
        '`with PoolOwner()` blocks the event loop: → PoolOwner.__exit__() → self._executor.shutdown() (app/services/streams.py:52)',
        false,
      ],
    ],
  );
  assert.match(findings[0]!.detail, /Entering `FileLock` runs its `__enter__`/);
});

test('BHD007 on an instance names the method its class runs, however the instance was bound', async () => {
  const file = path.join(pkg, 'app/api/instances.py');
  const project = new ProjectIndex({ roots: [pkg] });
  const findings = await checkSource(fs.readFileSync(file, 'utf8'), { project, file });
  const message = (line: number): string | undefined =>
    findings.find((f) => f.range.start.row + 1 === line)?.message;
  const fetch = '→ NewsService.fetch() → requests.get() (app/services/news.py:12)';
  // A module-level instance here, one imported from another module, a local one, a parameter.
  assert.equal(message(29), `\`service.fetch()\` blocks the event loop: ${fetch}`);
  assert.equal(message(34), `\`news_service.fetch()\` blocks the event loop: ${fetch}`);
  assert.equal(
    message(42),
    '`svc.refresh()` blocks the event loop: → NewsService.refresh() → NewsService.fetch() → requests.get() (app/services/news.py:12)',
  );
  assert.equal(message(48), `\`svc.fetch()\` blocks the event loop: ${fetch}`);
  // An attribute of self holding an instance.
  const attributes = path.join(pkg, 'app/api/attributes.py');
  const onSelf = await checkSource(fs.readFileSync(attributes, 'utf8'), { project, file: attributes });
  assert.equal(onSelf[0]?.message, `\`self.news.fetch()\` blocks the event loop: ${fetch}`);
  // An inherited method through an instance names the base class's.
  assert.match(
    message(36) ?? '',
    /^`poller\._request\(\)` blocks the event loop: → BaseClient\._request\(\) → requests\.get\(\)/,
  );
});

test("BHD007: a helper changed on disk changes the caller's findings (summaries keyed by content)", async () => {
  const texts = new Map<string, string>();
  const read = (f: string): string | undefined => texts.get(f) ?? fs.readFileSync(f, 'utf8');
  const project = new ProjectIndex({ roots: [pkg], readText: read });
  const routes = path.join(pkg, 'app/api/routes.py');
  const helpers = path.join(pkg, 'app/services/files.py');
  const before = await found(routes, project);
  assert.ok(before.includes('41:BHD007')); // reexported_poll -> poll -> time.sleep
  const builds = project.builds;
  assert.deepEqual(await found(routes, project), before);
  assert.equal(project.builds, builds, 'nothing changed: no summary rebuilt');
  const original = fs.readFileSync(helpers, 'utf8');
  texts.set(helpers, original.replace('    time.sleep(0.5)\n    return n', '    return n'));
  const after = await found(routes, project);
  for (const line of ['38', '39', '41', '43', '31']) assert.ok(!after.includes(`${line}:BHD007`), line);
  assert.ok(after.includes('36:BHD007'), 'the executor chain is untouched');
  texts.delete(helpers);
  assert.deepEqual(await found(routes, project), before);
});

test('BHD007 with planned parsing equals whole-file parsing on the fixture package', async () => {
  const project = new ProjectIndex({ roots: [pkg] });
  for (const file of pythonFiles(pkg))
    assert.deepEqual(await found(file, project), await found(file, project, false));
});

test('BHD007 is silent without a project index, and when deselected', async () => {
  const file = path.join(rules, 'BHD007.py');
  const source = fs.readFileSync(file, 'utf8');
  assert.deepEqual(await checkSource(source), []);
  const project = new ProjectIndex({ roots: [rules] });
  assert.deepEqual(await checkSource(source, { project, file, select: ['BHD006'] }), []);
});

/** Runs `body` on a temporary directory holding `files` (relative path -> text), removed afterwards. */
async function withTree(files: Record<string, string>, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'bhd007-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    await body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const SLEEPS = (name: string): string => `import time\n\n\ndef ${name}():\n    time.sleep(1)\n`;

test('BHD007 summarises only the modules async code reaches (the index is built on demand)', async () => {
  // One async def calls into one module; another is imported but not called from async code, a third has
  // blocking helpers nobody imports, a fourth only sync code calling them.
  const files = {
    'main.py':
      'import imported\nfrom helpers import load\n\n\nasync def handler():\n    load()\n\n\ndef sync():\n    imported.wait()\n',
    'helpers.py': SLEEPS('load'),
    'imported.py': SLEEPS('wait'),
    'unused.py': SLEEPS('idle'),
    'sync_only.py': 'from unused import idle\n\n\ndef run():\n    idle()\n',
  };
  await withTree(files, async (dir) => {
    const project = new ProjectIndex({ roots: [dir], stable: true });
    const findings = (await Promise.all(pythonFiles(dir).map((f) => found(f, project)))).flat();
    assert.deepEqual(findings, ['6:BHD007']);
    assert.equal(project.builds, 2, 'main.py and helpers.py only');
  });
});

test('BHD007 in the CLI: an installed package beside the checked one is third-party (not followed)', async () => {
  const files = {
    'site-packages/app/main.py':
      'from other.helpers import load\nfrom app.own import wait\n\n\nasync def handler():\n    load()\n    wait()\n',
    'site-packages/app/__init__.py': '',
    'site-packages/app/own.py': SLEEPS('wait'),
    'site-packages/other/__init__.py': '',
    'site-packages/other/helpers.py': SLEEPS('load'),
  };
  await withTree(files, async (dir) => {
    const checked = pythonFiles(path.join(dir, 'site-packages/app'));
    const main = path.join(dir, 'site-packages/app/main.py');
    const cli = new ProjectIndex({ roots: rootsForFiles(checked), stable: true, checked });
    assert.deepEqual(await found(main, cli), ['7:BHD007'], 'own package followed, the other not');
    const editor = new ProjectIndex({ roots: rootsForFiles(checked) });
    assert.deepEqual(await found(main, editor), ['6:BHD007', '7:BHD007'], 'without `checked`: both');
  });
});
