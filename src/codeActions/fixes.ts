/**
 * Quick fixes for Backend Hang findings (pure: finding + tree + source -> text edits; no `vscode`).
 *
 * Every action is checked before it is offered: its edits are applied to a copy and re-parsed, and an action
 * whose result has a syntax error is dropped (the reason goes to the optional logger). `fixAll` applies the
 * preferred fix of every fixable finding until none is left, so running it twice gives the text of once.
 */
import { Parser } from 'web-tree-sitter';
import type { Language, Node, Tree } from '../python/treeSitter';
import type { Finding, RuleCode } from '../diagnostics/types';
import { analyze } from '../diagnostics/analyze';
import { executorModuleLevel, executorTryFinally, type Rewrite } from './executorFix';
import { importEdit } from './imports';
import { directlyInAsyncDef, unparen } from './pythonTree';
import { compareVersions, DEFAULT_PYTHON_VERSION, type PythonVersion } from './pythonVersion';
import { detectEol, detectIndent, lineEnd, lineStart } from './textStyle';

/** Replace `[start, end)` (UTF-16 offsets into the source) with `newText`. */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

/** One code action: all its edits are applied together (one undo step in the editor). */
export interface FixAction {
  title: string;
  code: RuleCode;
  /** The main fix of the finding (at most one per finding); fix-all applies only these. */
  preferred: boolean;
  /** 'fix' rewrites the code; 'suppress' adds a `# noqa` comment. */
  kind: 'fix' | 'suppress';
  edits: TextEdit[];
  /**
   * Set (with no edits) when the rule's main fix cannot be applied to this shape: why not, in words for the
   * user (the editor shows it as a disabled action, `check --fix` prints it). Never preferred.
   */
  disabled?: string;
}

/** What the fixes depend on besides the code itself. */
export interface FixOptions {
  /** Target Python: below 3.9 there is no `shutdown(cancel_futures=...)`. */
  pythonVersion: PythonVersion;
  /** The timeout the BHD005 fix adds. */
  httpTimeoutSeconds: number;
  /** The file's line terminator; inserted lines use it. */
  eol: '\n' | '\r\n';
  /** The file's indentation unit (used where the code around a fix does not show one). */
  indent: string;
  /** Told why a fix is not offered (e.g. the result would not parse). */
  log?: (message: string) => void;
}

/** FixOptions for `source`: its own line endings and indentation, 3.9 and 10 s unless given. */
export function fixOptionsFor(source: string, given: Partial<FixOptions> = {}): FixOptions {
  return {
    pythonVersion: given.pythonVersion ?? DEFAULT_PYTHON_VERSION,
    httpTimeoutSeconds: given.httpTimeoutSeconds ?? 10,
    eol: given.eol ?? detectEol(source),
    indent: given.indent ?? detectIndent(source),
    log: given.log,
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
  const line = tree.rootNode.descendantForIndex(finding.startIndex)?.startPosition.row ?? 0;
  const offer = (
    title: string,
    preferred: boolean,
    kind: FixAction['kind'],
    rewrite: Rewrite | undefined,
  ): void => {
    if (!rewrite) return;
    const problem = 'reason' in rewrite ? rewrite.reason : checkEdits(tree, source, rewrite.edits);
    if (problem || 'reason' in rewrite) {
      options.log?.(`${finding.code} at line ${line + 1}: "${title}" not offered: ${problem}`);
      // The main fix's reason is shown to the user; an alternative that does not apply just stays away.
      if (preferred)
        actions.push({ title, code: finding.code, preferred: false, kind, edits: [], disabled: problem });
      return;
    }
    actions.push({ title, code: finding.code, preferred, kind, edits: rewrite.edits });
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
        offer('Use await asyncio.sleep(...)', true, 'fix', awaitFix(finding, tree, source, options, 'sleep'));
        break;
    }
  }
  offer(`Suppress ${finding.code} on this line`, false, 'suppress', suppressFix(finding, tree, source));
  return actions;
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
): Finding[] {
  if (!findings.some((f) => f.fixable)) return [...findings];
  const tree = parser.parse(source);
  if (!tree) return findings.map((f) => ({ ...f, fixable: false }));
  try {
    return findings.map((f) =>
      f.fixable ? { ...f, fixable: fixesFor(f, tree, source, options).some((a) => a.preferred) } : f,
    );
  } finally {
    tree.delete();
  }
}

/**
 * Applies the preferred fix of every fixable finding (optionally only `select`ed rules), re-analysing after each
 * round so nested and overlapping fixes land one after the other. Idempotent: fixed code has no fixable finding.
 */
export function fixAll(
  source: string,
  parser: Parser,
  options: FixOptions & { select?: readonly RuleCode[] },
): { text: string; applied: Finding[]; declined: { finding: Finding; reason: string }[] } {
  let text = source;
  const applied: Finding[] = [];
  // Fixable findings whose main fix does not apply to their shape, as of the last round analysed.
  let declined: { finding: Finding; reason: string }[] = [];
  // Bounded: each round removes at least one finding; the bound only guards against a rule/fix disagreement.
  for (let round = 0; round < 25; round++) {
    const tree = parser.parse(text);
    if (!tree) break;
    const chosen: { finding: Finding; edits: TextEdit[]; lo: number; hi: number }[] = [];
    declined = [];
    try {
      for (const finding of analyze(tree, text, { select: options.select })) {
        if (!finding.fixable) continue;
        const actions = fixesFor(finding, tree, text, options);
        const action = actions.find((a) => a.preferred);
        if (!action) {
          const reason = actions.find((a) => a.disabled)?.disabled;
          if (reason) declined.push({ finding, reason });
          continue;
        }
        const lo = Math.min(...action.edits.map((e) => e.start));
        const hi = Math.max(...action.edits.map((e) => e.end));
        // Fixes whose spans overlap (nested `with`s, two imports at one spot) wait for the next round.
        if (chosen.some((c) => lo <= c.hi && c.lo <= hi)) continue;
        chosen.push({ finding, edits: action.edits, lo, hi });
      }
    } finally {
      tree.delete();
    }
    if (chosen.length === 0) break;
    text = applyEdits(
      text,
      chosen.flatMap((c) => c.edits),
    );
    applied.push(...chosen.map((c) => c.finding));
  }
  return { text, applied, declined };
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
  const result = parser.parse(after);
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

function callAt(finding: Finding, tree: Tree): Node | null {
  let n = tree.rootNode.descendantForIndex(finding.startIndex, finding.endIndex);
  while (n && n.type !== 'call') n = n.parent;
  return n;
}

/**
 * BHD002: `ex.shutdown(...)` -> `ex.shutdown(wait=False, cancel_futures=True)` (3.9+) or `(wait=False)`. Only
 * `wait` changes: an explicit `cancel_futures` (keyword or second positional) is the author's choice and stays.
 */
function shutdownFix(finding: Finding, tree: Tree, cancelFutures: boolean): Rewrite {
  const call = callAt(finding, tree);
  const args = call?.childForFieldName('arguments');
  if (!call || !args || args.type !== 'argument_list') return { reason: 'no call arguments' };
  const items = args.namedChildren;
  if (items.some((c) => c.type === 'list_splat' || c.type === 'dictionary_splat')) {
    return { reason: 'the call passes *args/**kwargs' };
  }
  if (items.some((c) => c.type === 'comment')) return { reason: 'comments inside the call would be lost' };
  const positional = items.filter((c) => c.type !== 'keyword_argument');
  const keywords = new Map(
    items
      .filter((c) => c.type === 'keyword_argument')
      .map(
        (c) => [c.childForFieldName('name')?.text ?? '', c.childForFieldName('value')?.text ?? ''] as const,
      ),
  );
  if (positional.length > 2 || [...keywords.keys()].some((k) => k !== 'wait' && k !== 'cancel_futures'))
    return { reason: 'arguments that `Executor.shutdown(wait, *, cancel_futures)` does not take' };
  const explicitCancel = keywords.get('cancel_futures') ?? positional[1]?.text;
  const cancel =
    explicitCancel !== undefined
      ? `, cancel_futures=${explicitCancel}`
      : cancelFutures
        ? ', cancel_futures=True'
        : '';
  const newArgs = `wait=False${cancel}`;
  return { edits: [{ start: args.startIndex, end: args.endIndex, newText: `(${newArgs})` }], name: newArgs };
}

/** Whether an expression replacing `node` must be parenthesised (`await x` is not a primary). */
function needsParens(node: Node): boolean {
  const p = node.parent;
  if (!p) return false;
  if (p.type === 'attribute') return p.childForFieldName('object')?.id === node.id;
  if (p.type === 'subscript') return p.childForFieldName('value')?.id === node.id;
  if (p.type === 'call') return p.childForFieldName('function')?.id === node.id;
  return p.type === 'await';
}

/**
 * BHD003 `fut.result()` -> `await asyncio.wrap_future(fut)`; BHD006 `time.sleep(x)` -> `await asyncio.sleep(x)`.
 * Only where `await` means the same: directly in the async function (not in a lambda, nested def or generator
 * expression), and `.result()` without a timeout.
 */
function awaitFix(
  finding: Finding,
  tree: Tree,
  source: string,
  options: FixOptions,
  what: 'wrap_future' | 'sleep',
): Rewrite {
  const call = callAt(finding, tree);
  const fn = call?.childForFieldName('function');
  const args = call?.childForFieldName('arguments');
  if (!call || !fn || !args || args.type !== 'argument_list') return { reason: 'no call' };
  if (!directlyInAsyncDef(call))
    return { reason: '`await` is not allowed here (lambda, nested def or generator expression)' };
  if (call.parent?.type === 'await') return { reason: 'already awaited' };
  const asyncio = importEdit(tree, source, 'asyncio', options.eol);
  let expr: string;
  if (what === 'wrap_future') {
    if (args.namedChildren.length > 0)
      return { reason: '`.result()` with a timeout is not rewritten mechanically' };
    const obj = fn.type === 'attribute' ? fn.childForFieldName('object') : null;
    if (!obj) return { reason: 'not a method call' };
    expr = `await ${asyncio.name}.wrap_future(${unparen(obj).text})`;
  } else {
    expr = `await ${asyncio.name}.sleep${args.text}`;
  }
  if (needsParens(call)) expr = `(${expr})`;
  const edits: TextEdit[] = [{ start: call.startIndex, end: call.endIndex, newText: expr }];
  if (asyncio.edit) edits.push(asyncio.edit);
  return { edits, name: asyncio.name };
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(3)));
}

/** BHD005: add `timeout=N` as the last argument, keeping a trailing comma / one-argument-per-line layout. */
function timeoutFix(finding: Finding, tree: Tree, source: string, options: FixOptions): Rewrite {
  const call = callAt(finding, tree);
  const args = call?.childForFieldName('arguments');
  if (!call || !args || args.type !== 'argument_list') return { reason: 'no argument list' };
  const kw = `timeout=${formatNumber(options.httpTimeoutSeconds)}`;
  const named = args.namedChildren.filter((c) => c.type !== 'comment');
  const last = named[named.length - 1];
  if (!last)
    return { edits: [{ start: args.startIndex + 1, end: args.startIndex + 1, newText: kw }], name: '' };
  const closing = args.child(args.childCount - 1);
  const afterLast = args.children.filter((c) => c.startIndex >= last.endIndex);
  const trailingComma = afterLast.find((c) => c.type === ',');
  if (trailingComma && closing && closing.startPosition.row > last.endPosition.row) {
    // One argument per line with a trailing comma: add another such line.
    const argIndent = source.slice(lineStart(source, last.startIndex), last.startIndex);
    const own = /^[ \t]*$/.test(argIndent) ? argIndent : options.indent;
    return {
      edits: [
        { start: trailingComma.endIndex, end: trailingComma.endIndex, newText: `${options.eol}${own}${kw},` },
      ],
      name: '',
    };
  }
  if (trailingComma)
    return {
      edits: [{ start: trailingComma.endIndex, end: trailingComma.endIndex, newText: ` ${kw}` }],
      name: '',
    };
  return { edits: [{ start: last.endIndex, end: last.endIndex, newText: `, ${kw}` }], name: '' };
}

/** "Suppress on this line": extend the line's `# noqa: ...` or append `  # noqa: CODE` to it. */
function suppressFix(finding: Finding, tree: Tree, source: string): Rewrite {
  // The reported line is where the finding starts; a multi-line call may also carry it where it ends.
  for (const index of [finding.startIndex, finding.endIndex]) {
    const start = lineStart(source, index);
    const end = lineEnd(source, index);
    const comment = tree.rootNode
      .descendantsOfType('comment')
      .find((c) => c.startIndex >= start && c.startIndex < end);
    if (comment) {
      const m = /#\s*noqa:\s*[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*/i.exec(comment.text);
      if (m) {
        const at = comment.startIndex + m.index + m[0].length;
        return { edits: [{ start: at, end: at, newText: `, ${finding.code}` }], name: '' };
      }
      return {
        edits: [{ start: comment.endIndex, end: comment.endIndex, newText: `  # noqa: ${finding.code}` }],
        name: '',
      };
    }
    // A comment cannot go where the line ends inside a string or after a backslash continuation.
    const last = tree.rootNode.descendantForIndex(Math.max(start, end - 1));
    const inString = (() => {
      for (let n: Node | null = last; n; n = n.parent)
        if (n.type === 'string' && n.endIndex > end) return true;
      return false;
    })();
    if (!inString && !/\\\s*$/.test(source.slice(start, end))) {
      const trimmedEnd = start + source.slice(start, end).trimEnd().length;
      return {
        edits: [{ start: trimmedEnd, end: trimmedEnd, newText: `  # noqa: ${finding.code}` }],
        name: '',
      };
    }
  }
  return { reason: 'no line where a comment can go' };
}
