/**
 * Quick fixes for Backend Hang findings (pure: finding + tree + source -> text edits; no `vscode`).
 *
 * Every action is checked before it is offered: its edits are applied to a copy and re-parsed, and an action
 * whose result has a syntax error is dropped (the reason goes to the optional logger). ./fixAll applies the
 * preferred fix of every fixable finding until none is left, so running it twice gives the text of once.
 */
import { Parser } from 'web-tree-sitter';
import type { Language, Node, Tree } from '../python/treeSitter';
import type { Finding } from '../diagnostics/types';
import { parseEdited } from '../python/editedParse';
import { executorModuleLevel, executorTryFinally } from './executorFix';
import { toThreadFix } from './toThreadFix';
import { callArguments } from '../python/scope';
import { importRemovalEdit, nameUsed } from './imports';
import { awaitFix, callAt, formatNumber, shutdownFix, suppressFix, timeoutFix } from './callFixes';
import { applicabilityFor, deliberateComment } from './applicability';
import { compareVersions, DEFAULT_PYTHON_VERSION } from './pythonVersion';
import { detectEol, detectIndent } from './textStyle';
import type { FixAction, FixOptions, Rewrite, TextEdit } from './fixTypes';

// The shared shapes live in the leaf ./fixTypes (so the fix modules need not import this file back);
// re-exported for the importers of this module's API (src/cli, fixStatus, tests).
export type { FixAction, FixOptions, Rewrite, TextEdit } from './fixTypes';

/** FixOptions for `source`: its own line endings and indentation, 3.9 and 10 s unless given. */
export function fixOptionsFor(source: string, given: Partial<FixOptions> = {}): FixOptions {
  return {
    pythonVersion: given.pythonVersion ?? DEFAULT_PYTHON_VERSION,
    httpTimeoutSeconds: given.httpTimeoutSeconds ?? 10,
    eol: given.eol ?? detectEol(source),
    indent: given.indent ?? detectIndent(source),
    log: given.log,
    testFile: given.testFile,
  };
}

/** Applies non-overlapping edits (any order; insertions at one offset keep their given order). */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  const sorted = edits
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i);
  let out = '';
  let at = 0;
  for (const { e } of sorted) {
    if (e.start < at || e.end < e.start || e.end > source.length)
      throw new RangeError(`overlapping or invalid edit at ${e.start}`);
    out += source.slice(at, e.start) + e.newText;
    at = e.end;
  }
  return out + source.slice(at);
}

/** The fixes offered for one finding: the rule's fixes (preferred first) and "Suppress ... on this line". */
export function fixesFor(finding: Finding, tree: Tree, source: string, options: FixOptions): FixAction[] {
  const actions: FixAction[] = [];
  // The finding's line, for the log only: two wasm calls, not spent on every finding when nothing logs.
  const line = (): number => tree.rootNode.descendantForIndex(finding.startIndex)?.startPosition.row ?? 0;
  const offer = (
    title: string,
    preferred: boolean,
    kind: FixAction['kind'],
    rewrite: Rewrite | undefined,
  ): void => {
    if (!rewrite) return;
    // Only the main fix, unchecked, when confirming `fixable` (confirmFixable checks them all in one parse).
    if (options.mainOnly && !(preferred && kind === 'fix')) return;
    const problem =
      'reason' in rewrite
        ? rewrite.reason
        : options.mainOnly
          ? undefined
          : checkEdits(tree, source, rewrite.edits);
    if (problem || 'reason' in rewrite) {
      options.log?.(`${finding.code} at line ${line() + 1}: "${title}" not offered: ${problem}`);
      // The main fix's reason is shown to the user; an alternative that does not apply just stays away.
      if (preferred)
        actions.push({
          title,
          code: finding.code,
          preferred: false,
          kind,
          edits: [],
          disabled: problem,
          applicability: 'unsafe',
        });
      return;
    }
    // A suppression changes nothing at run time; an alternative fix is never applied by fix-all.
    const safety =
      kind === 'suppress'
        ? { applicability: 'safe' as const }
        : applicabilityFor(
            finding.code,
            preferred ? rewrite.applicability : 'unsafe',
            rewrite.unsafeBecause,
            {
              testFile: options.testFile,
              deliberate: deliberate(),
            },
          );
    const edits = options.mainOnly ? rewrite.edits : withoutUnusedImports(tree, source, rewrite);
    actions.push({
      title,
      code: finding.code,
      preferred,
      kind,
      edits,
      applicability: safety.applicability,
      ...(safety.because ? { unsafeBecause: safety.because } : {}),
      ...(rewrite.removesUseOf?.length ? { removesUseOf: rewrite.removesUseOf } : {}),
    });
  };
  let deliberateText: string | null | undefined;
  const deliberate = (): string | undefined => {
    if (deliberateText === undefined) deliberateText = deliberateComment(finding, tree, source) ?? null;
    return deliberateText ?? undefined;
  };
  const cancelFutures = compareVersions(options.pythonVersion, [3, 9]) >= 0;
  const exOpts = { cancelFutures, eol: options.eol, indent: options.indent };
  if (finding.fixable) {
    switch (finding.code) {
      case 'BHD001': {
        const main = executorTryFinally(finding, tree, source, exOpts);
        offer(
          `Shut the executor down without blocking the event loop (try/finally, wait=False${cancelFutures ? ', cancel_futures=True' : ''})`,
          true,
          'fix',
          main,
        );
        const alt = executorModuleLevel(finding, tree, source, exOpts);
        offer(
          `Use one long-lived module-level executor${'name' in alt ? ` (${alt.name})` : ''}`,
          false,
          'fix',
          alt,
        );
        break;
      }
      case 'BHD002': {
        const rewrite = shutdownFix(finding, tree, cancelFutures);
        offer(
          `Shut down without waiting (${'name' in rewrite ? rewrite.name : 'wait=False'})`,
          true,
          'fix',
          rewrite,
        );
        break;
      }
      case 'BHD003':
        offer(
          'Await the future: await asyncio.wrap_future(...)',
          true,
          'fix',
          awaitFix(finding, tree, source, options, 'wrap_future'),
        );
        break;
      case 'BHD005':
        offer(
          `Add timeout=${formatNumber(options.httpTimeoutSeconds)}`,
          true,
          'fix',
          timeoutFix(finding, tree, source, options),
        );
        break;
      case 'BHD006':
        if (finding.kind === 'sleep')
          offer(
            'Use await asyncio.sleep(...)',
            true,
            'fix',
            awaitFix(finding, tree, source, options, 'sleep'),
          );
        else threadOffer();
        break;
      case 'BHD007':
        threadOffer();
        break;
    }
  }
  if (!options.mainOnly)
    offer(`Suppress ${finding.code} on this line`, false, 'suppress', suppressFix(finding, tree, source));
  return actions;

  /** A blocking call moved to a worker thread (BHD006's HTTP calls, BHD007). */
  function threadOffer(): void {
    // Before 3.9 the call goes through `run_in_executor`, which passes no keywords: a requests call without
    // a timeout could not get one there (BHD005 would no longer see it). Its timeout first.
    if (!cancelFutures && finding.code === 'BHD006' && finding.kind === 'requests') {
      const call = callAt(finding, tree);
      const timeout = call ? callArguments(call).keywords.get('timeout') : undefined;
      if (!timeout || timeout.type === 'none') {
        offer('Run it in a thread: await loop.run_in_executor(None, ...)', true, 'fix', {
          reason:
            'add a timeout first (BHD005): `run_in_executor` (before Python 3.9) passes no keyword arguments, so the call could not get one in the thread',
        });
        return;
      }
    }
    offer(
      cancelFutures
        ? 'Run it in a thread: await asyncio.to_thread(...)'
        : 'Run it in a thread: await loop.run_in_executor(None, ...)',
      true,
      'fix',
      // (asyncio.to_thread is 3.9+, as cancel_futures)
      toThreadFix(finding, tree, source, options.eol, cancelFutures),
    );
  }
}

/** A parse of `text` (with the validation parser of `tree`'s language); the caller deletes it. */
function parseWith(tree: Tree, text: string): Tree | null {
  let parser = validators.get(tree.language);
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(tree.language);
    validators.set(tree.language, parser);
  }
  return parser.parse(text);
}

/**
 * The rewrite's edits plus the removal of imports it leaves unused (`import time` once the only `time.sleep`
 * became `asyncio.sleep`); without the removal when that would not parse.
 */
function withoutUnusedImports(
  tree: Tree,
  source: string,
  rewrite: { edits: TextEdit[]; removesUseOf?: string[] },
): TextEdit[] {
  if (!rewrite.removesUseOf?.length) return rewrite.edits;
  const after = parseWith(tree, applyEdits(source, rewrite.edits));
  if (!after) return rewrite.edits;
  try {
    const removals = rewrite.removesUseOf
      .filter((name) => !nameUsed(after.rootNode, name))
      .map((name) => importRemovalEdit(tree, source, name))
      .filter((e): e is TextEdit => e !== undefined);
    if (removals.length === 0) return rewrite.edits;
    const all = [...rewrite.edits, ...removals];
    return checkEdits(tree, source, all) === undefined ? all : rewrite.edits;
  } finally {
    after.delete();
  }
}

// Validation re-parses with a parser of the tree's own language; one per language, kept for the process
// (creating a parser per check would cost more than the check, and the Language outlives it anyway).
const validators = new WeakMap<Language, Parser>();

/** Undefined when applying `edits` gives code that parses at least as cleanly as before; else why not. */
export function checkEdits(tree: Tree, source: string, edits: TextEdit[]): string | undefined {
  let after: string;
  try {
    after = applyEdits(source, edits);
  } catch (err) {
    return `invalid edits (${(err as Error).message})`;
  }
  let parser = validators.get(tree.language);
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(tree.language);
    validators.set(tree.language, parser);
  }
  // Re-parsed from the old tree (src/python/editedParse): costs the size of the fix, not of the file.
  const result = parseEdited(parser, tree, source, edits, after);
  if (!result) return 'the result could not be parsed';
  try {
    if (!result.rootNode.hasError) return undefined;
    if (!tree.rootNode.hasError) return 'the result would have a syntax error';
    // The file already had errors elsewhere: accept only if none is new and none touches the edited text.
    const before = errorSpans(tree.rootNode);
    const now = errorSpans(result.rootNode);
    if (now.length > before.length) return 'the result would have a new syntax error';
    let shift = 0;
    for (const e of [...edits].sort((a, b) => a.start - b.start)) {
      const lo = e.start + shift;
      const hi = lo + e.newText.length;
      if (now.some(([s, t]) => s <= hi && lo <= t)) return 'the result would have a syntax error at the fix';
      shift += e.newText.length - (e.end - e.start);
    }
    return undefined;
  } finally {
    result.delete();
  }
}

function errorSpans(node: Node): [number, number][] {
  const spans: [number, number][] = [];
  const visit = (n: Node): void => {
    if (n.isError || n.isMissing) spans.push([n.startIndex, n.endIndex]);
    else if (n.hasError) for (const c of n.children) visit(c);
  };
  visit(node);
  return spans;
}
