/**
 * Finds the Python files under the paths given to `backend-hang check` (Node `fs`, no `vscode`).
 * Directories are walked recursively, skipping virtual environments, node_modules, VCS and cache folders.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Directory names never descended into (a path given explicitly is always checked). */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  '.venv',
  'venv',
  'node_modules',
  '.git',
  '__pycache__',
  '.hg',
  '.svn',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.ruff_cache',
  '.pytest_cache',
]);

/** A path that could not be read. */
export class PathError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'PathError';
  }
}

/** Words for a failed fs call (ENOENT, EACCES, ...). */
export function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/**
 * The Python files under `roots`, sorted within each root, each at most once. Files named explicitly are
 * included whatever their extension; inside directories only `*.py` / `*.pyi`. Unreadable roots are reported
 * in `errors` (the rest is still walked).
 */
export async function findPythonFiles(
  roots: readonly string[],
): Promise<{ files: string[]; errors: PathError[] }> {
  return Promise.resolve(findPythonFilesSync(roots));
}

/**
 * `findPythonFiles`, synchronously: for a CLI walking a thousand directories, synchronous `readdir` beats
 * promise round trips through the thread pool (nothing else runs meanwhile except the grammar's compilation,
 * which happens off the main thread).
 */
export function findPythonFilesSync(roots: readonly string[]): { files: string[]; errors: PathError[] } {
  const files: string[] = [];
  const errors: PathError[] = [];
  const seen = new Set<string>();
  // With one root, a file is reached once: no need to resolve every path for the duplicate check.
  const single = roots.length === 1;
  const add = (file: string): void => {
    if (single) {
      files.push(file);
      return;
    }
    const key = path.resolve(file);
    if (!seen.has(key)) {
      seen.add(key);
      files.push(file);
    }
  };
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      errors.push(new PathError(dir, reasonOf(err)));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(full);
      } else if (entry.isFile() && /\.pyi?$/.test(entry.name)) {
        add(full);
      }
      // Symbolic links inside trees are not followed (no cycles, no leaving the tree).
    }
  };
  for (const root of roots) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(root);
    } catch (err) {
      errors.push(new PathError(root, reasonOf(err)));
      continue;
    }
    if (stat.isDirectory()) walk(root);
    else add(root);
  }
  return { files, errors };
}
