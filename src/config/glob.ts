/**
 * Glob patterns for `exclude`, `per-file-ignores` and `.gitignore` (pure). Paths use `/` and are relative to the
 * directory the pattern comes from (the config file's or the .gitignore's).
 */

/** `*` (not `/`), `?`, `[...]`, and `**` (any number of directories) to a RegExp source. */
export function globSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` any directories (also none), `/**` everything below, a lone `**` anything.
        if (glob[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i++;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += glob[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

/**
 * Whether a Ruff-style `exclude`/`per-file-ignores` pattern matches `relPath` (relative, `/`-separated): a
 * pattern without `/` matches the file's name or any directory name on its path (`build`, `*_pb2.py`); one with
 * `/` matches the path from the start, or any directory prefix of it (`vendor/**`, `src/legacy`).
 */
export function matchesPattern(pattern: string, relPath: string): boolean {
  const c = compiled(pattern);
  if (!c) return false;
  if (!c.anywhere) return c.re.test(relPath);
  return relPath.includes('/') ? relPath.split('/').some((part) => c.re.test(part)) : c.re.test(relPath);
}

/**
 * One test for a list of patterns without `/` against one name (no `/` in it): whether any of them matches it,
 * as `patterns.some((p) => matchesPattern(p, name))` says, with one regex for the whole list.
 */
export function namesMatcher(patterns: readonly string[]): (name: string) => boolean {
  const sources: string[] = [];
  for (const p of patterns) {
    const c = compiled(p);
    if (!c) continue;
    if (!c.anywhere) return (name) => patterns.some((q) => matchesPattern(q, name)); // not a name pattern
    sources.push(`(?:${c.re.source})`);
  }
  if (sources.length === 0) return () => false;
  const re = new RegExp(sources.join('|'));
  return (name) => re.test(name);
}

// A check walks thousands of entries against the same few dozen patterns: compile each pattern once.
const cache = new Map<string, { re: RegExp; anywhere: boolean } | undefined>();
function compiled(pattern: string): { re: RegExp; anywhere: boolean } | undefined {
  if (cache.has(pattern)) return cache.get(pattern);
  const p = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
  const result =
    p === ''
      ? undefined
      : p.includes('/')
        ? { re: new RegExp(`^${globSource(p.replace(/^\//, ''))}(?:/.*)?$`), anywhere: false }
        : { re: new RegExp(`^${globSource(p)}$`), anywhere: true };
  cache.set(pattern, result);
  return result;
}

/** One `.gitignore` line, compiled. */
interface GitRule {
  negate: boolean;
  dirOnly: boolean;
  re: RegExp;
}

/** The rules of one `.gitignore` file (git's syntax: `!`, trailing `/`, anchoring by a `/`, `**`). */
export function parseGitignore(text: string): GitRule[] {
  const rules: GitRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    if (line.startsWith('\\')) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    // A slash at the start or in the middle anchors the pattern to the .gitignore's directory.
    const anchored = line.includes('/');
    line = line.replace(/^\//, '');
    const source = globSource(line);
    rules.push({ negate, dirOnly, re: new RegExp(anchored ? `^${source}$` : `(?:^|/)${source}$`) });
  }
  return rules;
}

/** git's verdict for `relPath` under one file's rules: true ignored, false re-included, undefined no match. */
export function gitignoreVerdict(
  rules: readonly GitRule[],
  relPath: string,
  isDir: boolean,
): boolean | undefined {
  let verdict: boolean | undefined;
  for (const rule of rules) {
    if (rule.dirOnly && !isDir) continue;
    if (rule.re.test(relPath)) verdict = !rule.negate;
  }
  return verdict;
}
