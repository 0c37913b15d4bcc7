/**
 * The one-call fixes (pure): BHD002 `shutdown(wait=False, ...)`, BHD003 `await asyncio.wrap_future(f)`, BHD005
 * `timeout=N`, BHD006 `await asyncio.sleep(...)`, and "Suppress on this line". Each returns edits or the reason
 * it does not apply.
 */
import type { Node, Tree } from '../python/treeSitter';
import type { Finding } from '../diagnostics/types';
import type { FixOptions, Rewrite, TextEdit } from './fixTypes';
import { importEdit } from './imports';
import { directlyInAsyncDef, unparen } from './pythonTree';
import { lineEnd, lineStart } from './textStyle';

export function callAt(finding: Finding, tree: Tree): Node | null {
  let n = tree.rootNode.descendantForIndex(finding.startIndex, finding.endIndex);
  while (n && n.type !== 'call') n = n.parent;
  return n;
}

/**
 * BHD002: `ex.shutdown(...)` -> `ex.shutdown(wait=False, cancel_futures=True)` (3.9+) or `(wait=False)`. Only
 * `wait` changes: an explicit `cancel_futures` (keyword or second positional) is the author's choice and stays.
 */
export function shutdownFix(finding: Finding, tree: Tree, cancelFutures: boolean): Rewrite {
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
export function awaitFix(
  finding: Finding,
  tree: Tree,
  source: string,
  options: Pick<FixOptions, 'eol'>,
  what: 'wrap_future' | 'sleep',
): Rewrite {
  const call = callAt(finding, tree);
  const fn = call?.childForFieldName('function');
  const args = call?.childForFieldName('arguments');
  if (!call || !fn || !args || args.type !== 'argument_list') return { reason: 'no call' };
  if (!directlyInAsyncDef(call))
    return { reason: '`await` is not allowed here (lambda, nested def or generator expression)' };
  if (call.parent?.type === 'await') return { reason: 'already awaited' };
  const asyncio = importEdit(tree, source, 'asyncio', options.eol, call);
  if (asyncio.shadowed)
    return { reason: `\`${asyncio.name}\` is a local name here: the fix would call that, not the module` };
  let expr: string;
  const removesUseOf: string[] = [];
  if (what === 'wrap_future') {
    if (args.namedChildren.length > 0)
      return { reason: '`.result()` with a timeout is not rewritten mechanically' };
    const obj = fn.type === 'attribute' ? fn.childForFieldName('object') : null;
    if (!obj) return { reason: 'not a method call' };
    expr = `await ${asyncio.name}.wrap_future(${unparen(obj).text})`;
  } else {
    expr = `await ${asyncio.name}.sleep${args.text}`;
    // `time.sleep` / `sleep` / `t.sleep` goes away: its import may become unused.
    let root: Node | null = fn;
    while (root?.type === 'attribute') root = root.childForFieldName('object');
    if (root?.type === 'identifier') removesUseOf.push(root.text);
  }
  if (needsParens(call)) expr = `(${expr})`;
  const edits: TextEdit[] = [{ start: call.startIndex, end: call.endIndex, newText: expr }];
  if (asyncio.edit) edits.push(asyncio.edit);
  return { edits, name: asyncio.name, removesUseOf };
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(3)));
}

/**
 * BHD005: add `timeout=N` as the last argument, keeping a trailing comma / one-argument-per-line layout; or
 * `timeout=None` made `timeout=N`.
 */
export function timeoutFix(
  finding: Finding,
  tree: Tree,
  source: string,
  options: Pick<FixOptions, 'eol' | 'indent' | 'httpTimeoutSeconds'>,
): Rewrite {
  const call = callAt(finding, tree);
  const args = call?.childForFieldName('arguments');
  if (!call || !args || args.type !== 'argument_list') return { reason: 'no argument list' };
  const kw = `timeout=${formatNumber(options.httpTimeoutSeconds)}`;
  const named = args.namedChildren.filter((c) => c.type !== 'comment');
  // `timeout=None`: the value replaced.
  for (const arg of named)
    if (arg.type === 'keyword_argument' && arg.childForFieldName('name')?.text === 'timeout') {
      const value = arg.childForFieldName('value');
      if (value?.type !== 'none') return { reason: 'the call has a timeout' };
      return {
        edits: [
          { start: value.startIndex, end: value.endIndex, newText: formatNumber(options.httpTimeoutSeconds) },
        ],
        name: '',
      };
    }
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
export function suppressFix(finding: Finding, tree: Tree, source: string): Rewrite {
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
