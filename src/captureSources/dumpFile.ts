/**
 * Dumps taken elsewhere (production, a colleague's terminal, a CI log): a file or pasted text in any format
 * src/dumpFormats reads, diagnosed and statically linked like a live capture. Frame paths of another machine
 * resolve through the mappings (`--path-map`, `backendHang.pathMappings`), then by suffix against the
 * workspace; those that resolve nowhere get suggested mappings.
 */
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { parseAnyDumps } from '../dumpFormats';
import { diagnose } from '../pyspyView/diagnosis';
import { resolveFramePath, suggestMappings, type SuggestedMapping } from '../pyspyView/pathMapping';
import {
  localSourceReader,
  type ProcessCapture,
  type ProcessCaptureOptions,
} from '../pyspyView/captureProcess';
import { linkStatic } from '../pyspyView/staticLink';
import type { CaptureOrigin } from './source';

/** A dump file too large to be a thread dump (py-spy's largest with --locals are a few MB). */
export const MAX_DUMP_BYTES = 64 * 1024 * 1024;

/** Options of {@link captureFromText}. */
export type DumpTextOptions = Pick<
  ProcessCaptureOptions,
  'mappings' | 'workspaceFolders' | 'workspaceFiles' | 'check'
> & {
  origin: CaptureOrigin;
  /** Directories relative frame paths (py-spy's text form) may be relative to; defaults to the folders. */
  baseDirs?: string[];
  /** When known and the text does not say. */
  pid?: number;
};

/** Parses, diagnoses and links every dump in `text` (one per process). @throws UnparseableDumpError */
export async function captureFromText(text: string, opts: DumpTextOptions): Promise<ProcessCapture[]> {
  const dumps = parseAnyDumps(text, { pid: opts.pid });
  const out: ProcessCapture[] = [];
  for (const dump of dumps) {
    const base = opts.baseDirs?.[0] ?? opts.workspaceFolders?.[0];
    const read = localSourceReader(base ? { cwd: base } : undefined, opts);
    const diagnosis = diagnose(dump, { sourceText: (f) => read(f)?.text });
    if (opts.check) await linkStatic(diagnosis.findings, read, opts.check);
    out.push({
      pid: dump.pid,
      commandLine: dump.commandLine,
      capturedAt: new Date(),
      dump,
      raw: text,
      diagnosis,
      origin: opts.origin,
      ...(opts.mappings?.length ? { mappings: opts.mappings } : {}),
    });
  }
  return out.sort((a, b) => b.diagnosis.findings.length - a.diagnosis.findings.length);
}

/** Reads a dump file with clear errors (missing, a directory, too large, binary). */
export function readDumpFile(file: string): string {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  const st = statSync(file);
  if (st.isDirectory()) throw new Error(`${file} is a directory, not a dump file`);
  if (st.size > MAX_DUMP_BYTES)
    throw new Error(`${file} is ${(st.size / 1e6).toFixed(0)} MB: too large for a thread dump (limit 64 MB)`);
  const buf = readFileSync(file);
  if (buf.subarray(0, 8192).includes(0)) throw new Error(`${file} is a binary file, not a text or JSON dump`);
  return buf.toString('utf8');
}

/** The user frames of the captures whose files resolve nowhere here (library frames are not the user's concern). */
export function unresolvedUserFiles(captures: ProcessCapture[], opts: DumpTextOptions): string[] {
  const files = new Set<string>();
  for (const c of captures)
    for (const t of c.dump.threads)
      for (const f of t.frames) {
        if (f.library || !f.file || f.file.startsWith('<')) continue;
        const r = resolveFramePath(f.file, {
          exists: (p) => existsSync(p),
          mappings: opts.mappings,
          workspaceFolders: opts.workspaceFolders,
          baseDirs: opts.baseDirs ?? opts.workspaceFolders,
        });
        if (r.kind === 'unresolved') files.add(f.file);
      }
  return [...files];
}

/** Mappings that would resolve the unresolved user frames, from the workspace's files. */
export function suggestedMappingsFor(captures: ProcessCapture[], opts: DumpTextOptions): SuggestedMapping[] {
  return suggestMappings(unresolvedUserFiles(captures, opts), opts.workspaceFiles ?? []);
}

/** Python files under `root` (for suffix matching), skipping virtualenvs, VCS and dependency folders. */
export function listPythonFiles(root: string, limit = 20_000): string[] {
  const out: string[] = [];
  const skip = new Set([
    '.git',
    'node_modules',
    '.venv',
    'venv',
    '__pycache__',
    '.cache',
    '.tox',
    'site-packages',
    'dist',
    'build',
  ]);
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= limit) return;
      if (e.isDirectory()) {
        if (!skip.has(e.name) && !e.name.startsWith('.')) walk(path.join(dir, e.name));
      } else if (e.name.endsWith('.py')) out.push(path.join(dir, e.name));
    }
  };
  walk(root);
  return out;
}
