/**
 * Code that runs only when no event loop is running in the thread (pure): BHD007 follows sync code that async
 * code calls, which runs on the loop's thread, so such code never runs there. A module's probes are its
 * module-level sync defs that ask `asyncio.get_running_loop()` in a `try` and answer from it: one returning
 * the loop (`return asyncio.get_running_loop()`) or None from its `except`, one returning True after asking
 * it and False from its `except`. Under a probe's answer: the `else` of `if running():`, the body of
 * `if not running():`, of `if loop() is None:` or `if not loop():`, the `else` of `if loop() is not None:`,
 * the side a conditional expression `a if running() else b` does not take, and the rest of a block after
 * `if running(): ... return` (or `raise`). A name bound once in the def to a probe's call (`loop = loop()`,
 * `running_loop: Final = _running_loop()`) stands for the call, and so does one bound by such a `try` in the def
 * itself (`try: loop = asyncio.get_running_loop()` / `except RuntimeError: loop = None`). litellm: `messages if is_event_loop_running()
 * else format_pdf_links(...)`, `if running_loop is not None: spawn(...); return` before `run_async_function`.
 * Probes imported from another module are not read.
 */
import type { Node } from './treeSitter';

/** What a probe answers: the running loop or None, or whether one is running. */
type Probe = 'loop' | 'running';

/** Whether a text can hold a probe (then the tree is read). */
export const mayProbeLoop = (source: string): boolean => source.includes('get_running_loop');

/** Whether `value` is a call of `get_running_loop` (`asyncio.get_running_loop()`, imported by name). */
const callsGetRunningLoop = (value: Node | null): boolean =>
  value?.type === 'call' && /(?:^|\.)get_running_loop$/.test(value.childForFieldName('function')?.text ?? '');

const asksLoop = (node: Node): boolean => node.descendantsOfType('call').some(callsGetRunningLoop);

/** The statements of a block without a leading docstring. */
function statements(block: Node | null): Node[] {
  const list = (block?.namedChildren ?? []).filter((c): c is Node => c !== null && c.type !== 'comment');
  if (list[0]?.type === 'expression_statement' && list[0].firstNamedChild?.type === 'string') list.shift();
  return list;
}

/** What `return <value>` returns: 'None', 'True', 'False', 'loop' (a get_running_loop call), else undefined. */
function returned(statement: Node | undefined): string | undefined {
  if (statement?.type !== 'return_statement') return undefined;
  const value = statement.firstNamedChild;
  if (!value || value.type === 'none') return 'None';
  if (value.type === 'true') return 'True';
  if (value.type === 'false') return 'False';
  if (callsGetRunningLoop(value)) return 'loop';
  return undefined;
}

/** A def whose body is one `try` asking for the running loop (see the file comment): what it answers. */
function probeOf(def: Node): Probe | undefined {
  if (def.text.startsWith('async')) return undefined;
  const body = statements(def.childForFieldName('body'));
  if (body.length !== 1 || body[0]!.type !== 'try_statement') return undefined;
  const attempt = body[0]!;
  const tried = statements(attempt.childForFieldName('body'));
  const last = returned(tried[tried.length - 1]);
  if (last !== 'loop' && !(last === 'True' && tried.slice(0, -1).some(asksLoop))) return undefined;
  const handlers = attempt.namedChildren.filter((c): c is Node => c?.type === 'except_clause');
  if (handlers.length === 0 || attempt.namedChildren.some((c) => c?.type === 'finally_clause'))
    return undefined;
  const otherwise = last === 'loop' ? 'None' : 'False';
  for (const h of handlers) {
    const inside = statements(h.namedChildren.find((c) => c?.type === 'block') ?? null);
    if (returned(inside[inside.length - 1]) !== otherwise) return undefined;
  }
  return last === 'loop' ? 'loop' : 'running';
}

/** The module's probes by name (module-level defs only; see the file comment). */
export function loopProbes(root: Node): Map<string, Probe> {
  const probes = new Map<string, Probe>();
  for (const statement of root.namedChildren) {
    const def =
      statement?.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
    if (def?.type !== 'function_definition') continue;
    const name = def.childForFieldName('name')?.text;
    const probe = name ? probeOf(def) : undefined;
    if (name && probe) probes.set(name, probe);
    else if (name) probes.delete(name); // a later def of the name replaces a probe
  }
  return probes;
}

/** A probe's call (`running()`), or undefined. */
function probeCall(node: Node, probes: ReadonlyMap<string, Probe>): Probe | undefined {
  if (node.type !== 'call' || (node.childForFieldName('arguments')?.namedChildCount ?? 1) !== 0)
    return undefined;
  const fn = node.childForFieldName('function');
  return fn?.type === 'identifier' ? probes.get(fn.text) : undefined;
}

/** The `try` statement whose own body (`'try'`) or one of whose `except` clauses holds `statement` directly. */
function tryOf(statement: Node): [Node, 'try' | 'except'] | undefined {
  const block = statement.parent;
  const holder = block?.parent;
  if (block?.type !== 'block' || !holder) return undefined;
  if (holder.type === 'try_statement' && holder.childForFieldName('body')?.id === block.id)
    return [holder, 'try'];
  if (holder.type === 'except_clause' && holder.parent?.type === 'try_statement')
    return [holder.parent, 'except'];
  return undefined;
}

/**
 * What `name` holds in `def`: a probe's answer when its only binding there is `name = probe()`, or when it is
 * bound exactly twice by a `try` asking for the loop itself: `name = asyncio.get_running_loop()` in its body and
 * `name = None` in an `except` (the loop or None), or `name = True` after asking and `name = False` in an
 * `except` (whether one runs).
 */
function boundProbe(name: string, def: Node, probes: ReadonlyMap<string, Probe>): Probe | undefined {
  const assignments: Node[] = [];
  for (const id of def.descendantsOfType('identifier')) {
    if (id?.text !== name) continue;
    const parent = id.parent;
    if (
      /^(?:parameters|typed_parameter|default_parameter|typed_default_parameter|lambda_parameters)$/.test(
        parent?.type ?? '',
      )
    )
      return undefined;
    if (parent?.type === 'assignment' && parent.childForFieldName('left')?.id === id.id)
      assignments.push(parent);
    else if (
      parent &&
      /^(?:augmented_assignment|for_statement|as_pattern_target|named_expression|global_statement|nonlocal_statement|pattern_list|tuple_pattern)$/.test(
        parent.type,
      )
    )
      return undefined;
  }
  if (assignments.length === 1) {
    const value = assignments[0]!.childForFieldName('right');
    return value ? probeCall(value, probes) : undefined;
  }
  if (assignments.length !== 2) return undefined;
  const places = assignments.map((a) =>
    a.parent?.type === 'expression_statement' ? tryOf(a.parent) : undefined,
  );
  const [asked, otherwise] = places[0]?.[1] === 'try' ? [0, 1] : [1, 0];
  const [tried, handled] = [places[asked], places[otherwise]];
  if (tried?.[1] !== 'try' || handled?.[1] !== 'except' || tried[0].id !== handled[0].id) return undefined;
  const value = assignments[asked]!.childForFieldName('right');
  const fallback = assignments[otherwise]!.childForFieldName('right')?.type;
  if (callsGetRunningLoop(value)) return fallback === 'none' ? 'loop' : undefined;
  // `asyncio.get_running_loop()` then `name = True` in the same body: True only when one runs.
  const before = tried[0].childForFieldName('body')?.namedChildren ?? [];
  const at = before.findIndex((c) => c?.id === assignments[asked]!.parent?.id);
  const askedFirst = before
    .slice(0, Math.max(0, at))
    .some((c) => c?.type === 'expression_statement' && callsGetRunningLoop(c.firstNamedChild));
  return value?.type === 'true' && fallback === 'false' && askedFirst ? 'running' : undefined;
}

/** Whether `condition` holds exactly when a loop is running (true), when none is (false), or neither (undefined). */
function whenRunning(condition: Node, def: Node, probes: ReadonlyMap<string, Probe>): boolean | undefined {
  const c = condition.type === 'parenthesized_expression' ? condition.firstNamedChild : condition;
  if (!c) return undefined;
  if (c.type === 'not_operator') {
    const inner = c.childForFieldName('argument');
    const holds = inner && whenRunning(inner, def, probes);
    return holds === undefined ? undefined : !holds;
  }
  const probe = (n: Node): Probe | undefined =>
    probeCall(n, probes) ?? (n.type === 'identifier' ? boundProbe(n.text, def, probes) : undefined);
  if (c.type === 'comparison_operator') {
    const [left, right] = c.namedChildren;
    const op = c.children
      .filter((x) => x && !x.isNamed)
      .map((x) => x!.type)
      .join(' ');
    if (!left || right?.type !== 'none' || probe(left) !== 'loop') return undefined;
    return op === 'is not' ? true : op === 'is' ? false : undefined;
  }
  // (a loop object is true, None false)
  return probe(c) !== undefined ? true : undefined;
}

const EXITS = new Set(['return_statement', 'raise_statement']);

/**
 * Whether a node (in the def `def`) runs only when no event loop is running, by the module's probes and the
 * names bound by a `try` asking for the loop (see the file comment), looking no further up than `def`. One
 * answer per condition (a module asks it for every call and blocking operation of its sync defs).
 */
export function loopBranches(root: Node): (node: Node, def: Node) => boolean {
  const probes = loopProbes(root);
  const answers = new Map<number, boolean | undefined>();
  const holds = (condition: Node | null, def: Node): boolean | undefined => {
    if (!condition) return undefined;
    if (answers.has(condition.id)) return answers.get(condition.id);
    const answer = whenRunning(condition, def, probes);
    answers.set(condition.id, answer);
    return answer;
  };
  return (node, def) => {
    for (let child = node, n = node.parent; n && child.id !== def.id; child = n, n = n.parent) {
      if (n.type === 'if_statement') {
        const running = holds(n.childForFieldName('condition'), def);
        if (running === false && n.childForFieldName('consequence')?.id === child.id) return true;
        const alternatives = n.childrenForFieldName('alternative');
        if (running === true && child.type === 'else_clause' && alternatives.length === 1) return true;
      } else if (n.type === 'conditional_expression') {
        const [yes, condition, no] = n.namedChildren;
        const running = condition ? holds(condition, def) : undefined;
        if ((running === true && no?.id === child.id) || (running === false && yes?.id === child.id))
          return true;
      } else if (n.type === 'block') {
        // `if running(): ...; return` earlier in the block: the rest runs without a loop only.
        for (let s = child.previousNamedSibling; s; s = s.previousNamedSibling) {
          if (s.type !== 'if_statement' || s.childrenForFieldName('alternative').length > 0) continue;
          const last = statements(s.childForFieldName('consequence')).pop();
          if (last && EXITS.has(last.type) && holds(s.childForFieldName('condition'), def) === true)
            return true;
        }
      }
    }
    return false;
  };
}
