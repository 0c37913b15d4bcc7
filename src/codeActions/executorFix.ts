/**
 * The BHD001 rewrites: a `with ThreadPoolExecutor(...) as ex:` in async code becomes the non-blocking pattern of
 * MISSION.md (executor bound before a `try`, `finally` cancelling futures and shutting down without waiting), or,
 * as the alternative, one long-lived module-level executor. Pure text edits computed from the tree.
 */
import type { Node, Tree } from '../python/treeSitter';
import type { Finding } from '../diagnostics/types';
import type { TextEdit } from './fixes';
import {
  enclosingFunction,
  freshName,
  identifiersUnder,
  moduleImportedNames,
  statementStartRows,
  stringInteriorRows,
  unparen,
} from './pythonTree';
import { importEdit } from './imports';
import type { Applicability } from './applicability';
import { lineEnd, lineStart, nextLineStart } from './textStyle';

/** What the executor fixes need from FixOptions. */
export interface ExecutorFixOptions {
  cancelFutures: boolean;
  eol: string;
  indent: string;
}

/**
 * Either edits to apply or the reason no fix is offered (shown to the user). A rewrite may declare its own
 * applicability (else its rule's default holds, see ./applicability) and the names whose uses it removes (their
 * imports are dropped when nothing else uses them).
 */
export type Rewrite =
  | {
      edits: TextEdit[];
      name: string;
      applicability?: Applicability;
      /** Why it is unsafe, when it declares itself unsafe. */
      unsafeBecause?: string;
      removesUseOf?: string[];
    }
  | { reason: string };

/** How a name in the block holds futures, which decides how the `finally` cancels them. */
type FuturesKind = 'collection' | 'mapping' | 'single';

interface WithParts {
  call: Node;
  stmt: Node;
  item: Node;
  otherItems: Node[];
  /** Text of the `as` target (`executor`, `self.pool`), or undefined when the item has no `as`. */
  target: string | undefined;
  indent: string;
  colon: Node;
  body: Node;
  inline: boolean;
  /** Indentation unit of the block relative to the `with` line. */
  unit: string;
}

/** Finds the `with` around the finding's executor call and checks the shape is one we can rewrite. */
function locate(finding: Finding, tree: Tree, source: string, opts: ExecutorFixOptions): WithParts | string {
  let call = tree.rootNode.descendantForIndex(finding.startIndex, finding.endIndex);
  while (call && call.type !== 'call') call = call.parent;
  if (!call) return 'no call node at the finding';
  let item: Node | null = call.parent;
  let target: string | undefined;
  while (item && item.type === 'parenthesized_expression') item = item.parent;
  if (item?.type === 'as_pattern') {
    const alias = item.childForFieldName('alias');
    const t = alias?.namedChildren[0] ?? alias;
    if (!t || (t.type !== 'identifier' && t.type !== 'attribute'))
      return 'the `as` target is not a plain name';
    target = t.text;
    item = item.parent;
  }
  if (item?.type !== 'with_item') return 'the executor is not a `with` item';
  const clause = item.parent;
  const stmt = clause?.parent;
  if (!clause || clause.type !== 'with_clause' || !stmt || stmt.type !== 'with_statement')
    return 'no with statement';
  if (stmt.children.some((c) => c.type === 'async')) return '`async with` on an executor';
  const indent = source.slice(lineStart(source, stmt.startIndex), stmt.startIndex);
  if (!/^[ \t]*$/.test(indent)) return 'the `with` shares its line with other code';
  const colon = stmt.children.find((c) => c.type === ':');
  const body = stmt.childForFieldName('body');
  if (!colon || !body) return 'incomplete with statement';
  const otherItems = clause.namedChildren.filter((c) => c.type === 'with_item' && c.id !== item.id);
  // Comments between items would be lost when the items are re-joined.
  if (otherItems.length && clause.descendantsOfType('comment').length)
    return 'comments inside a multi-item `with`';
  const inline = body.startPosition.row === colon.endPosition.row;
  let unit = opts.indent;
  if (inline) {
    // `with ...: stmt` shows no block indentation: take the step from the statement that holds the `with`
    // (the file-wide guess can be fooled by continuation lines and string contents).
    const owner = stmt.parent?.type === 'block' ? stmt.parent.parent : null;
    if (owner) {
      const ownerIndent = source.slice(lineStart(source, owner.startIndex), owner.startIndex);
      if (
        /^[ \t]*$/.test(ownerIndent) &&
        indent.startsWith(ownerIndent) &&
        indent.length > ownerIndent.length
      )
        unit = indent.slice(ownerIndent.length);
    }
  } else {
    const bodyIndent = source.slice(lineStart(source, body.startIndex), body.startIndex);
    if (!bodyIndent.startsWith(indent) || bodyIndent.length <= indent.length)
      return 'unexpected block indentation';
    unit = bodyIndent.slice(indent.length);
  }
  // An item before the executor may bind a name its constructor uses: moving the executor out would break that.
  const earlier = clause.namedChildren.filter(
    (c) => c.type === 'with_item' && c.startIndex < item.startIndex,
  );
  const bound = new Set(earlier.flatMap((c) => c.descendantsOfType('as_pattern_target').map((t) => t.text)));
  if (call.descendantsOfType('identifier').some((id) => bound.has(id.text))) {
    return 'the executor depends on an earlier `with` item';
  }
  return { call, stmt, item, otherItems, target, indent, colon, body, inline, unit };
}

/** `ex.submit(...)` or `loop.run_in_executor(ex, ...)`. */
function isExecutorCall(node: Node | null | undefined, ex: string): boolean {
  if (!node) return false;
  // `await loop.run_in_executor(...)` is the result, not a future: deliberately not unwrapped.
  const n = unparen(node);
  if (n.type !== 'call') return false;
  const fn = n.childForFieldName('function');
  if (fn?.type !== 'attribute') return false;
  const attr = fn.childForFieldName('attribute')?.text;
  if (attr === 'submit') return fn.childForFieldName('object')?.text === ex;
  if (attr === 'run_in_executor') return n.childForFieldName('arguments')?.namedChildren[0]?.text === ex;
  return false;
}

/** Names in the block bound to futures from the executor, in order of appearance. */
function futuresBindings(body: Node, ex: string): Map<string, FuturesKind> {
  const found = new Map<string, FuturesKind>();
  const visit = (n: Node): void => {
    // Nested functions and classes run elsewhere (and bind their own names): not the block's futures.
    if (n.type === 'function_definition' || n.type === 'class_definition' || n.type === 'lambda') return;
    if (n.type === 'assignment') {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      // futures[ex.submit(...)] = url (keys are futures) / futures[url] = ex.submit(...) (values are)
      const container = left?.type === 'subscript' ? left.childForFieldName('value') : null;
      if (container?.type === 'identifier' && right && !found.has(container.text)) {
        if (isExecutorCall(left!.childForFieldName('subscript'), ex)) found.set(container.text, 'collection');
        else if (isExecutorCall(right, ex)) found.set(container.text, 'mapping');
      }
      if (left?.type === 'identifier' && right && !found.has(left.text)) {
        const r = unparen(right);
        if (isExecutorCall(r, ex)) found.set(left.text, 'single');
        else if (
          (r.type === 'list_comprehension' || r.type === 'set_comprehension') &&
          isExecutorCall(r.childForFieldName('body'), ex)
        ) {
          found.set(left.text, 'collection');
        } else if (r.type === 'dictionary_comprehension') {
          const pair = r.childForFieldName('body');
          if (isExecutorCall(pair?.childForFieldName('key'), ex)) found.set(left.text, 'collection');
          else if (isExecutorCall(pair?.childForFieldName('value'), ex)) found.set(left.text, 'mapping');
        } else if (
          (r.type === 'list' || r.type === 'set' || r.type === 'tuple') &&
          r.namedChildren.some((c) => isExecutorCall(c, ex))
        ) {
          found.set(left.text, 'collection');
        }
      }
    } else if (n.type === 'call') {
      // futures.append(ex.submit(...)) / futures.add(...): futures built in a loop.
      const fn = n.childForFieldName('function');
      const obj = fn?.childForFieldName('object');
      const attr = fn?.childForFieldName('attribute')?.text;
      if (fn?.type === 'attribute' && obj?.type === 'identifier' && (attr === 'append' || attr === 'add')) {
        if (isExecutorCall(n.childForFieldName('arguments')?.namedChildren[0], ex) && !found.has(obj.text)) {
          found.set(obj.text, 'collection');
        }
      }
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(body);
  return found;
}

/** The futures the `finally` cancels, and the futures names read after the block (their work is kept). */
type FuturesPlan = Map<string, FuturesKind> & { keptAfter?: string[] };

/** What one occurrence of a futures name says about the value the `finally` may find in it. */
type Evidence = FuturesKind | 'none' | 'empty' | 'unsafe' | 'read' | 'ignore';

const NESTED_SCOPES = new Set(['function_definition', 'class_definition', 'lambda']);
const PATTERNS = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'list_splat_pattern']);
const PARAMETERS = new Set([
  'parameters',
  'default_parameter',
  'typed_parameter',
  'typed_default_parameter',
  'list_splat_pattern',
  'dictionary_splat_pattern',
]);
// Methods that can put something other than a future into a container (append/add are checked per argument).
const MUTATORS = new Set(['extend', 'insert', 'update', 'setdefault', '__setitem__', '__iadd__']);

/** What a value bound to a futures name is: futures of `ex`, an empty container, None, or anything else. */
function valueEvidence(node: Node, ex: string): Evidence {
  const r = unparen(node);
  if (isExecutorCall(r, ex)) return 'single';
  if (r.type === 'none') return 'none';
  if (
    (r.type === 'list_comprehension' || r.type === 'set_comprehension') &&
    isExecutorCall(r.childForFieldName('body'), ex)
  )
    return 'collection';
  if (r.type === 'dictionary_comprehension') {
    const pair = r.childForFieldName('body');
    if (isExecutorCall(pair?.childForFieldName('key'), ex)) return 'collection';
    if (isExecutorCall(pair?.childForFieldName('value'), ex)) return 'mapping';
    return 'unsafe';
  }
  if (r.type === 'list' || r.type === 'set' || r.type === 'tuple' || r.type === 'dictionary') {
    const items = r.namedChildren.filter((c) => c.type !== 'comment');
    if (items.length === 0) return 'empty';
    if (r.type !== 'dictionary' && items.every((c) => isExecutorCall(c, ex))) return 'collection';
    return 'unsafe';
  }
  if (r.type === 'call') {
    const fn = r.childForFieldName('function')?.text ?? '';
    const args = r.childForFieldName('arguments');
    if (/^(list|set|dict|tuple)$/.test(fn) && args?.namedChildren.length === 0) return 'empty';
  }
  return 'unsafe';
}

/** Classifies one occurrence of a futures name in the enclosing function. */
function occurrenceEvidence(id: Node, ex: string, inNestedScope: boolean): Evidence {
  const p = id.parent;
  if (!p) return 'read';
  if (p.type === 'global_statement' || p.type === 'nonlocal_statement') return 'unsafe';
  // A nested def/lambda reads the name through its closure (its own bindings are its own locals).
  if (inNestedScope) return 'read';
  const isField = (field: string): boolean => p.childForFieldName(field)?.id === id.id;
  if (p.type === 'keyword_argument' && isField('name')) return 'ignore';
  if (p.type === 'attribute' && isField('attribute')) return 'ignore';
  if (p.type === 'assignment' && isField('left')) {
    const right = p.childForFieldName('right');
    return right ? valueEvidence(right, ex) : 'ignore'; // `futures: list` only declares
  }
  if (p.type === 'augmented_assignment' && isField('left')) return 'unsafe';
  if (p.type === 'named_expression' && isField('name')) return 'unsafe';
  if (p.type === 'as_pattern_target' || p.type === 'delete_statement') return 'unsafe';
  if (p.type === 'expression_list' && p.parent?.type === 'delete_statement') return 'unsafe';
  if (PARAMETERS.has(p.type) && (p.type === 'parameters' || p.type.endsWith('_pattern') || isField('name')))
    return 'unsafe';
  if (p.type === 'typed_parameter') return 'unsafe';
  if (p.type === 'dotted_name' || p.type === 'aliased_import') return 'unsafe';
  // Loop targets: a comprehension's are its own locals; a `for` statement's rebind the name.
  let target: Node = id;
  while (target.parent && PATTERNS.has(target.parent.type)) target = target.parent;
  const owner = target.parent;
  if (owner && owner.childForFieldName('left')?.id === target.id) {
    if (owner.type === 'for_in_clause') return 'ignore';
    if (owner.type === 'for_statement' || target.id !== id.id) return 'unsafe';
  }
  if (p.type === 'attribute' && isField('object')) {
    const call = p.parent;
    if (call?.type === 'call' && call.childForFieldName('function')?.id === p.id) {
      const method = p.childForFieldName('attribute')?.text ?? '';
      if (method === 'append' || method === 'add') {
        const arg = call.childForFieldName('arguments')?.namedChildren[0];
        return isExecutorCall(arg, ex) ? 'collection' : 'unsafe';
      }
      if (MUTATORS.has(method)) return 'unsafe';
    }
    return 'read';
  }
  if (p.type === 'subscript' && isField('value')) {
    const assign = p.parent;
    if (assign?.type === 'augmented_assignment' && assign.childForFieldName('left')?.id === p.id)
      return 'unsafe';
    if (assign?.type === 'assignment' && assign.childForFieldName('left')?.id === p.id) {
      // futures[ex.submit(...)] = url  (keys are futures) / futures[url] = ex.submit(...)  (values are)
      if (isExecutorCall(p.childForFieldName('subscript'), ex)) return 'collection';
      const right = assign.childForFieldName('right');
      return right && isExecutorCall(right, ex) ? 'mapping' : 'unsafe';
    }
    return 'read';
  }
  return 'read';
}

/** Every identifier spelled `name` under `root`, with whether it lies in a nested def/class/lambda. */
function occurrencesOf(root: Node, name: string): { id: Node; nested: boolean }[] {
  const out: { id: Node; nested: boolean }[] = [];
  const visit = (n: Node, nested: boolean): void => {
    if (n.type === 'identifier') {
      if (n.text === name) out.push({ id: n, nested });
      return;
    }
    for (const c of n.namedChildren) visit(c, nested || (n.id !== root.id && NESTED_SCOPES.has(n.type)));
  };
  visit(root, false);
  return out;
}

/**
 * The futures the `finally` can cancel safely: names the block binds to futures of the executor and that
 * nothing in the function can rebind to anything else (a result, a gathered list, a loop variable...), so the
 * `finally` never calls `.cancel()` on something that is not a future. Or why the block cannot be rewritten:
 * work submitted without keeping its future is waited for by the `with`; the rewrite would drop it.
 */
function planFutures(parts: WithParts, ex: string): FuturesPlan | { reason: string } {
  const forgotten = forgottenWork(parts.body, ex);
  if (forgotten) return { reason: forgotten };
  const fn = enclosingFunction(parts.stmt) ?? parts.stmt;
  const plan: FuturesPlan = new Map<string, FuturesKind>();
  plan.keptAfter = [];
  for (const name of futuresBindings(parts.body, ex).keys()) {
    const seen = new Set<Evidence>();
    let readAfter = false;
    let awaitedInBlock = false;
    for (const { id, nested } of occurrencesOf(fn, name)) {
      const evidence = occurrenceEvidence(id, ex, nested);
      seen.add(evidence);
      if (evidence === 'read' && id.startIndex >= parts.stmt.endIndex) readAfter = true;
      // `futures = await asyncio.gather(*futures)` in the block: after it the name holds results.
      const p = id.parent;
      if (
        p?.type === 'assignment' &&
        p.childForFieldName('left')?.id === id.id &&
        p.childForFieldName('right')?.type === 'await' &&
        id.startIndex > parts.body.startIndex &&
        id.startIndex < parts.stmt.endIndex
      )
        awaitedInBlock = true;
    }
    if (awaitedInBlock) readAfter = false;
    if (!seen.has('read')) {
      return {
        reason: `the future \`${name}\` is never awaited or read: leaving the \`with\` waits for it, the rewrite would cancel it`,
      };
    }
    // Used after the block (submit inside, `.result()` after): the `with` made that work finish; the rewrite
    // must keep it running, so these are never cancelled (and the executor is shut down without cancel_futures).
    if (readAfter) {
      plan.keptAfter.push(name);
      continue;
    }
    const kinds = (['single', 'collection', 'mapping'] as const).filter((k) => seen.has(k));
    if (seen.has('unsafe') || kinds.length !== 1) continue; // may hold a non-future: shutdown still cancels
    const kind = kinds[0]!;
    if (kind === 'single' ? seen.has('empty') : seen.has('none')) continue;
    plan.set(name, kind);
  }
  return plan;
}

/** A line of the block that starts work on the executor and drops its future (or `map` results), if any. */
function forgottenWork(body: Node, ex: string): string | undefined {
  let found: string | undefined;
  const visit = (n: Node): void => {
    if (found || NESTED_SCOPES.has(n.type)) return;
    if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      const isMap =
        fn?.type === 'attribute' &&
        fn.childForFieldName('attribute')?.text === 'map' &&
        fn.childForFieldName('object')?.text === ex;
      if (isMap || isExecutorCall(n, ex)) {
        let up: Node = n;
        while (up.parent?.type === 'parenthesized_expression') up = up.parent;
        let holder = up.parent;
        // ex.submit(...).add_done_callback(cb): the future is still dropped.
        if (holder?.type === 'attribute' && holder.parent?.type === 'call')
          if (holder.childForFieldName('attribute')?.text === 'add_done_callback')
            holder = holder.parent.parent;
        const line = n.startPosition.row + 1;
        if (holder?.type === 'expression_statement') {
          found = `line ${line} starts work on the executor without keeping its future: leaving the \`with\` waits for that work, the rewrite would cancel it (keep the future and await it first)`;
        } else if (isMap && (holder?.type === 'assignment' || holder?.type === 'return_statement')) {
          found = `line ${line} keeps the lazy results of \`${ex}.map(...)\`: read after the block they would be cancelled instead of waited for`;
        }
      }
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(body);
  return found;
}

/** Whether the function binds `name` (in its own scope) before offset `before`. */
function boundBefore(fn: Node | null, name: string, before: number, ex: string): boolean {
  if (!fn) return false;
  return occurrencesOf(fn, name).some(({ id, nested }) => {
    if (id.startIndex >= before) return false;
    const e = occurrenceEvidence(id, ex, nested);
    return e !== 'read' && e !== 'ignore';
  });
}

/** Lines that bind futures names before the `try`, so the `finally` cannot raise NameError. */
function prebindLines(parts: WithParts, futures: Map<string, FuturesKind>, ex: string): string[] {
  const fn = enclosingFunction(parts.stmt);
  const lines: string[] = [];
  for (const [name, kind] of futures) {
    if (boundBefore(fn, name, parts.stmt.startIndex, ex)) continue; // already bound: keep its value
    lines.push(`${name} = ${kind === 'single' ? 'None' : kind === 'mapping' ? '{}' : '[]'}`);
  }
  return lines;
}

/** The `finally:` clause (without a trailing line break) cancelling futures and optionally shutting down. */
function finallyLines(
  parts: WithParts,
  futures: Map<string, FuturesKind>,
  exName: string,
  shutdown: string | undefined,
): string[] {
  const { indent, unit } = parts;
  const taken = identifiersUnder(enclosingFunction(parts.stmt) ?? parts.stmt);
  const v = freshName(taken, 'f', 'future', 'pending');
  const lines = [`${indent}finally:`];
  for (const [name, kind] of futures) {
    if (kind === 'single')
      lines.push(`${indent}${unit}if ${name} is not None:`, `${indent}${unit}${unit}${name}.cancel()`);
    else {
      lines.push(
        `${indent}${unit}for ${v} in ${name}${kind === 'mapping' ? '.values()' : ''}:`,
        `${indent}${unit}${unit}${v}.cancel()`,
      );
    }
  }
  if (shutdown) lines.push(`${indent}${unit}${exName}.shutdown(${shutdown})`);
  return lines;
}

/** Re-indents the block's lines by `delta` (a unit added, or removed when `remove`). Undefined: cannot. */
function reindentBody(parts: WithParts, source: string, remove: boolean): TextEdit[] | undefined {
  const { stmt, indent, unit } = parts;
  const strings = stringInteriorRows(stmt);
  const starts = statementStartRows(parts.body);
  const edits: TextEdit[] = [];
  const firstRow = parts.colon.endPosition.row + 1;
  let offset = nextLineStart(source, parts.colon.endIndex);
  for (let row = firstRow; row <= stmt.endPosition.row; row++) {
    const end = lineEnd(source, offset);
    const line = source.slice(offset, end);
    if (line.trim() !== '' && !strings.has(row)) {
      if (!remove) edits.push({ start: offset, end: offset, newText: unit });
      else if (line.startsWith(indent + unit)) {
        edits.push({ start: offset + indent.length, end: offset + indent.length + unit.length, newText: '' });
      } else if (starts.has(row)) return undefined;
    }
    offset = nextLineStart(source, end);
  }
  return edits;
}

/** The preferred BHD001 fix: executor before a `try`, body inside, non-blocking `finally`. */
export function executorTryFinally(
  finding: Finding,
  tree: Tree,
  source: string,
  opts: ExecutorFixOptions,
): Rewrite {
  const parts = locate(finding, tree, source, opts);
  if (typeof parts === 'string') return { reason: parts };
  const { stmt, call, colon, indent, unit, eol, inline } = { ...parts, eol: opts.eol };
  const fn = enclosingFunction(stmt);
  const exName = parts.target ?? freshName(identifiersUnder(fn ?? stmt), 'executor');
  const futures = planFutures(parts, exName);
  if (!(futures instanceof Map)) return futures;
  const kept = futures.keptAfter ?? [];
  const shutdown = opts.cancelFutures && kept.length === 0 ? 'wait=False, cancel_futures=True' : 'wait=False';
  const head = [
    `${exName} = ${call.text}`,
    ...prebindLines(parts, futures, exName).map((l) => indent + l),
    `${indent}try:`,
  ];
  const edits: TextEdit[] = [];
  if (parts.otherItems.length === 0) {
    // Only the executor: the block's lines stay exactly as they are, under `try:`.
    if (inline) {
      edits.push({
        start: stmt.startIndex,
        end: parts.body.startIndex,
        newText: head.join(eol) + eol + indent + unit,
      });
    } else {
      // A comment after the colon was about the executor: it moves to the line that now creates it.
      const trailing = source.slice(colon.endIndex, lineEnd(source, colon.endIndex));
      head[0] += trailing;
      edits.push({ start: stmt.startIndex, end: colon.endIndex + trailing.length, newText: head.join(eol) });
    }
  } else {
    // Other items stay in a `with` inside the `try`, one level deeper.
    const others = parts.otherItems.map((c) => c.text).join(', ');
    head.push(`${indent}${unit}with ${others}:`);
    edits.push({ start: stmt.startIndex, end: colon.endIndex, newText: head.join(eol) });
    if (!inline) {
      const more = reindentBody(parts, source, false);
      if (!more) return { reason: 'cannot re-indent the block' };
      edits.push(...more);
    } else {
      edits.push({ start: colon.endIndex, end: parts.body.startIndex, newText: ' ' });
    }
  }
  const end = lineEnd(source, stmt.endIndex);
  edits.push({ start: end, end, newText: eol + finallyLines(parts, futures, exName, shutdown).join(eol) });
  if (kept.length === 0) return { edits, name: exName };
  return {
    edits,
    name: exName,
    applicability: 'unsafe',
    unsafeBecause: `${kept.map((k) => `\`${k}\``).join(', ')} ${kept.length === 1 ? 'is' : 'are'} read after the block: their work keeps running (no cancel_futures) but may not have finished when read`,
  };
}

/**
 * The alternative BHD001 fix: one executor created at module level (shut down without waiting at exit), used by
 * every request instead of a new one per request. Only for a lone `with` item whose constructor arguments are
 * literals and whose class is imported at module level (else it cannot move there).
 */
export function executorModuleLevel(
  finding: Finding,
  tree: Tree,
  source: string,
  opts: ExecutorFixOptions,
): Rewrite {
  const parts = locate(finding, tree, source, opts);
  if (typeof parts === 'string') return { reason: parts };
  const { stmt, call, colon, indent, unit, inline } = parts;
  const eol = opts.eol;
  if (parts.otherItems.length) return { reason: 'module-level executor: the `with` has other items' };
  if (!enclosingFunction(stmt)) return { reason: 'module-level executor: not inside a function' };
  const args = call.childForFieldName('arguments');
  const nonLiteral = (args?.descendantsOfType('identifier') ?? []).some(
    (id) =>
      !(id.parent?.type === 'keyword_argument' && id.parent.childForFieldName('name')?.id === id.id) &&
      !['True', 'False', 'None'].includes(id.text),
  );
  if (nonLiteral) return { reason: 'module-level executor: constructor arguments use local names' };
  const fnNode = call.childForFieldName('function');
  let root = fnNode;
  while (root?.type === 'attribute') root = root.childForFieldName('object');
  const imported = moduleImportedNames(tree.rootNode);
  if (root?.type !== 'identifier' || !imported.has(root.text)) {
    return { reason: 'module-level executor: the executor class is not imported at module level' };
  }
  const moduleImports = tree.rootNode.namedChildren.filter(
    (n) =>
      n.type === 'import_statement' ||
      n.type === 'import_from_statement' ||
      n.type === 'future_import_statement',
  );
  const lastImport = moduleImports[moduleImports.length - 1]!;
  const allNames = identifiersUnder(tree.rootNode);
  const base =
    parts.target && /^[A-Za-z_]\w*$/.test(parts.target) ? `_${parts.target.toUpperCase()}` : '_EXECUTOR';
  const globalName = freshName(allNames, base);
  const exName = parts.target ?? freshName(identifiersUnder(enclosingFunction(stmt)!), 'executor');
  const edits: TextEdit[] = [];
  const atexit = importEdit(tree, source, 'atexit', eol);
  if (atexit.edit) edits.push(atexit.edit);
  const cf = opts.cancelFutures ? ', cancel_futures=True' : '';
  const at = lineEnd(source, lastImport.endIndex);
  edits.push({
    start: at,
    end: at,
    newText: `${eol}${eol}${globalName} = ${call.text}${eol}${atexit.name}.register(${globalName}.shutdown, wait=False${cf})`,
  });
  const futures = planFutures(parts, exName);
  if (!(futures instanceof Map)) return { reason: `module-level executor: ${futures.reason}` };
  const assign = `${exName} = ${globalName}`;
  if (futures.size) {
    // Still cancel this request's futures when it ends (client gone): the shared executor stays up.
    const head = [assign, ...prebindLines(parts, futures, exName).map((l) => indent + l), `${indent}try:`];
    if (inline)
      edits.push({
        start: stmt.startIndex,
        end: parts.body.startIndex,
        newText: head.join(eol) + eol + indent + unit,
      });
    else {
      const trailing = source.slice(colon.endIndex, lineEnd(source, colon.endIndex));
      head[0] += trailing;
      edits.push({ start: stmt.startIndex, end: colon.endIndex + trailing.length, newText: head.join(eol) });
    }
    const end = lineEnd(source, stmt.endIndex);
    edits.push({ start: end, end, newText: eol + finallyLines(parts, futures, exName, undefined).join(eol) });
  } else if (inline) {
    edits.push({ start: stmt.startIndex, end: parts.body.startIndex, newText: assign + eol + indent });
  } else {
    edits.push({ start: stmt.startIndex, end: colon.endIndex, newText: assign });
    const dedent = reindentBody(parts, source, true);
    if (!dedent) return { reason: 'module-level executor: cannot dedent the block' };
    edits.push(...dedent);
  }
  return { edits, name: globalName };
}
