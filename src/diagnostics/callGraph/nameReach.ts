/**
 * Whether a def or class of a module may block, from the text alone (pure, no parse): BHD007's pre-filter
 * asks it for each name a call in async code imports, so a file whose async code only calls helpers that
 * cannot block is never parsed for BHD007.
 *
 * `f` of module M may block when the blocks (./defBlocks) of the defs and classes named `f` in M, or of M's
 * other defs and classes they name (transitively), may hold a blocking operation (./blockingText), or name a
 * name M imports that may block there (the same question in that module, transitively), or a module M imports
 * that may block as a whole (`import a.b as m`: any attribute of m may be called). A chain only leaves a module
 * through one of its imports, and the text's imports and words are supersets of what the call graph resolves:
 * a "no" is sound. Without trustworthy indentation (a form feed), the module-level answer is used.
 */
import { derived, lexTopLevel } from '../../python/lexer';
import {
  type Use,
  asyncMethod,
  onlyAsync,
  ownMethod,
  blocksReach,
  defBlocks,
  onlyClasses,
  plainBases,
  baseUse,
  syncNamed,
} from './defBlocks';
import { type ImportSource, textImports } from './textImports';
import { Overrides } from './overrides';
import { prefilterCode } from './callShape';
import { returnedNames } from './factoryReturns';
import { blockingText } from './blockingText';
import { type ModuleText, starSources } from './moduleText';
import {
  type TextBindings,
  attributeMap,
  instanceMapOf,
  instanceUses,
  moduleInstanceMap,
  textBindings,
  usesOfInstances,
} from './instances';

export interface NameReachHost {
  textOf(file: string): string | undefined;
  resolveModule(module: string, from: string, level: number): string | undefined;
  /** Whether `file`'s text names `name` other than as an `async def`'s name (what a lookup there needs). */
  names(file: string, name: string): boolean;
  /** Whether `text` has a blocking operation's tokens. */
  blocksDirectly(text: string): boolean;
  /** Whether module `file` or one it imports, transitively, has blocking operations' tokens. */
  moduleMayBlock(file: string): boolean;
}

/** `import *` anywhere in a text (a comment or string too: a superset, confirmed by the module's imports). */
const STAR_IMPORT = /(?<![A-Za-z0-9_])import[ \t]*\*/;

export class NameReach {
  private readonly modules = new Map<string, ModuleText | undefined>();
  /** Whether a module has a star import (see named). */
  private readonly starred = new Map<string, boolean>();
  /** `file\0name` -> answer (a "no" only once a whole search found nothing). */
  private readonly known = new Map<string, boolean>();

  /** Classes calling back an override that may block (./overrides), with the module texts read here. */
  readonly overrides: Overrides;

  constructor(private readonly host: NameReachHost) {
    this.overrides = new Overrides({
      module: (file) => this.module(file),
      resolveModule: (module, from, level) => host.resolveModule(module, from, level),
      localMayBlock: (file, name, visited) => {
        const text = this.module(file);
        return text?.blocks !== undefined && this.localReaches(file, text, name, visited);
      },
    });
  }

  clear(): void {
    this.overrides.clear();
    this.modules.clear();
    this.starred.clear();
    this.known.clear();
  }

  /**
   * Whether a def or class `name` of `file` may block (see the file comment). `call`: it is called as
   * `name(...)`: a class (constructed, never followed by the call graph) then starts no chain.
   */
  mayBlock(file: string, name: string, call = false): boolean {
    const visited = new Set<string>();
    const found = this.reaches(file, name, call, visited);
    // Each visited name reaches a subset of what this one reaches (cycles included): all "no" now.
    if (!found) for (const key of visited) this.known.set(key, false);
    return found;
  }

  /**
   * Whether `C.attr(...)`, with `C` a def or class `member` of `file`, may block: as ProjectIndex.functionIn
   * looks `C.attr` up (a method of a class there, or through the import of `C`), not the whole of `C`.
   */
  memberMayBlock(file: string, member: string, attr: string): boolean {
    const visited = new Set<string>();
    const found = this.memberReaches(file, member, attr, visited);
    if (!found) for (const key of visited) this.known.set(key, false);
    return found;
  }

  /**
   * Whether a name `file` imports from `source` may lead to a blocking operation, used as `local(...)`
   * (`call`) or as `local.a.f(...)` (`tail`: ['a', 'f']; [] for `local(...)`; undefined: not known, then a
   * module imported as a whole may block as a whole). Looked up as ProjectIndex.resolve looks it up.
   */
  sourceMayBlock(file: string, source: ImportSource, call: boolean, tail?: readonly string[]): boolean {
    const visited = new Set<string>();
    const found = this.sourceReaches(file, source, call, tail, visited);
    if (!found) for (const key of visited) this.known.set(key, false);
    return found;
  }

  /**
   * Whether `f(...).attr(...)` may block, `f` a sync def imported from `source` (`rest`: the attributes between
   * the imported name and `f`, `m.get_service`: ['get_service']): `attr` of what `f` may return (./factoryReturns).
   */
  factoryMayBlock(file: string, source: ImportSource, rest: readonly string[], attr: string): boolean {
    const visited = new Set<string>();
    const found = this.factoryReaches(file, source, rest, attr, visited);
    if (!found) for (const key of visited) this.known.set(key, false);
    return found;
  }

  private factoryReaches(
    file: string,
    [module, level, member]: ImportSource,
    rest: readonly string[],
    attr: string,
    visited: Set<string>,
  ): boolean {
    const parts = [module, ...(member === undefined ? [] : [member]), ...rest].filter((p) => p !== '');
    const name = parts.pop();
    const dep = name === undefined ? undefined : this.host.resolveModule(parts.join('.'), file, level);
    const text = dep === undefined ? undefined : this.module(dep);
    if (dep === undefined || text === undefined) return false;
    if (text.blocks === undefined) return text.direct() || this.host.moduleMayBlock(dep);
    return returnedNames(this.host.textOf(dep) ?? '', text.code, text.blocks, name!).some((n) => {
      const dot = n.indexOf('.');
      if (dot < 0) return this.memberReaches(dep, n, attr, visited);
      const tail = [...n.slice(dot + 1).split('.'), attr];
      return this.importReaches(dep, text, n.slice(0, dot), false, visited, tail);
    });
  }

  private sourceReaches(
    file: string,
    [module, level, member]: ImportSource,
    call: boolean,
    tail: readonly string[] | undefined,
    visited: Set<string>,
  ): boolean {
    if (tail !== undefined && tail.length > 0) {
      const last = tail[tail.length - 1]!;
      if (member === undefined) {
        // A module, then its submodules `a`, then the function `f` there.
        const within = [module, ...tail.slice(0, -1)].filter((p) => p !== '').join('.');
        const dep = this.host.resolveModule(within, file, level);
        if (dep !== undefined && this.named(dep, last) && this.reaches(dep, last, true, visited)) return true;
        // `m.C.f(...)`: a method of a class `C` of the module (or submodule) before it.
        if (tail.length < 2) return false;
        const cls = tail[tail.length - 2]!;
        const outer = [module, ...tail.slice(0, -2)].filter((p) => p !== '').join('.');
        const holder = this.host.resolveModule(outer, file, level);
        return (
          holder !== undefined && this.named(holder, cls) && this.memberReaches(holder, cls, last, visited)
        );
      }
      // A member `C` of the module: `C.f(...)` (a class there); a longer chain only through a submodule.
      if (tail.length > 1) return false;
      const dep = this.host.resolveModule(module, file, level);
      return dep !== undefined && this.named(dep, member) && this.memberReaches(dep, member, last, visited);
    }
    const dep = this.host.resolveModule(module, file, level);
    if (dep === undefined) return false;
    if (member === undefined) return tail === undefined && this.host.moduleMayBlock(dep); // `m(...)`: no function
    return this.named(dep, member) && this.reaches(dep, member, call, visited);
  }

  /**
   * Whether `file` may define or import `name` (what a lookup there needs): its text names it, or it has a
   * star import (`from .files import *` in a package's `__init__.py` re-exports what it does not name).
   */
  private named(file: string, name: string): boolean {
    if (this.host.names(file, name)) return true;
    // (the raw text first: most modules have no star import, and reading one's imports means lexing it)
    let star = this.starred.get(file);
    if (star === undefined) {
      star = STAR_IMPORT.test(this.host.textOf(file) ?? '') && (this.module(file)?.stars.length ?? 0) > 0;
      this.starred.set(file, star);
    }
    return star;
  }

  /** Whether a star import of `file` brings a `name` that may block (as reaches asks it there). */
  private starReaches(
    file: string,
    text: ModuleText,
    name: string,
    call: boolean,
    visited: Set<string>,
  ): boolean {
    return text.stars.some(([module, level]) => {
      const dep = this.host.resolveModule(module, file, level);
      return (
        dep !== undefined && dep !== file && this.named(dep, name) && this.reaches(dep, name, call, visited)
      );
    });
  }

  /**
   * `search()` once per `key` (a question about one module): a kept answer, else "not yet" when the key is
   * met again in a cycle (not kept), else the search, whose "yes" is kept (a "no" by the caller: see mayBlock).
   */
  private once(key: string, visited: Set<string>, search: () => boolean): boolean {
    const known = this.known.get(key);
    if (known !== undefined) return known;
    if (visited.has(key)) return false;
    visited.add(key);
    const found = search();
    if (found) this.known.set(key, true);
    return found;
  }

  private reaches(file: string, name: string, call: boolean, visited: Set<string>): boolean {
    return this.once(`${call ? 'c' : 'n'}${file}\u0000${name}`, visited, () => {
      const text = this.module(file);
      if (text === undefined) return false;
      if (text.blocks === undefined) return text.direct() || this.host.moduleMayBlock(file);
      // Only `async def`s of that name: calling one starts no chain.
      if (onlyAsync(text.blocks, text.code, name)) return false;
      // A name not defined here (a lookup finds it only through an import), or a class of this module being
      // constructed: what an import of that name brings, if anything.
      if (!text.blocks.has(name) || (call && onlyClasses(text.blocks, name)))
        return (
          this.importReaches(file, text, name, call, visited, []) ||
          (!text.imports.has(name) && this.starReaches(file, text, name, call, visited)) ||
          // An instance of a class (`svc = C()`): any method of it may be called (`m.svc.f()`).
          (!call &&
            (text.moduleInstances().get(name) ?? []).some((cls) => {
              const [head, ...rest] = cls.split('.');
              return rest.length === 0
                ? this.reaches(file, head!, false, visited)
                : this.importReaches(file, text, head!, false, visited, undefined);
            }))
        );
      return this.localReaches(file, text, name, visited);
    });
  }

  private memberReaches(file: string, member: string, attr: string, visited: Set<string>): boolean {
    return this.once(`m${file}\u0000${member}.${attr}`, visited, () => {
      const text = this.module(file);
      if (text === undefined) return false;
      if (text.blocks === undefined) return text.direct() || this.host.moduleMayBlock(file);
      // A method `attr` of a class `member` here (every block named `attr`: a superset), or what the import
      // of `member` brings (a re-export: `from .impl import C`), or of the class of an instance `member`.
      const own = text.blocks.get(member);
      const use = { word: member, call: false, self: false, tail: [attr] };
      for (const as of instanceUses(use, text.moduleInstances()))
        if (
          (as.tail!.length === 1 && this.memberReaches(file, as.word, attr, visited)) ||
          this.importReaches(file, text, as.word, false, visited, as.tail)
        )
          return true;
      return (
        (own !== undefined &&
          own.some((b) => b[2]) &&
          syncNamed(text.blocks, text.code, attr) &&
          !asyncMethod(text.blocks, text.code, member, attr) &&
          this.localReaches(file, text, attr, visited)) ||
        // (also a class a star import brings: `from .models import *`, see importReaches)
        this.importReaches(file, text, member, false, visited, [attr]) ||
        // Inherited from a base imported here (any class's: a superset of `member`'s).
        (own !== undefined && text.bases.some((b) => this.baseReaches(file, text, b, attr, visited))) ||
        // Inherited, run on an instance of `member`: a `self.g()` there runs `member`'s own `g` (./overrides).
        (own !== undefined &&
          own.some((b) => b[2]) &&
          !ownMethod(text.blocks, member, attr) &&
          this.overrides.mayCallBack(file, member, visited))
      );
    });
  }

  /** Through the blocks named `name` and the local names they use, to an import that may block. */
  private localReaches(file: string, text: ModuleText, name: string, visited: Set<string>): boolean {
    if (this.importReaches(file, text, name, false, visited, [])) return true;
    const { root, methodCall } = text.blocking;
    const blocks = text.blocks!;
    const inherited = (word: string): boolean =>
      text.bases.some((b) => this.baseReaches(file, text, b, word, visited));
    const hit = (use: Use): boolean =>
      root(use.word, use.tail) ||
      this.importReaches(file, text, use.word, use.call, visited, use.tail) ||
      // `C.f(...)` of a class here that inherits `f` from an imported base (as the pre-filter reads it).
      (use.tail?.length === 1 &&
        blocks.has(use.word) &&
        !blocks.has(use.tail[0]!) &&
        inherited(use.tail[0]!));
    const blockHit = (from: number, to: number): boolean => methodCall(text.code, from, to);
    const alsoAs = (use: Use): Use[] => usesOfInstances(use, text.instances(), text.attributes);
    return blocksReach(text.code, blocks, name, hit, blockHit, inherited, alsoAs) === true;
  }

  /**
   * Whether local name `n` of `file` is imported from where it may block, used as `n(...)` (`call`) or with
   * `tail` (see sourceMayBlock; [] when `n` is looked up as a function: a module is none).
   */
  /** Whether an inherited `attr` of base `base` (`Base`, or `m.Base` as `m.Base.attr(...)`) may block. */
  private baseReaches(
    file: string,
    text: ModuleText,
    base: string,
    attr: string,
    visited: Set<string>,
  ): boolean {
    const [head, tail] = baseUse(base, attr);
    return this.importReaches(file, text, head, false, visited, tail);
  }

  private importReaches(
    file: string,
    text: ModuleText,
    n: string,
    call: boolean,
    visited: Set<string>,
    tail: readonly string[] | undefined,
  ): boolean {
    for (const source of text.imports.get(n) ?? starSources(text, n))
      if (this.sourceReaches(file, source, call, tail, visited)) return true;
    return false;
  }

  private module(file: string): ModuleText | undefined {
    if (this.modules.has(file)) return this.modules.get(file);
    const source = this.host.textOf(file);
    let text: ModuleText | undefined;
    if (source !== undefined) {
      const lexed = lexTopLevel(source);
      const code = lexed ? prefilterCode(lexed) : source;
      const imports = new Map<string, ImportSource[]>();
      const stars: ImportSource[] = [];
      const all = lexed ? derived(lexed, 'imports', () => textImports(code)) : textImports(code);
      let direct: boolean | undefined;
      let instances: Map<string, string[]> | undefined;
      let moduleInstances: Map<string, string[]> | undefined;
      let found: TextBindings | undefined;
      const bindings = (): TextBindings => (found ??= textBindings(lexed, code));
      let attributes: Map<string, string[]> | undefined;
      for (const { local, modules } of all) {
        if (local === '*') stars.push(...modules);
        else imports.set(local, [...(imports.get(local) ?? []), ...modules]);
      }
      const blocks = lexed ? derived(lexed, 'blocks', () => defBlocks(code, lexed.lines)) : undefined;
      text = {
        direct: () => (direct ??= this.host.blocksDirectly(source)),
        // (the pre-filter's own when the module is also a checked file: the same text, imports and lines)
        blocking: lexed
          ? derived(lexed, 'blocking', () => blockingText(code, source, all, lexed.lines))
          : blockingText(code, source, all, undefined),
        code,
        blocks,
        imports,
        stars,
        // (the same scan as the pre-filter's when the module is also a checked file: kept with its lexed text)
        bases: (lexed ? derived(lexed, 'bases', () => plainBases(code)) : plainBases(code)).filter((b) => {
          const head = baseUse(b, '')[0];
          return imports.has(head) || stars.length > 0;
        }),
        instances: () => (instances ??= instanceMapOf(bindings().names)),
        moduleInstances: () => (moduleInstances ??= moduleInstanceMap(bindings().names, code, lexed?.lines)),
        attributes: () => (attributes ??= attributeMap(bindings())),
      };
    }
    this.modules.set(file, text);
    return text;
  }
}
