// Parts of `npm run bench` that compare whole processes with Ruff: real packages with findings, and dense
// generated files (cost linear in size and findings). Ruff is measured in the same run, interleaved.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/**
 * Public packages with real findings (requests without timeout, blocking calls in async code), installed
 * from PyPI into their own venv (--no-deps: their code, not their dependency trees). Pinned so numbers and
 * findings compare across runs. None of it is code we wrote.
 */
export const REAL_PACKAGES = [
  { pip: 'langchain-community==0.4.2', dir: 'langchain_community' },
  { pip: 'distributed==2026.8.0', dir: 'distributed' },
  { pip: 'gradio==6.31.0', dir: 'gradio' },
  { pip: 'slack-bolt==1.30.0', dir: 'slack_bolt' },
  { pip: 'chainlit==2.12.0', dir: 'chainlit' },
  { pip: 'agno==3.1.10', dir: 'agno' },
];

const ms = (x) => `${x.toFixed(0)} ms`;
/** The Node that runs our CLI: this one, or BENCH_NODE (e.g. a newer Node than the machine's default). */
export const node = process.env.BENCH_NODE || process.execPath;
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function wall(cmd, args, opts = {}) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  return { ms: performance.now() - t, ...r };
}

/** The bench venv's site-packages with REAL_PACKAGES installed (installed on first use). */
export function ensureRealCorpus(repo) {
  const venv = path.join(repo, '.cache/bench-venv');
  const stamp = path.join(venv, '.packages');
  const want = REAL_PACKAGES.map((p) => p.pip).join('\n');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
    console.log(
      `   installing ${REAL_PACKAGES.map((p) => p.pip).join(', ')} into ${path.relative(repo, venv)} ...`,
    );
    let r = spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    if (r.status === 0)
      r = spawnSync(
        path.join(venv, 'bin/pip'),
        [
          'install',
          '--quiet',
          '--disable-pip-version-check',
          '--no-deps',
          ...REAL_PACKAGES.map((p) => p.pip),
        ],
        { stdio: 'inherit' },
      );
    if (r.status !== 0) throw new Error('bench: could not install the real-package corpus');
    writeFileSync(stamp, want);
  }
  const lib = path.join(venv, 'lib');
  const python = readdirSync(lib).find((d) => d.startsWith('python3'));
  return path.join(lib, python, 'site-packages');
}

export function countPy(dir) {
  let files = 0;
  let lines = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.py')) continue;
    files++;
    const text = readFileSync(path.join(entry.parentPath ?? entry.path, entry.name), 'utf8');
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  }
  return { files, lines };
}

/**
 * Ours and Ruff on one target, interleaved (one warm-up each, then `runs` each): medians and outputs.
 * Cold: both without a cache (`--no-cache`) on all threads. Warm: both with their cache (each in its own folder
 * under .cache/bench, filled by the warm-up), nothing changed since: what a second run in CI or pre-commit costs.
 * Single thread: ours with BACKEND_HANG_THREADS=1, cold (what the check costs on one core).
 */
export function compare({ cli, ruff, cacheRoot }, target, runs) {
  const acc = { ours: [], ruff: [], oursWarm: [], ruffWarm: [], oursOne: [] };
  const cache = (tool) =>
    path.join(cacheRoot ?? path.join(path.dirname(cli), '../.cache/bench'), 'check-cache', tool);
  let oursOut;
  let ruffOut;
  const ruffArgs = ['check', '--isolated', '--select', 'ASYNC,S113', '--output-format', 'json'];
  for (let k = 0; k <= runs; k++) {
    const a = wall(node, [cli, 'check', '--no-cache', '--format', 'json', target]);
    const b = wall(ruff, [...ruffArgs, '--no-cache', target]);
    const c = wall(node, [cli, 'check', '--cache-dir', cache('ours'), '--format', 'json', target]);
    const d = wall(ruff, [...ruffArgs, '--cache-dir', cache('ruff'), target]);
    const e = wall(node, [cli, 'check', '--no-cache', '--format', 'json', target], {
      env: { ...process.env, BACKEND_HANG_THREADS: '1' },
    });
    if (c.stdout !== a.stdout || e.stdout !== a.stdout)
      throw new Error(`bench: cached or one-thread output differs on ${target}`);
    if (k > 0) {
      acc.ours.push(a.ms);
      acc.ruff.push(b.ms);
      acc.oursWarm.push(c.ms);
      acc.ruffWarm.push(d.ms);
      acc.oursOne.push(e.ms);
    }
    oursOut = a;
    ruffOut = b;
  }
  return {
    ours: median(acc.ours),
    ruff: median(acc.ruff),
    oursWarm: median(acc.oursWarm),
    ruffWarm: median(acc.ruffWarm),
    oursOne: median(acc.oursOne),
    oursFindings: JSON.parse(oursOut.stdout || '[]'),
    ruffFindings: JSON.parse(ruffOut.stdout || '[]'),
  };
}

const pad = (s, n) => String(s).padEnd(n);
const padl = (s, n) => String(s).padStart(n);

/** Section: real packages with findings, each next to Ruff. Returns our findings per package (for BHD007 review). */
export function benchRealPackages(tools, repo, runs = 5) {
  const site = ensureRealCorpus(repo);
  console.log(
    `\n2b) real packages with findings (${path.relative(repo, site)}), wall time, median of ${runs}, interleaved:`,
  );
  console.log(
    '   cold: no cache, all threads (1 thread: ours on one core); warm: each with its cache, nothing changed',
  );
  console.log(
    `   ${pad('package', 22)}${padl('files', 7)}${padl('lines', 9)}${padl('ours', 10)}${padl('ruff', 9)}${padl('ratio', 8)}${padl('1 thread', 10)}${padl('warm ours', 11)}${padl('warm ruff', 11)}  findings ours / ruff   [target: ours <= ruff]`,
  );
  const all = [];
  let sumOurs = 0;
  let sumRuff = 0;
  let sumWarm = 0;
  let sumRuffWarm = 0;
  let sumOne = 0;
  for (const { dir } of REAL_PACKAGES) {
    const target = path.join(site, dir);
    const { files, lines } = countPy(target);
    const r = compare(tools, target, runs);
    sumOurs += r.ours;
    sumRuff += r.ruff;
    sumWarm += r.oursWarm;
    sumRuffWarm += r.ruffWarm;
    sumOne += r.oursOne;
    const byCode = {};
    for (const f of r.oursFindings) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
    console.log(
      `   ${pad(dir, 22)}${padl(files, 7)}${padl(lines, 9)}${padl(ms(r.ours), 10)}${padl(ms(r.ruff), 9)}${padl(`${(r.ours / r.ruff).toFixed(1)}x`, 8)}${padl(ms(r.oursOne), 10)}${padl(ms(r.oursWarm), 11)}${padl(ms(r.ruffWarm), 11)}  ` +
        `${r.oursFindings.length} (${Object.entries(byCode)
          .map(([c, n]) => `${c} ${n}`)
          .join(', ')}) / ${r.ruffFindings.length}`,
    );
    all.push(...r.oursFindings.map((f) => ({ ...f, file: path.relative(site, f.file) })));
  }
  console.log(
    `   ${pad('total', 38)}${padl(ms(sumOurs), 10)}${padl(ms(sumRuff), 9)}${padl(`${(sumOurs / sumRuff).toFixed(1)}x`, 8)}${padl(ms(sumOne), 10)}${padl(ms(sumWarm), 11)}${padl(ms(sumRuffWarm), 11)}`,
  );
  return all;
}

/** A dense file: `lines` lines of small async handlers, each with a requests call and a time.sleep (3 findings). */
export function denseFile(lines, kind = 'sleep') {
  const out =
    kind === 'sleep'
      ? ['import time', 'import requests', '']
      : ['import subprocess', 'import httpx', '', 'cache = {}', ''];
  for (let i = 0; out.length < lines - 7; i++)
    out.push(
      ...(kind === 'sleep'
        ? [`async def handler_${i}(url):`, '    requests.get(url)', '    time.sleep(1)', `    x = ${i}`, '']
        : // Receivers with names of their own (the text gates follow each name to its binding), and a dict's
          // .get( beside them that is no client's.
          [
            `async def handler_${i}(url):`,
            `    client_${i} = httpx.Client()`,
            `    page_${i} = client_${i}.get(url)`,
            `    proc_${i} = subprocess.Popen([url])`,
            `    proc_${i}.wait()`,
            `    subprocess.run([url], check=True)`,
            `    return cache.get(url), page_${i}`,
            '',
          ]),
    );
  return `${out.join('\n')}\n`;
}

/** Section: dense files of growing size; cost must grow linearly (x4 lines <= x5 time) and stay near Ruff. */
export function benchDense(tools, cacheDir, runs = 3) {
  const dir = path.join(cacheDir, 'dense');
  mkdirSync(dir, { recursive: true });
  console.log(`\n4) dense files (every other line a finding), wall time, median of ${runs}:`);
  console.log(
    `   ${pad('lines', 8)}${padl('findings', 10)}${padl('ours', 10)}${padl('ruff', 9)}   [target: ours <= ruff + 500 ms; x4 lines <= x5 time]`,
  );
  for (const kind of ['sleep', 'mixed']) {
    if (kind === 'mixed')
      console.log(
        '   mixed: a distinct httpx.Client and Popen per handler, subprocess.run, a dict .get( (Ruff: ASYNC212/220/221)',
      );
    let previous;
    for (const lines of [1500, 6000, 24000]) {
      const file = path.join(dir, `dense_${kind}_${lines}.py`);
      writeFileSync(file, denseFile(lines, kind));
      const r = compare(tools, file, runs);
      const growth = previous ? `   x${(r.ours / previous).toFixed(1)} time for x4 lines` : '';
      const fix = fixTimes(tools, file, runs);
      console.log(
        `   ${pad(lines, 8)}${padl(r.oursFindings.length, 10)}${padl(ms(r.ours), 10)}${padl(ms(r.ruff), 9)}${growth}   (warm: ours ${ms(r.oursWarm)}, ruff ${ms(r.ruffWarm)}; --fix --unsafe-fixes: ours ${ms(fix.ours)} fixing ${fix.fixed}, ruff ${ms(fix.ruff)})`,
      );
      previous = r.ours;
    }
  }
}

/** `check --fix --unsafe-fixes` on a fresh copy of `file`, each tool (median of `runs`); what ours fixed. */
function fixTimes({ cli, ruff }, file, runs) {
  const copy = file.replace(/\.py$/, '.fix.py');
  const acc = { ours: [], ruff: [] };
  let fixed = 0;
  for (let k = 0; k < runs; k++) {
    cpSync(file, copy);
    const a = wall(node, [cli, 'check', '--no-cache', '--fix', '--unsafe-fixes', '--statistics', copy]);
    acc.ours.push(a.ms);
    fixed = readFileSync(copy, 'utf8').split(/await asyncio\.(?:sleep|to_thread)/).length - 1;
    cpSync(file, copy);
    acc.ruff.push(
      wall(ruff, [
        'check',
        '--isolated',
        '--select',
        'ASYNC,S113',
        '--no-cache',
        '--fix',
        '--unsafe-fixes',
        copy,
      ]).ms,
    );
  }
  rmSync(copy, { force: true });
  return { ours: median(acc.ours), ruff: median(acc.ruff), fixed: `${fixed} calls` };
}

/** Modules of the agno package edited by benchEdits: one few modules read, one read by most answers, one between. */
const EDITED = ['agno/os/interfaces/a2a/router.py', 'agno/agent/_run.py', 'agno/utils/log.py'];

/**
 * Section: a second run after one edit, each tool with its cache (what a developer re-running the check pays).
 * A file's entry is reused while the modules its BHD007 answer read are unchanged; Ruff re-checks the edited
 * file only. On a copy of the agno package (the corpus is not touched); each run edits the module again.
 */
export function benchEdits(tools, repo, cacheDir, runs = 3) {
  const site = ensureRealCorpus(repo);
  const copy = path.join(cacheDir, 'edit');
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(copy, { recursive: true });
  cpSync(path.join(site, 'agno'), path.join(copy, 'agno'), { recursive: true });
  const oursCache = path.join(copy, '.cache-ours');
  const ruffCache = path.join(copy, '.cache-ruff');
  const ours = () =>
    wall(node, [tools.cli, 'check', '-v', '--cache-dir', oursCache, '--format', 'json', 'agno'], {
      cwd: copy,
    });
  const ruff = () =>
    wall(
      tools.ruff,
      [
        'check',
        '--isolated',
        '--select',
        'ASYNC,S113',
        '--cache-dir',
        ruffCache,
        '--output-format',
        'json',
        'agno',
      ],
      {
        cwd: copy,
      },
    );
  const first = ours();
  ruff();
  const files = /([\d,]+) files found/.exec(first.stderr)?.[1] ?? '?';
  console.log(
    `\n5) after one edit (agno, ${files} files), each with its cache, wall time, median of ${runs}: [no target; Ruff re-checks the edited file only]`,
  );
  console.log(`   first run with an empty cache (the default mode): ours ${ms(first.ms)}`);
  for (const module of EDITED) {
    const acc = { ours: [], ruff: [], checked: [] };
    for (let k = 0; k < runs; k++) {
      appendFileSync(path.join(copy, module), `\n# edited ${k}\n`);
      const a = ours();
      const b = ruff();
      acc.ours.push(a.ms);
      acc.ruff.push(b.ms);
      acc.checked.push(Number((/ ([\d,]+) checked/.exec(a.stderr)?.[1] ?? 'NaN').replace(/,/g, '')));
      // Ruff re-checked the edited module only; ours' findings equal a run without its cache (checked by the tests).
    }
    console.log(
      `   ${pad(module, 34)} ours ${padl(ms(median(acc.ours)), 8)} (${median(acc.checked)} file${median(acc.checked) === 1 ? '' : 's'} checked again)   ruff ${padl(ms(median(acc.ruff)), 7)}`,
    );
  }
}
