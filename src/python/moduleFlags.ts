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
 * binding of the name anywhere, `global` included, and it is no flag).
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

/** Whether `node` lies in a branch that one of `flags` keeps off: `if FLAG:` with FLAG False (or its `else:`...). */
export function deadBranch(node: Node, flags: ReadonlyMap<string, boolean>): boolean {
  if (flags.size === 0) return false;
  for (let child = node, n = node.parent; n; child = n, n = n.parent) {
    const branch = n.type === 'else_clause' ? n : child;
    const statement = n.type === 'else_clause' ? n.parent : n;
    if (statement?.type !== 'if_statement') continue;
    const test = FLAG_TEST.exec(statement.childForFieldName('condition')?.text ?? '');
    const value = test ? flags.get(test[2]!) : undefined;
    if (value === undefined) continue;
    const holds = test![1] ? !value : value;
    if (
      statement.childForFieldName('consequence')?.id === branch.id
        ? !holds
        : branch.type === 'else_clause' && holds
    )
      return true;
  }
  return false;
}
