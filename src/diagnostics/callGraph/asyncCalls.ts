/**
 * The calls in async code a file's text shows (pure, no parse), as the call graph (./summary) reads them: not
 * the operand of `await`, not a `def`'s or `class`'s own name, not in a lambda's body; with how the name is
 * used (called, or a dotted callee's attributes: ./callShape). For BHD007's pre-filter (./prefilter).
 */
import { lastAtOrBefore } from '../../python/text';
import { closingBracket, entersWhole, isGap, isWordChar, madeUse, useShape } from './callShape';

const escape = (w: string): string => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Names the identifier scan handles: runs of ASCII word characters (anything else goes to the regex). */
const WORD_NAME = /^[A-Za-z0-9_]+$/;
/**
 * A whole run of ASCII word characters followed by `(` or `.` (spaces, tabs, line breaks and continuations
 * between: ./callShape isGap).
 */
const WORD_CALL = /(?<![A-Za-z0-9_])[A-Za-z0-9_]+(?=[ \t\r\n\\]*[(.])/g;

/**
 * Whether the call whose callee starts at `start` (a name or a `self.`/`cls.` prefix), with the name (its
 * head) ending at `end`, is the operand of `await` itself (`await f(...)`, `await m.f(...)`; not
 * `await f().g()` nor `await (f())`): the call graph skips those (an awaited call returns an awaitable, not
 * a sync helper's result). False when unsure: brackets or an f-string not closed, or a name that is not plain
 * ASCII.
 */
export function directlyAwaited(code: string, start: number, end: number): boolean {
  let i = start - 1;
  while (i >= 0 && isGap(code.charCodeAt(i))) i--;
  if (i < 4 || code.slice(i - 4, i + 1) !== 'await') return false;
  const before = code.charCodeAt(i - 5);
  if (isWordChar(before) || before === 46 /* . */ || before > 127) return false;
  let j = end;
  for (;;) {
    while (isGap(code.charCodeAt(j))) j++;
    if (code.charCodeAt(j) !== 46 /* . */) break;
    j++;
    while (isGap(code.charCodeAt(j))) j++;
    const name = j;
    while (isWordChar(code.charCodeAt(j))) j++;
    if (j === name || code.charCodeAt(j) > 127) return false;
  }
  if (code.charCodeAt(j) !== 40 /* ( */) return false;
  const close = closingBracket(code, j);
  if (close === undefined) return false;
  for (j = close + 1; isGap(code.charCodeAt(j)); j++);
  const next = code.charCodeAt(j);
  return next !== 46 /* . */ && next !== 40 /* ( */ && next !== 91; /* [ */
}

/** The start of the logical line holding `at` (`lines`: the logical lines' starts, sorted). */
function lineStart(lines: readonly number[], at: number): number {
  const k = lastAtOrBefore(lines, at);
  return k < 0 ? 0 : lines[k]!;
}

/**
 * Whether `at` (in the logical line starting at `from`) is in the body of a `lambda` (after its `:`, before
 * a `,` or a closing bracket of its level): a call there runs when the lambda is called, not where it is
 * written (`run_in_executor(None, lambda: requests.get(u))`; a default value, `lambda x=f(): ...`, runs
 * there). False when unsure: a quote before it on the line (an f-string's kept text).
 */
export function inLambdaBody(code: string, from: number, at: number): boolean {
  let depth = 0;
  // At the level being read: a `,` (a lambda before it has ended) and a `:` (a lambda's own colon) seen.
  let comma = false;
  let colon = false;
  // A quote in the code is an f-string's (other strings are blanked): its braces and words are not code.
  const text = code.slice(from, at);
  if (text.includes('"') || text.includes("'")) return false;
  for (let i = at - 1; i >= from; i--) {
    const c = code.charCodeAt(i);
    if (c === 41 || c === 93 || c === 125) depth++;
    else if (c === 40 || c === 91 || c === 123) {
      if (depth > 0) depth--;
      else comma = colon = false; // out to the enclosing level
    } else if (depth === 0) {
      if (c === 59) return false; // `;`: another statement before
      if (c === 44) comma = true;
      else if (c === 58) colon = true;
      else if (
        c === 97 /* a */ &&
        !comma &&
        colon &&
        code.startsWith('lambda', i - 5) &&
        !isWordChar(code.charCodeAt(i - 6)) &&
        !(code.charCodeAt(i - 6) > 127) &&
        !isWordChar(code.charCodeAt(i + 1))
      )
        return true;
    }
  }
  return false;
}

/** Whether the name at `at` is the one a `def` or `class` statement defines (its header is no call). */
export function definedAt(code: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && isGap(code.charCodeAt(i))) i--;
  let j = i;
  while (j >= 0 && isWordChar(code.charCodeAt(j))) j--;
  const word = code.slice(j + 1, i + 1);
  return (
    (word === 'def' || word === 'class') &&
    (j < 0 || (code.charCodeAt(j) !== 46 && code.charCodeAt(j) <= 127))
  );
}

/**
 * Where the call regex below would start a match for the name at `at` (a whole word followed by `(`/`.`):
 * at a `self.`/`cls.` prefix when there is one, else at the name; -1 when it would not match there (the
 * name right after a `.` that is not such a prefix).
 */
function callStart(code: string, at: number): number {
  let j = at - 1;
  while (j >= 0 && isGap(code.charCodeAt(j))) j--;
  if (j >= 0 && code.charCodeAt(j) === 46 /* . */) {
    let k = j - 1;
    while (k >= 0 && isGap(code.charCodeAt(k))) k--;
    const end = k + 1;
    while (k >= 0 && isWordChar(code.charCodeAt(k))) k--;
    const word = code.slice(k + 1, end);
    if ((word === 'self' || word === 'cls') && (k < 0 || code.charCodeAt(k) !== 46)) return k + 1;
  }
  return at > 0 && code.charCodeAt(at - 1) === 46 ? -1 : at;
}

/**
 * Whether a call in async code names one of `names` (also as `self.`/`cls.` attribute) for which `keep` holds.
 * `keep` is asked in text order and only until it says yes (its answers may have side effects).
 */
export function callsInAsync(
  code: string,
  names: readonly string[],
  asyncAt: (index: number) => boolean,
  /** `viaSelf`: the call is `self.name(...)`/`cls.name(...)`. */
  keep: (
    name: string,
    call: boolean,
    tail: readonly string[] | undefined,
    viaSelf: boolean,
    /** Through `self.`: the attributes after the name up to the call (`self.x.f(`: ['f']), when read for sure. */
    attrTail?: readonly string[],
  ) => boolean,
  /** Where async code can be at all (asyncAt is false outside; whole logical lines): only these are scanned. */
  ranges: readonly (readonly [number, number])[] = [[0, code.length]],
  /** The logical lines' starts: given, a call in a lambda's body is skipped (it does not run there). */
  lines?: readonly number[],
): boolean {
  const inLambda = (at: number): boolean =>
    lines !== undefined && inLambdaBody(code, lineStart(lines, at), at);
  if (names.every((n) => WORD_NAME.test(n))) {
    // One scan over the words followed by `(`/`.` and a set lookup: the same matches, in the same order,
    // as the alternation below (a name there is a whole word too), without compiling a regex per file.
    const set = new Set(names);
    for (const [from, to] of ranges) {
      WORD_CALL.lastIndex = from;
      for (let m = WORD_CALL.exec(code); m && m.index < to; m = WORD_CALL.exec(code)) {
        const name = m[0];
        if (!set.has(name)) continue;
        const start = callStart(code, m.index);
        // (`def name(`, `class name(`: a header, no call)
        if (start < 0 || (start === m.index && definedAt(code, start))) continue;
        if (!asyncAt(start) || directlyAwaited(code, start, m.index + name.length)) continue;
        if (inLambda(start)) continue;
        const shape = useShape(code, start !== m.index, m.index + name.length);
        if (shape === null) continue;
        const next = WORD_CALL.lastIndex; // keep() runs other code: leave the shared regex as it was
        const viaSelf = start !== m.index;
        // `with C():` enters what it makes (a class's __enter__/__exit__): the whole of `name` may matter.
        const entered = entersWhole(code, start, shape.tail, viaSelf);
        const yes =
          keep(
            name,
            entered ? false : shape.call,
            entered ? undefined : shape.tail,
            viaSelf,
            viaSelf && !entered ? useShape(code, false, m.index + name.length)?.tail : undefined,
          ) || madeKept(code, name, shape.tail, m.index + name.length, viaSelf, keep);
        WORD_CALL.lastIndex = yes ? 0 : next;
        if (yes) return true;
      }
    }
    return false;
  }
  const call = new RegExp(
    `(?<![A-Za-z0-9_.])(?:(?:self|cls)[ \\t\\r\\n\\\\]*\\.[ \\t\\r\\n\\\\]*)?(${names.map(escape).join('|')})(?![A-Za-z0-9_])[ \\t\\r\\n\\\\]*[(.]`,
    'g',
  );
  for (const m of code.matchAll(call)) {
    const end = m.index + m[0].search(/[ \t\r\n\\]*[(.]$/);
    if (m[0].startsWith(m[1]!) && definedAt(code, m.index)) continue;
    if (!asyncAt(m.index) || directlyAwaited(code, m.index, end) || inLambda(m.index)) continue;
    const shape = useShape(code, !m[0].startsWith(m[1]!), end);
    if (shape === null) continue;
    const viaSelf = !m[0].startsWith(m[1]!);
    const entered = entersWhole(code, m.index, shape.tail, viaSelf);
    const attrTail = viaSelf && !entered ? useShape(code, false, end)?.tail : undefined;
    if (keep(m[1]!, entered ? false : shape.call, entered ? undefined : shape.tail, viaSelf, attrTail))
      return true;
    if (madeKept(code, m[1]!, shape.tail, end, viaSelf, keep)) return true;
  }
  return false;
}

/**
 * `C(...).f(` also calls the method f of an instance made right there (../callShape madeUse): asked as `C.f(`
 * after the call of `C` itself (not after `self.`: the call graph follows no such instance).
 */
function madeKept(
  code: string,
  name: string,
  tail: readonly string[] | undefined,
  end: number,
  viaSelf: boolean,
  keep: (name: string, call: boolean, tail: readonly string[] | undefined, viaSelf: boolean) => boolean,
): boolean {
  if (viaSelf) return false;
  const made = madeUse(code, name, tail, end);
  return made !== null && keep(name, false, made.tail, false);
}
