/**
 * Pure: what the diagnosis needs to know about a frame's source file, read from its text without a parser
 * (it runs on every capture, over files of any size): which `def`/`async def` encloses a line, and how far a
 * compound statement's block reaches (a `with` being exited is reported by CPython 3.9 at the block's last
 * line, not at the `with`).
 */

/** One function definition: 1-based first (the `def` line) and last line of its body. */
export interface DefRange {
  name: string;
  async: boolean;
  start: number;
  end: number;
}

const DEF_RE = /^([ \t]*)(async[ \t]+)?def[ \t]+([A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff]*)/;

const indentOf = (line: string): number => {
  let n = 0;
  for (const ch of line) {
    if (ch === ' ') n++;
    else if (ch === '\t') n += 8 - (n % 8);
    else break;
  }
  return n;
};

const isBlankOrComment = (line: string): boolean => /^[ \t]*(#.*)?$/.test(line);

/**
 * The 0-based index of the line that ends a compound statement's header starting at `row` (the `:` outside
 * brackets and strings), so multi-line signatures and `with (a, b):` headers are skipped.
 */
function headerEnd(lines: readonly string[], row: number): number {
  let depth = 0;
  for (let r = row; r < lines.length; r++) {
    const line = lines[r];
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quote) {
        if (ch === '\\') i++;
        else if (line.startsWith(quote, i)) {
          i += quote.length - 1;
          quote = undefined;
        }
        continue;
      }
      if (ch === '#') break;
      if (ch === '"' || ch === "'") {
        quote = line.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
        if (quote.length === 3) i += 2;
      } else if ('([{'.includes(ch)) depth++;
      else if (')]}'.includes(ch)) depth = Math.max(0, depth - 1);
      else if (ch === ':' && depth === 0 && /^[ \t]*(#.*)?$/.test(line.slice(i + 1))) return r;
    }
    if (depth === 0 && !line.trimEnd().endsWith('\\') && r > row) return r;
  }
  return row;
}

/**
 * The 1-based last line of the block of the compound statement whose header starts on 0-based `row`: the
 * line before the first non-blank line indented no deeper than the header (or the file's end).
 */
export function blockEnd(lines: readonly string[], row: number): number {
  const head = lines[row];
  if (head === undefined) return row + 1;
  const indent = indentOf(head);
  let last = headerEnd(lines, row);
  for (let r = last + 1; r < lines.length; r++) {
    if (isBlankOrComment(lines[r])) continue;
    if (indentOf(lines[r]) <= indent) break;
    last = r;
  }
  return last + 1;
}

/** Every `def` / `async def` of a source text, with the lines its body spans. */
export function defRanges(text: string): DefRange[] {
  const lines = text.split(/\r?\n/);
  const out: DefRange[] = [];
  for (let r = 0; r < lines.length; r++) {
    const m = DEF_RE.exec(lines[r]);
    if (!m) continue;
    out.push({ name: m[3], async: !!m[2], start: r + 1, end: blockEnd(lines, r) });
  }
  return out;
}

/** The innermost definition containing 1-based `line`. */
export function enclosingDef(ranges: readonly DefRange[], line: number): DefRange | undefined {
  let best: DefRange | undefined;
  for (const d of ranges) if (d.start <= line && line <= d.end && (!best || d.start >= best.start)) best = d;
  return best;
}

/** Reads a frame file's text (already resolved to this machine), or undefined when it is not here. */
export type SourceTextReader = (file: string) => string | undefined;

/** Caches text, lines and definitions per file for the length of one diagnosis. */
export class SourceFacts {
  private readonly cache = new Map<string, { lines: string[]; defs?: DefRange[] } | null>();

  constructor(private readonly read: SourceTextReader | undefined) {}

  private entry(file: string): { lines: string[]; defs?: DefRange[] } | undefined {
    if (!this.read) return undefined;
    let e = this.cache.get(file);
    if (e === undefined) {
      let text: string | undefined;
      try {
        text = this.read(file);
      } catch {
        text = undefined; // an unreadable file costs only what its text would have told
      }
      e = text === undefined ? null : { lines: text.split(/\r?\n/) };
      this.cache.set(file, e);
    }
    return e ?? undefined;
  }

  /** One 1-based line, or undefined. */
  line(file: string, line: number): string | undefined {
    return this.entry(file)?.lines[line - 1];
  }

  /**
   * Whether `line` of `file` is inside an `async def` named `fn` (bare name; py-spy's frame name): true/false
   * when the file is readable, undefined when not.
   */
  inAsyncDef(file: string, line: number, fn: string): boolean | undefined {
    const e = this.entry(file);
    if (!e) return undefined;
    e.defs ??= defRanges(e.lines.join('\n'));
    const d = enclosingDef(e.defs, line);
    return !!d && d.async && (d.name === fn || fn === '');
  }
}
