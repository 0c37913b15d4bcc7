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
