/**
 * Pure-ish: where py-spy is. The configured path first (`backendHang.pyspy.path` / `--pyspy`), then next to
 * the selected Python interpreter (its venv's bin/ or Scripts/), then every PATH directory.
 */
import * as path from 'node:path';

/** Inputs of {@link locatePySpy}; `exists` is injected so tests need no real files. */
export interface LocateInput {
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
  source: 'setting' | 'interpreter' | 'PATH';
}

/** The candidate list, in order, without checking existence (shown in the "not found" message). */
export function pySpyCandidates(input: Omit<LocateInput, 'exists'>): Located[] {
  const exe = (input.platform ?? process.platform) === 'win32' ? 'py-spy.exe' : 'py-spy';
  const out: Located[] = [];
  if (input.configured) out.push({ path: input.configured, source: 'setting' });
  if (input.interpreterPath)
    out.push({ path: path.join(path.dirname(input.interpreterPath), exe), source: 'interpreter' });
  const sep = (input.platform ?? process.platform) === 'win32' ? ';' : ':';
  for (const dir of (input.pathEnv ?? '').split(sep).filter(Boolean))
    out.push({ path: path.join(dir, exe), source: 'PATH' });
  return out;
}

/**
 * The first existing candidate. A configured path is returned even when missing, so the runner reports
 * exactly that path as not found instead of silently using another py-spy.
 */
export function locatePySpy(input: LocateInput): Located | undefined {
  const candidates = pySpyCandidates(input);
  if (input.configured) return candidates[0];
  return candidates.find((c) => input.exists(c.path));
}
