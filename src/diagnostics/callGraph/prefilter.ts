/**
 * Whether a file can have a BHD007 finding, from its text alone (no parse; pure). Errs towards yes: it says no
 * only when no call in async code (by indentation, ../regions asyncLocator) names something that could
 * resolve to a function that may block. Not awaited (`await f()` is skipped by the call graph), the call names
 * a sync `def` of this file (also through `self.`/`cls.`; a class only when used as `C.f(...)`: constructing
 * one starts no chain) whose block may block (see mayHaveChains), or a name imported from a project module
 * where that name may block (the caller decides, from text: ./nameReach), other than as an `async def`.
 * Most files with `async def` are then never parsed for BHD007.
 */
import { asyncLocator, derived, lexTopLevel } from '../../python/lexer';
import { type ImportSource, textImports } from './textImports';
import { type FactoryUse, factoryUses } from './factoryReturns';
import {
  type Block,
  Level,
  baseUse,
  blocksReach,
  classBases,
  defBlocks,
  localTarget,
  plainBases,
} from './defBlocks';
import { prefilterCode } from './callShape';
import { asyncDefName } from './syncNames';
import { callsInAsync } from './asyncCalls';
import { type BlockingText, blockingText } from './blockingText';
import { type OverrideModule, SELF_CALL, ownSyncMethods } from './overrides';
import { attributeMap, instanceMapOf, instanceUses, textBindings, usesOfInstances } from './instances';

const ASYNC_DEF = /(?<![A-Za-z0-9_])async[ \t]+def(?![A-Za-z0-9_])/;
const DEF_NAME = /(?<![A-Za-z0-9_])(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)/g;
/**
 * Whether module `module` (relative to the file when `level` > 0) is a project module that may block; with
 * `name`, also one whose text names `name` (a def, class or import of it: what the call graph looks up there).
 */
export type ModuleMayBlock = (
  module: string,
  level: number,
  name?: string,
  call?: boolean,
  tail?: readonly string[],
) => boolean;

/** See mayHaveChains: what an imported def (`source`, then the attributes `rest`) returns, `attr` called on it. */
export type FactoryMayBlock = (source: ImportSource, rest: readonly string[], attr: string) => boolean;

/**
 * See the file comment. A def or class of this file is a candidate when its block, or one of the file's defs
 * and classes it names (transitively), may hold a blocking operation (./blockingText) or names a name imported
 * from a project module where it may block: a chain leaves the file only through one of its imports. Both
 * questions are asked lazily, only for names that a call in async code actually uses: answering them reads
 * the imported modules (transitively), most of the pre-filter's cost. `selfBlocks` (whether the text has a
 * blocking operation's tokens) decides when the indentation is not trusted.
 */
export function mayHaveChains(
  source: string,
  selfBlocks: () => boolean,
  mayBlock: ModuleMayBlock,
  /** Whether `f(...).attr(...)` may block, `f` imported from `source` (`rest`: attributes up to `f`). */
  factoryMayBlock: FactoryMayBlock = () => true,
  /** Which of `names` `bases`' modules call back through `self.` (./overrides; default: all of them). */
  calledBack: (
    text: OverrideModule,
    bases: readonly string[],
    names: readonly string[],
  ) => readonly string[] = (_text, _bases, names) => names,
): boolean {
  if (!source.includes('async') || !ASYNC_DEF.test(source)) return false;
  const lexed = lexTopLevel(source);
  if (!lexed) return true;
  const code = prefilterCode(lexed);
  const defs = new Set<string>();
  // Names with a sync def or a class: a call to an `async def` never starts a chain (the index skips them).
  const syncDefs = new Set<string>();
  // Names with a sync def: calling a class constructs it, which never starts a chain either.
  const syncFunctions = new Set<string>();
  // ... with one at the start of a line: a module-level function for sure (see moduleFunction).
  const lineStartFunctions = new Set<string>();
  for (const m of code.matchAll(DEF_NAME)) {
    const name = m[1]!;
    defs.add(name);
    if (asyncDefName(code, m.index + m[0].length - name.length)) continue;
    syncDefs.add(name);
    if (m[0].startsWith('class')) continue;
    syncFunctions.add(name);
    if (m.index === 0 || code.charCodeAt(m.index - 1) === 10) lineStartFunctions.add(name);
  }
  const imported = new Map<string, ImportSource[]>();
  const imports = derived(lexed, 'imports', () => textImports(code));
  // Star imports (`from .models import *`): a name neither imported by name nor defined here may come from one.
  const stars: ImportSource[] = [];
  for (const { local, modules } of imports) {
    if (local === '*') stars.push(...modules);
    else imported.set(local, [...(imported.get(local) ?? []), ...modules]);
  }
  /**
   * Where `name` is imported from: by name, else through a star import (as `from m import name`; also for a name
   * this file defines: a def or class of that name may be a method or nested, not the module's).
   */
  const sourcesOf = (name: string): ImportSource[] | undefined =>
    imported.get(name) ??
    (stars.length > 0 ? stars.map(([module, level]) => [module, level, name]) : undefined);
  /** The bases that may be imported (by name or through a star import): an inherited method may be there. */
  const importedOnes = (bases: string[]): string[] =>
    bases.filter((b) => sourcesOf(baseUse(b, '')[0]) !== undefined);
  const importAnswers = new Map<string, boolean>();
  /**
   * Whether `name` is imported from a project module where it may block (naming it other than as an async
   * def); `call`: as `name(...)`, which constructs a class there.
   */
  const importMayBlock = (name: string, call = false, tail?: readonly string[]): boolean => {
    const key = `${call ? '(' : ''}${name}${tail ? `.${tail.join('.')}` : ''}`;
    let yes = importAnswers.get(key);
    if (yes === undefined) {
      const modules = sourcesOf(name);
      yes =
        modules !== undefined &&
        modules.some(([module, level, member]) => mayBlock(module, level, member, call, tail));
      importAnswers.set(key, yes);
    }
    return yes;
  };
  // A method inherited from a class imported from a project module: `self.f(...)`, `C.f(...)` may run it.
  let importedBases: string[] | undefined;
  const inheritedAnswers = new Map<string, boolean>();
  const inheritedMayBlock = (attr: string): boolean => {
    let yes = inheritedAnswers.get(attr);
    if (yes === undefined) {
      importedBases ??= importedOnes(derived(lexed, 'bases', () => plainBases(code)));
      yes =
        importedBases.length > 0 &&
        (importedBases.some((b) => {
          const [head, tail] = baseUse(b, attr);
          return importMayBlock(head, false, tail);
        }) ||
          overridesMayBlock());
      inheritedAnswers.set(attr, yes);
    }
    return yes;
  };
  let overrides: boolean | undefined;
  /**
   * Whether a class of this file calls back an override that may block (./overrides): an inherited method run
   * on its instance (`self.f()`, `super().f()`, `C.f()`) may call one of its own methods back (`self.g()` there
   * runs the override: ../callResolver fromBases), whatever the base's module says.
   */
  const overridesMayBlock = (): boolean => {
    if (overrides === undefined) {
      const blocks = fileBlocks();
      // (indentation not trusted: the file-level answer, the same for every name)
      if (blocks === undefined) overrides = localReaches('');
      else {
        // The own sync methods of this file's classes with bases: those their bases' modules call back first.
        const text: OverrideModule = { code, blocks, imports: imported, stars, bases: importedBases ?? [] };
        const names = new Set<string>();
        for (const name of blocks.keys()) {
          const bases = classBases(blocks, code, name);
          if (bases.length === 0) continue;
          const own = ownSyncMethods(blocks, code, name);
          for (const n of calledBack(text, bases, own)) names.add(n);
        }
        // (asked again while this is answered, from an own method's own inherited call: "not yet"; a "no" kept
        // meanwhile may then be wrong, so those are forgotten when the answer is yes)
        overrides = false;
        if ([...names].some((n) => localReaches(n))) {
          overrides = true;
          for (const [n, yes] of localAnswers) if (!yes) localAnswers.delete(n);
        }
      }
    }
    return overrides;
  };
  let blocksRead: ReturnType<typeof defBlocks> | null = null;
  /** The file's def and class blocks, read on the first question that needs them. */
  const fileBlocks = (): ReturnType<typeof defBlocks> =>
    blocksRead === null
      ? (blocksRead = derived(lexed, 'blocks', () => defBlocks(code, lexed.lines)))
      : blocksRead;
  const moduleAnswers = new Map<string, boolean>();
  /**
   * Whether a sync def `name` may be a module-level function: what a plain `name(...)` runs (the call graph
   * follows no nested def, and a method is called through its instance or class). A def nested in no def or
   * class block (by indentation; also one under `if`/`try`), or any when the indentation is not trusted.
   */
  const moduleFunction = (name: string): boolean => {
    if (lineStartFunctions.has(name)) return true;
    if (!syncFunctions.has(name)) return false;
    let yes = moduleAnswers.get(name);
    if (yes === undefined) {
      const blocks = fileBlocks();
      yes = blocks === undefined || topLevelSyncDef(code, blocks, name);
      moduleAnswers.set(name, yes);
    }
    return yes;
  };
  let blocking: BlockingText | undefined;
  const localAnswers = new Map<string, boolean>();
  let anywhere: boolean | undefined;
  /**
   * Whether the blocks of the defs and classes named `name` reach, through the file's other defs and classes,
   * a name imported from where it may block. Reachability, as ProjectIndex.mayBlock: a "no" holds for every
   * name the search visited.
   */
  const localReaches = (name: string): boolean => {
    const known = localAnswers.get(name);
    if (known !== undefined) return known;
    const blocks = fileBlocks();
    if (blocks === undefined) {
      // Indentation not trusted: an operation anywhere in the file, or any import may be what a def calls (the
      // same answer for every name: asked once, the whole text is read for it).
      anywhere ??=
        selfBlocks() ||
        [...imported.keys()].some((n) => importMayBlock(n)) ||
        stars.some(([module, level]) => mayBlock(module, level));
      localAnswers.set(name, anywhere);
      return anywhere;
    }
    const { root, methodCall } = (blocking ??= derived(lexed, 'blocking', () =>
      blockingText(code, source, imports, lexed.lines),
    ));
    const reached = blocksReach(
      code,
      blocks,
      name,
      ({ word, call, tail }) =>
        root(word, tail) ||
        localAnswers.get(word) === true ||
        // (with the attributes up to the call, as in the followed modules (./nameReach): `m.f(...)` asks about
        // `f` of module m, not about all of m; an instance's call `C.f(...)` about the method)
        importMayBlock(word, call, tail) ||
        // `C.f(...)` of a class here that inherits `f` from an imported base.
        (tail?.length === 1 && syncDefs.has(word) && !blocks.has(tail[0]!) && inheritedMayBlock(tail[0]!)),
      (from, to) => methodCall(code, from, to),
      inheritedMayBlock,
      (use) => usesOfInstances(use, instances, () => attributes),
    );
    if (reached === true) {
      localAnswers.set(name, true);
      return true;
    }
    for (const n of reached) localAnswers.set(n, false);
    return false;
  };
  /**
   * Whether a use of `name` (as in candidate) may enter a sync def of this file that may block: `name(...)` a
   * sync def `name` (not a class, not only an async def), `name.f(...)` a method `f` of a class `name`
   * (localTarget), or a chain not read for sure: the blocks of `name`.
   */
  const localMayBlock = (
    name: string,
    call: boolean,
    tail: readonly string[] | undefined,
    viaSelf: boolean,
  ): boolean => {
    if (call || tail?.length === 0)
      return (viaSelf ? syncFunctions.has(name) : moduleFunction(name)) && localReaches(name);
    if (!syncDefs.has(name)) return false;
    if (tail === undefined) return localReaches(name);
    const blocks = fileBlocks();
    if (blocks === undefined) return localReaches(name); // indentation not trusted: the file-level answer
    const target = localTarget(blocks, { word: name, call, tail });
    return target !== undefined && syncDefs.has(target) && localReaches(target);
  };
  // What an imported def (not a class) returns: `x = get_service()` then `x.f(...)`, or `get_service().f(...)`,
  // may run `f` of the class it returns (../callSites CalleeSite.factory; in async code only, so `f().g()` is
  // looked for in the async ranges, known by the time it is asked).
  const factories = factoryUses(code, lexed, imported, () => asyncAt?.ranges);
  const factoryAnswers = new Map<string, boolean>();
  const returnedMayBlock = ({ head, rest, attr }: FactoryUse): boolean => {
    const key = `${head}.${rest.join('.')}().${attr}`;
    let yes = factoryAnswers.get(key);
    if (yes === undefined) {
      yes = (sourcesOf(head) ?? []).some((s) => factoryMayBlock(s, rest, attr));
      factoryAnswers.set(key, yes);
    }
    return yes;
  };
  /** `x.f(...)` with `x = get_service()` (in async code: followed there only, ../callSites CalleeSite.factory). */
  const factoryBoundMayBlock = (name: string, tail: readonly string[] | undefined): boolean =>
    tail?.length === 1 && factories.bound(name).some((u) => returnedMayBlock({ ...u, attr: tail[0]! }));
  const answers = new Map<string, boolean>();
  // Names bound to an instance of a class, anywhere in the file: `svc.f(...)` may run `C.f`.
  const bindings = textBindings(lexed, code);
  const instances = derived(lexed, 'instances', () => instanceMapOf(bindings.names));
  // Attributes of `self` bound to an instance (`self.client = Client()`): `self.client.f(...)` may run `Client.f`.
  const attributes = derived(lexed, 'attributes', () => attributeMap(bindings));
  /** candidate below for `name` as written (not as the class of an instance it may be). */
  const written = (
    name: string,
    call: boolean,
    tail: readonly string[] | undefined,
    viaSelf: boolean,
  ): boolean =>
    localMayBlock(name, call, tail, viaSelf) ||
    importMayBlock(name, call, tail) ||
    // An inherited method: `self.f(...)`, or `C.f(...)` of a class here (`self.a.f(...)` has no tail).
    ((viaSelf || (tail?.length === 1 && syncDefs.has(name))) &&
      inheritedMayBlock(tail?.length === 1 ? tail[0]! : name));
  /**
   * Whether a use of `name` in async code may resolve to a function that may block: `name.f(...)` (`tail`:
   * the attributes up to the call, when known), or with `call` `name(...)` (also `self.name(...)`), where a
   * class is only constructed.
   */
  const candidate = (
    name: string,
    call = false,
    tail?: readonly string[],
    viaSelf = false,
    attrTail?: readonly string[],
  ): boolean => {
    const key = `${viaSelf ? 's' : ''}${call ? '(' : ''}${name}${tail ? `.${tail.join('.')}` : ''}${attrTail ? `:${attrTail.join('.')}` : ''}`;
    let yes = answers.get(key);
    // (a name here only as bound to a factory's call: asked about that only)
    if (yes === undefined && factoryOnly.has(name)) {
      yes = !viaSelf && factoryBoundMayBlock(name, tail);
      answers.set(key, yes);
    }
    if (yes === undefined) {
      yes =
        written(name, call, tail, viaSelf) ||
        (!viaSelf && (factories.called(name).some(returnedMayBlock) || factoryBoundMayBlock(name, tail))) ||
        // `svc.f(...)` of an instance: `C.f(...)` (the class itself is not taken for an instance again).
        // (`self.x.f(...)`: the attributes after `x`, which useShape does not read through `self.`)
        instanceUses(
          { word: name, call, self: false, tail: viaSelf ? attrTail : tail },
          viaSelf ? attributes : instances,
        ).some((as) => written(as.word, false, as.tail, false));
      answers.set(key, yes);
    }
    return yes;
  };
  const all = new Set([...defs, ...imported.keys(), ...instances.keys(), ...attributes.keys()]);
  const factoryOnly = new Set<string>();
  for (const n of factories.boundNames()) if (!all.has(n)) factoryOnly.add(n);
  const add = (n: string): void => {
    all.add(n);
    factoryOnly.delete(n);
  };
  for (const n of factoryOnly) all.add(n);
  // A class here inheriting from an imported one: `self.f(...)` may run an `f` defined only over there.
  importedBases ??= importedOnes(derived(lexed, 'bases', () => plainBases(code)));
  if (importedBases.length > 0) for (const m of code.matchAll(SELF_CALL)) add(m[1]!);
  const asyncAt = asyncLocator(code, lexed.lines);
  if (stars.length > 0) {
    // Any name called in async code may be a star import's: each is asked (no locator, or a name that is not
    // plain ASCII, which the scan below does not read: any star that may block).
    if (!asyncAt || NON_ASCII.test(code)) {
      if (stars.some(([module, level]) => mayBlock(module, level))) return true;
    }
    if (asyncAt)
      for (const [from, to] of asyncAt.ranges) {
        HEAD_CALL.lastIndex = from;
        for (let m = HEAD_CALL.exec(code); m && m.index < to; m = HEAD_CALL.exec(code))
          if (!NOT_STAR_NAMES.has(m[0])) add(m[0]);
      }
  }
  if (all.size === 0) return false;
  // No locator, or a name `self`/`cls` (whose calls the prefix below could swallow): decide on every name.
  if (!asyncAt || all.has('self') || all.has('cls')) {
    const names = [...all].filter((n) => candidate(n, false, undefined, true));
    if (names.length === 0) return false;
    if (!asyncAt) return true;
    return callsInAsync(code, names, asyncAt, () => true, asyncAt.ranges, lexed.lines);
  }
  return callsInAsync(code, [...all], asyncAt, candidate, asyncAt.ranges, lexed.lines);
}

/** Whether one of the sync def blocks named `name` lies in no other def or class block. */
function topLevelSyncDef(code: string, blocks: Map<string, Block[]>, name: string): boolean {
  return (
    blocks
      .get(name)
      ?.some(
        ([start, , isClass, level]) => !isClass && level === Level.Module && !code.startsWith('async', start),
      ) ?? false
  );
}

/** A name (not an attribute) followed by `(` or `.`: the head of a call's callee (as ./asyncCalls reads it). */
const HEAD_CALL = /(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*(?=[ \t\r\n\\]*[(.])/g;
const NON_ASCII = /[^\x00-\x7f]/;
/** Words a star import never brings for a call (keywords; `self`/`cls`, which are this scope's). */
const NOT_STAR_NAMES = new Set(
  'self cls if elif while for in not and or is return await yield assert del else with async lambda raise from import super'.split(
    ' ',
  ),
);
