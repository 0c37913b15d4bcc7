/**
 * `check --diff`'s unified diff (src/cli/unifiedDiff.ts): on random line lists, the script rebuilds both sides
 * and, where Myers runs, is as short as the longest common subsequence allows; a large fixed file (thousands of
 * changed lines) is diffed without Myers' quadratic trace, hunk by hunk, with the right line numbers; `git
 * apply` takes the output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diffLines, unifiedDiff } from '../../src/cli/unifiedDiff';
import { seededRandom as random } from './seededRandom';

/** The two sides a script describes. */
function sides(script: [string, string][]): { a: string[]; b: string[] } {
  return {
    a: script.filter(([k]) => k !== '+').map(([, l]) => l),
    b: script.filter(([k]) => k !== '-').map(([, l]) => l),
  };
}

/** Length of the longest common subsequence (dynamic programming: the reference for small cases). */
function lcs(a: string[], b: string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = x === b[j - 1] ? diag + 1 : Math.max(row[j]!, row[j - 1]!);
      diag = up;
    }
  }
  return row[b.length]!;
}

test('random small cases: the script rebuilds both sides and is a shortest one', () => {
  const rnd = random(7);
  for (let c = 0; c < 400; c++) {
    const alphabet = 1 + Math.floor(rnd() * 6);
    const list = (): string[] =>
      Array.from({ length: Math.floor(rnd() * 40) }, () => `l${Math.floor(rnd() * alphabet)}`);
    const a = list();
    const b = list();
    const script = diffLines(a, b);
    assert.deepEqual(sides(script), { a, b });
    const changes = script.filter(([k]) => k !== ' ').length;
    assert.equal(changes, a.length + b.length - 2 * lcs(a, b), `case ${c}: ${a} -> ${b}`);
  }
});

test('random large cases (beyond Myers alone): the script rebuilds both sides', () => {
  const rnd = random(11);
  for (let c = 0; c < 20; c++) {
    const a = Array.from({ length: 3000 + Math.floor(rnd() * 3000) }, (_, i) =>
      rnd() < 0.3 ? `dup${Math.floor(rnd() * 5)}` : `line ${i}`,
    );
    const b = a.flatMap((l) =>
      rnd() < 0.2 ? [] : rnd() < 0.2 ? [`${l} changed`] : rnd() < 0.05 ? [l, 'new'] : [l],
    );
    assert.deepEqual(sides(diffLines(a, b)), { a, b });
  }
  // No line unique on either side, too large for Myers: removed then added, still exact.
  const a = Array.from({ length: 1500 }, (_, i) => (i % 2 ? 'q' : 'p'));
  const b = Array.from({ length: 1500 }, (_, i) => (i % 2 ? 'p' : 'q'));
  assert.deepEqual(sides(diffLines(a, b)), { a, b });
});

test('a 52,000-line file with 8,000 changed lines: one hunk per fix, right line numbers, git apply takes it', () => {
  const before: string[] = [];
  for (let i = 0; i < 4000; i++)
    before.push(
      `async def handler_${i}(url):`,
      '    requests.get(url)',
      '    time.sleep(1)',
      ...Array.from({ length: 9 }, (_, k) => `    y_${k} = ${i}`),
      '',
    );
  const after = before.map((l) =>
    l === '    requests.get(url)'
      ? '    requests.get(url, timeout=10)'
      : l === '    time.sleep(1)'
        ? '    await asyncio.sleep(1)'
        : l,
  );
  const diff = unifiedDiff('f.py', `${before.join('\n')}\n`, `${after.join('\n')}\n`);
  const hunks = diff.split('\n').filter((l) => l.startsWith('@@'));
  assert.equal(hunks.length, 4000);
  // The first hunk has one line of context before; handler i starts at line 13 i + 1.
  assert.equal(hunks[0], '@@ -1,6 +1,6 @@');
  assert.equal(hunks[1], '@@ -12,8 +12,8 @@');
  assert.equal(hunks[3999], `@@ -${3999 * 13 - 1},8 +${3999 * 13 - 1},8 @@`);
  assert.equal(diff.split('\n').filter((l) => l.startsWith('-    requests')).length, 4000);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-diff-'));
  try {
    fs.writeFileSync(path.join(dir, 'f.py'), `${before.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'fix.diff'), diff);
    const r = spawnSync('git', ['apply', '-p0', 'fix.diff'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.equal(fs.readFileSync(path.join(dir, 'f.py'), 'utf8'), `${after.join('\n')}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
