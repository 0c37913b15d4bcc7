/**
 * Pure: where py-spy is. Beside the target process first (its venv, its container's PATH: see ./targetEnv),
 * then the configured path (`backendHang.pyspy.path` / `--pyspy`), then next to the selected Python
 * interpreter (its venv's bin/ or Scripts/), then every PATH directory.
 */
import * as path from 'node:path';

/** Inputs of {@link locatePySpy}; `exists` is injected so tests need no real files. */
export interface LocateInput {
  /** py-spy paths beside the target process (./targetEnv pySpyNearTarget), most specific first. */
  nearTarget?: string[];
  configured?: string;
  /** The selected interpreter, e.g. `/proj/.venv/bin/python`. */
  interpreterPath?: string;
  /** The PATH variable. */
  pathEnv?: string;
  platform?: NodeJS.Platform;
  exists(file: string): boolean;
}

/** Where py-spy was found, and by which rule (for the log). */
export interface Located {
  path: string;
  source: 'target' | 'setting' | 'interpreter' | 'PATH' | 'container' | 'copied into the container';
}

/** The candidate list, in order, without checking existence (shown in the "not found" message). */
export function pySpyCandidates(input: Omit<LocateInput, 'exists'>): Located[] {
  const exe = (input.platform ?? process.platform) === 'win32' ? 'py-spy.exe' : 'py-spy';
  const out: Located[] = [];
  for (const p of input.nearTarget ?? []) out.push({ path: p, source: 'target' });
  if (input.configured) out.push({ path: input.configured, source: 'setting' });
  if (input.interpreterPath)
    out.push({ path: path.join(path.dirname(input.interpreterPath), exe), source: 'interpreter' });
  const sep = (input.platform ?? process.platform) === 'win32' ? ';' : ':';
  for (const dir of (input.pathEnv ?? '').split(sep).filter(Boolean))
    out.push({ path: path.join(dir, exe), source: 'PATH' });
  return out;
}

/**
 * Every existing candidate, in order, without duplicates: the caller tries the next one when a py-spy is too
 * old for the target's Python. A configured path is kept even when missing (right after the target's own), so
 * the runner reports exactly that path as not found instead of silently skipping it.
 */
export function locateAllPySpy(input: LocateInput): Located[] {
  const seen = new Set<string>();
  return pySpyCandidates(input).filter((c) => {
    if (seen.has(c.path)) return false;
    seen.add(c.path);
    return c.source === 'setting' || input.exists(c.path);
  });
}

/** The first of {@link locateAllPySpy}. */
export function locatePySpy(input: LocateInput): Located | undefined {
  return locateAllPySpy(input)[0];
}
