// Behaviour, not just syntax: every program in test/fixtures/fixes/semantics is fixed by `fixFiles` (the code
// behind `backend-hang check --fix`) and then run, before and after, by the real Python of the test venv
// (harness.py). The fixed program must give the same result when nothing interferes, and must not freeze the
// event loop when it is cancelled mid-flight (the original freezes it for the workers' remaining time).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixFiles, type FixFileReport } from '../../src/cli/fixFiles';

const ROOT = path.join(__dirname, '..', '..', '..');
const CASES = path.join(ROOT, 'test', 'fixtures', 'fixes', 'semantics');
const PYTHON = path.join(ROOT, '.cache', 'venv', 'bin', 'python');

interface Run {
  normal: string;
  stall: number;
}

function runCase(file: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(CASES, 'harness.py'), file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Run);
      } catch {
        reject(new Error(`${path.basename(file)}: exit ${code}\n${out}\n${err}`));
      }
    });
  });
}

/** Runs the jobs two at a time (the machine has two cores; each job mostly sleeps). */
async function pool<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

interface Case {
  name: string;
  /** Copy of a case with a different file around it (CRLF, an old requires-python...). */
  variant?: string;
  transform?: (s: string) => string;
  pyproject?: string;
  /** Declined: the file stays as it is and the report says why. */
  declined?: RegExp;
  check?: (fixed: string) => void;
  /** `--unsafe-fixes` (default: safe fixes only, as `--fix`). */
  unsafe?: boolean;
  /** The file's name (test files never get a safe fix). */
  saveAs?: string;
  /** The rules whose fixes must have been applied (default: BHD001). */
  applied?: string[];
  /** Fixes left because they are unsafe: the report says why. */
  unsafeLeft?: RegExp;
  /** Whether the original freezes the loop when cancelled and the fix must stop that (default: yes). */
  stall?: boolean;
}

const CASE_LIST: Case[] = [
  { name: 'seedStream', check: (t) => assert.match(t, /shutdown\(wait=False, cancel_futures=True\)/) },
  {
    name: 'seedStream',
    variant: 'CRLF',
    transform: (s) => s.replace(/\n/g, '\r\n'),
    check: (t) => assert.ok(!/[^\r]\n/.test(t), 'every line break stays CRLF'),
  },
  {
    name: 'seedStream',
    variant: 'requires-python ~=3.7',
    pyproject: '[project]\nname = "x"\nrequires-python = "~=3.7"\n',
    check: (t) => {
      assert.match(t, /executor\.shutdown\(wait=False\)/);
      assert.doesNotMatch(t, /cancel_futures/);
      assert.match(t, /for f in futures:\n\s+f\.cancel\(\)/);
    },
  },
  { name: 'awaitedResults', check: (t) => assert.doesNotMatch(t, /^\s+\w+\.cancel\(\)/m) },
  { name: 'reassignedFutures', check: (t) => assert.doesNotMatch(t, /^\s+\w+\.cancel\(\)/m) },
  { name: 'submitWrapFuture', check: (t) => assert.match(t, /if fut is not None:\n\s+fut\.cancel\(\)/) },
  {
    name: 'otherItemsNoAs',
    check: (t) => assert.match(t, /ex = TPE\(2\)\n\s+r = None\n|ex = TPE\(2\)\n\s+try:\n\s+with lock, open/),
  },
  { name: 'methodTabs', check: (t) => assert.match(t, /\t\tself\.pool = ThreadPoolExecutor\(\)/) },
  { name: 'returnInsideTry' },
  { name: 'processPool' },
  { name: 'nestedUsedAfter' },
  { name: 'fireAndForget', declined: /without keeping its future/ },
  // Futures read after the block: the work is kept (no cancel_futures, nothing cancelled), read via
  // wrap_future. Unsafe (the results may not be finished when read), so only with --unsafe-fixes.
  {
    name: 'keepWorkAfter',
    unsafe: true,
    applied: ['BHD001', 'BHD003'],
    check: (t) => {
      assert.doesNotMatch(t, /cancel_futures|\.cancel\(\)/);
      assert.match(t, /ex\.shutdown\(wait=False\)/);
      assert.match(t, /return \[await asyncio\.wrap_future\(f\) for f in futs\]/);
      assert.equal(t.match(/^import asyncio\b/gm)?.length, 1, 'asyncio imported once');
    },
  },
  {
    name: 'keepWorkAfter',
    variant: 'safe fixes only',
    applied: ['BHD003'],
    unsafeLeft: /BHD001:.*`futs` is read after the block/,
    stall: false,
  },
  // time.sleep -> asyncio.sleep: unsafe; the now unused `import time` goes, asyncio (imported in a try) is reused.
  {
    name: 'sleepImports',
    unsafe: true,
    applied: ['BHD006'],
    stall: false,
    check: (t) => {
      assert.doesNotMatch(t, /import time/);
      assert.equal(t.match(/^ *import asyncio\b/gm)?.length, 1);
      assert.match(t, /await asyncio\.sleep\(0\.01\)/);
    },
  },
  { name: 'sleepImports', variant: 'safe fixes only', applied: [], unsafeLeft: /BHD006/, stall: false },
  // A test file never gets a safe fix; a line commented as deliberate neither.
  {
    name: 'seedStream',
    variant: 'test file',
    saveAs: 'tests/test_stream.py',
    applied: [],
    unsafeLeft: /BHD001:.*test code/,
    stall: false,
  },
  { name: 'deliberateWith', applied: [], unsafeLeft: /BHD001:.*deliberate/, stall: false },
  { name: 'deliberateWith', variant: '--unsafe-fixes', unsafe: true },
];

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-semantics-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('fixed programs behave the same and no longer freeze the loop when cancelled (real Python)', async () => {
  assert.ok(fs.existsSync(PYTHON), `the test venv is missing (${PYTHON}): run scripts/ensure-venv.sh`);
  const prepared = await Promise.all(
    CASE_LIST.map(async (c, i) => {
      // Each case in its own folder so a pyproject.toml applies to that case only.
      const caseDir = path.join(dir, String(i));
      fs.mkdirSync(caseDir);
      if (c.pyproject) fs.writeFileSync(path.join(caseDir, 'pyproject.toml'), c.pyproject);
      const source = (c.transform ?? ((s: string) => s))(
        fs.readFileSync(path.join(CASES, `${c.name}.py`), 'utf8'),
      );
      const original = path.join(caseDir, 'original.py');
      const fixed = path.join(caseDir, c.saveAs ?? 'fixed.py');
      fs.mkdirSync(path.dirname(fixed), { recursive: true });
      fs.writeFileSync(original, source);
      fs.writeFileSync(fixed, source);
      const [report] = await fixFiles([fixed], { unsafeFixes: c.unsafe });
      const [again] = await fixFiles([fixed], { unsafeFixes: c.unsafe });
      return { c, source, original, fixed, report: report!, again: again! };
    }),
  );
  const label = (c: Case): string => `${c.name}${c.variant ? ` (${c.variant})` : ''}`;
  for (const p of prepared) {
    const text = fs.readFileSync(p.fixed, 'utf8');
    if (p.c.declined) {
      assert.equal(p.report.status, 'unchanged', label(p.c));
      assert.equal(text, p.source, `${label(p.c)}: left as it was`);
      assert.match(p.report.declined.map((d) => d.reason).join('\n'), p.c.declined, label(p.c));
      continue;
    }
    const expected = p.c.applied ?? ['BHD001'];
    assert.equal(
      p.report.status,
      expected.length ? 'fixed' : 'unchanged',
      `${label(p.c)}: ${JSON.stringify(p.report satisfies FixFileReport)}`,
    );
    assert.deepEqual(
      [...new Set(p.report.applied.map((a) => a.code))].sort(),
      [...expected].sort(),
      label(p.c),
    );
    if (p.c.unsafeLeft)
      assert.match(
        (p.report.unsafe ?? []).map((u) => `${u.code}: ${u.reason}`).join('\n'),
        p.c.unsafeLeft,
        label(p.c),
      );
    else assert.deepEqual(p.report.unsafe ?? [], [], `${label(p.c)}: no unsafe fix left`);
    assert.equal(p.again.status, 'unchanged', `${label(p.c)}: a second --fix changes nothing`);
    p.c.check?.(text);
  }
  // A test-file name is only for the fixer: Python runs it under any name.
  const runs = await pool(prepared.flatMap((p) => [() => runCase(p.original), () => runCase(p.fixed)]));
  const lines: string[] = [];
  prepared.forEach((p, i) => {
    const before = runs[2 * i]!;
    const afterFix = runs[2 * i + 1]!;
    lines.push(
      `${label(p.c).padEnd(36)} stall before ${before.stall.toFixed(3)} s, after ${afterFix.stall.toFixed(3)} s`,
    );
    assert.equal(afterFix.normal, before.normal, `${label(p.c)}: same result when not cancelled`);
    assert.doesNotMatch(afterFix.normal, /Error/, `${label(p.c)}: ${afterFix.normal}`);
    if (p.c.declined || p.c.stall === false) return;
    assert.ok(before.stall > 0.2, `${label(p.c)}: the original freezes the loop (${before.stall} s)`);
    assert.ok(afterFix.stall < 0.1, `${label(p.c)}: the fixed code does not (${afterFix.stall} s)`);
  });
  console.log(lines.join('\n'));
});
