/**
 * The Python files `backend-hang check` looks at, like Ruff: directories are walked recursively, skipping the
 * config's `exclude`/`extend-exclude` patterns and what `.gitignore` files (and `.git/info/exclude`) ignore;
 * files named explicitly are always checked. Node `fs`, no `vscode`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PathError, reasonOf } from '../diagnostics/pythonFiles';
import { gitignoreVerdict, parseGitignore } from './glob';
import type { ConfigResolver } from './discovery';

type Rules = ReturnType<typeof parseGitignore>;
interface IgnoreFile {
  base: string;
  rules: Rules;
}

function readRules(file: string): Rules | undefined {
  try {
    const rules = parseGitignore(fs.readFileSync(file, 'utf8'));
    return rules.length ? rules : undefined;
  } catch {
    return undefined;
  }
}

/** .gitignore files of `dir`'s ancestors up to the repository root (and its .git/info/exclude), outermost first. */
function ancestorIgnores(dir: string): IgnoreFile[] {
  const chain: string[] = [];
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (fs.existsSync(path.join(d, '.git')) || path.dirname(d) === d) break;
  }
  // Not inside a repository: only the walked tree's own .gitignore files count.
  if (!fs.existsSync(path.join(chain[0]!, '.git'))) return [];
  const out: IgnoreFile[] = [];
  const exclude = readRules(path.join(chain[0]!, '.git', 'info', 'exclude'));
  if (exclude) out.push({ base: chain[0]!, rules: exclude });
  for (const d of chain) {
    const rules = readRules(path.join(d, '.gitignore'));
    if (rules) out.push({ base: d, rules });
  }
  return out;
}

function ignoredByGit(stack: readonly IgnoreFile[], full: string, isDir: boolean): boolean {
  let verdict: boolean | undefined;
  for (const f of stack) {
    const rel = path.relative(f.base, full).split(path.sep).join('/');
    const v = gitignoreVerdict(f.rules, rel, isDir);
    if (v !== undefined) verdict = v;
  }
  return verdict === true;
}

/** Options of collectPythonFiles. */
export interface WalkOptions {
  /** `--respect-gitignore` / `--no-respect-gitignore` (else each config's `respect-gitignore`). */
  respectGitignore?: boolean;
  /** `--force-exclude`: apply `exclude` to files named explicitly too. */
  forceExclude?: boolean;
}

/**
 * The Python files under `roots` (sorted within each directory, each at most once) and the paths that could not
 * be read. Inside directories only `*.py`/`*.pyi`; symbolic links inside trees are not followed.
 */
export function collectPythonFiles(
  roots: readonly string[],
  resolver: ConfigResolver,
  options: WalkOptions = {},
): { files: string[]; errors: PathError[] } {
  const files: string[] = [];
  const errors: PathError[] = [];
  const seen = new Set<string>();
  const add = (file: string, absolute = path.resolve(file)): void => {
    const key = absolute;
    if (!seen.has(key)) {
      seen.add(key);
      files.push(file);
    }
  };
  const respect = (dir: string): boolean =>
    options.respectGitignore ?? resolver.forDirectory(dir).respectGitignore;
  /** `dir` as given (files are listed under it) and `absolute`, the same resolved. */
  const walk = (dir: string, absolute: string, stack: IgnoreFile[]): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      errors.push(new PathError(dir, reasonOf(err)));
      return;
    }
    const useGit = respect(dir);
    // Read only when listed: most directories have none (and a failed read costs an exception).
    const own =
      useGit && entries.some((e) => e.name === '.gitignore')
        ? readRules(path.join(dir, '.gitignore'))
        : undefined;
    const here = own ? [...stack, { base: absolute, rules: own }] : stack;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const isDir = entry.isDirectory();
      if (!isDir && !(entry.isFile() && /\.pyi?$/.test(entry.name))) continue;
      // A listed name has no separator and is never `.`/`..`: joined to a resolved path, it is resolved.
      const full = path.join(absolute, entry.name);
      if (useGit && ignoredByGit(here, full, isDir)) continue;
      if (resolver.excludedPath(full)) continue;
      if (isDir) walk(path.join(dir, entry.name), full, here);
      else add(path.join(dir, entry.name), full);
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
    if (stat.isDirectory()) {
      const absolute = path.resolve(root);
      walk(root, absolute, respect(absolute) ? ancestorIgnores(absolute) : []);
    } else if (!(options.forceExclude && resolver.forFile(root).excluded)) add(root);
  }
  return { files, errors };
}
