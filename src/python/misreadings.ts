/**
 * Valid Python that tree-sitter-python's grammar (0.25) parses with an ERROR node (pure). Telling them apart
 * keeps a valid file from being reported as E999 and from being refused every fix.
 */
import type { Node } from './treeSitter';

/** A keyword argument's `name=`, which the grammar cannot read inside a parenthesized expression or tuple. */
const KEYWORD = /^[A-Za-z_][A-Za-z0-9_]*[ \t]*=$/;

/**
 * A call on a subscript inside an annotation: `def h(db: Annotated[int, DEPS["db"](1)])`, `x: P[f](1) = 1`,
 * `Annotated[str, Query["q"](name="k")]`. The grammar's `type` rule reads `P[f]` as a generic type, which cannot
 * be called: it wraps it in an ERROR node, then reads the arguments as a parenthesized expression or a tuple
 * right after it (a keyword's `name=` as an ERROR inside: misreadKeyword). That shape, and only it.
 */
export function misreadAnnotationCall(error: Node): boolean {
  const named = error.namedChildren;
  if (named.length !== 1 || named[0]?.type !== 'type' || named[0].firstNamedChild?.type !== 'generic_type')
    return false;
  const next = error.nextNamedSibling;
  const args = next?.firstNamedChild;
  return (
    next?.type === 'type' &&
    (args?.type === 'parenthesized_expression' || args?.type === 'tuple') &&
    next.startIndex === error.endIndex &&
    keywordErrorsOnly(args)
  );
}

/** The `name=` of a keyword argument of a misread annotation call (see misreadAnnotationCall). */
export function misreadKeyword(error: Node): boolean {
  const args = error.parent;
  const holder = args?.parent;
  const call = holder?.previousNamedSibling;
  return (
    KEYWORD.test(error.text) &&
    (args?.type === 'parenthesized_expression' || args?.type === 'tuple') &&
    holder?.type === 'type' &&
    call?.type === 'ERROR' &&
    misreadAnnotationCall(call)
  );
}

/** Python's keywords: not a keyword argument's name (`lambda=1` is a syntax error). */
const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);

/**
 * Whether the only errors directly in `args` are keywords' `name=` (nothing missing, nothing deeper), each
 * followed by its value, and no positional argument after one (`(name="k", 1)` is a syntax error).
 */
function keywordErrorsOnly(args: Node): boolean {
  if (!args.hasError) return true;
  let keyword = false;
  let value = false;
  for (const c of args.namedChildren) {
    if (!c) continue;
    if (c.isError) {
      if (!KEYWORD.test(c.text) || PY_KEYWORDS.has(c.text.replace(/[ \t]*=$/, '')) || value) return false;
      keyword = value = true;
    } else if (c.hasError) return false;
    else if (value)
      value = false; // the keyword's value
    else if (keyword) return false; // a positional argument after a keyword argument
  }
  return !value;
}
