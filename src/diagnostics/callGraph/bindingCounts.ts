/**
 * How many times a text binds each name (pure, text only): what ./instances and ./instanceTypes ask before
 * taking a name for an instance (a name bound twice has no known class).
 */
import { isWordChar } from './callShape';

/** An ASCII identifier's first character. */
export const isNameStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/**
 * The identifier ending right before `end` (spaces and tabs skipped) as [start, end), when nothing joins it
 * to what precedes (no word character nor `.` right before it); undefined otherwise.
 */
export function nameBefore(code: string, end: number): [number, number] | undefined {
  let j = end - 1;
  while (code.charCodeAt(j) === 32 || code.charCodeAt(j) === 9) j--;
  const last = j + 1;
  while (j >= 0 && isWordChar(code.charCodeAt(j))) j--;
  const first = j + 1;
  if (first === last || !isNameStart(code.charCodeAt(first))) return undefined;
  const c = code.charCodeAt(j);
  if (c === 46 /* . */ || c > 127) return undefined;
  return [first, last];
}

/** Keywords that start a form binding names: `for ... in`, `as x`, a def or class, `global`, an import... */
const BINDING_KEYWORD = /(?<![A-Za-z0-9_.])(?:for|as|def|class|global|nonlocal|del|import)(?=[ \t])/g;
/** The targets of `for ... in` (up to ` in` on the line). */
const FOR_TARGETS = /^([^\n]*?)[ \t]in(?![A-Za-z0-9_])/;
const NAME_AFTER = /^[ \t]+([A-Za-z_][A-Za-z0-9_]*)/;
/** Keywords a statement can start with: a line `if a <= b:` names no target. */
const STATEMENT_KEYWORDS =
  /^(?:if|elif|while|assert|return|yield|await|raise|print|lambda|not)(?![A-Za-z0-9_])/;
const WORD = /(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*/g;
/** A name a target binds: not the object of an attribute or subscript store (`env.rows = 1`, `env.cache[k] = 1`). */
const TARGET_WORD = /(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_]|[ \t]*[.[])/g;
/** Operators of an augmented assignment, before its `=` (`+=`, `//=`, `>>=`...). */
const AUGMENTED = /(?:[-+*/%@&|^]|\/\/|\*\*|>>|<<)$/;

/**
 * How many times `text` binds each name (a store into an attribute or item of a name, `env.rows = 1`, binds
 * nothing; an over-count: a name in a target's subscript, a keyword argument on
 * a line of its own when `starts`, the logical lines' starts, are not given...; over-counting only loses a type): assignments (a statement's text before its first
 * `=`, plain or augmented, that is no comparison), then `for ... in`, `as x`, `x :=`, a def or class,
 * `global`/`nonlocal`/`del` and imports. (An import's parenthesised names on later lines are not read: an
 * imported name is never typed.)
 */
export function bindingCounts(text: string, starts?: readonly number[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (words: string, re = WORD): void => {
    for (const [w] of words.matchAll(re)) counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  // (The next `;`, `=` and line break are looked for once each, not again from every statement.)
  const next = (c: string, from: number): number => {
    const i = text.indexOf(c, from);
    return i < 0 ? Infinity : i;
  };
  let semi = -1;
  let eq = -1;
  let line = -1;
  /** The statements of [from, end) (split at `;`): the names before an assignment's `=`. */
  const statements = (from: number, end: number): void => {
    for (let s = from; s < end;) {
      if (semi < s) semi = next(';', s);
      const e = Math.min(semi, end);
      if (eq < s) eq = next('=', s);
      if (eq < e && text.charCodeAt(eq + 1) !== 61 /* == */) {
        const target = text.slice(s, eq).replace(AUGMENTED, '');
        const head = target.trimStart();
        // Not a comparison (`a <= b`), nor a keyword argument of a call (`svc.run(x, kw=1)`); a
        // parenthesised target list (`(a, b) = pair()`) is one.
        if (
          !/[<>!]/.test(target) &&
          !STATEMENT_KEYWORDS.test(head) &&
          (head.startsWith('(') || !target.includes('('))
        )
          add(target, TARGET_WORD);
      }
      s = e + 1;
    }
  };
  if (starts) {
    // Logical lines: a call's keyword arguments on lines of their own are inside one.
    for (let k = 0; k < starts.length; k++)
      statements(starts[k]!, k + 1 < starts.length ? starts[k + 1]! : text.length);
  } else {
    for (let from = 0; from < text.length;) {
      if (line < from) line = next('\n', from);
      const end = Math.min(line, text.length);
      statements(from, end);
      from = end + 1;
    }
  }
  for (const m of text.matchAll(BINDING_KEYWORD)) {
    const keyword = m[0];
    const rest = text.slice(m.index + keyword.length, next('\n', m.index));
    if (keyword === 'for') add(FOR_TARGETS.exec(rest)?.[1] ?? '', TARGET_WORD);
    else if (keyword === 'as' || keyword === 'def' || keyword === 'class')
      add(NAME_AFTER.exec(rest)?.[1] ?? '');
    else add(rest.split(';', 1)[0]!);
  }
  for (let i = text.indexOf(':='); i >= 0; i = text.indexOf(':=', i + 2)) {
    const name = nameBefore(text, i);
    if (name) add(text.slice(name[0], name[1]));
  }
  return counts;
}
