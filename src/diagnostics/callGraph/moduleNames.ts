/**
 * Which names a module binds besides its defs, for star imports (pure, text only): the names a module-level
 * assignment binds after the last star import, and what `__all__` lists (./callResolver throughStars).
 */
import { lexTopLevel } from '../../python/lexer';

/** `name = ...` at the start of a line of code (strings blanked): a module-level assignment. */
const MODULE_ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^\n=]*)?=(?!=)/gm;
/** `__all__ = [` / `(` at the start of a line of code. */
const ALL_START = /^__all__[ \t]*(?::[^\n=]*)?=[ \t]*[[(]/m;
/** `__all__` changed other than by one literal list (`+=`, `.extend(`, `.append(`, `= [...] + other`). */
const ALL_CHANGED = /(?<![A-Za-z0-9_.])__all__[ \t]*(?:\+=|\.[ \t]*(?:extend|append|insert)[ \t]*\()/;

/**
 * ModuleSummary's `assigned` (names a module-level assignment after the last star import binds: a def a
 * later assignment rebinds was deleted, so it counts) and `exports` (`__all__` when it is one literal list).
 * Read on the text with strings and comments blanked (../../python/lexer), so a docstring's line is no code.
 */
export function moduleNames(
  source: string,
  functions: ReadonlyMap<string, unknown>,
  lastStar: number,
): { assigned: Set<string>; exports?: Set<string> } {
  const assigned = new Set<string>();
  const code = lexTopLevel(source)?.code;
  if (code === undefined) return { assigned };
  for (const m of code.matchAll(MODULE_ASSIGNMENT))
    if (m.index > lastStar && !functions.has(m[1]!)) assigned.add(m[1]!);
  const all = ALL_START.exec(code);
  if (!all || ALL_CHANGED.test(code)) return { assigned };
  // The list's text up to its closing bracket (strings blanked in `code`: a `]` in one does not count).
  const open = all.index + all[0].length;
  const close = code.slice(open).search(/[\])]/);
  if (close < 0) return { assigned };
  const rest = code.slice(open + close + 1).match(/^[ \t]*([^\s#])/);
  if (rest && rest[1] === '+') return { assigned };
  const items = source.slice(open, open + close);
  return {
    assigned,
    exports: new Set([...items.matchAll(/['"]([A-Za-z_][A-Za-z0-9_]*)['"]/g)].map((m) => m[1]!)),
  };
}
