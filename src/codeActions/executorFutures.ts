/**
 * What the BHD001 rewrite must know about the futures a `with` block creates (pure): which names hold futures of
 * the executor, which of them the `finally` may cancel (nothing can rebind them to something else), which are read
 * after the block (their work must be kept), and work started without keeping its future (the rewrite declines).
 */
import type { Node } from '../python/treeSitter';
import { enclosingFunction, unparen } from './pythonTree';

/** How a name in the block holds futures, which decides how the `finally` cancels them. */
export type FuturesKind = 'collection' | 'mapping' | 'single';

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
export type FuturesPlan = Map<string, FuturesKind> & { keptAfter?: string[] };

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
export function planFutures(stmt: Node, body: Node, ex: string): FuturesPlan | { reason: string } {
  const forgotten = forgottenWork(body, ex);
  if (forgotten) return { reason: forgotten };
  const fn = enclosingFunction(stmt) ?? stmt;
  const plan: FuturesPlan = new Map<string, FuturesKind>();
  plan.keptAfter = [];
  for (const name of futuresBindings(body, ex).keys()) {
    const seen = new Set<Evidence>();
    let readAfter = false;
    let awaitedInBlock = false;
    for (const { id, nested } of occurrencesOf(fn, name)) {
      const evidence = occurrenceEvidence(id, ex, nested);
      seen.add(evidence);
      if (evidence === 'read' && id.startIndex >= stmt.endIndex) readAfter = true;
      // `futures = await asyncio.gather(*futures)` in the block: after it the name holds results.
      const p = id.parent;
      if (
        p?.type === 'assignment' &&
        p.childForFieldName('left')?.id === id.id &&
        p.childForFieldName('right')?.type === 'await' &&
        id.startIndex > body.startIndex &&
        id.startIndex < stmt.endIndex
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
export function boundBefore(fn: Node | null, name: string, before: number, ex: string): boolean {
  if (!fn) return false;
  return occurrencesOf(fn, name).some(({ id, nested }) => {
    if (id.startIndex >= before) return false;
    const e = occurrenceEvidence(id, ex, nested);
    return e !== 'read' && e !== 'ignore';
  });
}
