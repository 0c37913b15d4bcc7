/**
 * Pure: where a frame's file lives on this machine. In order: under the process's root (chroot/container);
 * the path mappings (`backendHang.pathMappings`, a container's mounts, `--path-map`; e.g. `/app` ->
 * `${workspaceFolder}/backend`), which win over an absolute path that also exists here; the absolute path;
 * relative to the process's cwd; a unique workspace file ending with the frame's path; else unresolved.
 */

/** One `backendHang.pathMappings` entry. */
export interface PathMapping {
  remote: string;
  local: string;
}

/** How a frame's file was found. */
export type ResolvedPath =
  | { kind: 'absolute' | 'root' | 'relative' | 'mapped' | 'suffix'; path: string }
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'unresolved' };

/** What resolution may consult: plain callbacks/data, so it runs on a fake file system in tests. */
export interface ResolveContext {
  exists(path: string): boolean;
  mappings?: PathMapping[];
  /** Workspace folder paths, for `${workspaceFolder}` in mappings (the first one) and `${workspaceFolder:name}`. */
  workspaceFolders?: string[];
  /** Workspace files (absolute paths, `/`-separated) to match by suffix. */
  workspaceFiles?: string[];
  /**
   * Host path of the process's root when it runs in a chroot or container (./targetEnv rootPrefix): its
   * absolute frame paths (`/app/main.py`) are looked up under it first.
   */
  rootPrefix?: string;
  /** Directories a relative frame path (text dumps' short names) may be relative to: the process's cwd. */
  baseDirs?: string[];
}

const slash = (p: string): string => p.replace(/\\/g, '/');
const trimEnd = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** Expands `${workspaceFolder}` and `${workspaceFolder:name}` (name = folder base name) in a mapping. */
export function expandWorkspaceFolder(value: string, folders: string[] = []): string {
  return value.replace(/\$\{workspaceFolder(?::([^}]+))?\}/g, (whole, name: string | undefined) => {
    if (!name) return folders[0] ?? whole;
    return folders.find((f) => slash(f).split('/').pop() === name) ?? whole;
  });
}

/** Applies the first mapping whose `remote` is a path prefix of `file` (longest remote first). */
export function applyMappings(
  file: string,
  mappings: PathMapping[],
  folders: string[] = [],
): string | undefined {
  const f = slash(file);
  const sorted = [...mappings].sort((a, b) => b.remote.length - a.remote.length);
  for (const m of sorted) {
    const remote = trimEnd(slash(m.remote));
    if (f === remote || f.startsWith(`${remote}/`)) {
      return trimEnd(slash(expandWorkspaceFolder(m.local, folders))) + f.slice(remote.length);
    }
  }
  return undefined;
}

/**
 * Workspace files whose path ends with the longest suffix of `file` that matches any, down to the base
 * name: `/app/app/api/routes/stream.py` finds `.../backend/app/api/routes/stream.py`.
 */
export function matchBySuffix(file: string, workspaceFiles: string[]): string[] {
  const parts = slash(file).split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const suffix = `/${parts.slice(i).join('/')}`;
    const hits = workspaceFiles.filter((w) => slash(w).endsWith(suffix) || slash(w) === suffix.slice(1));
    if (hits.length > 0) return hits;
  }
  return [];
}

/** Resolves a frame's file (absolute or short) to a local path. */
export function resolveFramePath(file: string, ctx: ResolveContext): ResolvedPath {
  if (!file || file.startsWith('<')) return { kind: 'unresolved' };
  const isAbsolute = file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file);
  if (isAbsolute && ctx.rootPrefix && file.startsWith('/')) {
    const under = trimEnd(slash(ctx.rootPrefix)) + file;
    if (ctx.exists(under)) return { kind: 'root', path: under };
  }
  // An explicit mapping wins over a same-named path that happens to exist here (a dump from another machine
  // whose /srv/app also exists locally).
  const mapped = ctx.mappings?.length ? applyMappings(file, ctx.mappings, ctx.workspaceFolders) : undefined;
  if (mapped && ctx.exists(mapped)) return { kind: 'mapped', path: mapped };
  if (isAbsolute && ctx.exists(file)) return { kind: 'absolute', path: file };
  if (!isAbsolute) {
    for (const dir of ctx.baseDirs ?? []) {
      const joined = `${trimEnd(slash(dir))}/${slash(file)}`;
      if (ctx.exists(joined)) return { kind: 'relative', path: joined };
    }
  }
  const hits = matchBySuffix(file, ctx.workspaceFiles ?? []);
  if (hits.length === 1) return { kind: 'suffix', path: hits[0] };
  if (hits.length > 1) return { kind: 'ambiguous', candidates: hits };
  return { kind: 'unresolved' };
}

/** A mapping offered for frames that resolve nowhere, with how many frame files it would resolve. */
export interface SuggestedMapping extends PathMapping {
  resolves: number;
}

/**
 * Pure: mappings that would make unresolved frame files open local ones, from the longest path suffix each
 * shares with exactly one workspace file: `/srv/app/api/stream.py` and `~/proj/backend/app/api/stream.py`
 * suggest `/srv` -> `~/proj/backend`. Needs at least two shared path segments (a bare `main.py` proves nothing).
 * Most useful first.
 */
export function suggestMappings(unresolved: string[], workspaceFiles: string[]): SuggestedMapping[] {
  const votes = new Map<string, SuggestedMapping>();
  for (const file of new Set(unresolved)) {
    if (!file.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(file)) continue;
    const parts = slash(file).split('/').filter(Boolean);
    for (let i = 0; i < parts.length - 1; i++) {
      const suffix = `/${parts.slice(i).join('/')}`;
      const hits = workspaceFiles.filter((w) => slash(w).endsWith(suffix));
      if (hits.length === 0) continue;
      if (hits.length === 1 && parts.length - i >= 2) {
        const remote = `/${parts.slice(0, i).join('/')}`;
        const local = slash(hits[0]).slice(0, -suffix.length) || '/';
        const key = `${remote}\0${local}`;
        const m = votes.get(key) ?? { remote, local, resolves: 0 };
        m.resolves++;
        votes.set(key, m);
      }
      break;
    }
  }
  return [...votes.values()].sort((a, b) => b.resolves - a.resolves || b.remote.length - a.remote.length);
}

/** Parses `REMOTE=LOCAL` (`--path-map /app=./backend`). @returns undefined when there is no `=` or a side is empty */
export function parsePathMap(spec: string): PathMapping | undefined {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) return undefined;
  return { remote: spec.slice(0, i), local: spec.slice(i + 1) };
}
