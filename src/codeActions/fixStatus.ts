/**
 * What each finding's fix is on this source (pure): `confirmFixable` narrows the rule's `fixable` to what the fix
 * engine really does here (a shape the fix declines, a result that would not parse) and adds the fix's
 * applicability, or why there is no fix. The CLI reports this, so "(fixable)" always means `--fix` changes it.
 */
import type { Parser, Tree } from 'web-tree-sitter';
import type { Finding } from '../diagnostics/types';
import type { Applicability } from './applicability';
import { fixesFor, type FixAction, type FixOptions, type TextEdit } from './fixes';
import { disjointSets, parsingTogether, SharedEdits } from './fixBatch';

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
    'the fix moves a blocking call to a thread only when the call is a whole statement, the right side of an assignment or a return value; here (a `with` item, an argument, an expression) run the code in a thread (`await asyncio.to_thread(...)`) or use an async API (httpx.AsyncClient, asyncio.create_subprocess_exec)',
  BHD007:
    'the fix wraps a call that is a whole statement, the right side of an assignment or a return value; here (a `with` item, a loop, an argument, an expression) move the code into a function run with `await asyncio.to_thread(...)`',
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
    // fixes at fault are found (a file with syntax errors already: fix by fix, see fixBatch).
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
    const edits = new SharedEdits(main.values());
    const own = (f: Finding): TextEdit[] => edits.own(main.get(f)!);
    const ok = new Set<Finding>();
    const editsOf = (f: Finding): TextEdit[] => main.get(f)!;
    for (const set of disjointSets([...main.keys()], own))
      for (const f of parsingTogether(tree, source, set, edits, editsOf)) ok.add(f);
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
