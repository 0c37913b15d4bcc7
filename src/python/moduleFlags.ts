/**
 * Module-level constants that switch code off (pure): `_IS_SYNC = False` then `if _IS_SYNC: time.sleep(1)`, as
 * in libraries generating an async twin from sync code (pymongo, psycopg). Such a branch never runs: the rules
 * and BHD007 do not report what is in it.
 */
import { lexTopLevel } from './lexer';
import type { Node } from './treeSitter';

/** `NAME = True` / `NAME = False` on a line of its own at module level (column 0). */
const FLAG_LINE =
  /^([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[ \t]*bool[ \t]*)?=[ \t]*(True|False)[ \t]*(?:#[^\n]*)?$/gm;

/**
 * The module's flags: names bound once in the whole text, to `True` or `False` at module level (any other
 * binding of the name anywhere, `global` included, and it is no flag), and tested somewhere as deadBranch reads
 * them (`if NAME` / `if not NAME`): an empty map for most modules.
 */
export function moduleFlags(source: string): Map<string, boolean> {
  const flags = new Map<string, boolean>();
  if (!/=[ \t]*(?:True|False)/.test(source)) return flags;
  const candidates = [...source.matchAll(FLAG_LINE)];
  // (each is checked against the whole text: a file of thousands of them is no twin-generated module)
  if (candidates.length === 0 || candidates.length > MAX_FLAGS) return flags;
  // Bindings are counted in the code only (strings and comments blanked), lexed only when the raw text has more.
  let code: string | undefined;
  for (const m of candidates) {
    const name = m[1]!;
    if (!new RegExp(`(?<![A-Za-z0-9_])if[ \\t]+(?:not[ \\t]+)?${name}(?![A-Za-z0-9_])`).test(source))
      continue;
    const count = (text: string): number =>
      text.match(
        new RegExp(
          `(?<![A-Za-z0-9_.])(?:${name}[ \\t]*(?::[^=\\n]*)?(?:[-+*/%&|^@]|//|\\*\\*|>>|<<)?=(?!=)|global[ \\t][^\\n]*(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_]))`,
          'g',
        ),
      )?.length ?? 0;
    if (count(source) === 1 || count((code ??= lexTopLevel(source)?.code ?? source)) === 1)
      flags.set(name, m[2] === 'True');
  }
  return flags;
}

const MAX_FLAGS = 16;

/** `NAME` or `not NAME`, the whole condition of an `if`. */
const FLAG_TEST = /^(not[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Whether `node` lies in a branch that a module flag keeps off: `if FLAG:` with FLAG False (or the `else:` of
 * one that holds). `flags` is asked only when such an `if` on a bare name holds the node (most do not: the
 * module's flags are then never read).
 */
export function deadBranch(node: Node, flags: () => ReadonlyMap<string, boolean>): boolean {
  let known: ReadonlyMap<string, boolean> | undefined;
  for (let child = node, n = node.parent; n; child = n, n = n.parent) {
    if (n.type !== 'if_statement') continue;
    const test = FLAG_TEST.exec(n.childForFieldName('condition')?.text ?? '');
    if (!test) continue;
    known ??= flags();
    const value = known.get(test[2]!);
    if (value === undefined) continue;
    const holds = test[1] ? !value : value;
    if (n.childForFieldName('consequence')?.id === child.id ? !holds : child.type === 'else_clause' && holds)
      return true;
  }
  return false;
}
