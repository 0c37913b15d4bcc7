/**
 * One capture of a local process, as the CLI (`dump`, `triage`, `verify`) and the tests run it: find py-spy
 * beside the target (its venv, its chroot/container) before the configured one and PATH, fall back to the next
 * py-spy when one is too old for the target's Python, dump, diagnose with the frame files read from this
 * machine (under the process's root when it runs in a chroot or container), and link the static findings
 * that cover each blocked line. A manager (uvicorn --workers/--reload, gunicorn, hypercorn) is expanded to
 * its serving processes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { CaptureOrigin } from '../captureSources/source';
import { addTasks } from '../asyncTasks/captureTasks';
import { diagnose } from './diagnosis';
import { resolveFramePath, type PathMapping } from './pathMapping';
import { readProcessTable } from '../captureSources/processTable';
import { classifyProcesses } from './processes';
import { locateAllPySpy, pySpyCandidates, type Located } from './pyspyLocator';
import {
  captureDump,
  ProcessGoneError,
  PySpyError,
  PySpyNotFoundError,
  PySpyUnsupportedPythonError,
  type CaptureOptions,
} from './runner';
import { linkStatic, type StaticFinding } from './staticLink';
import { pySpyNearTarget, readTargetInfo, type TargetInfo } from './targetEnv';
import type { Diagnosis, ParsedDump, ProcessCandidate } from './types';

/** Options of {@link captureProcess}. */
export interface ProcessCaptureOptions extends Omit<CaptureOptions, 'timeoutMs'> {
  timeoutMs?: number;
  /** `--pyspy` / `backendHang.pyspy.path`. */
  configured?: string;
  /** The selected interpreter (editor) or $VIRTUAL_ENV/bin/python (CLI). */
  interpreterPath?: string;
  pathEnv?: string;
  /** False in an untrusted workspace: only the configured path and PATH are run. */
  useTargetEnvironment?: boolean;
  mappings?: PathMapping[];
  workspaceFolders?: string[];
  /** Workspace files, to find a frame's file by its path suffix when nothing else resolves it. */
  workspaceFiles?: string[];
  /** Static check of a source (src/diagnostics checkSource); no static links without it. */
  check?: (source: string) => Promise<StaticFinding[]>;
  /** Also read the asyncio tasks (`python -m asyncio pstree|ps`, 3.14+ targets). Default true. */
  tasks?: boolean;
}

/** A finished capture of one process. */
export interface ProcessCapture {
  pid: number;
  role?: ProcessCandidate['role'];
  workerIndex?: number;
  commandLine?: string;
  capturedAt: Date;
  dump: ParsedDump;
  raw: string;
  diagnosis: Diagnosis;
  /** The py-spy that produced it, and why that one (none for a dump read from a file). */
  pyspy?: Located;
  /** Where the stacks came from (a local process when absent). */
  origin?: CaptureOrigin;
  /** Path mappings that applied (a container's mounts, `--path-map`). */
  mappings?: PathMapping[];
  /** Host path of the process's root when it runs in a chroot/container. */
  rootPrefix?: string;
  cwd?: string;
}

/** No py-spy anywhere: lists every place looked at. */
export class PySpyNotLocatedError extends PySpyError {
  constructor(readonly tried: string[]) {
    super(
      `py-spy was not found (looked beside the server process, in the setting, the selected interpreter and ${tried.length} places in all). ` +
        "Install it into the server's environment (pip install py-spy) or pass --pyspy PATH.",
    );
    this.name = 'PySpyNotLocatedError';
  }
}

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** Every py-spy to try for this target, in order. */
export function pySpysFor(target: TargetInfo | undefined, opts: ProcessCaptureOptions): Located[] {
  const input = {
    nearTarget: target && opts.useTargetEnvironment !== false ? pySpyNearTarget(target) : [],
    configured: opts.configured,
    interpreterPath: opts.interpreterPath,
    pathEnv: opts.pathEnv,
  };
  const found = locateAllPySpy({ ...input, exists: isFile });
  if (found.length === 0) throw new PySpyNotLocatedError(pySpyCandidates(input).map((c) => c.path));
  return found;
}

/** The first py-spy of this machine (setting, interpreter, PATH): the one copied into a container. */
export function hostPySpy(
  base: Pick<ProcessCaptureOptions, 'configured' | 'interpreterPath' | 'pathEnv'>,
): string | undefined {
  try {
    return pySpysFor(undefined, base)[0]?.path;
  } catch {
    return undefined;
  }
}

/** Reads a frame's file from this machine (root prefix, absolute, relative to the cwd, mappings). */
export function localSourceReader(
  target: Pick<TargetInfo, 'rootPrefix' | 'cwd'> | undefined,
  opts: Pick<ProcessCaptureOptions, 'mappings' | 'workspaceFolders' | 'workspaceFiles'> = {},
): (file: string) => { path: string; text: string } | undefined {
  const cache = new Map<string, { path: string; text: string } | undefined>();
  return (file) => {
    if (cache.has(file)) return cache.get(file);
    const cwd = target?.cwd && (target.rootPrefix ? `${target.rootPrefix}${target.cwd}` : target.cwd);
    const r = resolveFramePath(file, {
      exists: isFile,
      rootPrefix: target?.rootPrefix,
      baseDirs: [...(cwd ? [cwd] : []), process.cwd()],
      mappings: opts.mappings,
      workspaceFolders: opts.workspaceFolders,
      workspaceFiles: opts.workspaceFiles,
    });
    let out: { path: string; text: string } | undefined;
    if (r.kind !== 'unresolved' && r.kind !== 'ambiguous') {
      try {
        out = { path: r.path, text: readFileSync(r.path, 'utf8') };
      } catch {
        out = undefined;
      }
    }
    cache.set(file, out);
    return out;
  };
}

/**
 * Dumps one process (no expansion) and diagnoses it.
 * @throws PySpyNotLocatedError, the runner's errors (the last py-spy's when all were too old).
 */
export async function captureProcess(
  pid: number,
  opts: ProcessCaptureOptions = {},
  candidate?: Partial<ProcessCandidate>,
): Promise<ProcessCapture> {
  if (process.platform === 'linux' && !existsSync(`/proc/${pid}`)) throw new ProcessGoneError(pid);
  const target = await readTargetInfo(pid);
  const pyspys = pySpysFor(target, opts);
  let lastErr: unknown;
  for (const pyspy of pyspys) {
    const capturedAt = new Date();
    try {
      const { dump, raw } = await captureDump(pyspy.path, pid, { timeoutMs: 30_000, ...opts });
      if (opts.tasks !== false) await addTasks(dump, pid, target, opts.signal);
      const read = localSourceReader(target, opts);
      const diagnosis = diagnose(dump, { sourceText: (f) => read(f)?.text });
      if (opts.check) await linkStatic(diagnosis.findings, read, opts.check);
      return {
        pid,
        role: candidate?.role,
        workerIndex: candidate?.workerIndex,
        commandLine: candidate?.commandLine ?? target?.argv.join(' '),
        capturedAt,
        dump,
        raw,
        diagnosis,
        pyspy,
        rootPrefix: target?.rootPrefix,
        cwd: target?.cwd,
      };
    } catch (err) {
      lastErr = err;
      // Too old for this Python, or missing: the next py-spy may do. Anything else is about the process.
      if (!(err instanceof PySpyUnsupportedPythonError) && !(err instanceof PySpyNotFoundError)) throw err;
    }
  }
  throw lastErr;
}

/**
 * The processes worth dumping for `pid`: itself when it serves; its serving children when it is a uvicorn
 * reloader/manager, a gunicorn arbiter or a hypercorn parent.
 */
export async function servingProcessesOf(pid: number): Promise<ProcessCandidate[]> {
  // /proc on Linux, ps on macOS, CIM on Windows.
  const table = await readProcessTable();
  const sub = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table)
      if (sub.has(p.ppid) && !sub.has(p.pid)) {
        sub.add(p.pid);
        grew = true;
      }
  }
  const candidates = classifyProcesses(table.filter((p) => sub.has(p.pid)));
  const self = candidates.find((c) => c.pid === pid);
  if (self?.serving || !self) {
    return [self ?? { pid, ppid: 0, role: 'server', serving: true, commandLine: '' }];
  }
  const serving = candidates.filter((c) => c.serving);
  return serving.length ? serving : [self];
}

/** Captures `pid`, or each serving process when it is a manager; the blocked ones first. */
export async function captureServing(
  pid: number,
  opts: ProcessCaptureOptions = {},
): Promise<ProcessCapture[]> {
  if (process.platform === 'linux' && !existsSync(`/proc/${pid}`)) throw new ProcessGoneError(pid);
  const targets = await servingProcessesOf(pid);
  const out: ProcessCapture[] = [];
  // One at a time: py-spy pauses each process while it reads it; parallel dumps gain little on 2 cores.
  for (const t of targets) out.push(await captureProcess(t.pid, opts, t));
  return out.sort((a, b) => b.diagnosis.findings.length - a.diagnosis.findings.length);
}
