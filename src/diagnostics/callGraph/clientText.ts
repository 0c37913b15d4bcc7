/**
 * Where an httpx.Client's request can be in a module's text (pure, no parse), for BHD007's pre-filter
 * (./blockingText) and the planner (../regions): `.get(`, `.post(`... whose receiver may be bound to an
 * httpx.Client. The analysis (../valueKinds) takes a receiver for one when it is constructed right there or bound
 * (through up to three names) to a construction or annotation of the class; so here a receiver counts when a
 * binding of its last name (`x = ...`, `x: ...`, `x := ...`, `... as x`, `self.x = ...`) has a name of the class
 * on its logical line, or is another such name (up to four deep). Modules that annotate a client field but call
 * `.get(` on dicts (most) are then not taken to block. Without the logical lines (the lexer gave up on the
 * text), every such call counts.
 */
import { HTTPX_CLIENT_METHODS } from '../targets';
import { lastAtOrBefore } from '../../python/text';

/** Blanks between tokens: spaces, tabs, and line breaks (in brackets, or continued by a backslash). */
const GAP = '[\\s\\\\]*';
const CALL = new RegExp(`\\.${GAP}(?:${HTTPX_CLIENT_METHODS.join('|')})${GAP}\\(`, 'g');
const CALL_ANYWHERE = new RegExp(CALL.source);
/** Python identifiers (as `str.isidentifier`: XID_Start or `_`, then XID_Continue; ID_* is a superset). */
const WORD = '\\p{ID_Continue}_';
const NAME = `[\\p{ID_Start}_][${WORD}]*`;
/** The name before a `.`, over blanks and line breaks (`(client\n .get(`). */
const NAME_BEFORE = new RegExp(`(?<![${WORD}])(${NAME})${GAP}$`, 'u');
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
  /** The occurrences binding a name (`name =`, `name:`, `as name`), found with one regex per name. */
  const bindingsOf = (name: string): RegExpMatchArray[] => {
    if (!code.includes(name)) return [];
    const re = new RegExp(
      `(?<![${WORD}])(?:(?<as>as[\\s\\\\]+)${name}(?![${WORD}])|${name}${GAP}(?::|=(?!=)))`,
      'gu',
    );
    return [...code.matchAll(re)];
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
        yes =
          word.test(code.slice(lineStart(m.index!), lineEnd(m.index!))) ||
          (value !== null && follow(value[1]!));
      } else {
        const rest = code.slice(m.index! + m[0].length - 1, lineEnd(m.index!));
        yes = word.test(rest) || [...rest.matchAll(NAME_VALUES)].some((v) => follow(v[1]!));
      }
      if (yes) break;
    }
    path.delete(name);
    if (yes || exact) known.set(name, yes);
    return [yes, yes || exact];
  };
  const receiverAt = (dot: number): boolean => {
    const before = code.slice(Math.max(0, Math.min(lineStart(dot), dot - 300)), dot);
    const name = NAME_BEFORE.exec(before);
    if (name) return bound(name[1]!, DEPTH, new Set())[0];
    // A character of a name not read here (outside ID_Continue?): it may be one.
    const last = before.replace(/[\s\\]+$/, '');
    if (last.charCodeAt(last.length - 1) > 127) return true;
    // `httpx.Client(...).get(`, `(client or other).get(`: the statement decides.
    return word.test(code.slice(lineStart(dot), dot));
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
