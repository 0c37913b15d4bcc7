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
      const fixed = path.join(caseDir, 'fixed.py');
      fs.writeFileSync(original, source);
      fs.writeFileSync(fixed, source);
      const [report] = await fixFiles([fixed]);
      const [again] = await fixFiles([fixed]);
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
    assert.equal(
      p.report.status,
      'fixed',
      `${label(p.c)}: ${JSON.stringify(p.report satisfies FixFileReport)}`,
    );
    assert.ok(
      p.report.applied.some((a) => a.code === 'BHD001'),
      label(p.c),
    );
    assert.equal(p.again.status, 'unchanged', `${label(p.c)}: a second --fix changes nothing`);
    p.c.check?.(text);
  }
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
    if (p.c.declined) return;
    assert.ok(before.stall > 0.2, `${label(p.c)}: the original freezes the loop (${before.stall} s)`);
    assert.ok(afterFix.stall < 0.1, `${label(p.c)}: the fixed code does not (${afterFix.stall} s)`);
  });
  console.log(lines.join('\n'));
});
