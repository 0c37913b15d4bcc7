/**
 * Valid Python that tree-sitter-python's grammar (0.25) parses with an ERROR node (pure). Telling them apart
 * keeps a valid file from being reported as E999 and from being refused every fix.
 */
import type { Node } from './treeSitter';

/**
 * A call on a subscript inside an annotation: `def h(db: Annotated[int, DEPS["db"](1)])`, `x: P[f](1) = 1`.
 * The grammar's `type` rule reads `P[f]` as a generic type, which cannot be called: it wraps it in an ERROR
 * node, then reads the arguments as a parenthesized expression right after it. That shape, and only it.
 */
export function misreadAnnotationCall(error: Node): boolean {
  const named = error.namedChildren;
  if (named.length !== 1 || named[0]?.type !== 'type' || named[0].firstNamedChild?.type !== 'generic_type')
    return false;
  const next = error.nextNamedSibling;
  return (
    next?.type === 'type' &&
    ['parenthesized_expression', 'tuple'].includes(next.firstNamedChild?.type ?? '') &&
    next.startIndex === error.endIndex &&
    !next.hasError
  );
}
