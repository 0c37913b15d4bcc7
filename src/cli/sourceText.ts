/**
 * Reading Python files for check and fix, and the small text utilities around them (pure except readSource):
 * binary and non-UTF-8 files are refused with a clear reason, syntax errors are located like Ruff's E999, and
 * `--diff` output is a unified diff.
 */
import * as fs from 'node:fs';
import type { Node, Tree } from '../python/treeSitter';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
// PEP 263: a coding declaration in the first two lines.
const CODING = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** A file that is not Python text: binary, not UTF-8, or declaring another encoding and using it. */
export class NotUtf8Error extends Error {
  constructor(file: string, what = 'not UTF-8 text') {
    super(`${file}: ${what}; left untouched`);
    this.name = 'NotUtf8Error';
  }
}

/** Decodes UTF-8 strictly; a BOM is reported separately so it can be written back. Throws NotUtf8Error. */
export function decodeUtf8(file: string, bytes: Buffer): { text: string; bom: boolean } {
  // NUL bytes never occur in Python source: an image, an archive, a compiled file named *.py.
  if (bytes.subarray(0, 8192).includes(0)) throw new NotUtf8Error(file, 'a binary file, not Python source');
  const bom = bytes.subarray(0, 3).equals(BOM);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bom ? bytes.subarray(3) : bytes);
  } catch {
    throw new NotUtf8Error(file);
  }
  const declared = text
    .split('\n', 2)
    .map((l) => CODING.exec(l)?.[1])
    .find((c) => c !== undefined);
  // A latin-1 (etc.) file that is pure ASCII is the same in UTF-8; with other bytes it is not ours to rewrite.
  if (declared && !/^utf[-_]?8/i.test(declared) && /[^\x00-\x7f]/.test(text))
    throw new NotUtf8Error(file, `encoded as ${declared}, not UTF-8`);
  return { text, bom };
}

/** Reads and decodes one file. Throws NotUtf8Error or the fs error. */
export function readSource(file: string): { text: string; bom: boolean } {
  return decodeUtf8(file, fs.readFileSync(file));
}

/** The first syntax error of a parsed file: 1-based line/column and words for it; undefined when it parses. */
export function syntaxProblem(tree: Tree): { line: number; column: number; message: string } | undefined {
  if (!tree.rootNode.hasError) return undefined;
  let found: Node | undefined;
  const visit = (n: Node): void => {
    if (found) return;
    if (n.isError || n.isMissing) {
      found = n;
      return;
    }
    if (n.hasError) for (const c of n.children) visit(c);
  };
  visit(tree.rootNode);
  const at = found ?? tree.rootNode;
  const message = at.isMissing
    ? `expected ${JSON.stringify(at.type)}`
    : `invalid syntax${at.text ? ` near ${JSON.stringify(at.text.split(/\r?\n/)[0]!.slice(0, 30))}` : ''}`;
  return { line: at.startPosition.row + 1, column: at.startPosition.column + 1, message };
}

/** Myers' O(ND) line diff: the edit script as [kind, line] pairs (' ' keep, '-' remove, '+' add). */
function diffLines(a: readonly string[], b: readonly string[]): [' ' | '-' | '+', string][] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Map<number, number>([[1, 0]]);
  const trace: Map<number, number>[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(new Map(v));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v.get(k - 1)! < v.get(k + 1)!) ? v.get(k + 1)! : v.get(k - 1)! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v.set(k, x);
      if (x >= n && y >= m) break outer;
    }
  }
  const script: [' ' | '-' | '+', string][] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd.get(k - 1)! < vd.get(k + 1)!) ? k + 1 : k - 1;
    const prevX = vd.get(prevK) ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      y--;
      script.push([' ', a[--x]!]);
    }
    if (d > 0) {
      if (x === prevX) script.push(['+', b[--y]!]);
      else script.push(['-', a[--x]!]);
    }
  }
  return script.reverse();
}

/** A unified diff of `before` -> `after` with 3 lines of context (empty when equal). */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  // Lines without their terminators (a final line break ends the last line, it does not start another).
  const lines = (text: string): string[] => {
    const l = text.split('\n');
    if (l[l.length - 1] === '') l.pop();
    return l;
  };
  const a = lines(before);
  const b = lines(after);
  const script = diffLines(a, b);
  const out = [`--- ${file}`, `+++ ${file}`];
  let i = 0;
  while (i < script.length) {
    if (script[i]![0] === ' ') {
      i++;
      continue;
    }
    // A hunk: from 3 lines before this change to 3 lines after the last change within 6 lines of the next.
    const start = Math.max(0, i - 3);
    let end = i;
    for (let j = i; j < script.length; j++) {
      if (script[j]![0] !== ' ') end = j;
      else if (j - end > 6) break;
    }
    end = Math.min(script.length, end + 4);
    let aLine = 1;
    let bLine = 1;
    for (let j = 0; j < start; j++) {
      if (script[j]![0] !== '+') aLine++;
      if (script[j]![0] !== '-') bLine++;
    }
    const body = script.slice(start, end);
    const aCount = body.filter(([k]) => k !== '+').length;
    const bCount = body.filter(([k]) => k !== '-').length;
    out.push(`@@ -${aLine},${aCount} +${bLine},${bCount} @@`);
    for (const [k, line] of body) out.push(`${k}${line.replace(/\r$/, '')}`);
    i = end;
  }
  return `${out.join('\n')}\n`;
}
