/**
 * Where an httpx.Client's request can be in a module's text (pure, no parse), for BHD007's pre-filter
 * (./blockingText) and the planner (../regions): `.get(`, `.post(`... whose receiver may be bound to an
 * httpx.Client. The analysis (../valueKinds) takes a receiver for one when it is constructed right there or bound
 * (through up to three names) to a construction or annotation of the class; so here a receiver counts when a
 * binding of its last name (`x = ...`, `x: ...`, `x := ...`, `... as x`, `self.x = ...`) has a name of the class
 * on its logical line (or a call of a def whose block names it, or calls such a def: a factory, ../factoryText),
 * or is another such name (up to four deep). Modules that annotate a client field but call
 * `.get(` on dicts (most) are then not taken to block. Without the logical lines (the lexer gave up on the
 * text), every such call counts.
 */
import { HTTPX_CLIENT_METHODS } from '../targets';
import { lastAtOrBefore } from '../../python/text';
import { callsOneOf, factoryNames } from '../factoryText';

/** Blanks between tokens: spaces, tabs, and line breaks (in brackets, or continued by a backslash). */
const GAP = '[\\s\\\\]*';
const CALL = new RegExp(`\\.${GAP}(?:${HTTPX_CLIENT_METHODS.join('|')})${GAP}\\(`, 'g');
const CALL_ANYWHERE = new RegExp(CALL.source);
/** Python identifiers (as `str.isidentifier`: XID_Start or `_`, then XID_Continue; ID_* is a superset). */
const WORD = '\\p{ID_Continue}_';
const NAME = `[\\p{ID_Start}_][${WORD}]*`;
/** A binding of a name: `with ... as name`, `name =` (not `==`), `name:` (an annotation, a walrus `:=`). */
const BINDINGS = new RegExp(
  `(?<![${WORD}])(?:(?<as>as[\\s\\\\]+)(?<asName>${NAME})(?![${WORD}])|(?<name>${NAME})${GAP}(?::|=(?!=)))`,
  'gu',
);
const BLANK = /[\s\\]/;
const NAME_CHAR = new RegExp(`[${WORD}]`, 'u');
const NAME_START = new RegExp(`^[\\p{ID_Start}_]`, 'u');
/** A name (or `self.x`, `m.x`) at the end of a text: a `with` item's value before its `as`. */
const NAME_AT_END = new RegExp(`(?<![${WORD}.])(?:${NAME}${GAP}\\.${GAP})*(${NAME})${GAP}$`, 'u');
/**
 * A value that is another name (or `self.x`), anywhere in a binding's logical line: `client = base`,
 * `(c := base)`, `if c := base:`, `x: Annotated[T, dict(a=1)] = base`; every such `= name` is followed (a superset).
 */
const NAME_VALUES = new RegExp(
  `=(?!=)${GAP}(?:${NAME}${GAP}\\.${GAP})*(${NAME})[ \\t\\r]*(?=[\\n#;),:\\]}]|\\\\|$)`,
  'gu',
);
/** Values that are no name bound to anything (`flag = True` is no client). */
const CONSTANTS = new Set(['True', 'False', 'None']);
/** How many names a chain of bindings is followed through (the analysis: three). */
const DEPTH = 4;

export interface ClientCalls {
  /** Whether `code[from, to)` may call a request method of an httpx.Client. */
  within(from: number, to: number): boolean;
  /** Whether the receiver of the method call whose `.` is at `dot` may be an httpx.Client. */
  receiverAt(dot: number): boolean;
}

/**
 * See the file comment. `classNames`: the local names of the class (`Client`, an alias), `lines`: the logical
 * lines' starts (../../python/lexer).
 */
export function httpxClientCalls(
  code: string,
  lines: readonly number[] | undefined,
  classNames: ReadonlySet<string>,
): ClientCalls {
  if (!lines)
    return {
      receiverAt: () => true,
      within: (from, to) => CALL_ANYWHERE.test(code.slice(from, to)),
    };
  const word = new RegExp(`(?<![${WORD}])(?:${[...classNames].join('|')})(?![${WORD}])`, 'u');
  const lineStart = (at: number): number => lines[Math.max(0, lastAtOrBefore(lines, at))] ?? 0;
  const lineEnd = (at: number): number => {
    const k = lastAtOrBefore(lines, at);
    return k + 1 < lines.length ? lines[k + 1]! : code.length;
  };
  const known = new Map<string, boolean>();
  // A factory's result: `client = make_client()` with `def make_client() -> httpx.Client:` or one returning
  // `httpx.Client(...)` (../factories).
  let factories: Set<string> | undefined;
  const callsFactory = (text: string): boolean =>
    callsOneOf(text, (factories ??= factoryNames(code, lines, word)));
  /**
   * The occurrences binding each name (`name =`, `name:`, `as name`), found in one pass over the module the
   * first time a receiver is asked about (a regex per name was quadratic in a module of many receivers).
   */
  let bindings: Map<string, RegExpMatchArray[]> | undefined;
  const bindingsOf = (name: string): readonly RegExpMatchArray[] => {
    if (!bindings) {
      bindings = new Map();
      for (const m of code.matchAll(BINDINGS)) {
        const bound = m.groups!.asName ?? m.groups!.name!;
        const list = bindings.get(bound);
        if (list) list.push(m);
        else bindings.set(bound, [m]);
      }
    }
    return bindings.get(name) ?? [];
  };
  /**
   * Whether `name` may be bound to a client, following names up to `depth` more (`path`: the names on the way),
   * and whether that answer is exact (no cycle or budget cut it short: then kept for every later question).
   */
  const bound = (name: string, depth: number, path: Set<string>): [boolean, boolean] => {
    const kept = known.get(name);
    if (kept !== undefined) return [kept, true];
    if (path.has(name)) return [false, false];
    path.add(name);
    let exact = true;
    const follow = (other: string): boolean => {
      if (other === name || CONSTANTS.has(other)) return false;
      if (depth === 0) {
        exact = false;
        return false;
      }
      const [yes, sure] = bound(other, depth - 1, path);
      if (!sure) exact = false;
      return yes;
    };
    let yes = false;
    for (const m of bindingsOf(name)) {
      if (m.groups?.as !== undefined) {
        // `with httpx.Client() as name:` (the with item is on the statement's logical line), or
        // `with base as name:` (the value is `base`).
        const before = code.slice(lineStart(m.index!), m.index);
        const value = NAME_AT_END.exec(before);
        const line = code.slice(lineStart(m.index!), lineEnd(m.index!));
        yes = word.test(line) || callsFactory(line) || (value !== null && follow(value[1]!));
      } else {
        const rest = code.slice(m.index! + m[0].length - 1, lineEnd(m.index!));
        yes =
          word.test(rest) || callsFactory(rest) || [...rest.matchAll(NAME_VALUES)].some((v) => follow(v[1]!));
      }
      if (yes) break;
    }
    path.delete(name);
    if (yes || exact) known.set(name, yes);
    return [yes, yes || exact];
  };
  /** Per logical line (by its index): whether a name of the class is written in it. */
  const lineNames = new Map<number, boolean>();
  const receiverAt = (dot: number): boolean => {
    // The name before the dot, read backwards over blanks and line breaks (`(client\n .get(`): linear in
    // what it reads, whatever the statement's length.
    let end = dot;
    while (end > 0 && BLANK.test(code[end - 1]!)) end--;
    let start = end;
    while (start > 0 && NAME_CHAR.test(code[start - 1]!)) start--;
    const name = code.slice(start, end);
    if (name !== '' && NAME_START.test(name)) return bound(name, DEPTH, new Set())[0];
    // A character of a name not read here (outside ID_Continue, a surrogate pair): it may be one.
    if (end > 0 && code.charCodeAt(end - 1) > 127) return true;
    // `httpx.Client(...).get(`, `(client or other).get(`: the statement decides (any name of the class in it).
    const k = Math.max(0, lastAtOrBefore(lines, dot));
    let named = lineNames.get(k);
    if (named === undefined) {
      const line = code.slice(lineStart(dot), lineEnd(dot));
      lineNames.set(k, (named = word.test(line) || callsFactory(line)));
    }
    return named;
  };
  return {
    receiverAt,
    within(from, to) {
      CALL.lastIndex = from;
      for (let m = CALL.exec(code); m !== null && m.index < to; m = CALL.exec(code))
        if (receiverAt(m.index)) return true;
      return false;
    },
  };
}
