/**
 * A small Python lexer (pure, no `vscode`, no tree-sitter): where the top-level statements and the logical
 * lines of a source start, and its text with every string literal and comment blanked (positions unchanged).
 * What the text-only parts of the analysis read instead of a parse: the check planner (../diagnostics/regions),
 * BHD007's pre-filter (../diagnostics/callGraph) and the bounded re-parse of an edit (incrementalParse).
 * From the logical lines' indentation, asyncLocator tells whether code can be inside an `async def`.
 */

const DEFINITION = /^(?:@|def\b|class\b|async\s+def\b)/;

/** Whether the top-level statement starting at `start` of `source` is a def or class (decorated or not). */
export const definitionAt = (source: string, start: number): boolean =>
  DEFINITION.test(source.slice(start, start + 12));
const CLAUSE = /^(?:else|elif|except|finally)\b/;

/** Letters a string prefix may have whose strings hold code (`f"{requests.get(u)}"`, t-strings). */
const CODE_STRING_PREFIX = /[fFtT]/;
const PREFIX_LETTER = /[rRbBuUfFtT]/;
/** Where a string may end or escape (per quote, triple or not; a single-quoted string stops at a line end). */
const STOP_DQ3 = /["\\]/g;
const STOP_DQ = /["\\\n]/g;
const STOP_SQ3 = /['\\]/g;
const STOP_SQ = /['\\\n]/g;
const SPECIAL = /[\n#\\()[\]{}'"]/g;

/** What `lexTopLevel` finds: where top-level statements start, and the text with comments and strings blanked. */
export interface Lexed {
  starts: number[];
  /** Where every logical line starts (a physical line outside brackets, strings and continuations). */
  lines: number[];
  /**
   * `source` with every comment and every string literal replaced by spaces (line breaks kept; of f- and
   * t-strings only the literal text, their replacement fields hold code: see literalParts): a regex over it
   * never matches text in a string.
   */
  code: string;
  /** Results computed from `code` (derived): read-only for the callers. */
  memo?: Map<string, unknown>;
}

/**
 * One pass of a small Python lexer: start offsets of the top-level statements (a decorated definition is one
 * statement; `else`, `elif`, `except`, `finally` clauses belong to the statement before) and the code-only
 * text. Undefined when the text does not lex cleanly (unterminated string or bracket, form feeds at line
 * starts): then only a full parse will do.
 */
export function lexTopLevel(source: string): Lexed | undefined {
  // A check asks about one source several times in a row (BHD007's pre-filter, the import scan of its
  // may-block question, the planner): the last few results are kept (read-only for the callers).
  for (const entry of lexedRecently) if (entry.source === source) return entry.lexed;
  let lexed: Lexed | undefined;
  if (kept && kept.map.has(source)) lexed = kept.map.get(source);
  else {
    lexed = lex(source);
    if (kept) keep(kept, source, lexed);
  }
  lexedRecently[lexedNext] = { source, lexed };
  lexedNext = (lexedNext + 1) % lexedRecently.length;
  return lexed;
}

/** Every lexed source by its text, up to `max` characters of sources (the oldest dropped first). */
let kept: { map: Map<string, Lexed | undefined>; size: number; max: number } | undefined;

function keep(store: NonNullable<typeof kept>, source: string, lexed: Lexed | undefined): void {
  store.map.set(source, lexed);
  store.size += source.length;
  for (const old of store.map.keys()) {
    if (store.size <= store.max) break;
    store.map.delete(old);
    store.size -= old.length;
  }
}

/**
 * Keeps what lexTopLevel finds for up to `maxChars` characters of sources, by text (0: only the last few): a
 * `check` run lexes a module once where BHD007 reads it both as a checked file and as a module it follows
 * (a third of the lexing on the bench's packages). The editor keeps the default: its texts change per key.
 */
export function keepLexed(maxChars: number): void {
  kept = maxChars > 0 ? { map: new Map(), size: 0, max: maxChars } : undefined;
}

/** What `make` computes from `lexed` (its code), computed once per lexed text (the kept ones are shared). */
export function derived<T>(lexed: Lexed, key: string, make: () => T): T {
  const memo = (lexed.memo ??= new Map());
  if (memo.has(key)) return memo.get(key) as T;
  const value = make();
  memo.set(key, value);
  return value;
}

const lexedRecently: { source: string | undefined; lexed: Lexed | undefined }[] = [
  { source: undefined, lexed: undefined },
  { source: undefined, lexed: undefined },
];
let lexedNext = 0;

function lex(source: string): Lexed | undefined {
  // Regex jumps from one character that matters to the next: a CLI runs this once per file, before the JIT
  // has warmed up, and a per-character loop in cold JavaScript costs more than the regex engine's scan.
  const starts: number[] = [];
  const lines: number[] = [];
  const pieces: string[] = [];
  let copied = 0; // source[0, copied) is in pieces
  const blankOut = (from: number, to: number): void => {
    pieces.push(source.slice(copied, from), blank(source.slice(from, to)));
    copied = to;
  };
  const n = source.length;
  let depth = 0;
  let decoratorOnly = false;
  /** A physical line starting at `i` that begins a logical line: record a statement start if it is one. */
  const lineAt = (i: number): boolean => {
    if (i < n) lines.push(i);
    const c = source.charCodeAt(i);
    if (c === 12) return false; // form feed: indentation rules we do not model
    if (i < n && c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 35 /* # */) {
      const head = source.slice(i, i + 12);
      if (CLAUSE.test(head)) {
        // continues the previous compound statement
      } else if (decoratorOnly) {
        if (!head.startsWith('@')) decoratorOnly = false;
      } else {
        starts.push(i);
        decoratorOnly = head.startsWith('@');
      }
    }
    return true;
  };
  if (!lineAt(0)) return undefined;
  const special = SPECIAL;
  let i = 0;
  for (;;) {
    // `test` (no match object to allocate): the one-character match ends at lastIndex.
    special.lastIndex = i;
    if (!special.test(source)) break;
    i = special.lastIndex - 1;
    const c = source.charCodeAt(i);
    if (c === 10) {
      i++;
      if (depth === 0 && !lineAt(i)) return undefined;
      continue;
    }
    if (c === 35) {
      // comment: to the end of the line
      const end = source.indexOf('\n', i);
      const to = end < 0 ? n : end;
      blankOut(i, to);
      i = to;
      continue;
    }
    if (c === 92 /* \ */) {
      // line continuation (or a stray escape): the next line does not start a statement
      i += source.startsWith('\r\n', i + 1) ? 3 : 2;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) {
      depth++;
      i++;
      continue;
    }
    if (c === 41 || c === 93 || c === 125) {
      depth = Math.max(0, depth - 1);
      i++;
      continue;
    }
    // a string literal
    const j = stringEnd(source, i);
    if (j === undefined || j > n) return undefined;
    // The prefix: up to three letters right before the quote, not part of a longer name.
    let p = i;
    while (p > 0 && i - p < 3 && PREFIX_LETTER.test(source[p - 1]!)) p--;
    const codeString =
      p > 0 && /\w/.test(source[p - 1]!) ? false : CODE_STRING_PREFIX.test(source.slice(p, i));
    if (!codeString) blankOut(i, j);
    else for (const [from, to] of literalParts(source, i, j)) blankOut(from, to);
    i = j;
  }
  if (depth !== 0) return undefined;
  pieces.push(source.slice(copied));
  return { starts, lines, code: pieces.join('') };
}

/**
 * Where the string literal whose quote is at `i` of `source` ends (the index after its closing quote; at the
 * line break of a single-quoted string left open, unless `strict`), as the lexer reads it: an f-string ends at the
 * next quote of its kind, so `code` keeps each one whole from quote to quote. Undefined when it is never closed.
 */
export function stringEnd(source: string, i: number, strict = false): number | undefined {
  const q = source[i]!;
  const triple = source.startsWith(q + q + q, i);
  const stop = q === '"' ? (triple ? STOP_DQ3 : STOP_DQ) : triple ? STOP_SQ3 : STOP_SQ;
  let j = i + (triple ? 3 : 1);
  for (;;) {
    stop.lastIndex = j;
    if (!stop.test(source)) return undefined; // unterminated
    j = stop.lastIndex - 1;
    const d = source.charCodeAt(j);
    if (d === 92) {
      j += 2;
      continue;
    }
    if (d === 10) return strict ? undefined : j; // unterminated single-line string: the parser reports an error
    if (!triple) return j + 1;
    if (source.startsWith(q + q + q, j)) return j + 3;
    j++;
  }
}

/**
 * The literal text of the f- or t-string whose quote is at `start` of `source` and that ends at `end` (as
 * stringEnd reads it): what lies outside its replacement fields (`{expr!r:spec}` stays whole, the format
 * spec's nested fields too), doubled braces and escapes included, as ranges to blank. A backslash before a
 * line break stays (a continuation), and so does the rest of the string from a field that does not close
 * inside it (nothing assumed). The quotes stay: the string still ends where stringEnd says.
 */
export function literalParts(source: string, start: number, end: number): [number, number][] {
  const q = source[start]!;
  const quotes = source.startsWith(q + q + q, start) ? 3 : 1;
  const from = start + quotes;
  const closed = end - quotes >= from && source.startsWith(q.repeat(quotes), end - quotes);
  const to = closed ? end - quotes : end;
  const parts: [number, number][] = [];
  let literal = from; // where the literal run being read started
  const cut = (at: number): void => {
    if (at > literal) parts.push([literal, at]);
  };
  for (let k = from; k < to;) {
    const c = source.charCodeAt(k);
    if (c === 92 /* \ */) {
      const next = source.charCodeAt(k + 1);
      if (next === 10 || next === 13) {
        cut(k);
        k += source.startsWith('\r\n', k + 1) ? 3 : 2;
        literal = k;
      } else k += 2;
      continue;
    }
    if ((c === 123 || c === 125) && source.charCodeAt(k + 1) === c) {
      k += 2; // `{{` / `}}`: a brace of the text
      continue;
    }
    if (c !== 123 /* { */) {
      k++;
      continue;
    }
    // A replacement field: kept up to its closing brace.
    let depth = 0;
    let m = k;
    for (; m < to; m++) {
      const d = source.charCodeAt(m);
      if (d === 34 || d === 39) {
        const after = stringEnd(source, m, true);
        if (after === undefined || after > to) m = to;
        else m = after - 1;
      } else if (d === 40 || d === 91 || d === 123) depth++;
      else if ((d === 41 || d === 93 || d === 125) && --depth === 0) break;
    }
    cut(k);
    if (m >= to) return parts; // not closed inside the string: the rest stays
    k = m + 1;
    literal = k;
  }
  cut(to);
  return parts;
}

/**
 * Start offsets of the top-level statements of `source` (see lexTopLevel), or undefined when the text does
 * not lex cleanly.
 */
export function topLevelStarts(source: string): number[] | undefined {
  return lexTopLevel(source)?.starts;
}

/** Spaces for every character except line breaks. */
function blank(text: string): string {
  if (text.indexOf('\n') < 0 && text.indexOf('\r') < 0) return ' '.repeat(text.length);
  return text.replace(/[^\r\n]+/g, (run) => ' '.repeat(run.length));
}

/** indentWidth of a line with nothing but blanks (Python ignores its indentation). */
export const BLANK_LINE = -1;
/** indentWidth of a line whose indentation is not read (a form feed in it). */
export const UNREAD_INDENT = -2;

/**
 * The indentation width of the logical line starting at `from` of `code` as tree-sitter's Python scanner
 * measures it, which the trees the analysis reads follow: a space 1, a tab 8 (Python tabs to the next multiple
 * of 8: the same whenever no space comes before a tab, and a file mixing them otherwise is a TabError).
 * BLANK_LINE for a line of blanks only, UNREAD_INDENT with a form feed. The line's code starts at
 * `from + indentLength(code, from)`.
 */
export function indentWidth(code: string, from: number): number {
  let width = 0;
  for (let i = from; ; i++) {
    const c = code.charCodeAt(i);
    if (c === 32) width++;
    else if (c === 9) width += 8;
    else if (c === 12) return UNREAD_INDENT;
    else return Number.isNaN(c) || c === 10 || c === 13 ? BLANK_LINE : width;
  }
}

/** How many characters of blanks (spaces and tabs) the line starting at `from` begins with. */
export function indentLength(code: string, from: number): number {
  let i = from;
  while (code.charCodeAt(i) === 32 || code.charCodeAt(i) === 9) i++;
  return i - from;
}

const ASYNC_DEF_HEAD = /^async[\s\\]+def(?![A-Za-z0-9_])/;
const DEF_OR_CLASS_HEAD = /^(?:def|class)(?![A-Za-z0-9_])/;

/**
 * `asyncAt(index)`: whether code at `index` can be lexically inside an `async def` (not inside a nested def
 * or class), from the indentation of the logical lines: the innermost enclosing def/class header decides.
 * Errs towards true (lambdas, a site on a def line: defaults belong to the enclosing scope). Undefined when
 * the indentation cannot be trusted (a form feed, or a dedent to a level never opened: tree-sitter's error
 * recovery could nest the code anywhere). Tabs count as tree-sitter counts them (indentWidth).
 */
export function asyncLocator(code: string, lines: readonly number[]): AsyncLocator | undefined {
  const indent: number[] = []; // -1: blank line
  const kind: number[] = []; // 2 async def, 1 def/class, 0 other
  /** Per logical line: whether code on it is async (its own `async def` header, or its innermost enclosing
   * def/class header is one). */
  const inAsync: boolean[] = [];
  const stack: number[] = [0];
  // The lines enclosing the current one (each indented less than the next), with what they decide for the
  // lines they enclose: true under an async def, false under a def/class, else what encloses them.
  const chain: { width: number; decides: boolean }[] = [];
  for (let j = 0; j < lines.length; j++) {
    const from = lines[j]!;
    const width = indentWidth(code, from);
    if (width === UNREAD_INDENT) return undefined;
    if (width === BLANK_LINE) {
      indent.push(-1);
      kind.push(0);
      inAsync.push(false);
      continue;
    }
    const i = from + indentLength(code, from);
    if (width > stack[stack.length - 1]!) stack.push(width);
    else {
      while (stack.length > 1 && width < stack[stack.length - 1]!) stack.pop();
      if (width !== stack[stack.length - 1]) return undefined;
    }
    indent.push(width);
    const head = code.slice(i, i + 24);
    const k = ASYNC_DEF_HEAD.test(head) ? 2 : DEF_OR_CLASS_HEAD.test(head) ? 1 : 0;
    kind.push(k);
    while (chain.length > 0 && chain[chain.length - 1]!.width >= width) chain.pop();
    const enclosing = chain.length > 0 && chain[chain.length - 1]!.decides;
    inAsync.push(k === 2 || enclosing);
    chain.push({ width, decides: k === 2 ? true : k === 1 ? false : enclosing });
  }
  const at = (index: number): boolean => {
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lines[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    while (lo > 0 && indent[lo]! < 0) lo--;
    return inAsync[lo] === true; // no line at all (an empty text): not async
  };
  // Code is async only under an `async def` header: its line and the lines indented deeper after it (blank
  // lines up to the next statement included, as `at` judges them by the line before).
  const ranges: [number, number][] = [];
  for (let j = 0; j < lines.length; j++) {
    if (kind[j] !== 2) continue;
    let k = j + 1;
    while (k < lines.length && (indent[k]! < 0 || indent[k]! > indent[j]!)) k++;
    ranges.push([lines[j]!, k < lines.length ? lines[k]! : code.length]);
    j = k - 1; // nested async defs are inside this range
  }
  return Object.assign(at, { ranges });
}

/** See asyncLocator: whether code at an index can be in async code, and where async code can be at all. */
export interface AsyncLocator {
  (index: number): boolean;
  /** [from, to) of every outermost `async def` block, header included: `(index)` is false outside them. */
  readonly ranges: readonly (readonly [number, number])[];
}
