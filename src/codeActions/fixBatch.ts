/**
 * Checking many fixes of one source together (pure): what keeps `check`'s "(fixable)" (./fixStatus) and fix-all
 * (./fixAll) linear in findings. One parse per set of non-overlapping fixes instead of one per fix; a set that
 * does not parse is halved until the fixes at fault are found. An edit several fixes share (`import asyncio`
 * at the top) counts once and does not make them overlap.
 */
import type { Tree } from '../python/treeSitter';
import { lastAtOrBefore } from '../python/text';
import { checkEdits } from './fixes';
import type { TextEdit } from './fixTypes';

/** The edits of many fixes, with the ones two or more of them share told apart. */
export class SharedEdits {
  /** Each edit's key, made once (thousands of findings: the strings are a visible share of a check). */
  private readonly keys = new Map<TextEdit, string>();
  private readonly count = new Map<string, number>();

  constructor(fixes: Iterable<readonly TextEdit[]>) {
    for (const edits of fixes)
      for (const e of edits) {
        const k = `${e.start}:${e.end}:${e.newText}`;
        this.keys.set(e, k);
        this.count.set(k, (this.count.get(k) ?? 0) + 1);
      }
  }

  /** The edits of a fix that no other fix has. */
  own(edits: readonly TextEdit[]): TextEdit[] {
    return edits.filter((e) => (this.count.get(this.keys.get(e)!) ?? 0) < 2);
  }

  /** The edits of `fixes` together, each shared one once. */
  union(fixes: Iterable<readonly TextEdit[]>): TextEdit[] {
    const all = new Map<string, TextEdit>();
    for (const edits of fixes) for (const e of edits) all.set(this.keys.get(e)!, e);
    return [...all.values()];
  }
}

/**
 * The items of `set` whose edits (`editsOf`, all applied together with the other good ones of their half) give
 * a source that parses: `set` at once when it does, else each half in turn. Each half is checked on its own:
 * two fixes that break only together both pass (the caller re-checks what it applies together). A source with
 * syntax errors already is checked item by item (error counts of several fixes could offset each other there).
 */
export function parsingTogether<T>(
  tree: Tree,
  source: string,
  set: readonly T[],
  edits: SharedEdits,
  editsOf: (item: T) => readonly TextEdit[],
): T[] {
  if (tree.rootNode.hasError)
    return set.filter((item) => checkEdits(tree, source, [...editsOf(item)]) === undefined);
  if (set.length === 0) return [];
  if (checkEdits(tree, source, edits.union(set.map(editsOf))) === undefined) return [...set];
  if (set.length === 1) return [];
  const half = set.length >> 1;
  return [
    ...parsingTogether(tree, source, set.slice(0, half), edits, editsOf),
    ...parsingTogether(tree, source, set.slice(half), edits, editsOf),
  ];
}

/** Items partitioned into sets whose edits do not overlap (greedy by start: few sets when few fixes nest). */
export function disjointSets<T>(items: T[], editsOf: (item: T) => readonly TextEdit[]): T[][] {
  const spans = items.map((item) => {
    const edits = editsOf(item);
    if (edits.length === 0) return { item, lo: -1, hi: -1 }; // only shared edits: fits any set
    return {
      item,
      lo: Math.min(...edits.map((e) => e.start)),
      hi: Math.max(...edits.map((e) => e.end)),
    };
  });
  spans.sort((a, b) => a.lo - b.lo || a.hi - b.hi);
  const sets: { items: T[]; hi: number }[] = [];
  for (const s of spans) {
    // Touching spans count as overlapping (two insertions at one offset).
    const set = sets.find((x) => x.hi < s.lo);
    if (set) {
      set.items.push(s.item);
      set.hi = s.hi;
    } else sets.push({ items: [s.item], hi: s.hi });
  }
  return sets.map((x) => x.items);
}

/**
 * The items, in their order, whose edits overlap none of an earlier kept item's (touching counts as
 * overlapping): fix-all's one round. Kept spans are held sorted, so this stays n log n when findings come in
 * text order.
 */
export function firstNonOverlapping<T>(items: readonly T[], editsOf: (item: T) => readonly TextEdit[]): T[] {
  const kept: T[] = [];
  // Disjoint spans sorted by start (so by end too).
  const los: number[] = [];
  const his: number[] = [];
  for (const item of items) {
    const edits = editsOf(item);
    if (edits.length === 0) {
      kept.push(item);
      continue;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const e of edits) {
      lo = Math.min(lo, e.start);
      hi = Math.max(hi, e.end);
    }
    // The first kept span ending at or after lo is the only one that can overlap [lo, hi] (offsets are integers).
    const a = lastAtOrBefore(his, lo - 1) + 1;
    if (a < los.length && los[a]! <= hi) continue;
    los.splice(a, 0, lo);
    his.splice(a, 0, hi);
    kept.push(item);
  }
  return kept;
}
