/**
 * How a name in code text (strings and comments blanked) is used where a call may start (pure): called, or
 * the head of a dotted callee and its attributes up to the call. Shared by BHD007's pre-filter for calls in
 * async code (./prefilter) and for the uses in def and class blocks (./defBlocks).
 */
import { type Lexed, derived, stringEnd } from '../../python/lexer';

/** An ASCII word character. */
export const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/** Space, tab, line break or backslash (a continuation): what may separate tokens. */
export const isGap = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 92;

/**
 * How the name ending at `end` (followed by `(` or `.`) is used: called (`name(`), or the head of a dotted
 * callee with `tail` its attributes up to the call (`name.a.f(`: ['a', 'f']; undefined when not sure: an
 * attribute that is not plain ASCII, or after `self.`: `viaSelf`). Null when no call can start there: a
 * chain that is not called (`name.a[0]`, `name.a = 1`).
 */
export function useShape(
  code: string,
  viaSelf: boolean,
  end: number,
): { call: boolean; tail?: readonly string[] } | null {
  let j = end;
  // (line breaks too: inside brackets, or after a backslash: `os \` + newline + `.system(...)`)
  while (isGap(code.charCodeAt(j))) j++;
  if (code.charCodeAt(j) === 40 /* ( */) return { call: true, tail: [] };
  const tail: string[] = [];
  while (code.charCodeAt(j) === 46 /* . */) {
    for (j++; isGap(code.charCodeAt(j)); j++);
    const from = j;
    while (isWordChar(code.charCodeAt(j))) j++;
    if (j === from || code.charCodeAt(j) > 127) return { call: false };
    tail.push(code.slice(from, j));
    while (isGap(code.charCodeAt(j))) j++;
  }
  if (code.charCodeAt(j) !== 40 /* ( */) return null;
  // `self.name.a(...)` is not resolved by the call graph, but `self` may be a name of its own here (the
  // regex reference and the scan see the chain from different words): nothing assumed.
  return viaSelf ? { call: false } : { call: false, tail };
}

/**
 * Where the bracket opened at `open` of `code` closes; undefined when not read for sure (never closed, or an
 * f-string left open). An f- or t-string inside (`code` blanks the other strings) is skipped whole, as the
 * lexer read it: `E(f"({x}")` closes at its last `)`.
 */
export function closingBracket(code: string, open: number): number | undefined {
  let depth = 0;
  for (let j = open; j < code.length; j++) {
    const c = code.charCodeAt(j);
    if (c === 34 || c === 39) {
      const after = stringEnd(code, j, true);
      if (after === undefined) return undefined;
      j = after - 1;
    } else if (c === 40 || c === 91 || c === 123) depth++;
    else if ((c === 41 || c === 93 || c === 125) && --depth === 0) return j;
  }
  return undefined;
}

/**
 * The method called right away on the result of the call whose callee (a name, or a dotted chain: useShape)
 * ends at `end`: `C(a, b).f(` -> 'f', as the call graph follows `C(...).f(...)` (../callSites: a class by its
 * CapWords name). Null when none is (no call, or the result is not called on right there); undefined when the
 * text cannot be read for sure (brackets or an f-string not closed): assume anything.
 */
export function methodOfResult(code: string, end: number): string | null | undefined {
  let j = end;
  for (;;) {
    while (isGap(code.charCodeAt(j))) j++;
    if (code.charCodeAt(j) !== 46 /* . */) break;
    for (j++; isGap(code.charCodeAt(j)); j++);
    const from = j;
    while (isWordChar(code.charCodeAt(j))) j++;
    if (j === from) return null;
  }
  if (code.charCodeAt(j) !== 40 /* ( */) return null;
  const close = closingBracket(code, j);
  if (close === undefined) return undefined;
  for (j = close + 1; isGap(code.charCodeAt(j)); j++);
  if (code.charCodeAt(j) !== 46 /* . */) return null;
  for (j++; isGap(code.charCodeAt(j)); j++);
  const from = j;
  while (isWordChar(code.charCodeAt(j))) j++;
  if (j === from || code.charCodeAt(j) > 127) return undefined;
  const name = code.slice(from, j);
  while (isGap(code.charCodeAt(j))) j++;
  return code.charCodeAt(j) === 40 /* ( */ ? name : null;
}

/**
 * The extra use a call of `word` (`tail`: useShape's) makes when a method is called on its result right away
 * (`C(...).f(`, `m.C(...).f(`): the method of the class, as `C.f(` (tail [..., 'f']; undefined when not sure).
 * Only for a class by its CapWords name (what ../callSites follows); null when there is none.
 */
export function madeUse(
  code: string,
  word: string,
  tail: readonly string[] | undefined,
  end: number,
): { tail: readonly string[] | undefined } | null {
  if (tail === undefined) return null;
  const cls = tail.length === 0 ? word : tail[tail.length - 1]!;
  const c = cls.charCodeAt(0);
  if (c < 65 || c > 90) return null;
  const method = methodOfResult(code, end);
  if (method === null) return null;
  return { tail: method === undefined ? undefined : [...tail, method] };
}

/** The word (identifier or keyword) ending right before `at` across gaps, and where it starts. */
function wordBefore(code: string, at: number): [word: string, start: number] {
  let i = at - 1;
  while (i >= 0 && isGap(code.charCodeAt(i))) i--;
  const end = i + 1;
  while (i >= 0 && (isWordChar(code.charCodeAt(i)) || code.charCodeAt(i) > 127)) i--;
  return [code.slice(i + 1, end), i + 1];
}

/** Calls that iterate the iterable they are given: `list(gen())` runs a generator's body. */
const CONSUMERS = new Set([
  'list',
  'tuple',
  'set',
  'frozenset',
  'dict',
  'sorted',
  'sum',
  'min',
  'max',
  'any',
  'all',
  'next',
  'enumerate',
  'join',
]);

/**
 * Whether the call starting at `start` of `code` has its result iterated or entered right there, read from
 * the text before it: `for x in f()`, `[... for x in f()]`, `x in f()`, `with f():`, `yield from f()`, or the
 * argument of a consumer (`list(f())`, `", ".join(f())`). Only asked of calls to generators (a generator's body
 * runs when iterated, not when called): errs towards "consumed", as the rule did before it looked.
 */
export function consumedAt(code: string, start: number): boolean {
  let i = start - 1;
  while (i >= 0 && isGap(code.charCodeAt(i))) i--;
  if (code.charCodeAt(i) === 40 /* ( */) {
    const [name, at] = wordBefore(code, i);
    return CONSUMERS.has(name) && (name === 'join' || code.charCodeAt(at - 1) !== 46); /* not `a.list(` */
  }
  const [word] = wordBefore(code, start);
  return word === 'in' || word === 'with' || word === 'from';
}

/**
 * Whether the call starting at `start` is a `with` statement's (first) item: `with C(...):` enters what the
 * call returns (a class's `__enter__` and `__exit__` run). Not `async with` (`__aenter__`: awaited).
 */
export function enteredAt(code: string, start: number): boolean {
  const [word, at] = wordBefore(code, start);
  return word === 'with' && wordBefore(code, at)[0] !== 'async';
}

/**
 * Whether a use with `tail` (useShape's; `viaSelf`: after `self.`/`cls.`) starting at `start` is a `with` item
 * the call graph enters: `with C():` runs a class's `__enter__`/`__exit__` (the whole of the name may matter
 * then). A dotted or `self.` callee (`with m.connect():`, `with self.lock():`) is only called there: the call
 * graph enters plain names only. Not sure of the tail: entered.
 */
export const entersWhole = (
  code: string,
  start: number,
  tail: readonly string[] | undefined,
  viaSelf: boolean,
): boolean => !viaSelf && (tail === undefined || tail.length === 0) && enteredAt(code, start);

/** `super()` before an attribute (`super().load(`), a zero-argument super: read as `self` by the text stages. */
const ZERO_ARG_SUPER = /(?<![A-Za-z0-9_.])super\(\)(?=[ \t]*\.)/g;

/**
 * The code the pre-filter reads (`lexed.code`), with `super().` as `self   .` (same length, same positions):
 * a method reached through `super()` is one of the class's bases', a subset of what `self.` may reach.
 */
export const prefilterCode = (lexed: Lexed): string =>
  derived(lexed, 'code', () =>
    lexed.code.includes('super()') ? lexed.code.replace(ZERO_ARG_SUPER, 'self   ') : lexed.code,
  );
