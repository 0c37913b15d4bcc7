/**
 * Incremental parsing of one open document (pure, no `vscode`): the editor glue hands over VS Code's content
 * changes as plain data, this applies them to the old tree (`tree.edit`) and re-parses with it, so tree-sitter
 * only re-reads what changed.
 */
import { Edit } from 'web-tree-sitter';
import { endAfterInsert } from '../python/editedParse';
import type { Parser, Tree } from '../python/treeSitter';

import { type EditSpan, recordTreeChange } from './treeChanges';

export { type EditSpan, type TreeChange, treeChangeOf } from './treeChanges';

/** The plain-data shape of `vscode.TextDocumentContentChangeEvent` (UTF-16 offsets, 0-based lines). */
export interface ContentChange {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

/** The tree-sitter edit for one content change. */
export function editForChange(change: ContentChange): Edit {
  const startPosition = { row: change.range.start.line, column: change.range.start.character };
  return new Edit({
    startIndex: change.rangeOffset,
    oldEndIndex: change.rangeOffset + change.rangeLength,
    newEndIndex: change.rangeOffset + change.text.length,
    startPosition,
    oldEndPosition: { row: change.range.end.line, column: change.range.end.character },
    newEndPosition: endAfterInsert(startPosition, change.text),
  });
}

/**
 * The parse tree of one document, kept up to date incrementally. Owns its tree (deleted on update and on
 * dispose); the parser is shared and owned by the caller.
 */
export class IncrementalParse {
  private current: Tree | undefined;
  /** Edits recorded on `current` since it was parsed (for `treeChangeOf` of the next tree). */
  private pending: EditSpan[] = [];

  constructor(
    private readonly parser: Parser,
    text: string,
  ) {
    this.current = parser.parse(text) ?? undefined;
  }

  /** The current tree (owned by this object: do not delete it, do not keep it past the next update). */
  get tree(): Tree | undefined {
    return this.current;
  }

  /**
   * Records `changes` (in the order VS Code reports them) on the current tree without re-parsing. Several
   * batches may be recorded before one `reparse`: tree-sitter accumulates edits on a tree.
   */
  applyChanges(changes: readonly ContentChange[]): void {
    if (!this.current) return;
    for (const change of changes) {
      const edit = editForChange(change);
      this.current.edit(edit);
      this.pending.push({
        startIndex: edit.startIndex,
        oldEndIndex: edit.oldEndIndex,
        newEndIndex: edit.newEndIndex,
      });
    }
  }

  /** Re-parses `newText` reusing the (edited) old tree; falls back to a full parse when there is none. */
  reparse(newText: string): Tree | undefined {
    const old = this.current;
    const edits = this.pending;
    this.pending = [];
    this.current = this.parser.parse(newText, old) ?? undefined;
    if (old && this.current) {
      // Changed ranges can only be computed while the old tree is alive: before deleting it.
      const changedRanges = this.current
        .getChangedRanges(old)
        .map((r) => ({ startIndex: r.startIndex, endIndex: r.endIndex }));
      recordTreeChange(this.current, { previous: old, edits, changedRanges });
    }
    old?.delete();
    return this.current;
  }

  /** `applyChanges` then `reparse`. */
  update(changes: readonly ContentChange[], newText: string): Tree | undefined {
    this.applyChanges(changes);
    return this.reparse(newText);
  }

  /** Full re-parse (e.g. after an unknown change). */
  reset(text: string): Tree | undefined {
    this.pending = [];
    this.current?.delete();
    this.current = this.parser.parse(text) ?? undefined;
    return this.current;
  }

  dispose(): void {
    this.pending = [];
    this.current?.delete();
    this.current = undefined;
  }
}
