/** Plain-data types shared by the analysis engine, the fixes, the CLI and the editor glue (no `vscode`). */

/** A position as tree-sitter gives it: 0-based row, 0-based column in UTF-16 code units (like VS Code). */
export interface Point {
  row: number;
  column: number;
}

export interface Range {
  start: Point;
  end: Point;
}

/** Rule codes are public API: keep them stable. BHD004 is reserved. */
export type RuleCode = 'BHD001' | 'BHD002' | 'BHD003' | 'BHD005' | 'BHD006' | 'BHD007';

export const RULE_CODES: readonly RuleCode[] = ['BHD001', 'BHD002', 'BHD003', 'BHD005', 'BHD006', 'BHD007'];

/** A place in another (or the same) file that explains a finding: one hop of a BHD007 chain. */
export interface RelatedLocation {
  /** Absolute path of the file. */
  file: string;
  range: Range;
  message: string;
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/**
 * What a finding's operation is, where a fix or BHD007's chain needs more than the rule's code: `time.sleep`
 * (its fix is `await asyncio.sleep`), a requests call (its timeout comes first before a thread), a `with` whose
 * exit blocks (an executor's, a Popen's: an operation in its body runs first).
 */
export type FindingKind = 'sleep' | 'requests' | 'blocksOnExit';

/** One finding of one rule on one node of the source. */
export interface Finding {
  code: RuleCode;
  /** The reported node's range (what gets underlined). */
  range: Range;
  /** The same span as UTF-16 offsets into the source string (`startIndex`/`endIndex` of the node). */
  startIndex: number;
  endIndex: number;
  /** One short sentence: the first line of the diagnostic. */
  message: string;
  /** Why it freezes the server and what to do; follows the message. */
  detail: string;
  /** Whether src/codeActions offers an automatic (non-suppression) fix for it. */
  fixable: boolean;
  /** BHD007: each hop of the chain down to the blocking operation (clickable in the editor). */
  related?: RelatedLocation[];
  /** Set by the rules that tell (see FindingKind; undefined for the others); not part of any output. */
  kind?: FindingKind | undefined;
}
