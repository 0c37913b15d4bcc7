/**
 * Text helpers shared by the fixes: line boundaries, the file's end-of-line sequence and indentation unit.
 * Pure: plain strings and UTF-16 offsets (the same offsets tree-sitter's `startIndex` and VS Code use).
 */

/** Offset of the first character of the line holding `index`. */
export function lineStart(source: string, index: number): number {
  return source.lastIndexOf('\n', index - 1) + 1;
}

/** Offset of the line terminator (`\r\n` or `\n`) of the line holding `index`, or the source length. */
export function lineEnd(source: string, index: number): number {
  const nl = source.indexOf('\n', index);
  if (nl < 0) return source.length;
  return nl > 0 && source[nl - 1] === '\r' ? nl - 1 : nl;
}

/** Offset just after the line terminator of the line holding `index` (the next line's start). */
export function nextLineStart(source: string, index: number): number {
  const nl = source.indexOf('\n', index);
  return nl < 0 ? source.length : nl + 1;
}

/** The end-of-line sequence the file uses: its first line terminator decides (default `\n`). */
export function detectEol(source: string): '\n' | '\r\n' {
  const nl = source.indexOf('\n');
  return nl > 0 && source[nl - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * The file's indentation unit: a tab when the first indented line starts with one, else the smallest
 * positive run of leading spaces (capped at 8), else four spaces.
 */
export function detectIndent(source: string): string {
  let smallest = 0;
  for (const line of source.split('\n')) {
    const m = /^([ \t]+)\S/.exec(line);
    if (!m) continue;
    if (m[1]!.startsWith('\t')) return smallest === 0 ? '\t' : ' '.repeat(smallest);
    const n = m[1]!.length;
    if (smallest === 0 || n < smallest) smallest = n;
  }
  return smallest > 0 ? ' '.repeat(Math.min(smallest, 8)) : '    ';
}
