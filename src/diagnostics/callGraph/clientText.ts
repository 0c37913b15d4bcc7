/**
 * Where an httpx.Client's request can be in a module's text (pure, no parse), for BHD007's pre-filter
 * (./blockingText): `.get(`, `.post(`... whose receiver may be bound to an httpx.Client. The analysis
 * (../valueKinds) takes a receiver for one when it is constructed right there or bound (through up to three
 * names) to a construction or annotation of the class; so here a receiver counts when a binding of its last name
 * (`x = ...`, `x: ...`, `... as x`, `self.x = ...`) has a name of the class on its logical line, or is another
 * such name. Modules that annotate a client field but call `.get(` on dicts (most) are then not taken to block.
 */
import { HTTPX_CLIENT_METHODS } from '../targets';
import { lastAtOrBefore } from '../../python/text';

const CALL = new RegExp(`\\.[ \\t]*(?:${HTTPX_CLIENT_METHODS.join('|')})[ \\t]*\\(`, 'g');
const NAME_BEFORE = /([A-Za-z_][A-Za-z0-9_]*)[ \t]*$/;
/** A value that is another name (or `self.x`): `client = base`, `self.client = client`. */
const NAME_VALUE =
  /=(?!=)[ \t]*(?:[A-Za-z_][A-Za-z0-9_]*[ \t]*\.[ \t]*)*([A-Za-z_][A-Za-z0-9_]*)[ \t\r]*(?:[\n#;]|$)/;

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
  const word = new RegExp(`(?<![A-Za-z0-9_])(?:${[...classNames].join('|')})(?![A-Za-z0-9_])`);
  const lineStart = (at: number): number =>
    lines ? (lines[Math.max(0, lastAtOrBefore(lines, at))] ?? 0) : code.lastIndexOf('\n', at - 1) + 1;
  const lineEnd = (at: number): number => {
    if (!lines) {
      const nl = code.indexOf('\n', at);
      return nl < 0 ? code.length : nl;
    }
    const k = lastAtOrBefore(lines, at);
    return k + 1 < lines.length ? lines[k + 1]! : code.length;
  };
  const known = new Map<string, boolean>();
  const bound = (name: string, seen: Set<string>): boolean => {
    const kept = known.get(name);
    if (kept !== undefined) return kept;
    if (seen.has(name) || seen.size > 3) return false;
    seen.add(name);
    const re = new RegExp(
      `(?<![A-Za-z0-9_])(?:as[ \\t]+${name}(?![A-Za-z0-9_])|${name}[ \\t]*(?::|=(?!=)))`,
      'g',
    );
    let yes = false;
    for (const m of code.matchAll(re)) {
      if (m[0].startsWith('as') && !m[0].startsWith(name)) {
        // `with httpx.Client() as name:` (the with item is on the statement's logical line)
        if (word.test(code.slice(lineStart(m.index), lineEnd(m.index)))) yes = true;
      } else {
        const rest = code.slice(m.index + m[0].length - 1, lineEnd(m.index));
        const other = NAME_VALUE.exec(rest);
        if (word.test(rest) || (other !== null && other[1] !== name && bound(other[1]!, seen))) yes = true;
      }
      if (yes) break;
    }
    if (seen.size === 1) known.set(name, yes);
    return yes;
  };
  const receiverAt = (dot: number): boolean => {
    const before = code.slice(Math.max(lineStart(dot), dot - 200), dot);
    const name = NAME_BEFORE.exec(before);
    if (name) return bound(name[1]!, new Set());
    // A non-ASCII name: not read here, may be one.
    if (before.trimEnd().charCodeAt(before.trimEnd().length - 1) > 127) return true;
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
