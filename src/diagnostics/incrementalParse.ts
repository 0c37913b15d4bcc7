/**
 * Incremental parsing of one open document (pure, no `vscode`): the editor glue hands over VS Code's content
 * changes as plain data, this applies them to the old tree (`tree.edit`) and re-parses with it, so tree-sitter
 * only re-reads what changed.
 */
import { Edit } from 'web-tree-sitter';
import { endAfterInsert } from '../python/editedParse';
import type { Parser, Point, Tree } from '../python/treeSitter';

import { lexTopLevel } from '../python/lexer';
import { type EditSpan, editSpan, recordTreeChange } from './treeChanges';

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

/** A top-level statement of the last full parse (offsets and points as of that parse). */
interface TopLevel {
  from: number;
  to: number;
  start: Point;
  end: Point;
  /** def/class/decorated definition (may be re-parsed on its own). */
  definition: boolean;
  /** Its text has the word `import` (then never re-parsed on its own: imports feed every statement). */
  imports: boolean;
}

const DEFINITIONS = new Set(['function_definition', 'class_definition', 'decorated_definition']);

/** The most a read of rangeReader hands over (web-tree-sitter copies at most 10 KiB of UTF-16 per read). */
const READ_CHUNK = 4096;

/**
 * The input of a parse limited to `ranges` (sorted): each read gets the text up to the end of the range it
 * starts in. Given the whole string, web-tree-sitter copies 10 KiB into the parser at every read, and a
 * bounded parse reads a few times at each of its ranges: 40% of a keystroke's re-parse on a 12,000-line file.
 */
export function rangeReader(
  text: string,
  ranges: readonly { startIndex: number; endIndex: number }[],
): (index: number) => string {
  return (index) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid]!.endIndex > index) hi = mid;
      else lo = mid + 1;
    }
    const end = lo < ranges.length && ranges[lo]!.endIndex > index ? ranges[lo]!.endIndex : text.length;
    return text.slice(index, Math.min(end, index + READ_CHUNK));
  };
}
const IMPORT_WORD = /(?<![A-Za-z0-9_])import(?![A-Za-z0-9_])/;

/**
 * The parse tree of one document, kept up to date incrementally. Owns its trees (deleted on update and on
 * dispose); the parser is shared and owned by the caller.
 *
 * Edits inside one top-level def/class are parsed bounded: only that statement and the module-level
 * statements (tree-sitter `includedRanges`, positions unchanged), so a keystroke costs the size of the edited
 * statement, not of the file — also while a `(` is left open, which makes a whole-file re-parse run error
 * recovery over everything after it. The whole tree catches up (`full`) when an edit leaves the statement,
 * or when a caller needs it (BHD007's summary, the analysis when the bounded result cannot be used).
 */
export class IncrementalParse {
  /** The last full parse, with every edit since recorded on it (`tree.edit`). */
  private current: Tree | undefined;
  /** The bounded parse of the last reparse, when it was bounded (then `tree` is this one). */
  private bounded: Tree | undefined;
  /** Edits recorded on `current` since it was parsed (for `treeChangeOf` of the next tree). */
  private pending: EditSpan[] = [];
  /** Top-level statements of `current` as parsed. */
  private tops: TopLevel[] = [];
  /** Text of `current` as parsed (the statement texts are read from it). */
  private parsedText = '';
  /** The last full parse had no syntax error (bounded parses start only from such a tree). */
  private cleanBase = false;

  constructor(
    private readonly parser: Parser,
    text: string,
  ) {
    this.current = parser.parse(text) ?? undefined;
    this.remember(text);
  }

  /** The current tree (owned by this object: do not delete it, do not keep it past the next update). */
  get tree(): Tree | undefined {
    return this.bounded ?? this.current;
  }

  /** Whether `tree` covers only the edited statement and the module-level code (see the class comment). */
  get isBounded(): boolean {
    return this.bounded !== undefined;
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

  /**
   * Re-parses `newText`: bounded when every edit since the last full parse lies inside one top-level def/class
   * without imports, else in full reusing the (edited) old tree (a full parse when there is none).
   */
  reparse(newText: string): Tree | undefined {
    const zone = this.boundedZone(newText);
    if (!zone) return this.full(newText);
    const tree =
      this.parser.parse(rangeReader(newText, zone.ranges), null, { includedRanges: zone.ranges }) ??
      undefined;
    this.bounded?.delete();
    this.bounded = tree;
    if (tree && this.current)
      recordTreeChange(tree, {
        previous: this.current,
        edits: [...this.pending],
        changedRanges: [],
        bounded: { from: zone.from, to: zone.to, full: () => this.full(newText) },
      });
    return tree;
  }

  /** The whole document parsed (incrementally from the last full parse); the tree of `newText` from now on. */
  full(newText: string): Tree | undefined {
    this.bounded?.delete();
    this.bounded = undefined;
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
    this.remember(newText);
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
    this.bounded?.delete();
    this.bounded = undefined;
    this.current?.delete();
    this.current = this.parser.parse(text) ?? undefined;
    this.remember(text);
    return this.current;
  }

  dispose(): void {
    this.pending = [];
    this.bounded?.delete();
    this.bounded = undefined;
    this.current?.delete();
    this.current = undefined;
  }

  /** Notes the top-level statements of a fresh full parse (one marshalling of the root's children). */
  private remember(text: string): void {
    this.parsedText = text;
    this.cleanBase = this.current !== undefined && !this.current.rootNode.hasError;
    this.tops = [];
    if (!this.current) return;
    for (const child of this.current.rootNode.children) {
      if (!child || !child.isNamed || child.type === 'comment') continue;
      this.tops.push({
        from: child.startIndex,
        to: child.endIndex,
        start: child.startPosition,
        end: child.endPosition,
        definition: DEFINITIONS.has(child.type) && !child.hasError,
        imports: false,
      });
    }
    for (const t of this.tops) t.imports = IMPORT_WORD.test(text.slice(t.from, t.to));
  }

  /**
   * Where a bounded parse may go: the one top-level def/class (as of the last full parse) holding every edit
   * since, strictly inside it, without imports before or after; with the module-level statements (moved by
   * the edits) as further included ranges. Undefined: parse in full.
   */
  private boundedZone(newText: string):
    | {
        from: number;
        to: number;
        ranges: { startIndex: number; endIndex: number; startPosition: Point; endPosition: Point }[];
      }
    | undefined {
    // From a clean full parse only: with a syntax error elsewhere, error recovery may tie statements together.
    if (!this.current || this.pending.length === 0 || !this.cleanBase) return undefined;
    // The edits as one span: [start, oldEnd) of the parsed text became [start, newEnd) of the new one.
    const span = editSpan(this.pending);
    const start = span?.start ?? Infinity;
    const oldEnd = span?.oldEnd ?? -Infinity;
    const newEnd = span?.newEnd ?? -Infinity;
    const delta = newEnd - oldEnd;
    if (newText.length - this.parsedText.length !== delta) return undefined;
    let lo = 0;
    let hi = this.tops.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tops[mid]!.from <= start) lo = mid;
      else hi = mid - 1;
    }
    const top = this.tops[lo];
    // Strictly inside: an edit at a statement's first or last character may join it with a neighbour.
    if (!top || !top.definition || top.imports || start <= top.from || oldEnd >= top.to) return undefined;
    const to = top.to + delta;
    if (IMPORT_WORD.test(newText.slice(top.from, to))) return undefined;
    let rows = 0;
    for (let i = newText.indexOf('\n', start); i >= 0 && i < newEnd; i = newText.indexOf('\n', i + 1)) rows++;
    for (
      let i = this.parsedText.indexOf('\n', start);
      i >= 0 && i < oldEnd;
      i = this.parsedText.indexOf('\n', i + 1)
    )
      rows--;
    const balanced = lexTopLevel(newText.slice(top.from, to)) !== undefined;
    const ranges = [];
    for (const t of this.tops) {
      if (t === top) {
        const endRow = top.end.row + rows;
        // The end column moves only when the edit is on the statement's last line.
        const lastLineStart = newText.lastIndexOf('\n', to - 1) + 1;
        ranges.push({
          startIndex: top.from,
          endIndex: to,
          startPosition: top.start,
          endPosition: { row: endRow, column: to - lastLineStart },
        });
      } else if (!t.definition || t.imports) {
        const after = t.from > top.from;
        // An open bracket or string in the statement would run on into the next included range: then the
        // module-level code after it is left out (its bindings rarely matter to the statement, and that
        // state is a syntax error anyway).
        if (after && !balanced) break;
        ranges.push({
          startIndex: after ? t.from + delta : t.from,
          endIndex: after ? t.to + delta : t.to,
          startPosition: after ? { row: t.start.row + rows, column: t.start.column } : t.start,
          endPosition: after ? { row: t.end.row + rows, column: t.end.column } : t.end,
        });
      }
    }
    // Each range runs on to the end of its last line, line break included: ranges are read as one text, and
    // without the break `x = f()` and a following `@decorator` would read as `f() @ decorator`.
    for (const r of ranges) {
      const lineEnd = newText.indexOf('\n', r.endIndex);
      if (lineEnd < 0) continue;
      r.endIndex = lineEnd + 1;
      r.endPosition = { row: r.endPosition.row + 1, column: 0 };
    }
    return { from: top.from, to, ranges };
  }
}
