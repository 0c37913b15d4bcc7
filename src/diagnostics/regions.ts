/**
 * Region parsing for whole-file checks (CLI, Check Workspace): only the top-level statements that can hold a
 * finding are parsed. Pure, no `vscode`, no tree-sitter: a small Python lexer finds where top-level
 * statements start, and the text of every statement that cannot matter is replaced by spaces (line breaks
 * kept), so the parsed text has exactly the original length, rows and columns: findings on it carry the very
 * positions a full parse would give.
 *
 * Kept (everything a rule looks at for a finding in a kept statement):
 * - every module-level statement that is not a def/class (imports, module-level bindings, `if`/`try` blocks);
 * - a def/class holding `async` and a word a rule's call ends with (`ThreadPoolExecutor`, `shutdown`,
 *   `result`, `wait`, `as_completed`, `sleep`, an HTTP method) or an import alias of one: BHD001/2/3/6 need
 *   async code, and their findings, bindings and `self.attr` evidence are inside the statement or at module
 *   level;
 * - when the file imports requests: a def/class calling an HTTP method name (or alias) (BHD005);
 * - a def/class with an `import` that mentions one of those names (nested imports feed the import table).
 * The caller parses the result and falls back to a full parse when that tree has a syntax error (the lexer
 * misjudged a boundary, or the file has an error in a kept statement).
 */

const HTTP = 'get|post|put|patch|delete|head|options|request';
/** Words whose aliases (`X as Y` in an import) can name a rule's callable or a module on the way to it. */
const ALIASABLE = new RegExp(
  `(?<![\\w.])(?:ThreadPoolExecutor|ProcessPoolExecutor|wait|as_completed|sleep|Session|session|requests|time|` +
    `concurrent|futures|thread|process|_base|api|sessions|${HTTP})\\s+as\\s+([A-Za-z_]\\w*)`,
  'g',
);
const ASYNC_WORDS = `ThreadPoolExecutor|ProcessPoolExecutor|shutdown|result|wait|as_completed|sleep|${HTTP}`;
const IMPORT_WORDS = `ThreadPoolExecutor|ProcessPoolExecutor|wait|as_completed|sleep|Session|session|requests|time|concurrent|futures|${HTTP}`;
const REQUESTS_IMPORT =
  /(?<![\w.])import\s[^\n#]*(?<![\w.])requests\b|\bfrom\s+requests\b|_vendor\.requests\b|_vendor\s+import\s*\(?[^)#]*\brequests\b/;
const DEFINITION = /^(?:@|def\b|class\b|async\s+def\b)/;
const CLAUSE = /^(?:else|elif|except|finally)\b/;

function words(list: string): string {
  return `(?<![A-Za-z0-9_])(?:${list})(?![A-Za-z0-9_])`;
}

/**
 * Start offsets of the top-level statements of `source` (a decorated definition is one statement; `else`,
 * `elif`, `except`, `finally` clauses belong to the statement before). Undefined when the text does not lex
 * cleanly (unterminated string or bracket, form feeds at line starts): then only a full parse will do.
 */
export function topLevelStarts(source: string): number[] | undefined {
  const starts: number[] = [];
  const n = source.length;
  let depth = 0;
  let i = 0;
  let lineStart = true; // at the start of a physical line that begins a logical line
  let decoratorOnly = false;
  while (i < n) {
    if (lineStart) {
      lineStart = false;
      const c = source.charCodeAt(i);
      if (c === 12) return undefined; // form feed: indentation rules we do not model
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 35 /* # */) {
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
    }
    const c = source.charCodeAt(i);
    if (c === 10) {
      i++;
      lineStart = depth === 0;
      continue;
    }
    if (c === 35) {
      // comment: to the end of the line
      const end = source.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === 92 /* \ */) {
      // line continuation (or a stray escape): the next line does not start a statement
      i += source.startsWith('\r\n', i + 1) ? 3 : 2;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1);
    else if (c === 34 || c === 39) {
      const q = source[i]!;
      const triple = source.startsWith(q + q + q, i);
      const close = triple ? q + q + q : q;
      let j = i + close.length;
      for (;;) {
        if (j >= n) return undefined; // unterminated
        const d = source.charCodeAt(j);
        if (d === 92) {
          j += 2;
          continue;
        }
        if (!triple && d === 10) break; // unterminated single-line string: the parser reports an error
        if (source.startsWith(close, j)) {
          j += close.length;
          break;
        }
        j++;
      }
      i = j;
      continue;
    }
    i++;
  }
  if (depth !== 0) return undefined;
  return starts;
}

/**
 * `source` with every top-level statement that cannot hold a finding blanked out (same length, same line
 * breaks), or undefined when the whole file must be parsed (nothing to leave out, or the lexer gave up).
 */
export function regionSource(source: string): string | undefined {
  const starts = topLevelStarts(source);
  if (!starts || starts.length < 2) return undefined;
  const aliases: string[] = [];
  ALIASABLE.lastIndex = 0;
  for (let m = ALIASABLE.exec(source); m; m = ALIASABLE.exec(source)) aliases.push(m[1]!);
  const extra = aliases.length > 0 ? `|${aliases.join('|')}` : '';
  // every finding of BHD001/2/3/6 is a call whose callee ends with one of these names
  const asyncWords = new RegExp(`${words(ASYNC_WORDS + extra)}(?:\\s|\\\\)*\\(`);
  const importWords = new RegExp(words(IMPORT_WORDS + extra));
  const httpCall = new RegExp(`${words(HTTP + extra)}(?:\\s|\\\\)*\\(`);
  const requests = REQUESTS_IMPORT.test(source);
  const asyncWord = /(?<![A-Za-z0-9_])async(?![A-Za-z0-9_])/;
  const importWord = /(?<![A-Za-z0-9_.])import(?![A-Za-z0-9_])/;

  const keep: [number, number][] = [];
  let dropped = false;
  for (let k = 0; k < starts.length; k++) {
    const from = k === 0 ? 0 : starts[k]!;
    const to = k + 1 < starts.length ? starts[k + 1]! : source.length;
    const text = source.slice(from, to);
    const needed =
      !DEFINITION.test(source.slice(starts[k]!, starts[k]! + 12)) ||
      (asyncWord.test(text) && asyncWords.test(text)) ||
      (requests && httpCall.test(text)) ||
      (importWord.test(text) && importWords.test(text));
    if (needed) {
      const last = keep[keep.length - 1];
      if (last && last[1] === from) last[1] = to;
      else keep.push([from, to]);
    } else dropped = true;
  }
  if (!dropped) return undefined;
  let out = '';
  let at = 0;
  for (const [from, to] of keep) {
    out += blank(source.slice(at, from)) + source.slice(from, to);
    at = to;
  }
  return out + blank(source.slice(at));
}

/** Spaces for every character except line breaks. */
function blank(text: string): string {
  return text.replace(/[^\r\n]/g, ' ');
}
