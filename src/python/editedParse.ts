/**
 * Parsing a source after a few text edits without re-reading the whole file (pure, no `vscode`): the old tree
 * is copied, told about the edits (`tree.edit`) and re-parsed with, so tree-sitter reuses every untouched
 * subtree. Checking that a fix parses then costs about the size of the fix, not the size of the file — what
 * keeps `fixable` and fix-all linear in findings × file size instead of quadratic.
 */
import { Edit } from 'web-tree-sitter';
import type { Parser, Point, Tree } from './treeSitter';

/** Edits above which parseEdited parses the edited text afresh (see there). */
const FRESH_PARSE_EDITS = 256;

/** Replace `[start, end)` (UTF-16 offsets) with `newText`; the shape of codeActions' TextEdit. */
export interface SpanEdit {
  start: number;
  end: number;
  newText: string;
}

/** Line starts of one source, kept for the last source seen (fix checks ask many times about one file). */
let lastSource: string | undefined;
let lastStarts: number[] = [];

function lineStarts(source: string): number[] {
  if (lastSource === source) return lastStarts;
  const starts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  lastSource = source;
  lastStarts = starts;
  return starts;
}

/** The tree-sitter point (row, UTF-16 column) of `index` in `source`. */
export function pointAt(source: string, index: number): Point {
  const starts = lineStarts(source);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return { row: lo, column: index - starts[lo]! };
}

/** Where `text` ends when inserted at `start`. */
export function endAfterInsert(start: Point, text: string): Point {
  const lastBreak = text.lastIndexOf('\n');
  if (lastBreak < 0) return { row: start.row, column: start.column + text.length };
  let rows = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) rows++;
  return { row: start.row + rows, column: text.length - lastBreak - 1 };
}

/**
 * Parses `after` (= `source` with `edits` applied, non-overlapping) reusing `tree` (the parse of `source`,
 * left untouched). The caller owns and deletes the result. Same tree as a fresh parse of `after`.
 */
export function parseEdited(
  parser: Parser,
  tree: Tree,
  source: string,
  edits: readonly SpanEdit[],
  after: string,
): Tree | null {
  // Edits all over the file (the fixes of a file full of findings, checked together): telling the tree about
  // each costs more than it saves, since the re-parse reads most of the file anyway. A fresh parse then.
  if (edits.length > FRESH_PARSE_EDITS) return parser.parse(after);
  const old = tree.copy();
  try {
    // Last edit first: the text before each edit is then still the original source, so its points are too.
    // Insertions at one offset keep their given order (applied right to left, each lands before the later).
    const order = edits.map((e, i) => ({ e, i })).sort((a, b) => b.e.start - a.e.start || b.i - a.i);
    for (const { e } of order) {
      const startPosition = pointAt(source, e.start);
      old.edit(
        new Edit({
          startIndex: e.start,
          oldEndIndex: e.end,
          newEndIndex: e.start + e.newText.length,
          startPosition,
          oldEndPosition: pointAt(source, e.end),
          newEndPosition: endAfterInsert(startPosition, e.newText),
        }),
      );
    }
    return parser.parse(after, old);
  } finally {
    old.delete();
  }
}
