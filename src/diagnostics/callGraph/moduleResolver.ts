/**
 * Where BHD007's imports lead (pure apart from reading directories; no `vscode`): a module name, absolute or
 * relative, to the file under the project's roots that Python would import, or undefined (another
 * distribution, the standard library, nothing). Absolute imports resolve from the importing file's own root
 * first (the directory above its top-most package), then from the other roots. One directory listing answers
 * every question about its entries; all answers are kept until clear() (files created, deleted, renamed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const INSTALLED = /[\\/](?:site|dist)-packages[\\/]([^\\/]+)/;

/** `file`'s installed top-level package (or module file) when it is under site-packages, with its path. */
export function installedPackage(file: string): string | undefined {
  const m = INSTALLED.exec(file);
  if (!m) return undefined;
  const top = m[1]!.replace(/\.pyi?$/, '');
  return `${file.slice(0, m.index + m[0].length - m[1]!.length)}${top}`;
}

export class ModuleResolver {
  private readonly exists = new Map<string, 'file' | 'dir' | undefined>();
  private readonly listings = new Map<string, Map<string, 'file' | 'dir' | 'other'> | undefined>();
  /** Directories known not to exist (a directory in one of them does not either). */
  private readonly missing = new Set<string>();
  /** Base directory of a relative import (or `\0` + own root for absolute ones) -> module name -> its file. */
  private readonly modules = new Map<string, Map<string, string | undefined>>();
  /** Base -> top-level name -> whether a package or module of that name is there. */
  private readonly present = new Map<string, Map<string, boolean>>();
  /** Top-level name -> the roots holding it (see rootsWith). */
  private readonly rootsByTop = new Map<string, string[]>();
  /** Own root + top-level name -> where an absolute import resolves from (see absoluteBases). */
  private readonly basesByOwnTop = new Map<string, string[]>();
  /** Directory -> the directory above its top-most package (see ownRoot). */
  private readonly ownRoots = new Map<string, string>();

  /**
   * `roots`: where modules resolve from, in order (with their `src/`). `installed`: when given, an installed
   * package (under site-packages) is a project module only when it is one of these.
   */
  constructor(
    private readonly roots: readonly string[],
    private readonly installed: ReadonlySet<string> | undefined,
  ) {}

  /** Files were created, deleted or renamed: every answer is stale. */
  clear(): void {
    this.exists.clear();
    this.listings.clear();
    this.missing.clear();
    this.modules.clear();
    this.present.clear();
    this.rootsByTop.clear();
    this.basesByOwnTop.clear();
    this.ownRoots.clear();
    this.relativeBases.clear();
    this.entryIndex = undefined;
  }

  private stat(file: string): 'file' | 'dir' | undefined {
    if (this.exists.has(file)) return this.exists.get(file);
    // One directory listing answers every question about its entries (most paths asked about do not exist:
    // a stat each was most of module resolution's time); a link or an odd entry is stat'ed.
    const entry = this.listing(path.dirname(file))?.get(path.basename(file));
    let kind: 'file' | 'dir' | undefined = entry === 'other' ? undefined : entry;
    if (entry === 'other') {
      try {
        const st = fs.statSync(file, { throwIfNoEntry: false });
        kind = st?.isFile() ? 'file' : st?.isDirectory() ? 'dir' : undefined;
      } catch {
        kind = undefined;
      }
    }
    this.exists.set(file, kind);
    return kind;
  }

  /** `dir`'s entries by name (undefined when it cannot be listed), read once until invalidate(). */
  private listing(dir: string): Map<string, 'file' | 'dir' | 'other'> | undefined {
    if (this.listings.has(dir)) return this.listings.get(dir);
    // Most directories asked about do not exist (`from a.b import C` tries a submodule `a/b/C` first): the
    // parent's listing answers that without a failed read, which costs an exception each (1,900 of 2,100
    // listings on agno, ~7% of its pre-filter). A link or an odd entry there is read to be sure.
    const parent = path.dirname(dir);
    if (parent !== dir) {
      const up = this.listing(parent);
      const kind = up?.get(path.basename(dir));
      if (this.missing.has(parent) || (up !== undefined && (kind === undefined || kind === 'file'))) {
        this.missing.add(dir);
        this.listings.set(dir, undefined);
        return undefined;
      }
    }
    let entries: Map<string, 'file' | 'dir' | 'other'> | undefined;
    try {
      entries = new Map();
      for (const d of fs.readdirSync(dir, { withFileTypes: true }))
        entries.set(d.name, d.isFile() ? 'file' : d.isDirectory() ? 'dir' : 'other');
    } catch (err) {
      entries = undefined;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') this.missing.add(dir);
    }
    this.listings.set(dir, entries);
    return entries;
  }

  private isFile(file: string): boolean {
    return this.stat(file) === 'file';
  }

  private isDir(file: string): boolean {
    return this.stat(file) === 'dir';
  }

  /** From -> level -> the directory a relative import of that level starts from (path.resolve is not cheap). */
  private readonly relativeBases = new Map<string, string[]>();
  private relativeBase(from: string, level: number): string {
    let bases = this.relativeBases.get(from);
    if (!bases) this.relativeBases.set(from, (bases = []));
    return (bases[level] ??= path.resolve(path.dirname(from), ...Array<string>(level - 1).fill('..')));
  }

  /** The file of module `name` (`a.b`), relative to `from` when `level` > 0; undefined outside the roots. */
  resolveModule(name: string, from: string, level: number): string | undefined {
    const base = level > 0 ? this.relativeBase(from, level) : this.ownRoot(from);
    // Absolute imports resolve from the importing file's own root first: keyed apart from relative bases.
    const key = level > 0 ? base : `\u0000${base}`;
    let byName = this.modules.get(key);
    if (!byName) this.modules.set(key, (byName = new Map()));
    if (byName.has(name)) return byName.get(name);
    const parts = name ? name.split('.') : [];
    // A package that is not there at all (most imports: other distributions) is looked up once per root.
    const bases =
      level > 0
        ? parts.length === 0 || this.isPresent(base, parts[0]!)
          ? [base]
          : []
        : parts.length > 0
          ? this.absoluteBases(base, parts[0]!)
          : this.roots;
    let found: string | undefined;
    for (const base of bases) {
      const dir = path.join(base, ...parts);
      // A regular package wins over a module of the same name (`app/util/__init__.py` over `app/util.py`), as
      // Python's path finder looks for the package first.
      if (this.isFile(path.join(dir, '__init__.py'))) found = path.join(dir, '__init__.py');
      else if (parts.length > 0 && this.isFile(`${dir}.py`)) found = `${dir}.py`;
      if (found) break;
    }
    if (found !== undefined && this.installed) {
      const top = installedPackage(found);
      if (top !== undefined && !this.installed.has(top)) found = undefined;
    }
    byName.set(name, found);
    return found;
  }

  /**
   * Where an absolute import of `top` from a file whose own root is `own` may resolve, in order: that root
   * (and its `src/`), as Python finds the file's own package or script directory first; then the other roots
   * holding `top`. A project with several roots (scripts and tests beside the package, each its own root)
   * often has a `common` or `utils` in more than one of them: the importing file's own comes first.
   */
  private absoluteBases(own: string, top: string): string[] {
    const key = `${own}\u0000${top}`;
    let bases = this.basesByOwnTop.get(key);
    if (!bases) {
      const first = [own, path.join(own, 'src')].filter((b) => this.isPresent(b, top));
      bases = first.length === 0 ? this.rootsWith(top) : [...new Set([...first, ...this.rootsWith(top)])];
      this.basesByOwnTop.set(key, bases);
    }
    return bases;
  }

  /** The directory above the top-most package holding `file` (its directory when not in a package). */
  private ownRoot(file: string): string {
    const start = path.dirname(file);
    let root = this.ownRoots.get(start);
    if (root === undefined) {
      let dir = start;
      while (this.isFile(path.join(dir, '__init__.py')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
      this.ownRoots.set(start, (root = dir));
    }
    return root;
  }

  /** The roots holding a package or module named `top`, in root order (once per name). */
  private rootsWith(top: string): string[] {
    let bases = this.rootsByTop.get(top);
    if (!bases) {
      // Only the roots with an entry of that name can hold it (a project with a thousand script directories
      // has as many roots: asking each of them about every imported name was a visible share of a check).
      const candidates = this.rootsByEntry().get(top) ?? [];
      this.rootsByTop.set(top, (bases = candidates.filter((r) => this.isPresent(r, top))));
    }
    return bases;
  }

  /** Entry name (`a` for `a/` and `a.py`) -> the roots listing one, in root order; made once. */
  private entryIndex: Map<string, string[]> | undefined;
  private rootsByEntry(): Map<string, string[]> {
    if (this.entryIndex) return this.entryIndex;
    const index = new Map<string, string[]>();
    for (const root of this.roots)
      for (const entry of this.listing(root)?.keys() ?? []) {
        const name = entry.endsWith('.py') ? entry.slice(0, -3) : entry;
        const list = index.get(name);
        if (!list) index.set(name, [root]);
        else if (list[list.length - 1] !== root) list.push(root);
      }
    return (this.entryIndex = index);
  }

  /** Whether `base` holds a package (directory) or module file named `top`. */
  private isPresent(base: string, top: string): boolean {
    let names = this.present.get(base);
    if (!names) this.present.set(base, (names = new Map()));
    let yes = names.get(top);
    if (yes === undefined) {
      const entries = this.listing(base);
      const dir = entries?.get(top);
      const file = entries?.get(`${top}.py`);
      yes =
        dir === 'dir' ||
        file === 'file' ||
        (dir === 'other' && this.isDir(path.join(base, top))) ||
        (file === 'other' && this.isFile(path.join(base, `${top}.py`)));
      names.set(top, yes);
    }
    return yes;
  }
}
