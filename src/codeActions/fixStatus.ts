/**
 * What each finding's fix is on this source (pure): `confirmFixable` narrows the rule's `fixable` to what the fix
 * engine really does here (a shape the fix declines, a result that would not parse) and adds the fix's
 * applicability, or why there is no fix. The CLI reports this, so "(fixable)" always means `--fix` changes it.
 */
import type { Parser, Tree } from 'web-tree-sitter';
import type { Finding } from '../diagnostics/types';
import type { Applicability } from './applicability';
import { checkEdits, fixesFor, type FixAction, type FixOptions, type TextEdit } from './fixes';

/** A finding with what its fix is: applicability when fixable, else why there is no fix. */
export type CheckedFinding = Finding & {
  applicability?: Applicability;
  unsafeBecause?: string;
  noFixReason?: string;
};

/** Why findings of rules that have no automatic fix for that shape are left to the user. */
const NO_FIX: Readonly<Record<string, string>> = {
  BHD003:
    '`concurrent.futures.wait`/`as_completed` have no one-line asyncio equivalent: wrap the futures with `asyncio.wrap_future` and use `asyncio.wait`/`asyncio.as_completed`',
  BHD006:
    'a blocking HTTP call has no mechanical rewrite: run it in a thread (`await asyncio.to_thread(...)`) or use an async client such as httpx.AsyncClient',
  BHD007:
    'the fix wraps a call that is a whole statement or the right side of an assignment; here (a `with` item, a loop, an argument) move the code into a function run with `await asyncio.to_thread(...)`',
};

/** Why a finding the rule reports as not fixable has no automatic fix (undefined when it is fixable). */
export function noFixReason(f: Finding): string | undefined {
  return f.fixable ? undefined : (NO_FIX[f.code] ?? 'this rule has no automatic fix');
}

function withoutFix(f: Finding): CheckedFinding {
  if (f.fixable) return f;
  return { ...f, noFixReason: NO_FIX[f.code] ?? 'this rule has no automatic fix' };
}

/**
 * The findings with `fixable` narrowed to what the fixes really do on this source: a rule that has a fix can
 * still meet a shape its fix declines (dropped futures, `.result(timeout=...)`). The CLI reports this, so
 * "(fixable)" always means `--fix` changes it.
 */
export function confirmFixable(
  findings: readonly Finding[],
  source: string,
  parser: Parser,
  options: FixOptions,
  /** `source` already parsed by the caller (who keeps and deletes it); else parsed here. */
  parsed?: Tree,
): CheckedFinding[] {
  if (!findings.some((f) => f.fixable)) return findings.map(withoutFix);
  const tree = parsed ?? parser.parse(source);
  if (!tree)
    return findings.map((f) => ({ ...f, fixable: false, noFixReason: 'the file could not be parsed' }));
  try {
    // Linear in findings: each main fix is computed without its own parse check, then the fixes are checked
    // together, one parse per set of non-overlapping fixes; a set that does not parse is halved until the
    // fixes at fault are found. A file with syntax errors already is checked fix by fix (error counts of
    // several fixes could offset each other there).
    const main = new Map<Finding, TextEdit[]>();
    const status = new Map<Finding, FixAction>();
    const mainOnly = { ...options, mainOnly: true };
    for (const f of findings) {
      if (!f.fixable) continue;
      const actions = fixesFor(f, tree, source, mainOnly);
      const action = actions.find((a) => a.preferred) ?? actions.find((a) => a.disabled);
      if (action) status.set(f, action);
      if (action?.preferred) main.set(f, action.edits);
    }
    // An edit several fixes share (`import asyncio` at the top) is applied once and does not make them overlap.
    // Each edit's key is made once (thousands of findings: the strings are a visible share of the check).
    const keys = new Map<TextEdit, string>();
    const seen = new Map<string, number>();
    for (const edits of main.values())
      for (const e of edits) {
        const k = `${e.start}:${e.end}:${e.newText}`;
        keys.set(e, k);
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
    const own = (f: Finding): TextEdit[] => main.get(f)!.filter((e) => seen.get(keys.get(e)!)! < 2);
    const ok = new Set<Finding>();
    const check = (set: Finding[]): void => {
      if (set.length === 0) return;
      const edits = new Map<string, TextEdit>();
      for (const f of set) for (const e of main.get(f)!) edits.set(keys.get(e)!, e);
      if (checkEdits(tree, source, [...edits.values()]) === undefined) {
        for (const f of set) ok.add(f);
      } else if (set.length > 1) {
        const half = set.length >> 1;
        check(set.slice(0, half));
        check(set.slice(half));
      }
    };
    if (tree.rootNode.hasError) for (const f of main.keys()) check([f]);
    else for (const set of disjointSets([...main.keys()], own)) check(set);
    return findings.map((f): CheckedFinding => {
      if (!f.fixable) return withoutFix(f);
      const action = status.get(f);
      if (ok.has(f) && action)
        return {
          ...f,
          applicability: action.applicability,
          ...(action.unsafeBecause ? { unsafeBecause: action.unsafeBecause } : {}),
        };
      const noFixReason =
        action?.disabled ?? (action ? 'the fixed code would not parse' : 'no fix for this shape');
      return { ...f, fixable: false, noFixReason };
    });
  } finally {
    if (!parsed) tree.delete();
  }
}

/** Items partitioned into sets whose edits do not overlap (greedy by start: few sets when few fixes nest). */
function disjointSets<T>(items: T[], editsOf: (item: T) => readonly TextEdit[]): T[][] {
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
