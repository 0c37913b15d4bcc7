/**
 * The template method, from text (pure, no parse): an inherited method run on an instance of a subclass calls
 * back what the subclass overrides (`BaseScraper.scrape()` calls `self.fetch()`, `NewsScraper(BaseScraper)`
 * overrides `fetch` with a blocking request), so the base's module alone does not say whether it may block.
 * For BHD007's text gates (./nameReach, ./prefilter) and the call graph's lookup of inherited methods
 * (./callResolver fromBases): a class "calls back an override that may block" when one of its own sync methods
 * may block and the module of one of its imported bases (or of their bases, re-exports followed) calls that
 * name through `self.` or `cls.`. A superset of what the call graph follows: a "no" is sound.
 */
import type { ImportSource } from './textImports';
import { type Block, Level, baseUse, classBases } from './defBlocks';

/** What the check reads of a module (./nameReach's ModuleText). */
export interface OverrideModule {
  code: string;
  blocks: ReadonlyMap<string, readonly Block[]> | undefined;
  imports: ReadonlyMap<string, readonly ImportSource[]>;
  stars: readonly ImportSource[];
  /** Bases of its classes written with an imported name (`Base`, `m.Base`). */
  bases: readonly string[];
}

export interface OverridesHost {
  module(file: string): OverrideModule | undefined;
  resolveModule(module: string, from: string, level: number): string | undefined;
  /**
   * Whether the sync defs named `name` in `file` may block (./nameReach localReaches), within the search
   * `visited` (its keys: what is being asked already, answered "not yet" in a cycle).
   */
  localMayBlock(file: string, name: string, visited: Set<string>): boolean;
}

/** Bases followed up from a class (as ./callResolver's MAX_BASES), re-exports included. */
const MAX_HOPS = 4;

/** Per blocks map: module-level class name -> the names of the sync methods its blocks define themselves. */
const OWN_METHODS = new WeakMap<ReadonlyMap<string, readonly Block[]>, Map<string, string[]>>();

/** The names of the sync methods that the module-level classes `cls` of `code` define themselves. */
export function ownSyncMethods(
  blocks: ReadonlyMap<string, readonly Block[]>,
  code: string,
  cls: string,
): readonly string[] {
  let byClass = OWN_METHODS.get(blocks);
  if (!byClass) {
    // One sweep over every block by start: a method lies in the last module-level class opened before it.
    const all: [string, Block][] = [];
    for (const [name, list] of blocks) for (const b of list) all.push([name, b]);
    all.sort((a, b) => a[1][0] - b[1][0]);
    byClass = new Map();
    let open: [string, Block] | undefined;
    for (const [name, b] of all) {
      if (b[3] === Level.Module) open = b[2] ? [name, b] : undefined;
      else if (
        b[3] === Level.Method &&
        !b[2] &&
        open !== undefined &&
        b[1] <= open[1][1] &&
        code.charCodeAt(b[0]) !== 97 /* a(sync) */
      ) {
        const list = byClass.get(open[0]);
        if (list === undefined) byClass.set(open[0], [name]);
        else if (!list.includes(name)) list.push(name);
      }
    }
    OWN_METHODS.set(blocks, byClass);
  }
  return byClass.get(cls) ?? [];
}

/**
 * A call through `self.`/`cls.` (`self.fetch(`, `cls . fetch (`, also across line breaks and continuations):
 * the name called. Also what ./prefilter reads as a method called through `self.`.
 */
export const SELF_CALL =
  /(?<![A-Za-z0-9_.])(?:self|cls)[ \t\r\n\\]*\.[ \t\r\n\\]*([A-Za-z_][A-Za-z0-9_]*)[ \t\r\n\\]*\(/g;

/** The names `code` calls through `self.`/`cls.`. */
export function selfCalls(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(SELF_CALL)) names.add(m[1]!);
  return names;
}

export class Overrides {
  /** `file\0cls` -> whether the class calls back an override that may block. */
  private readonly known = new Map<string, boolean>();
  /** Module -> the names its code calls through `self.`/`cls.`. */
  private readonly calls = new Map<string, Set<string>>();

  constructor(private readonly host: OverridesHost) {}

  clear(): void {
    this.known.clear();
    this.calls.clear();
  }

  /**
   * Whether class `cls` of `file` calls back an override that may block (see the file comment). Within a
   * search (`visited`, ./nameReach's), as its other questions: met again in a cycle, "not yet"; a "yes" is kept,
   * a "no" only when this is the whole search (no `visited` given).
   */
  mayCallBack(file: string, cls: string, visited?: Set<string>): boolean {
    const key = `o${file}\u0000${cls}`;
    const known = this.known.get(key);
    if (known !== undefined) return known;
    const search = visited ?? new Set<string>();
    if (search.has(key)) return false;
    search.add(key);
    const text = this.host.module(file);
    const yes =
      text?.blocks !== undefined &&
      text.bases.length > 0 &&
      this.calledBack(
        file,
        text,
        classBases(text.blocks, text.code, cls),
        ownSyncMethods(text.blocks, text.code, cls),
      ).some((n) => this.host.localMayBlock(file, n, search));
    if (yes || visited === undefined) this.known.set(key, yes);
    return yes;
  }

  /**
   * Which of `names` (own methods of classes of `text`, the text of `file` as its caller reads it) the modules
   * of the imported `bases`, or of their bases (re-exports followed), call through `self.`/`cls.`: read from
   * text first, so that only those are asked whether they may block.
   */
  calledBack(
    file: string,
    text: OverrideModule,
    bases: readonly string[],
    names: readonly string[],
  ): string[] {
    const found = new Set<string>();
    if (names.length > 0) {
      const seen = new Set<string>();
      for (const b of bases) this.basesCall(file, text, b, names, 0, found, seen);
    }
    return [...found];
  }

  /** calledBack for one base (`seen`: modules read already). */
  private basesCall(
    file: string,
    text: OverrideModule,
    base: string,
    names: readonly string[],
    hops: number,
    found: Set<string>,
    seen: Set<string>,
  ): void {
    if (hops >= MAX_HOPS || found.size === names.length) return;
    const [head, rest] = baseUse(base, '');
    rest.pop(); // (the '' attribute)
    const sources = text.imports.get(head) ?? text.stars.map(([m, l]): ImportSource => [m, l, head]);
    for (const [module, level, member] of sources) {
      const path = [module, ...(member === undefined ? [] : [member]), ...rest].filter((p) => p !== '');
      const cls = path.pop();
      if (cls === undefined) continue;
      const dep = this.host.resolveModule(path.join('.'), file, level);
      const there = dep === undefined ? undefined : this.host.module(dep);
      if (dep === undefined || there === undefined || seen.has(`${dep}\u0000${cls}`)) continue;
      seen.add(`${dep}\u0000${cls}`);
      let called = this.calls.get(dep);
      if (called === undefined) this.calls.set(dep, (called = selfCalls(there.code)));
      for (const n of names) if (called.has(n)) found.add(n);
      // The class there: its own bases; not there (a re-export, `from .impl import Base`): where it comes from.
      const defined = there.blocks?.get(cls)?.some((b) => b[2]) ?? true;
      for (const b of defined ? there.bases : [cls])
        this.basesCall(dep, there, b, names, hops + 1, found, seen);
    }
  }
}
