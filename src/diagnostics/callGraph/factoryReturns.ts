/**
 * What a module-level sync def may return, from the text (pure, no parse): BHD007's pre-filter asks it for
 * `x = get_service(); x.f()` and `get_service().f()` in async code (../callSites CalleeSite.factory), where the
 * call graph follows `f` of the class the def returns (./returnTypes). A superset of what ./returnTypes reads:
 * the class its annotation names (`-> C`, `-> Optional[C]`, `-> "C"`), else, for each `return`, the class
 * constructed (`return C(...)`), the classes a returned name is bound to in the def (`svc = C(...)`), and the name
 * itself (a module-level instance). Blocks from ./defBlocks (strings blanked in `code`; `raw` the same text).
 */
import { annotationClass, classLike } from './instances';
import type { Block } from './defBlocks';
import { type Lexed, derived } from '../../python/lexer';
import { isGap, isWordChar } from './callShape';
import { textImports } from './textImports';

/** `= f(` / `= m.f(` (the callee, dotted): where a name may be bound to a call (found from the `=`: fast). */
const BOUND_TO_CALL =
  /=[ \t\\]*([A-Za-z_][A-Za-z0-9_]*)((?:[ \t\r\n\\]*\.[ \t\r\n\\]*[A-Za-z_][A-Za-z0-9_]*)*)[ \t\r\n\\]*\(/g;
/** The name an assignment binds, at the end of the text before its `=` (`x`, `x: T`). */
const BOUND_NAME = /([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=\n]*)?$/;

/**
 * Names `code` binds to a call (`x = f(...)`, `x: T = m.f(...)`; a keyword argument `g(x=f())` too: a superset),
 * each with the callees: their first name and the rest (`.f` of `m.f`, '' for `f`).
 */
export function boundToCalls(
  code: string,
  /** Which callees' first names to keep (default: all). */
  accept: (head: string) => boolean = () => true,
): Map<string, { head: string; rest: string }[]> {
  const bound = new Map<string, { head: string; rest: string }[]>();
  for (const m of code.matchAll(BOUND_TO_CALL)) {
    if (!accept(m[1]!)) continue;
    const before = code.charCodeAt(m.index - 1);
    if (before === 61 || before === 33 || before === 60 || before === 62) continue; // `==`, `!=`, `<=`, `>=`
    const line = code.slice(code.lastIndexOf('\n', m.index) + 1, m.index);
    const target = BOUND_NAME.exec(line);
    // (not a keyword argument on its call's line, `f(cls=g())`; never `self`/`cls`, a method's receiver)
    const name =
      target &&
      !/[(,][ \t]*$/.test(line.slice(0, target.index)) &&
      target[1] !== 'self' &&
      target[1] !== 'cls'
        ? target[1]
        : undefined;
    const rest = m[2]!.replace(/[\s\\]/g, '');
    if (name !== undefined) bound.set(name, [...(bound.get(name) ?? []), { head: m[1]!, rest }]);
  }
  return bound;
}

/**
 * boundToCalls of a lexed text, the callees' first names imported and lower-case (not classes), kept with the
 * text (the pre-filter and the summary's instance types both read it).
 */
export function callBindings(
  lexed: Lexed | undefined,
  code: string,
): Map<string, { head: string; rest: string }[]> {
  const read = (): Map<string, { head: string; rest: string }[]> => {
    // (the text's imports, as the pre-filter reads them: a superset of the module's)
    const all = lexed ? derived(lexed, 'imports', () => textImports(code)) : textImports(code);
    const imported = new Set(all.map((i) => i.local));
    return boundToCalls(code, (head) => imported.has(head) && /^[a-z_]/.test(head));
  };
  return lexed ? derived(lexed, 'callBindings', read) : read();
}

/** A def header up to its parameters' `(`. */
const DEF_HEAD = /^def[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/;
/** A `return` of a dotted name, called or not. */
const RETURN = /(?<![A-Za-z0-9_.])return[ \t]+([A-Za-z_][A-Za-z0-9_.]*)[ \t]*(\()?/g;

/**
 * The names `f(...).attr(...)` may look `attr` up in, for the sync defs named `name` in `code` (classes as
 * written, or instances of the module): empty when none returns a class for sure.
 */
export function returnedNames(
  raw: string,
  code: string,
  blocks: ReadonlyMap<string, readonly Block[]>,
  name: string,
): string[] {
  const names = new Set<string>();
  for (const [start, end, isClass] of blocks.get(name) ?? []) {
    if (isClass || !DEF_HEAD.test(code.slice(start, start + 200))) continue;
    const header = headerEnd(code, code.indexOf('(', start), end);
    if (header === undefined) continue;
    const [close, colon] = header;
    const arrow = code.slice(close + 1, colon).match(/^[ \t\\\r\n]*->/);
    if (arrow) {
      const text = raw.slice(close + 1 + arrow[0].length, colon).trim();
      const cls = annotationClass(/^(["'])([^"'\n]*)\1$/.exec(text)?.[2] ?? text);
      if (cls !== undefined && classLike(cls)) names.add(cls);
      continue;
    }
    const body = code.slice(colon, end);
    for (const m of body.matchAll(RETURN)) {
      const value = m[1]!;
      if (m[2] !== undefined) {
        if (classLike(value)) names.add(value);
        continue;
      }
      names.add(value);
      const bound = new RegExp(
        String.raw`(?<![A-Za-z0-9_.])${value.replace(/\./g, '\\.')}[ \t]*(?::[^=\n]*)?=[ \t]*([A-Za-z_][A-Za-z0-9_.]*)[ \t]*\(`,
        'g',
      );
      for (const b of body.matchAll(bound)) if (classLike(b[1]!)) names.add(b[1]!);
    }
  }
  return [...names];
}

/** The `)` closing a def's parameters (from its `(` at `open`) and the `:` ending the header, within `end`. */
function headerEnd(code: string, open: number, end: number): [number, number] | undefined {
  if (open < 0) return undefined;
  let depth = 0;
  for (let i = open; i < end; i++) {
    const c = code.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) {
      depth--;
      if (depth === 0 && c === 41) {
        for (let k = i + 1, d = 0; k < end; k++) {
          const x = code.charCodeAt(k);
          if (x === 40 || x === 91 || x === 123) d++;
          else if (x === 41 || x === 93 || x === 125) d--;
          else if (x === 58 && d === 0) return [i, k];
        }
        return undefined;
      }
    }
  }
  return undefined;
}

/** Whether the last name of a dotted callee is CapWords (a class: constructed, not a factory). */
const classCallee = (head: string, rest: string): boolean => {
  const last = rest === '' ? head : rest.slice(rest.lastIndexOf('.') + 1);
  return last.charCodeAt(0) >= 65 && last.charCodeAt(0) <= 90;
};

/** A use of what `head.rest...(...)` returns: `attr` called on it (a bound name's: the attribute it is used with). */
export interface FactoryUse {
  head: string;
  rest: string[];
  attr: string;
}

/** Uses of what imported defs return in a text, asked name by name (see factoryUses). */
export interface FactoryUses {
  /** `word(...).g(` / `word.f(...).g(` with `word` imported, in the text's `ranges`: each with the method `g`. */
  called(word: string): FactoryUse[];
  /** `word = f(...)` / `word = m.f(...)` with `f`/`m` imported: the callees (the method is the use's). */
  bound(word: string): Omit<FactoryUse, 'attr'>[];
  /** The names `bound` answers for. */
  boundNames(): Iterable<string>;
}

/**
 * Where the text may use what an imported def (not a class) returns: names bound to its call and, within
 * `ranges` (default: all of it), calls with a method called on the result right away (a superset of
 * ../callSites CalleeSite.factory). Each part is read on the first question about it.
 */
export function factoryUses(
  code: string,
  /** The text `code` is read from (its call bindings are kept with it), if lexed. */
  lexed: Lexed | undefined,
  imported: ReadonlyMap<string, unknown>,
  /** Where `called` reads (asked on its first question; undefined: all of the text). */
  ranges: () => readonly (readonly [number, number])[] | undefined = () => undefined,
): FactoryUses {
  const importedHead = (word: string): boolean => imported.has(word) && /^[a-z_]/.test(word);
  let called: Map<string, FactoryUse[]> | undefined;
  let bound: Map<string, Omit<FactoryUse, 'attr'>[]> | undefined;
  const boundMap = (): Map<string, Omit<FactoryUse, 'attr'>[]> => {
    if (bound) return bound;
    bound = new Map();
    for (const [name, callees] of callBindings(lexed, code))
      for (const { head, rest } of callees)
        if (importedHead(head) && !classCallee(head, rest))
          bound.set(name, [...(bound.get(name) ?? []), { head, rest: restOf(rest) }]);
    return bound;
  };
  return {
    called(word) {
      if (!importedHead(word)) return [];
      if (!called) {
        called = new Map();
        for (const u of resultsUsed(code, ranges() ?? [[0, code.length]]))
          if (importedHead(u.head)) called.set(u.head, [...(called.get(u.head) ?? []), u]);
      }
      return called.get(word) ?? [];
    },
    bound: (word) => boundMap().get(word) ?? [],
    boundNames: () => boundMap().keys(),
  };
}

/** `).g(`: a method called on a call's result (its callee is found back from the `)`). */
const THEN_USED = /\)[ \t\r\n\\]*\.[ \t\r\n\\]*([A-Za-z_][A-Za-z0-9_]*)[ \t\r\n\\]*\(/g;

/** Each `f(...).g(` / `m.f(...).g(` of `code` (not of a class): its callee, and `g`. */
function resultsUsed(code: string, ranges: readonly (readonly [number, number])[]): FactoryUse[] {
  const found: FactoryUse[] = [];
  // One scan of the text, the ranges (sorted) walked along it: a scan per range would read the rest of the
  // text each time (6,000 handlers: seconds).
  let r = 0;
  for (const m of code.matchAll(THEN_USED)) {
    while (r < ranges.length && ranges[r]![1] <= m.index) r++;
    if (r === ranges.length) break;
    if (m.index < ranges[r]![0]) continue;
    // Back to the `(` of the call whose result is used, then its callee (a dotted name right before it).
    let depth = 0;
    let open = -1;
    for (let i = m.index; i >= 0 && i > m.index - 2000; i--) {
      const c = code.charCodeAt(i);
      if (c === 41) depth++;
      else if (c === 40 && --depth === 0) {
        open = i;
        break;
      }
    }
    // (gaps, continuations too, before the `(` and around dots: `m \\⏎ .f \\⏎ (`)
    let start = open;
    const skipGaps = (): void => {
      while (start > 0 && isGap(code.charCodeAt(start - 1))) start--;
    };
    skipGaps();
    for (;;) {
      const end = start;
      while (start > 0 && isWordChar(code.charCodeAt(start - 1))) start--;
      if (start === end) break;
      const word = start;
      skipGaps();
      if (start > 0 && code.charCodeAt(start - 1) === 46) {
        start--;
        skipGaps();
      } else {
        start = word;
        break;
      }
    }
    const callee = open < 0 ? '' : code.slice(start, open).replace(/[\s\\]/g, '');
    const dot = callee.indexOf('.');
    const head = dot < 0 ? callee : callee.slice(0, dot);
    if (head === '' || classCallee(head, callee.slice(head.length))) continue;
    found.push({ head, rest: restOf(callee.slice(head.length)), attr: m[1]! });
  }
  return found;
}

const restOf = (dotted: string): string[] => (dotted === '' ? [] : dotted.slice(1).split('.'));
