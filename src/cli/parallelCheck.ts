/**
 * `backend-hang check` on several threads, like Ruff: the main thread and `worker_threads` workers (the CLI
 * bundle started again, see src/cli.ts) each check a contiguous share of the files (a package's modules stay
 * together, so BHD007's per-thread index reads few modules twice), then help with what is left. Results are
 * put back in file order, so the output is the same as on one thread. A worker that fails loses nothing: the
 * files it took without reporting are checked again on the main thread.
 *
 * Threads: BACKEND_HANG_THREADS (1 = no worker), else one per CPU but one (at most 4) and one per
 * FILES_PER_THREAD files to check. One CPU is left to V8's own threads: a single check already keeps a second
 * core ~40% busy with concurrent GC and JIT (polar, 1,971 files: 1.35 s wall for 1.9 s of CPU; 1.9 s wall
 * with --single-threaded). A worker pays its own start (the bundle, the grammar, ~0.1 s of CPU), a second cold
 * JIT, and re-reads the modules BHD007 follows: on 2 cores a second thread cost 0.5-1.0 s of CPU and was
 * 4-19% slower on agno, polar, onyx and mlrun (1,063-3,340 files), 4-5% faster on langchain_community and on
 * the six bench packages in one run (interleaved, medians of 5).
 */
import { availableParallelism } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { preloadParser } from '../diagnostics/analyze';
import { readFileSync } from 'node:fs';
import { ConfigResolver, type ResolvedConfig, type ResolverOptions } from '../config/discovery';
import { CheckCache, configKey, fileStamp, type Stamp, type StoredOutcome } from './checkCache';
import type { FileReport, SyntaxProblem } from './checkOutput';
import { checkClaimed, displayPath, type FileOutcome } from './checkFiles';
import { decodeForCheck } from './sourceText';
import { WorkerPool } from './workerPool';

/** What every thread needs to check its share (plain data: it crosses to the workers). */
export interface CheckJob {
  files: readonly string[];
  /** BHD007's import roots (checkRoots), found once on the main thread. */
  roots: readonly string[];
  /** The indices of the files to check (default: all). */
  todo?: readonly number[];
  /** Find each file's module dependencies (for the cache). */
  deps?: boolean;
  cwd: string;
  resolver: Omit<ResolverOptions, 'warn'>;
}

export interface CheckResult {
  reports: FileReport[];
  syntaxErrors: SyntaxProblem[];
  errors: string[];
  /** Config warnings met while checking (workers' included), each once. */
  warnings: string[];
  /** How the run went (for --verbose). */
  stats: CheckStats;
}

/** How a check ran: files answered from the cache, and the files each thread checked (this thread first). */
export interface CheckStats {
  cached: number;
  shares: number[];
}

/** --verbose's account of a run of `files` files that took `ms`: what came from the cache, what each thread did. */
export function describeRun(files: number, stats: CheckStats, ms: number): string[] {
  const n = (x: number): string => x.toLocaleString('en-US');
  const s = (x: number, word: string): string => `${n(x)} ${word}${x === 1 ? '' : 's'}`;
  const checked = stats.shares.reduce((a, b) => a + b, 0);
  const threads = stats.shares.length > 1 ? ` (${stats.shares.map(n).join(' + ')} files)` : '';
  const where = checked > 0 ? ` on ${s(Math.max(1, stats.shares.length), 'thread')}${threads}` : '';
  return [
    `${s(files, 'file')} found: ${n(stats.cached)} from the cache, ${n(checked)} checked${where}`,
    `done in ${(ms / 1000).toFixed(2)} s`,
  ];
}

/** A worker's input (its workerData only says it is a check worker: the job comes once files are known). */
interface WorkerInput {
  job: CheckJob;
  list: Int32Array;
  thread: number;
}

/** The workerData of a check worker (src/cli.ts looks for it). */
export const CHECK_WORKER = { backendHangCheck: true } as const;

interface WorkerOutput {
  outcomes: FileOutcome[];
  warnings: string[];
}

/** Files handed out per claim: small enough to share the tail evenly, large enough to keep packages together. */
const BATCH = 8;
/** Files per thread below which a worker costs more than it saves (see the file comment). */
const FILES_PER_THREAD = 400;
const MAX_THREADS = 4;

/** How many threads to check `count` files with (`env`: BACKEND_HANG_THREADS). */
export function threadCount(
  count: number,
  env: NodeJS.ProcessEnv = process.env,
  cpus = availableParallelism(),
): number {
  const asked = Number.parseInt(env.BACKEND_HANG_THREADS ?? '', 10);
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, 64);
  return Math.max(1, Math.min(cpus - 1, MAX_THREADS, Math.floor(count / FILES_PER_THREAD)));
}

/**
 * The shared work list: `[lock, lo0, hi0, lo1, hi1, ...]`. Thread t owns the contiguous range [lo_t, hi_t) of
 * the files (in walk order, so one package's modules) and takes batches from its front; a thread whose range is
 * empty takes from the back of the largest range left. Claims are rare (one per batch), so a spin lock will do.
 */
export function workList(total: number, threads: number): Int32Array {
  const list = new Int32Array(new SharedArrayBuffer(4 * (1 + 2 * threads)));
  for (let t = 0; t < threads; t++) {
    list[1 + 2 * t] = Math.floor((total * t) / threads);
    list[2 + 2 * t] = Math.floor((total * (t + 1)) / threads);
  }
  return list;
}

/** Thread `thread`'s claims on `list` (see workList): the next file index, undefined when all are taken. */
export function claimer(list: Int32Array, thread: number): () => number | undefined {
  const threads = (list.length - 1) / 2;
  let at = 0;
  let end = 0;
  const claim = (): void => {
    while (Atomics.compareExchange(list, 0, 0, 1) !== 0);
    try {
      const lo = 1 + 2 * thread;
      if (list[lo]! < list[lo + 1]!) {
        at = list[lo]!;
        end = Math.min(at + BATCH, list[lo + 1]!);
        list[lo] = end;
        return;
      }
      let best = -1;
      for (let t = 0; t < threads; t++) {
        const left = list[2 + 2 * t]! - list[1 + 2 * t]!;
        if (left > 0 && (best < 0 || left > list[2 + 2 * best]! - list[1 + 2 * best]!)) best = t;
      }
      if (best < 0) return;
      end = list[2 + 2 * best]!;
      at = Math.max(list[1 + 2 * best]!, end - BATCH);
      list[2 + 2 * best] = at;
    } finally {
      Atomics.store(list, 0, 0);
    }
  };
  return () => {
    if (at >= end) {
      claim();
      if (at >= end) return undefined;
    }
    return at++;
  };
}

/** Checks one thread's share of `job`; returns its outcomes and the config warnings it met. */
async function checkShare(job: CheckJob, claim: () => number | undefined): Promise<WorkerOutput> {
  const next = todoClaimer(job, claim);
  const warnings: string[] = [];
  const resolver = new ConfigResolver({ ...job.resolver, warn: (m) => warnings.push(m) });
  return {
    outcomes: await checkClaimed(job.files, job.roots, resolver, job.cwd, next, { deps: job.deps }),
    warnings,
  };
}

/** `claim`'s positions as indices of job.todo. */
function todoClaimer(job: CheckJob, claim: () => number | undefined): () => number | undefined {
  const todo = job.todo;
  if (!todo) return claim;
  return () => {
    const at = claim();
    return at === undefined ? undefined : todo[at];
  };
}

/**
 * Checks the files of `job.todo` (all by default) on `threads` threads (this one and workers running `script`,
 * the CLI bundle; none without it); `resolver` is the main thread's (its warnings go where the caller said).
 * Outcomes in file order; the workers' config warnings beside them.
 */
export async function checkInParallel(
  job: CheckJob,
  resolver: ConfigResolver,
  script: string | undefined,
  threads = threadCount((job.todo ?? job.files).length),
): Promise<{ outcomes: FileOutcome[]; warnings: string[]; shares: number[] }> {
  const todo = job.todo ?? Array.from(job.files, (_, i) => i);
  const n = todo.length === 0 || script === undefined ? 1 : threads;
  const list = workList(todo.length, n);
  // The workers start loading while this thread already checks its share.
  const pool = n > 1 ? new WorkerPool(script!, n - 1, CHECK_WORKER) : undefined;
  const workers = Array.from({ length: n - 1 }, (_, t) =>
    pool!.run<WorkerOutput>({ job, list, thread: t + 1 } satisfies WorkerInput),
  );
  const outcomes = await checkClaimed(
    job.files,
    job.roots,
    resolver,
    job.cwd,
    todoClaimer(job, claimer(list, 0)),
    { deps: job.deps },
  );
  const warnings = new Set<string>();
  // Files each thread checked (a worker that failed: 0, its files are this thread's below).
  const shares = [outcomes.length];
  for (const output of await Promise.all(workers)) {
    shares.push(output?.outcomes.length ?? 0);
    if (!output) continue;
    outcomes.push(...output.outcomes);
    for (const w of output.warnings) warnings.add(w);
  }
  // Files taken by a worker that failed (or never reported): checked here.
  const done = new Set(outcomes.map((o) => o.index));
  const missed = todo.filter((i) => !done.has(i));
  shares[0]! += missed.length;
  if (missed.length > 0)
    outcomes.push(
      ...(await checkClaimed(job.files, job.roots, resolver, job.cwd, () => missed.shift(), {
        deps: job.deps,
      })),
    );
  outcomes.sort((a, b) => a.index - b.index);
  return { outcomes, warnings: [...warnings], shares };
}

/** A cached outcome as the report needs it (the file's text read again when it has findings). */
function fromCache(index: number, file: string, cwd: string, stored: StoredOutcome): FileOutcome | undefined {
  const outcome: FileOutcome = { index };
  const shown = displayPath(file, cwd);
  if (stored.syntax) outcome.syntax = { file: shown, ...stored.syntax };
  if (stored.findings) {
    try {
      outcome.report = {
        file: shown,
        findings: stored.findings,
        source: decodeForCheck(file, readFileSync(file)).text,
      };
    } catch {
      return undefined;
    }
  }
  return outcome;
}

/**
 * `check`'s files: those whose cached outcome is still valid (./checkCache) from the cache, the others checked
 * (checkInParallel) and stored. Without a cache, all are checked.
 */
export async function runCheck(
  job: Omit<CheckJob, 'roots'> & { roots: () => readonly string[] },
  resolver: ConfigResolver,
  script: string | undefined,
  cache: CheckCache | undefined,
): Promise<CheckResult> {
  let outcomes: FileOutcome[];
  let warnings: string[];
  let shares: number[];
  let cachedCount = 0;
  // The import roots are looked for only when a file is checked (not on a run that the cache answers).
  const withRoots = (more: Partial<CheckJob>): CheckJob => ({ ...job, roots: job.roots(), ...more });
  if (!cache) {
    ({ outcomes, warnings, shares } = await checkInParallel(withRoots({}), resolver, script));
  } else {
    const stamps = job.files.map(fileStamp);
    const known = new Map<string, Stamp | undefined>(job.files.map((f, i) => [f, stamps[i]]));
    const stampOf = (file: string): Stamp | undefined => {
      if (!known.has(file)) known.set(file, fileStamp(file));
      return known.get(file);
    };
    const keys = new Map<ResolvedConfig, string>();
    const keyOf = (file: string): string => {
      const config = resolver.forFile(file);
      let key = keys.get(config);
      if (key === undefined) keys.set(config, (key = configKey(config)));
      return key;
    };
    const fileKeys = job.files.map(keyOf);
    const cached: FileOutcome[] = [];
    const todo: number[] = [];
    job.files.forEach((file, i) => {
      const stamp = stamps[i];
      const stored = stamp && cache.lookup(file, stamp, fileKeys[i]!, stampOf);
      const outcome = stored && fromCache(i, file, job.cwd, stored);
      if (outcome) cached.push(outcome);
      else todo.push(i);
    });
    cachedCount = cached.length;
    ({ outcomes, warnings, shares } =
      todo.length === 0
        ? { outcomes: [], warnings: [], shares: [] }
        : await checkInParallel(withRoots({ todo, deps: true }), resolver, script));
    for (const o of outcomes) {
      const stamp = stamps[o.index];
      if (!stamp || o.error) continue;
      const stored: StoredOutcome = {};
      if (o.report) stored.findings = [...o.report.findings];
      if (o.syntax)
        stored.syntax = { line: o.syntax.line, column: o.syntax.column, message: o.syntax.message };
      cache.store(job.files[o.index]!, stamp, fileKeys[o.index]!, o.deps, stampOf, stored);
    }
    cache.save();
    outcomes = [...cached, ...outcomes].sort((a, b) => a.index - b.index);
  }
  return {
    reports: outcomes.flatMap((o) => (o.report ? [o.report] : [])),
    syntaxErrors: outcomes.flatMap((o) => (o.syntax ? [o.syntax] : [])),
    errors: outcomes.flatMap((o) => (o.error ? [o.error] : [])),
    warnings,
    stats: { cached: cachedCount, shares },
  };
}

/** A worker's body (src/cli.ts runs it when its workerData has `backendHangCheck`): check, then report. */
export async function runCheckWorker(): Promise<void> {
  // The grammar loads while the main thread walks the tree.
  preloadParser();
  const input = await new Promise<WorkerInput>((resolve) => parentPort!.once('message', resolve));
  const output = await checkShare(input.job, claimer(input.list, input.thread));
  parentPort!.postMessage(output);
}
