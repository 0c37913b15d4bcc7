/**
 * Fix safety, Ruff's model (pure): every fix is either `safe` (keeps what the code does, only removes the hang:
 * applied by `check --fix` and fix-all on save) or `unsafe` (may change behaviour: applied only with
 * `--unsafe-fixes` or when the user picks that one quick fix in the editor).
 */
import { nodesOfType, perTree } from '../python/treeIndex';
import * as path from 'node:path';
import type { Node, Tree } from '../python/treeSitter';
import type { Finding, RuleCode } from '../diagnostics/types';
import { lineEnd, lineStart } from './textStyle';

export type Applicability = 'safe' | 'unsafe';

/**
 * What each rule's main fix is, before anything about the file is known:
 * - BHD001 (executor out of the `with`, non-blocking `finally`) and BHD003 (`await asyncio.wrap_future(f)` for
 *   `f.result()`) give the same results; they only stop the event loop from waiting.
 * - BHD002 (`shutdown(wait=False, cancel_futures=True)`) stops waiting for work code after it may rely on.
 * - BHD005 (adding `timeout=`) makes a slow call fail that used to succeed.
 * - BHD006 (`time.sleep` -> `await asyncio.sleep`) lets other tasks run during the pause: code that sleeps on
 *   purpose (tests, monitors, chaos endpoints) stops doing what it was written for.
 */
export const RULE_APPLICABILITY: Readonly<Record<string, Applicability>> = {
  BHD001: 'safe',
  BHD002: 'unsafe',
  BHD003: 'safe',
  BHD005: 'unsafe',
  BHD006: 'unsafe',
  BHD007: 'unsafe',
};

/** Why a rule's fix is unsafe by nature (shown next to "N more fixes available with --unsafe-fixes"). */
export const UNSAFE_BECAUSE: Readonly<Record<string, string>> = {
  BHD002: 'no longer waits for submitted work that later code may rely on',
  BHD005: 'a call that legitimately takes longer than the timeout would now fail',
  BHD006:
    'the pause no longer blocks the event loop, which code may rely on (tests, monitors); an HTTP call moved to a worker thread runs beside other tasks',
  BHD007:
    'the function then runs in a worker thread, which code that is not thread-safe may not survive, and context variables it sets are not seen by the caller',
};

/**
 * Test code (pytest's and unittest's conventions): `test_*.py`, `*_test.py`, `conftest.py`, or anything under a
 * `tests`/`test`/`testing` directory of the project. Tests block the loop on purpose (hung-worker tests,
 * slow-callback monitors). Directories are looked at below `root` (the project: the config file's directory or
 * the workspace folder) only, so a checkout under `/home/me/test/` is not all test code; without a root, only
 * the file's own directory counts.
 */
export function isTestFile(file: string, root?: string): boolean {
  const rel = root ? path.relative(root, file) : '';
  const inside = root !== undefined && rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  const parts = inside ? rel.split(/[\\/]+/) : file.split(/[\\/]+/).slice(-2);
  const base = path.basename(file);
  if (/^test_.*\.pyi?$/.test(base) || /_test\.pyi?$/.test(base) || base === 'conftest.py') return true;
  return parts.slice(0, -1).some((d) => d === 'tests' || d === 'test' || d === 'testing');
}

/**
 * Words that say the code is meant to do what the rule flags. ("blocks the loop" alone is not one of them: it
 * is as often a TODO about the bug as a statement of intent.)
 */
const DELIBERATE =
  /\b(?:deliberate(?:ly)?|on purpose|intentional(?:ly)?|purposely|purposefully|by design|simulat(?:e|es|ed|ing))\b/i;

/**
 * The comment that says the flagged line is deliberate: on the finding's first or last line, or alone on the
 * line right above it. Undefined when there is none.
 */
export function deliberateComment(finding: Finding, tree: Tree, source: string): string | undefined {
  const from = lineStart(source, finding.startIndex);
  const above = from > 0 ? lineStart(source, from - 1) : from;
  const to = lineEnd(source, finding.endIndex);
  // nodesOfType: one walk per tree, not one per finding (src/python/treeIndex); in text order, so the comments
  // in [above, to] are found by a binary search, not by a pass over every comment of the file per finding.
  const comments = nodesOfType(tree, 'comment');
  const starts = commentStarts(tree, comments);
  for (let i = firstAtOrAfter(starts, above); i < starts.length && starts[i]! <= to; i++) {
    const c = comments[i]!;
    // The line above counts only when it is a comment line of its own.
    if (c.startIndex < from && !/^[ \t]*$/.test(source.slice(above, c.startIndex))) continue;
    const text = c.text; // a wasm call: read once
    if (DELIBERATE.test(text)) return text.trim();
  }
  return undefined;
}

/** Per tree, the start offsets of its comments (ascending: nodesOfType lists them in text order). */
function commentStarts(tree: Tree, comments: readonly Node[]): number[] {
  return perTree(tree, 'commentStarts', () => comments.map((c) => c.startIndex));
}

/** The index of the first entry of ascending `values` that is >= `x` (values.length when none is). */
function firstAtOrAfter(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What decides one finding's applicability besides its rule. */
export interface ApplicabilityContext {
  /** The file is test code (see isTestFile). */
  testFile?: boolean;
}

/**
 * The applicability of a fix for `finding` (`declared`: what the fix itself says, else the rule's default),
 * and why it is unsafe when it is.
 */
export function applicabilityFor(
  code: RuleCode,
  declared: Applicability | undefined,
  declaredBecause: string | undefined,
  context: ApplicabilityContext & { deliberate?: string },
): { applicability: Applicability; because?: string } {
  const base = declared ?? RULE_APPLICABILITY[code] ?? 'unsafe';
  if (base === 'unsafe')
    return {
      applicability: 'unsafe',
      because: declaredBecause ?? UNSAFE_BECAUSE[code] ?? 'may change behaviour',
    };
  if (context.testFile)
    return { applicability: 'unsafe', because: 'test code may block the loop on purpose' };
  if (context.deliberate)
    return {
      applicability: 'unsafe',
      because: `the line is commented as deliberate (${context.deliberate})`,
    };
  return { applicability: 'safe' };
}
