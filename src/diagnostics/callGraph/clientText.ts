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
import { CALLED, callsOneOf, factoryNames } from '../factoryText';

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
   * What a logical line (by its index) holds, read once however many bindings it has (a call of a thousand
   * keyword arguments on one logical line is a thousand bindings): where a name of the class is written, where
   * a factory is called, and each `= name` value (NAME_VALUES), by offset in `code`.
   */
  interface LineFacts {
    from: number;
    text: string;
    words: number[];
    /** (read when asked: finding the factories reads the module's defs) */
    factoryCalls?: number[];
    values: { at: number; name: string }[];
  }
  const facts = new Map<number, LineFacts>();
  const factsOf = (at: number): LineFacts => {
    const k = Math.max(0, lastAtOrBefore(lines, at));
    let f = facts.get(k);
    if (f === undefined) {
      const from = lines[k] ?? 0;
      const line = code.slice(from, k + 1 < lines.length ? lines[k + 1]! : code.length);
      const global = new RegExp(word.source, 'gu');
      f = {
        from,
        text: line,
        words: [...line.matchAll(global)].map((m) => from + m.index),
        values: [...line.matchAll(NAME_VALUES)].map((m) => ({ at: from + m.index, name: m[1]! })),
      };
      facts.set(k, f);
    }
    return f;
  };
  const factoryCallsOf = (f: LineFacts): number[] =>
    (f.factoryCalls ??= [...f.text.matchAll(CALLED)]
      .filter((m) => (factories ??= factoryNames(code, lines, word)).has(m[1]!))
      .map((m) => f.from + m.index));
  /** Whether one of `sorted` (ascending) is at or after `at`. */
  const anyFrom = (sorted: readonly number[], at: number): boolean =>
    sorted.length > 0 && sorted[sorted.length - 1]! >= at;
  /**
   * Whether `name` may be bound to a client, following names up to `depth` more: one answer per name and depth
   * (a chain that comes back to a name has less depth left there: it finds nothing the first visit did not).
   */
  const known = new Map<string, boolean>();
  const bound = (name: string, depth: number): boolean => {
    const key = `${depth}\u0000${name}`;
    const kept = known.get(key);
    if (kept !== undefined) return kept;
    // (each other name once: a call's keyword arguments name the same values again and again)
    const followed = new Set<string>();
    const follow = (other: string): boolean => {
      if (other === name || CONSTANTS.has(other) || depth === 0 || followed.has(other)) return false;
      followed.add(other);
      return bound(other, depth - 1);
    };
    let yes = false;
    let previous: LineFacts | undefined;
    for (const m of bindingsOf(name)) {
      const line = factsOf(m.index!);
      // A later `name=` on a logical line already read from an earlier one: what follows it was read then.
      if (line === previous && m.groups?.as === undefined) continue;
      previous = m.groups?.as === undefined ? line : undefined;
      if (m.groups?.as !== undefined) {
        // `with httpx.Client() as name:` (the with item is on the statement's logical line), or
        // `with base as name:` (the value is `base`).
        const before = code.slice(lineStart(m.index!), m.index);
        const value = NAME_AT_END.exec(before);
        yes =
          line.words.length > 0 || factoryCallsOf(line).length > 0 || (value !== null && follow(value[1]!));
      } else {
        // What follows the binding's `=` or `:` on its logical line.
        const rest = m.index! + m[0].length - 1;
        yes =
          anyFrom(line.words, rest) ||
          anyFrom(factoryCallsOf(line), rest) ||
          line.values.some((v) => v.at >= rest && follow(v.name));
      }
      if (yes) break;
    }
    known.set(key, yes);
    return yes;
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
    if (name !== '' && NAME_START.test(name)) return bound(name, DEPTH);
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
