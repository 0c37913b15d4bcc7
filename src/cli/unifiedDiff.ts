/**
 * `check --diff`'s output (pure): a unified diff with 3 lines of context, as `diff -u` and Ruff print it.
 * Linear in practice on large fixed files: the common head and tail are set aside, a large middle is cut at
 * lines that occur once on each side and in the same order (patience diff's anchors), and only the pieces
 * between anchors go through Myers' O(ND) diff. A piece with no anchor that is still too large for Myers' trace
 * is written as its lines removed then added: a correct diff, only not the shortest. (Myers alone kept a
 * trace quadratic in the number of changed lines: `--diff` of a 50,000-line file with 20,000 fixed lines ran
 * out of memory.)
 */

type Op = ' ' | '-' | '+';

/** Above this many lines on both sides together, a piece is cut at anchors instead of going through Myers. */
const MYERS_MAX = 1000;

/** The edit script of `a` -> `b` as [kind, line] pairs (' ' keep, '-' remove, '+' add). */
export function diffLines(a: readonly string[], b: readonly string[]): [Op, string][] {
  const out: [Op, string][] = [];

  /** Myers' O(ND) line diff of a[a0, a1) and b[b0, b1). */
  const myers = (a0: number, a1: number, b0: number, b1: number): void => {
    const n = a1 - a0;
    const m = b1 - b0;
    const v = new Map<number, number>([[1, 0]]);
    const trace: Map<number, number>[] = [];
    outer: for (let d = 0; d <= n + m; d++) {
      trace.push(new Map(v));
      for (let k = -d; k <= d; k += 2) {
        let x = k === -d || (k !== d && v.get(k - 1)! < v.get(k + 1)!) ? v.get(k + 1)! : v.get(k - 1)! + 1;
        let y = x - k;
        while (x < n && y < m && a[a0 + x] === b[b0 + y]) {
          x++;
          y++;
        }
        v.set(k, x);
        if (x >= n && y >= m) break outer;
      }
    }
    const script: [Op, string][] = [];
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
        script.push([' ', a[a0 + --x]!]);
      }
      if (d > 0) {
        if (x === prevX) script.push(['+', b[b0 + --y]!]);
        else script.push(['-', a[a0 + --x]!]);
      }
    }
    for (let i = script.length - 1; i >= 0; i--) out.push(script[i]!);
  };

  /**
   * Lines that occur exactly once in a[a0, a1) and once in b[b0, b1), matched, as the longest run of such
   * pairs in the same order on both sides (patience sorting: n log n).
   */
  const anchors = (a0: number, a1: number, b0: number, b1: number): [number, number][] => {
    const count = new Map<string, { a: number; b: number; bt: number }>();
    for (let i = a0; i < a1; i++) {
      const c = count.get(a[i]!);
      if (c) c.a++;
      else count.set(a[i]!, { a: 1, b: 0, bt: -1 });
    }
    for (let j = b0; j < b1; j++) {
      const c = count.get(b[j]!);
      if (c) {
        c.b++;
        c.bt = j;
      }
    }
    // Pairs in a's order; the longest increasing run of their b positions.
    const pairs: [number, number][] = [];
    for (let i = a0; i < a1; i++) {
      const c = count.get(a[i]!)!;
      if (c.a === 1 && c.b === 1) pairs.push([i, c.bt]);
    }
    const tails: number[] = []; // index into pairs of the smallest tail of a run of each length
    const back: number[] = new Array<number>(pairs.length).fill(-1);
    for (let p = 0; p < pairs.length; p++) {
      let lo = 0;
      let hi = tails.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (pairs[tails[mid]!]![1] < pairs[p]![1]) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0) back[p] = tails[lo - 1]!;
      tails[lo] = p;
    }
    const run: [number, number][] = [];
    for (let p = tails.length ? tails[tails.length - 1]! : -1; p >= 0; p = back[p]!) run.push(pairs[p]!);
    return run.reverse();
  };

  /** The diff of a[a0, a1) and b[b0, b1): the common head and tail kept, the middle as the file comment says. */
  const range = (a0: number, a1: number, b0: number, b1: number): void => {
    let head = 0;
    while (a0 + head < a1 && b0 + head < b1 && a[a0 + head] === b[b0 + head]) head++;
    let tail = 0;
    while (a1 - tail > a0 + head && b1 - tail > b0 + head && a[a1 - 1 - tail] === b[b1 - 1 - tail]) tail++;
    for (let i = 0; i < head; i++) out.push([' ', a[a0 + i]!]);
    const [x0, x1, y0, y1] = [a0 + head, a1 - tail, b0 + head, b1 - tail];
    if (x1 - x0 + (y1 - y0) <= MYERS_MAX) myers(x0, x1, y0, y1);
    else {
      const cuts = anchors(x0, x1, y0, y1);
      if (cuts.length === 0) {
        for (let i = x0; i < x1; i++) out.push(['-', a[i]!]);
        for (let j = y0; j < y1; j++) out.push(['+', b[j]!]);
      } else {
        let i = x0;
        let j = y0;
        for (const [ai, bj] of cuts) {
          range(i, ai, j, bj);
          out.push([' ', a[ai]!]);
          i = ai + 1;
          j = bj + 1;
        }
        range(i, x1, j, y1);
      }
    }
    for (let i = a1 - tail; i < a1; i++) out.push([' ', a[i]!]);
  };

  range(0, a.length, 0, b.length);
  return out;
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
  const script = diffLines(lines(before), lines(after));
  const out = [`--- ${file}`, `+++ ${file}`];
  // The 1-based lines of each side where script[j] is.
  let aLine = 1;
  let bLine = 1;
  let at = 0;
  const advance = (to: number): void => {
    for (; at < to; at++) {
      if (script[at]![0] !== '+') aLine++;
      if (script[at]![0] !== '-') bLine++;
    }
  };
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
    advance(start);
    let aCount = 0;
    let bCount = 0;
    for (let j = start; j < end; j++) {
      if (script[j]![0] !== '+') aCount++;
      if (script[j]![0] !== '-') bCount++;
    }
    out.push(`@@ -${aLine},${aCount} +${bLine},${bCount} @@`);
    for (let j = start; j < end; j++) out.push(`${script[j]![0]}${script[j]![1].replace(/\r$/, '')}`);
    i = end;
  }
  return `${out.join('\n')}\n`;
}
