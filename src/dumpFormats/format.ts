/**
 * Pure: the contract every dump format implements. A format turns text someone captured (py-spy text/JSON,
 * faulthandler, `python -m asyncio ps|pstree`, ...) into the one model the diagnosis reads, {@link ParsedDump}.
 * Formats are registered in ./index.ts; adding one is one file plus one line there.
 */
import type { ParsedDump } from '../pyspyView/types';

export interface ParseOptions {
  /** The pid the text was captured from, when the caller knows it and the text does not say. */
  pid?: number;
}

export interface DumpFormat {
  /** Stable id, also written as `ParsedDump.format`: `py-spy-text`, `py-spy-json`, `faulthandler`, ... */
  id: string;
  /** For people: "py-spy dump (text)", "faulthandler", ... */
  label: string;
  /** Cheap check on the text: does it look like this format? Must not throw. */
  sniff(text: string): boolean;
  /**
   * Parses the text.
   * @throws UnparseableDumpError (src/pyspyView/dumpParser) when the text is not of this format
   */
  parse(text: string, options?: ParseOptions): ParsedDump;
}

/**
 * The JSON document in a pasted text: from the first line that starts with `[` or `{` (a shell prompt or the
 * command line often precede it) to the last line that ends with `]` or `}`. The text itself when none.
 */
export function jsonPart(text: string): string {
  const start = /^[ \t]*[[{]/m.exec(text);
  if (!start) return text;
  const body = text.slice(start.index);
  const ends = [...body.matchAll(/[\]}][ \t]*$/gm)];
  const last = ends[ends.length - 1];
  return last ? body.slice(0, (last.index ?? 0) + 1) : body;
}

/** Whether the text's JSON part starts with `open` (`[` or `{`). */
export function jsonStartsWith(text: string, open: '[' | '{'): boolean {
  return jsonPart(text).trimStart().startsWith(open);
}
