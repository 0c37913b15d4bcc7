/**
 * `backend-hang dump (--pid N | --port N | --container NAME [--pid N] | --file PATH|-) [--format
 * text|json|markdown] [--path-map REMOTE=LOCAL]...`: one capture source each (src/captureSources), the same
 * diagnosis and static links as the editor. Exit 0 when the capture worked (findings or not), 2 with a clear
 * message when it did not.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Finding } from '../diagnostics/types';
import {
  formatCaptureText,
  toCaptureJson,
  type CaptureJson,
  type MultiCaptureJson,
} from '../pyspyView/captureFormat';
import * as path from 'node:path';
import {
  captureFromText,
  listPythonFiles,
  readDumpFile,
  suggestedMappingsFor,
} from '../captureSources/dumpFile';
import { listLocalTargets, targetOnPort } from '../captureSources/localProcess';
import { captureMarkdown } from '../pyspyView/captureMarkdown';
import {
  captureServing,
  localSourceReader,
  PySpyNotLocatedError,
  hostPySpy,
  type ProcessCapture,
} from '../pyspyView/captureProcess';
import type { SuggestedMapping } from '../pyspyView/pathMapping';
import { DUMP_USAGE, parseDumpArgs, type DumpArgs } from './dumpArgs';
import type { SourceLineReader } from '../pyspyView/diagnosis';
import { PySpyError, PySpyNotFoundError, UnparseableDumpError } from '../pyspyView/runner';

/** Runs `backend-hang dump`; resolves to the exit code. */
export async function runDumpCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${DUMP_USAGE}\n${HELP}`);
    return 0;
  }
  let opts: DumpArgs;
  try {
    opts = parseDumpArgs(args);
  } catch (err) {
    process.stderr.write(`backend-hang dump: ${(err as Error).message}\n${DUMP_USAGE}\n`);
    return 2;
  }
  try {
    const { pid, captures, suggestions } = await capture(opts);
    process.stdout.write(`${render(opts.format, pid, captures)}\n`);
    for (const s of suggestions)
      process.stderr.write(
        `backend-hang dump: ${s.resolves} frame file${s.resolves === 1 ? '' : 's'} found nowhere here would open with --path-map ${s.remote}=${s.local}\n`,
      );
    return 0;
  } catch (err) {
    if (err instanceof PySpyNotFoundError || err instanceof PySpyNotLocatedError) {
      process.stderr.write(`backend-hang dump: ${err.message}\n`);
    } else if (err instanceof UnparseableDumpError) {
      process.stderr.write(`backend-hang dump: ${err.message}\n--- output ---\n${err.raw.slice(0, 4000)}\n`);
    } else if (err instanceof PySpyError) {
      process.stderr.write(
        `backend-hang dump: ${err.message}\n${err.stderr ? `${err.stderr.trim()}\n` : ''}`,
      );
    } else if (err instanceof DumpInputError) {
      process.stderr.write(`backend-hang dump: ${err.message}\n`);
    } else {
      throw err;
    }
    return 2;
  }
}

/** A problem with the input (file, port): exit 2 with the message. */
class DumpInputError extends Error {}

async function capture(
  opts: DumpArgs,
): Promise<{ pid: number; captures: ProcessCapture[]; suggestions: SuggestedMapping[] }> {
  const base = {
    timeoutMs: opts.timeoutSeconds * 1000,
    locals: opts.locals,
    native: opts.native,
    configured: opts.pyspy ?? process.env.BACKEND_HANG_PYSPY,
    interpreterPath: process.env.VIRTUAL_ENV ? `${process.env.VIRTUAL_ENV}/bin/python` : undefined,
    pathEnv: process.env.PATH,
    mappings: opts.pathMaps.map((m) => ({ remote: m.remote, local: path.resolve(m.local) })),
    workspaceFolders: [process.cwd()],
    check: staticCheck,
  };
  if (opts.file || opts.stdin) {
    let text: string;
    try {
      text = opts.stdin ? readFileSync(0, 'utf8') : readDumpFile(opts.file!);
    } catch (err) {
      throw new DumpInputError((err as Error).message);
    }
    const label = opts.stdin ? 'stdin' : path.basename(opts.file!);
    const fileOpts = {
      ...base,
      workspaceFiles: listPythonFiles(process.cwd()),
      origin: { kind: 'file' as const, label, ...(opts.file ? { file: opts.file } : {}) },
    };
    const captures = await captureFromText(text, fileOpts);
    return {
      pid: captures[0]?.pid ?? 0,
      captures,
      suggestions: suggestedMappingsFor(captures, fileOpts).slice(0, 3),
    };
  }
  if (opts.container) {
    const { captureContainer } = await import('../captureSources/docker');
    const captures = await captureContainer(opts.container, {
      ...base,
      // The image may hold the code without a mount: the checkout here finds its files by path suffix.
      workspaceFiles: listPythonFiles(process.cwd()),
      pid: opts.pid,
      docker: opts.docker ?? process.env.BACKEND_HANG_DOCKER,
      copyPySpy: opts.copyPySpy,
      hostPySpy: hostPySpy(base),
    });
    return { pid: opts.pid ?? captures[0]?.pid ?? 0, captures, suggestions: [] };
  }
  let pid = opts.pid;
  if (opts.port !== undefined) {
    const targets = await listLocalTargets();
    const t = targetOnPort(targets, opts.port);
    if (!t) {
      const seen = targets.filter((x) => x.ports.length).map((x) => `${x.pid} on :${x.ports.join(',:')}`);
      throw new DumpInputError(
        `no uvicorn, gunicorn or hypercorn process listens on port ${opts.port} here` +
          (seen.length ? ` (servers found: ${seen.join('; ')})` : '') +
          '. In a container? Use --container NAME.',
      );
    }
    pid = t.pid;
  }
  const captures = await captureServing(pid!, base);
  return { pid: pid!, captures, suggestions: [] };
}

/** The captures in the asked format. */
function render(format: DumpArgs['format'], pid: number, captures: ProcessCapture[]): string {
  if (format === 'json') return JSON.stringify(capturesJson(pid, captures), null, 2);
  if (format === 'markdown')
    return captures
      .map((c) =>
        captureMarkdown(
          {
            dump: c.dump,
            diagnosis: c.diagnosis,
            capturedAt: c.capturedAt,
            source: c.origin?.label ?? `pid ${c.pid}`,
            displayPath: (p) =>
              p.startsWith(`${process.cwd()}${path.sep}`) ? path.relative(process.cwd(), p) : p,
          },
          readerFor(c),
        ),
      )
      .join('\n\n---\n\n');
  return captures.map(captureText).join('\n\n');
}

/** Reads a capture's frame files where they are on this machine (mappings, root prefix, cwd). */
function readerFor(c: ProcessCapture): (file: string) => { path: string; text: string } | undefined {
  return localSourceReader(
    { rootPrefix: c.rootPrefix, cwd: c.cwd ?? process.cwd() },
    { mappings: c.mappings, workspaceFolders: [process.cwd()] },
  );
}

const HELP = `
Dumps every thread of a running Python server and says whether its event loop is blocked, in which call, and
which line of your code to fix (with the static finding of \`backend-hang check\` on it).
  --pid N              a local process (a manager - uvicorn --workers/--reload, gunicorn, hypercorn - is
                       expanded to its serving processes)
  --port N             the server listening on that TCP port here
  --container NAME     a Docker container: py-spy runs inside it (docker exec); frames map to your files
                       through its mounts. A container without py-spy: --copy-pyspy. ptrace refused: the
                       message gives the --cap-add SYS_PTRACE / compose cap_add remedy.
  --file PATH|-        a dump taken elsewhere: py-spy text or --json (any version, also --asyncio --json),
                       faulthandler output, \`python -m asyncio pstree|ps\` (3.14), or a saved capture JSON.
                       Frames that resolve nowhere get a suggested --path-map.
py-spy is looked for beside the server (its venv, its chroot/container), then --pyspy / $BACKEND_HANG_PYSPY,
$VIRTUAL_ENV/bin, PATH. Exit 0 when the capture worked (blocked or not), 2 when it did not.
`;

/** The static check of a frame's file, loaded only when a finding has a frame. */
export async function staticCheck(source: string): Promise<Finding[]> {
  const { checkSource } = await import('../diagnostics/analyze');
  return checkSource(source);
}

/** One capture as JSON, or a manager's captures together. */
export function capturesJson(pid: number, captures: ProcessCapture[]): CaptureJson | MultiCaptureJson {
  const one = (c: ProcessCapture): CaptureJson => ({
    ...toCaptureJson(c.dump, c.diagnosis, c.capturedAt),
    ...(c.pyspy ? { pyspy: c.pyspy.path } : {}),
    ...(c.origin ? { source: c.origin.label } : {}),
    ...(c.role ? { role: c.role } : {}),
  });
  if (captures.length === 1 && captures[0].pid === pid) return one(captures[0]);
  const processes = captures.map(one);
  return {
    pid,
    role: 'manager',
    processes,
    findings: processes.flatMap((p) => p.findings.map((f) => ({ ...f, pid: p.pid }))),
  };
}

/** One capture as text: the diagnosis with its static links, then the threads. */
export function captureText(c: ProcessCapture): string {
  const who = c.role === 'worker' && c.workerIndex ? `worker ${c.workerIndex}` : (c.role ?? '');
  return `${who ? `[${who}] ` : ''}${formatCaptureText(c.dump, c.diagnosis, c.capturedAt)}\n(${c.pyspy ? `py-spy: ${c.pyspy.path}, from ${c.pyspy.source}` : `from ${c.origin?.label ?? 'a dump'}`})`;
}

/** Reads a line of a frame's file when it exists here (py-spy's --json paths are absolute). */
export const readSourceLine: SourceLineReader = (file, line) =>
  existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/)[line - 1] : undefined;
