/**
 * Small tree-sitter-python queries the fixes need: enclosing functions, names in scope, module-level imports,
 * rows that start statements or lie inside multi-line strings. Pure: no `vscode`.
 */
import { qualifiedName, readImports } from '../python/imports';
import type { Node } from '../python/treeSitter';

/** `(x)` -> `x`, repeatedly. */
export function unparen(node: Node): Node {
  let n = node;
  while (n.type === 'parenthesized_expression' && n.namedChildren.length === 1) n = n.namedChildren[0]!;
  return n;
}

/** The innermost `def`/`async def` holding `node`, or null at module level. */
export function enclosingFunction(node: Node): Node | null {
  for (let n = node.parent; n; n = n.parent) if (n.type === 'function_definition') return n;
  return null;
}

/**
 * Whether `node` would run inside the async function's own frame: no lambda, nested def/class or generator
 * expression between them (an `await` is only legal, and only means the same, in that frame).
 */
export function directlyInAsyncDef(node: Node): boolean {
  for (let n = node.parent; n; n = n.parent) {
    const type = n.type; // a wasm call: read once per ancestor
    if (type === 'function_definition') return n.firstChild?.type === 'async'; // isAsyncDef, type known
    if (type === 'lambda' || type === 'class_definition' || type === 'generator_expression') return false;
  }
  return false;
}

/** Every identifier spelled anywhere under `node` (to pick names that cannot collide). */
export function identifiersUnder(node: Node): Set<string> {
  return new Set(node.descendantsOfType('identifier').map((n) => n.text));
}

/** A name not in `taken`: the first free candidate, else `base_2`, `base_3`, ... */
export function freshName(taken: Set<string>, ...candidates: string[]): string {
  for (const c of candidates) if (!taken.has(c)) return c;
  const base = candidates[0]!;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/**
 * Names bound by top-level imports, and the dotted name each stands for (see qualifiedName): `import a.b`
 * binds `a`, `import a as x` / `from m import y as x` bind `x`.
 */
export function moduleImportedNames(root: Node): Map<string, string> {
  const names = new Map<string, string>();
  for (const statement of readImports(root.namedChildren))
    for (const name of statement.names) names.set(name.local, qualifiedName(name));
  return names;
}

/** Rows whose start lies inside a multi-line string: re-indenting them would change the string's value. */
export function stringInteriorRows(node: Node): Set<number> {
  const rows = new Set<number>();
  for (const s of node.descendantsOfType('string')) {
    for (let r = s.startPosition.row + 1; r <= s.endPosition.row; r++) rows.add(r);
  }
  return rows;
}

/** Rows on which a statement, clause or comment begins (the lines whose indentation Python reads). */
export function statementStartRows(node: Node): Set<number> {
  const rows = new Set<number>();
  const visit = (n: Node): void => {
    if (
      /_statement$|_clause$|^(function_definition|class_definition|decorated_definition|decorator|comment)$/.test(
        n.type,
      )
    ) {
      rows.add(n.startPosition.row);
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(node);
  return rows;
}
