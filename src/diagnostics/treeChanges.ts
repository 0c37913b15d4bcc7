/**
 * What an incremental re-parse changed (pure data, no tree-sitter runtime import: the analysis reads it without
 * loading web-tree-sitter, which a whole-file check that parses nothing never needs).
 */
import type { Tree } from '../python/treeSitter';

/** One text edit as UTF-16 offsets (start, end before the edit, end after it). */
export interface EditSpan {
  startIndex: number;
  oldEndIndex: number;
  newEndIndex: number;
}

/**
 * How a tree produced by `IncrementalParse.reparse` differs from the one it was re-parsed from: the edits
 * applied in between (in order) and tree-sitter's changed ranges (new coordinates). With this the analysis
 * re-examines only the statements around the change instead of every statement of the file.
 */
export interface TreeChange {
  /** The tree this one was re-parsed from (already deleted: compare by identity only). */
  previous: Tree;
  edits: readonly EditSpan[];
  changedRanges: readonly { startIndex: number; endIndex: number }[];
  /**
   * Set on a bounded parse (IncrementalParse): the tree holds only the top-level statement [from, to) being
   * edited and the module-level statements, everything else of `previous` is unchanged but for the shift by
   * the edits. `full()` re-parses the whole document (and returns that tree) when the caller needs it.
   */
  bounded?: { from: number; to: number; full: () => Tree | undefined };
}

const CHANGES = new WeakMap<Tree, TreeChange>();

/** Remembers how `tree` differs from the tree it was re-parsed from (IncrementalParse). */
export function recordTreeChange(tree: Tree, change: TreeChange): void {
  CHANGES.set(tree, change);
}

/** What changed between `tree` and the tree it was incrementally re-parsed from (undefined: full parse). */
export function treeChangeOf(tree: Tree): TreeChange | undefined {
  return CHANGES.get(tree);
}

/**
 * The edits, applied in order, as one span: [start, oldEnd) of the text before them became [start, newEnd)
 * of the text after them. Undefined for no edits.
 */
export function editSpan(
  edits: readonly EditSpan[],
): { start: number; oldEnd: number; newEnd: number } | undefined {
  let span: { start: number; oldEnd: number; newEnd: number } | undefined;
  for (const e of edits) {
    if (!span) {
      span = { start: e.startIndex, oldEnd: e.oldEndIndex, newEnd: e.newEndIndex };
      continue;
    }
    const delta = span.newEnd - span.oldEnd; // current text = old text shifted by delta after newEnd
    const right = Math.max(span.newEnd, e.oldEndIndex);
    span = {
      start: Math.min(span.start, e.startIndex),
      oldEnd: right - delta,
      newEnd: right + (e.newEndIndex - e.oldEndIndex),
    };
  }
  return span;
}
