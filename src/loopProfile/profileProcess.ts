/**
 * Profiles a running server's event loop with `py-spy record --idle --threads --format raw --nonblocking`:
 * the same py-spy selection as a capture (beside the target first, then the setting, the interpreter, PATH;
 * the next one when one is too old for the target's Python), the frame files read from this machine (under a
 * chroot/container root), static findings linked to each hot line. A manager is expanded to its serving
 * processes, which are profiled at the same time (py-spy `--nonblocking` never pauses them).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  localSourceReader,
  pySpysFor,
  servingProcessesOf,
  type ProcessCaptureOptions,
} from '../pyspyView/captureProcess';
import type { Located } from '../pyspyView/pyspyLocator';
import {
  ProcessGoneError,
  PySpyError,
  PySpyNotFoundError,
  PySpyUnsupportedPythonError,
  runPySpy,
} from '../pyspyView/runner';
import { readTargetInfo } from '../pyspyView/targetEnv';
import type { ProcessCandidate } from '../pyspyView/types';
import { analyzeProfile } from './analysis';
import { parseRawProfile } from './rawProfile';
import { linkHotspots } from './report';
import type { LoopProfile } from './types';

/** Options of {@link profileProcess}. */
export interface ProfileOptions extends Omit<
  ProcessCaptureOptions,
  'locals' | 'native' | 'nonblocking' | 'timeoutMs'
> {
  durationS: number;
  /** Samples per second (py-spy's default is 100). */
  rate?: number;
  signal?: AbortSignal;
  minShare?: number;
}

/** One finished profile of one process. */
export interface ProcessProfile {
  pid: number;
  role?: ProcessCandidate['role'];
  workerIndex?: number;
  commandLine?: string;
  startedAt: Date;
  profile: LoopProfile;
  /** py-spy's raw output (fixtures, "save raw"). */
  raw: string;
  pyspy: Located;
  rootPrefix?: string;
}

/** The argument array of `py-spy record` for a loop profile written to `out`. */
export function recordArgs(pid: number, durationS: number, rate: number, out: string): string[] {
  return [
    'record',
    '--pid',
    String(pid),
    '--duration',
    String(Math.max(1, Math.round(durationS))),
    '--rate',
    String(rate),
    '--idle',
    '--threads',
    '--nonblocking',
    '--full-filenames',
    '--format',
    'raw',
    '--output',
    out,
  ];
}

/**
 * Profiles one process (no expansion).
 * @throws PySpyNotLocatedError, the runner's errors (the last py-spy's when all were too old).
 */
export async function profileProcess(
  pid: number,
  opts: ProfileOptions,
  candidate?: Partial<ProcessCandidate>,
): Promise<ProcessProfile> {
  if (!Number.isInteger(pid) || pid <= 0) throw new PySpyError(`not a process id: ${pid}`);
  if (process.platform === 'linux' && !existsSync(`/proc/${pid}`)) throw new ProcessGoneError(pid);
  const target = await readTargetInfo(pid);
  const rate = opts.rate ?? 100;
  let lastErr: unknown;
  for (const pyspy of pySpysFor(target, opts)) {
    const dir = mkdtempSync(path.join(tmpdir(), 'backend-hang-profile-'));
    const out = path.join(dir, 'profile.txt');
    const startedAt = new Date();
    try {
      // py-spy stops by itself after --duration; the time-out only catches a wedged py-spy.
      await runPySpy(pyspy.path, recordArgs(pid, opts.durationS, rate, out), {
        timeoutMs: (opts.durationS + 30) * 1000,
        signal: opts.signal,
      });
      const raw = existsSync(out) ? readFileSync(out, 'utf8') : '';
      const read = localSourceReader(target, opts);
      const profile = analyzeProfile(raw.trim() ? parseRawProfile(raw) : [], {
        pid,
        durationS: opts.durationS,
        sourceText: (f) => read(f)?.text,
        minShare: opts.minShare,
      });
      // Show the user's files relative to the server's working directory, as py-spy's short names do.
      const cwd = target?.cwd && `${target.cwd.replace(/\/$/, '')}/`;
      for (const h of profile.hotspots) {
        if (cwd && h.shortFile.startsWith(cwd)) h.shortFile = h.shortFile.slice(cwd.length);
        h.localPath = read(h.file)?.path;
      }
      if (opts.check) await linkHotspots(profile.hotspots, read, opts.check);
      return {
        pid,
        role: candidate?.role,
        workerIndex: candidate?.workerIndex,
        commandLine: candidate?.commandLine ?? target?.argv.join(' '),
        startedAt,
        profile,
        raw,
        pyspy,
        rootPrefix: target?.rootPrefix,
      };
    } catch (err) {
      lastErr = err;
      if (!(err instanceof PySpyUnsupportedPythonError) && !(err instanceof PySpyNotFoundError)) throw err;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw lastErr;
}

/** Profiles `pid`, or every serving process of a manager over the same seconds; busiest loop first. */
export async function profileServing(pid: number, opts: ProfileOptions): Promise<ProcessProfile[]> {
  if (process.platform === 'linux' && !existsSync(`/proc/${pid}`)) throw new ProcessGoneError(pid);
  const targets = await servingProcessesOf(pid);
  const out = await Promise.all(targets.map((t) => profileProcess(t.pid, opts, t)));
  return out.sort((a, b) => (b.profile.loop?.busyShare ?? 0) - (a.profile.loop?.busyShare ?? 0));
}
