/**
 * `backend-hang check`'s cache (src/cli/checkCache.ts) after edits: a file's entry is kept while none of the
 * modules its BHD007 answer read changed (ProjectIndex.consultedFrom), so a run with the cache must report
 * exactly what a run without it reports. Random projects (./randomProject) where one module at a time is
 * replaced by another random one; each run with the cache re-opens it from disk, as a new process would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckCache } from '../../src/cli/checkCache';
import { checkRoots } from '../../src/cli/checkFiles';
import { runCheck } from '../../src/cli/parallelCheck';
import { ConfigResolver } from '../../src/config/discovery';
import { randomProject } from './randomProject';
import { seededRandom } from './seededRandom';

/** One check of `files` in `dir` (this thread only), with the cache in `cacheDir` or without one. */
async function check(
  dir: string,
  files: string[],
  cacheDir?: string,
): Promise<{ lines: string[]; cached: number }> {
  const resolver = new ConfigResolver({ cwd: dir, isolated: true });
  const cache = cacheDir ? CheckCache.open(cacheDir, dir, __filename) : undefined;
  const job = {
    files,
    roots: () => checkRoots(files, resolver, dir),
    cwd: dir,
    resolver: { cwd: dir, isolated: true },
  };
  const result = await runCheck(job, resolver, undefined, cache);
  const lines = result.reports.flatMap((r) =>
    r.findings.map((f) => `${r.file}:${f.range.start.row}:${f.range.start.column} ${f.code} ${f.message}`),
  );
  return { lines, cached: result.stats.cached };
}

test('the cache after edits reports what a run without it does: random projects, one module replaced at a time', async () => {
  let reused = 0;
  let rechecked = 0;
  let changedFindings = 0;
  for (let seed = 1; seed <= Number(process.env.SEEDS ?? 30); seed++) {
    // Sparse imports on half the seeds: a chain then crosses several modules, each read for the file's answer.
    const n = 6;
    const density = seed % 2 === 0 ? 0.5 : 0.2;
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-cacheprop-')));
    const cacheDir = path.join(dir, '.cache');
    try {
      const names = Object.keys(randomProject(seed, n, density));
      const files = names.map((name) => path.join(dir, name));
      const write = (name: string, text: string, at: number): void => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        // A distinct modification time per edit (two edits within a clock tick must not look the same).
        fs.utimesSync(file, at, at);
      };
      let clock = 1_700_000_000;
      for (const [name, text] of Object.entries(randomProject(seed, n, density))) write(name, text, clock);
      let previous = (await check(dir, files, cacheDir)).lines;
      assert.deepEqual(previous, (await check(dir, files)).lines, `seed ${seed}: first run`);
      const r = seededRandom(seed * 7919);
      for (let step = 1; step <= 6; step++) {
        const name = names[Math.floor(r() * names.length)]!;
        // Another random module of the same name (the same names to import: f0, C<i>, inst<i>...), or the same
        // text with a comment added (nothing to find differs).
        const text =
          r() < 0.8
            ? randomProject(seed * 1000 + step, n, density)[name]!
            : `${fs.readFileSync(path.join(dir, name), 'utf8')}\n# edited\n`;
        write(name, text, (clock += 10));
        const withCache = await check(dir, files, cacheDir);
        const fresh = await check(dir, files);
        assert.deepEqual(withCache.lines, fresh.lines, `seed ${seed}, step ${step}: ${name} replaced`);
        if (JSON.stringify(fresh.lines) !== JSON.stringify(previous)) changedFindings++;
        previous = fresh.lines;
        reused += withCache.cached;
        rechecked += files.length - withCache.cached;
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  // The edits changed findings, and the cache both answered files and checked them again.
  assert.ok(changedFindings > 10, `steps whose findings changed: ${changedFindings}`);
  assert.ok(reused > 0 && rechecked > 0, `from the cache ${reused}, checked again ${rechecked}`);
});

test('the cache keeps a file whose answer did not read the edited module, though it imports it transitively', async () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-cacheread-')));
  const cacheDir = path.join(dir, '.cache');
  try {
    const texts: Record<string, string> = {
      'app/__init__.py': '',
      'app/routes.py': 'from app.helpers import helper\n\n\nasync def route():\n    helper()\n',
      'app/helpers.py':
        'from app import report\n\n\ndef helper():\n    return 1\n\n\ndef other():\n    report.build()\n',
      'app/report.py': 'import time\n\n\ndef build():\n    time.sleep(1)\n',
    };
    let clock = 1_700_000_000;
    const write = (name: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
      fs.utimesSync(path.join(dir, name), (clock += 10), clock);
    };
    for (const [name, text] of Object.entries(texts)) write(name, text);
    const files = Object.keys(texts).map((name) => path.join(dir, name));
    assert.deepEqual((await check(dir, files, cacheDir)).lines, []);
    // report.py is imported by helpers.py, but `helper` never calls into it: routes.py's answer did not read it.
    write('app/report.py', 'import time\n\n\ndef build():\n    time.sleep(2)\n');
    const afterReport = await check(dir, files, cacheDir);
    assert.deepEqual(afterReport.lines, []);
    assert.equal(afterReport.cached, 3, 'only report.py is checked again');
    // helpers.py was read for routes.py's answer: an edit there checks routes.py again (and finds the chain).
    write('app/helpers.py', texts['app/helpers.py']!.replace('    return 1', '    other()'));
    const afterHelpers = await check(dir, files, cacheDir);
    assert.equal(afterHelpers.cached, 2, 'helpers.py and routes.py checked again');
    assert.deepEqual(afterHelpers.lines, (await check(dir, files)).lines);
    assert.equal(afterHelpers.lines.length, 1, afterHelpers.lines.join('\n'));
    assert.match(afterHelpers.lines[0]!, /app\/routes\.py:4:4 BHD007 `helper\(\)` blocks the event loop/);
    // Now report.py is read for it too: an edit there is seen.
    write('app/report.py', 'import time\n\n\ndef build():\n    pass\n');
    const afterFix = await check(dir, files, cacheDir);
    assert.deepEqual(afterFix.lines, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
