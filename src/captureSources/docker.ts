/**
 * Capture source: a server in a Docker container, captured with `docker exec` (so it works wherever the
 * Docker CLI reaches: Linux, Docker Desktop on macOS/Windows, a remote DOCKER_HOST). py-spy runs inside the
 * container: the one beside the server's interpreter, else on its PATH, else (when asked) a copy of a host
 * py-spy put there with `docker cp`. Frames map to host files through the container's mounts.
 * Every command is an argument array; container names are validated before use.
 */
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { diagnose } from '../pyspyView/diagnosis';
import { applyMappings, resolveFramePath, type PathMapping } from '../pyspyView/pathMapping';
import { classifyProcesses, serverKind } from '../pyspyView/processes';
import { captureDump, PySpyError, PySpyNotFoundError, PySpyPermissionError } from '../pyspyView/runner';
import { linkStatic } from '../pyspyView/staticLink';
import type { ProcessCapture, ProcessCaptureOptions } from '../pyspyView/captureProcess';
import type { ParsedDump, ProcessCandidate } from '../pyspyView/types';
import { supportsTaskView } from '../asyncTasks/captureTasks';
import { CYCLE_HEADER, parseCycles, parsePstree } from '../asyncTasks/pstree';
import { mergeTaskViews, parsePsTable } from '../asyncTasks/psTable';
import {
  inspectSecurity,
  mountsByName,
  mountsToMappings,
  parseDockerPs,
  parseDockerTop,
  parseProbe,
  portFromArgv,
  type ProbeResult,
} from './dockerParse';
import { COPIED_PYSPY, DOCKER_PROBE } from './dockerProbe';
import type { CaptureSource, CaptureTarget } from './source';

/** Docker's own rule for names (and ids are hex): anything else never reaches a command line. */
export function isValidContainerName(name: string): boolean {
  return /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/.test(name);
}

export class DockerError extends PySpyError {
  constructor(message: string, stderr = '') {
    super(message, stderr);
    this.name = 'DockerError';
  }
}

/** No py-spy in the container: says how to get one there. */
export class ContainerPySpyMissingError extends DockerError {
  constructor(readonly container: string) {
    super(
      `py-spy is not installed in container ${container} (not beside its Python, not on its PATH). ` +
        "Copy this machine's py-spy in (`backend-hang dump --container " +
        `${container} --copy-pyspy\`, or "Copy py-spy into Container" in VS Code), or add \`pip install py-spy\` to the image.`,
    );
    this.name = 'ContainerPySpyMissingError';
  }
}

/** ptrace refused inside the container: the exact remedy for `docker run` and compose. */
export class ContainerPtraceError extends DockerError {
  constructor(
    readonly container: string,
    stderr: string,
  ) {
    super(
      `py-spy may not attach inside container ${container}: the container lacks the SYS_PTRACE capability. ` +
        'Recreate it with `docker run --cap-add SYS_PTRACE ...`, or in docker-compose.yml under the service: ' +
        '`cap_add: [SYS_PTRACE]` (then `docker compose up -d`).',
      stderr,
    );
    this.name = 'ContainerPtraceError';
  }
}

/** Options of the Docker source. */
export interface DockerOptions {
  /** The docker CLI (`backendHang.docker.path`, `--docker`); default `docker` on PATH. */
  docker?: string;
  /** A host py-spy to copy in when the container has none (static Linux binary). */
  hostPySpy?: string;
  copyPySpy?: boolean;
}

async function docker(bin: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const r = await execa(bin, args, { reject: false, timeout: timeoutMs, stdin: 'ignore' });
  const code = (r as { code?: string }).code;
  if (code === 'ENOENT')
    throw new DockerError(
      `The Docker CLI was not found (${bin}). Install Docker or set backendHang.docker.path / --docker.`,
    );
  if (r.timedOut) throw new DockerError(`docker ${args[0]} did not answer within ${timeoutMs / 1000} s`);
  const stderr = String(r.stderr ?? '');
  if (r.exitCode !== 0) {
    if (/Cannot connect to the Docker daemon|error during connect/i.test(stderr))
      throw new DockerError('The Docker daemon is not running (or not reachable from here).', stderr);
    if (/No such (container|object)/i.test(stderr)) {
      const name = args.slice(1).find((a) => isValidContainerName(a) && !a.startsWith('-')) ?? '';
      throw new DockerError(`No such container: ${name} (running containers: docker ps)`, stderr);
    }
    throw new DockerError(
      `docker ${args[0]} failed: ${stderr.trim().split('\n')[0] || `exit ${r.exitCode}`}`,
      stderr,
    );
  }
  return String(r.stdout ?? '');
}

/** Runs the probe with the container's Python: the server's interpreter first, then python3, python. */
export async function probeContainer(
  name: string,
  opts: DockerOptions = {},
  hint?: string,
): Promise<ProbeResult> {
  if (!isValidContainerName(name)) throw new DockerError(`'${name}' is not a valid container name or id`);
  const bin = opts.docker ?? 'docker';
  const pythons = [...(hint && /python[\d.]*$/.test(hint) ? [hint] : []), 'python3', 'python'];
  let last: unknown;
  for (const py of pythons) {
    try {
      return parseProbe(await docker(bin, ['exec', name, py, '-c', DOCKER_PROBE]));
    } catch (err) {
      last = err;
      if (err instanceof DockerError && /daemon|No such container/.test(err.message)) throw err;
    }
  }
  throw new DockerError(
    `Could not run Python inside container ${name} to list its processes (tried ${pythons.join(', ')}).`,
    last instanceof Error ? last.message : String(last),
  );
}

/** Server processes inside a probed container, as picker candidates (pids in the container). */
export function containerCandidates(probe: ProbeResult): ProcessCandidate[] {
  return classifyProcesses(probe.processes);
}

/** The py-spy to run inside the container for `pid`, copying the host's in when allowed. */
async function pySpyInContainer(
  name: string,
  probe: ProbeResult,
  pid: number,
  opts: DockerOptions,
): Promise<string> {
  const proc = probe.processes.find((p) => p.pid === pid);
  const found = proc?.pyspy[0] ?? probe.processes.find((p) => p.pyspy.length)?.pyspy[0];
  if (found) return found;
  if (!opts.copyPySpy || !opts.hostPySpy) throw new ContainerPySpyMissingError(name);
  if (!existsSync(opts.hostPySpy)) throw new PySpyNotFoundError(opts.hostPySpy);
  // py-spy's Linux wheels ship a static binary: it runs in any image of the same architecture.
  await docker(opts.docker ?? 'docker', ['cp', opts.hostPySpy, `${name}:${COPIED_PYSPY}`]);
  return COPIED_PYSPY;
}

const LIST_TIMEOUT_MS = 5000;

/** Containers running a uvicorn/gunicorn/hypercorn process (from `docker ps` + `docker top`, no exec). */
export async function listServerContainers(opts: DockerOptions = {}): Promise<CaptureTarget[]> {
  const bin = opts.docker ?? 'docker';
  // The picker waits for this: a daemon that does not answer quickly is left out, not waited for.
  const rows = parseDockerPs(await docker(bin, ['ps', '--format', '{{json .}}'], LIST_TIMEOUT_MS));
  const out: CaptureTarget[] = [];
  for (const row of rows) {
    if (!isValidContainerName(row.name)) continue;
    const top = parseDockerTop(await docker(bin, ['top', row.name], LIST_TIMEOUT_MS).catch(() => ''));
    const table = top.map((p) => ({ pid: p.pid, ppid: p.ppid, argv: p.command.split(/\s+/) }));
    const candidates = classifyProcesses(table);
    const root = candidates[0];
    if (!root) continue;
    const port = portFromArgv(root.commandLine.split(/\s+/));
    const published = [...row.ports.matchAll(/:(\d+)->/g)].map((m) => Number(m[1]));
    out.push({
      source: 'docker',
      key: `container:${row.name}`,
      // Unknown until the capture probes the container (docker top's pids are the host's): 0 = its server.
      pid: 0,
      ports: [...new Set([...published, ...(port ? [port] : [])])],
      candidate: { ...root, cwd: undefined },
      container: row.name,
      image: row.image,
      hostPids: top.map((p) => p.pid),
    });
  }
  if (out.length) {
    const mounts = mountsByName(
      await docker(bin, ['inspect', ...out.map((t) => t.container!)], LIST_TIMEOUT_MS).catch(() => '[]'),
    );
    for (const t of out) t.mappings = mounts.get(t.container!) ?? [];
  }
  return out;
}

/** Options of {@link captureContainer}. */
export type ContainerCaptureOptions = ProcessCaptureOptions &
  DockerOptions & {
    /** A pid inside the container; default: its serving process(es). */
    pid?: number;
  };

/**
 * Captures the serving process(es) of a container (or `pid` inside it): probe, find py-spy inside, dump with
 * `docker exec`, diagnose with the mounts as path mappings.
 * @throws DockerError and its subclasses, the runner's errors
 */
export async function captureContainer(
  name: string,
  opts: ContainerCaptureOptions = {},
): Promise<ProcessCapture[]> {
  if (!isValidContainerName(name)) throw new DockerError(`'${name}' is not a valid container name or id`);
  const bin = opts.docker ?? 'docker';
  const inspect = await docker(bin, ['inspect', name]);
  const top = parseDockerTop(await docker(bin, ['top', name]).catch(() => ''));
  const hint = top.map((p) => p.command.split(/\s+/)).find((a) => serverKind(a))?.[0];
  const probe = await probeContainer(name, opts, hint);
  const candidates = containerCandidates(probe);
  let targets: ProcessCandidate[];
  if (opts.pid !== undefined) {
    const known = candidates.find((c) => c.pid === opts.pid);
    if (!known && !probe.processes.some((p) => p.pid === opts.pid))
      throw new DockerError(`No process ${opts.pid} in container ${name}.`);
    targets = [known ?? { pid: opts.pid, ppid: 0, role: 'server', serving: true, commandLine: '' }];
  } else {
    targets = candidates.filter((c) => c.serving);
    if (targets.length === 0)
      throw new DockerError(
        `No uvicorn, gunicorn or hypercorn process runs in container ${name}. Pass --pid to dump another process.`,
      );
  }
  const mappings: PathMapping[] = [...mountsToMappings(inspect), ...(opts.mappings ?? [])];
  // Code baked into the image (no mount): on Linux the container's files are readable here under
  // /proc/<host pid>/root, so its frames still link their static findings.
  const rootOnHost = top
    .map((p) => `/proc/${p.pid}/root`)
    .find((r) => process.platform === 'linux' && existsSync(`${r}/proc`));
  const security = inspectSecurity(inspect);
  const out: ProcessCapture[] = [];
  for (const t of targets) {
    const pyspy = await pySpyInContainer(name, probe, t.pid, opts);
    const capturedAt = new Date();
    let result: Awaited<ReturnType<typeof captureDump>>;
    try {
      result = await captureDump(pyspy, t.pid, { timeoutMs: 30_000, ...opts, via: [bin, 'exec', name] });
    } catch (err) {
      if (err instanceof PySpyPermissionError && !security.privileged)
        throw new ContainerPtraceError(name, err.stderr);
      if (err instanceof PySpyNotFoundError) throw new ContainerPySpyMissingError(name);
      throw err;
    }
    const read = containerSourceReader(mappings, opts, rootOnHost);
    const proc = probe.processes.find((p) => p.pid === t.pid);
    if (opts.tasks !== false)
      await addContainerTasks(result.dump, bin, name, proc?.exe, probe.python, t.pid, opts.signal);
    const diagnosis = diagnose(result.dump, { sourceText: (f) => read(f)?.text });
    if (opts.check) await linkStatic(diagnosis.findings, read, opts.check);
    out.push({
      pid: t.pid,
      role: t.role,
      workerIndex: t.workerIndex,
      commandLine: t.commandLine,
      capturedAt,
      dump: result.dump,
      raw: result.raw,
      diagnosis,
      pyspy: { path: pyspy, source: pyspy === COPIED_PYSPY ? 'copied into the container' : 'container' },
      origin: { kind: 'container', label: `container ${name} · pid ${t.pid}`, container: name },
      mappings,
      cwd: probe.processes.find((p) => p.pid === t.pid)?.cwd,
    });
  }
  return out.sort((a, b) => b.diagnosis.findings.length - a.diagnosis.findings.length);
}

/**
 * Where a container frame's file is read from here: through the mounts (the host file the person edits), else
 * a workspace file with the same path suffix (the repository the image was built from), else the container's
 * own copy under /proc/<host pid>/root.
 */
function containerSourceReader(
  mappings: PathMapping[],
  opts: Pick<ProcessCaptureOptions, 'workspaceFolders' | 'workspaceFiles'>,
  rootOnHost: string | undefined,
): (file: string) => { path: string; text: string } | undefined {
  const cache = new Map<string, { path: string; text: string } | undefined>();
  const readable = (p: string | undefined): { path: string; text: string } | undefined => {
    if (!p || !existsSync(p)) return undefined;
    try {
      return { path: p, text: readFileSync(p, 'utf8') };
    } catch {
      return undefined;
    }
  };
  return (file) => {
    if (cache.has(file)) return cache.get(file);
    const bySuffix = resolveFramePath(file, { exists: () => false, workspaceFiles: opts.workspaceFiles });
    const out =
      readable(applyMappings(file, mappings, opts.workspaceFolders)) ??
      (bySuffix.kind === 'suffix' ? readable(bySuffix.path) : undefined) ??
      (rootOnHost && file.startsWith('/') ? readable(`${rootOnHost}${file}`) : undefined);
    cache.set(file, out);
    return out;
  };
}

/**
 * The asyncio tasks of a 3.14+ server in the container: `python -m asyncio pstree|ps PID` run inside it by
 * the server's own interpreter (a remote read: no code runs in the server), parsed by ../asyncTasks. Older
 * Pythons get the note instead. Never throws: the thread stacks are the capture.
 */
async function addContainerTasks(
  dump: ParsedDump,
  bin: string,
  name: string,
  exe: string | undefined,
  probePython: string,
  pid: number,
  signal?: AbortSignal,
): Promise<void> {
  const version = /python(\d+\.\d+)/.exec(exe ?? '')?.[1] ?? probePython.split('.').slice(0, 2).join('.');
  if (!supportsTaskView(version)) {
    dump.tasksNote = `The asyncio task view needs Python 3.14+ (this container runs Python ${version || '?'}); showing thread stacks.`;
    return;
  }
  const python = exe || 'python3';
  const run = (sub: string) =>
    execa(bin, ['exec', name, python, '-I', '-m', 'asyncio', sub, String(pid)], {
      reject: false,
      timeout: 15_000,
      cancelSignal: signal,
      stdin: 'ignore',
    });
  try {
    const tree = await run('pstree');
    const stderr = String(tree.stderr ?? '');
    const cycles = CYCLE_HEADER.test(stderr) ? parseCycles(stderr) : [];
    if (tree.exitCode !== 0 && !cycles.length) {
      const said = `${stderr}\n${String(tree.stdout ?? '')}`;
      const first = said.split('\n').find((l) => l.trim()) ?? `exit ${tree.exitCode}`;
      dump.tasksNote = /insufficient permissions|Operation not permitted|Permission denied/i.test(said)
        ? `Reading the asyncio tasks in container ${name} needs the SYS_PTRACE capability (docker run --cap-add SYS_PTRACE, or cap_add: [SYS_PTRACE] in compose); showing thread stacks.`
        : `python -m asyncio pstree in container ${name} failed: ${first.trim()}`;
      return;
    }
    const table = await run('ps');
    const fromTree = parsePstree(String(tree.stdout ?? '')).tasks;
    dump.tasks =
      table.exitCode === 0
        ? mergeTaskViews(parsePsTable(String(table.stdout ?? '')), fromTree, cycles)
        : fromTree;
  } catch (err) {
    dump.tasksNote = `Reading asyncio tasks in container ${name} failed: ${(err as Error).message}`;
  }
}

/** The Docker source for the picker. */
export function dockerSource(opts: DockerOptions = {}): CaptureSource {
  return {
    kind: 'docker',
    listTargets: () => listServerContainers(opts),
    capture: (target, captureOpts) => captureContainer(target.container ?? '', { ...opts, ...captureOpts }),
  };
}
