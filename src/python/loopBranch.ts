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
 * A probe may also answer after its `try` (`try: asyncio.get_running_loop()` / `except RuntimeError: return
 * False` / `return True`), and `asyncio._get_running_loop()` (the loop or None, never raising) is one itself.
 * A def imported by name (`from app.utils import is_event_loop_running`) whose call stands where a probe's
 * would may be one of another module: the branch is kept off with that name (a ProbeRef), and the chain
 * search, which resolves names across modules, decides (FunctionSummary.loopProbe).
 */
import type { Node } from './treeSitter';
import { answerNames, importedAskers } from './loopText';

/** What a probe answers: the running loop or None, or whether one is running. */
export type Probe = 'loop' | 'running';

/** A def of another module, imported by `name`, that a branch is kept off by when it is a probe (of `kind`). */
export interface ProbeRef {
  name: string;
  /** The answer the branch needs: 'loop' (compared with None), any when undefined. */
  kind?: 'loop';
}

/** How a node runs: only without a loop (true), so when `name` is a probe (a ProbeRef), or either way (false). */
export type NoLoop = boolean | ProbeRef;

/** What a name in a condition may stand for: a probe of this module, or an imported def that may be one. */
type Known = Probe | 'imported';

/** Whether a text can hold a probe of its own (then its defs are read). */
export const mayProbeLoop = (source: string): boolean => source.includes('get_running_loop');

/** Whether `value` is a call of `get_running_loop` (`asyncio.get_running_loop()`, imported by name). */
const callsGetRunningLoop = (value: Node | null): boolean =>
  value?.type === 'call' && /(?:^|\.)get_running_loop$/.test(value.childForFieldName('function')?.text ?? '');

const asksLoop = (node: Node): boolean => node.descendantsOfType('call').some(callsGetRunningLoop);

const EXITS = new Set(['return_statement', 'raise_statement']);

/** `asyncio._get_running_loop()` (also imported by name): the loop or None, without raising. */
const NO_RAISE = /(?:^|\.)_get_running_loop$/;

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
  if (def.firstChild?.type === 'async') return undefined;
  const body = statements(def.childForFieldName('body'));
  if (body.length < 1 || body.length > 2 || body[0]!.type !== 'try_statement') return undefined;
  const attempt = body[0]!;
  const tried = statements(attempt.childForFieldName('body'));
  let last = returned(tried[tried.length - 1]);
  if (body.length === 2) {
    // `try: asyncio.get_running_loop()` / `except RuntimeError: return False` / `return True`
    if (last !== undefined || tried.some((t) => EXITS.has(t.type)) || attempt.namedChildren.some(isElse))
      return undefined;
    last = returned(body[1]) === 'True' ? 'True' : undefined;
    if (last === 'True' && !tried.some(asksLoop)) return undefined;
  } else if (last !== 'loop' && !(last === 'True' && tried.slice(0, -1).some(asksLoop))) return undefined;
  if (last !== 'loop' && last !== 'True') return undefined;
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

const isElse = (c: Node | null): boolean => c?.type === 'else_clause';

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

/** A call asking a probe (`running()`, `asyncio._get_running_loop()`): what it may be and the name called. */
interface Asked {
  kind: Known;
  name: string;
}

/** A probe's call (`running()`), or undefined. */
function probeCall(node: Node, probes: ReadonlyMap<string, Known>): Asked | undefined {
  if (node.type !== 'call' || (node.childForFieldName('arguments')?.namedChildCount ?? 1) !== 0)
    return undefined;
  const fn = node.childForFieldName('function');
  const name = fn?.text ?? '';
  if (NO_RAISE.test(name)) return { kind: 'loop', name };
  const kind = fn?.type === 'identifier' ? probes.get(name) : undefined;
  return kind && { kind, name };
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
function boundProbe(name: string, def: Node, probes: ReadonlyMap<string, Known>): Asked | undefined {
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
  if (callsGetRunningLoop(value)) return fallback === 'none' ? { kind: 'loop', name } : undefined;
  // `asyncio.get_running_loop()` then `name = True` in the same body: True only when one runs.
  const before = tried[0].childForFieldName('body')?.namedChildren ?? [];
  const at = before.findIndex((c) => c?.id === assignments[asked]!.parent?.id);
  const askedFirst = before
    .slice(0, Math.max(0, at))
    .some((c) => c?.type === 'expression_statement' && callsGetRunningLoop(c.firstNamedChild));
  return value?.type === 'true' && fallback === 'false' && askedFirst ? { kind: 'running', name } : undefined;
}

/** When a condition holds: exactly when a loop runs (true) or when none does (false), maybe by an import's probe. */
interface Holds {
  running: boolean;
  /** It holds so only when this imported def is a probe (ProbeRef). */
  via?: ProbeRef;
}

/** When `condition` holds (see Holds), or undefined when a loop does not decide it. */
function whenRunning(condition: Node, def: Node, probes: ReadonlyMap<string, Known>): Holds | undefined {
  const c = condition.type === 'parenthesized_expression' ? condition.firstNamedChild : condition;
  if (!c) return undefined;
  if (c.type === 'not_operator') {
    const inner = c.childForFieldName('argument');
    const holds = inner && whenRunning(inner, def, probes);
    return holds ? { ...holds, running: !holds.running } : undefined;
  }
  const probe = (n: Node): Asked | undefined =>
    probeCall(n, probes) ?? (n.type === 'identifier' ? boundProbe(n.text, def, probes) : undefined);
  if (c.type === 'comparison_operator') {
    const [left, right] = c.namedChildren;
    const op = c.children
      .filter((x) => x && !x.isNamed)
      .map((x) => x!.type)
      .join(' ');
    const asked = left && right?.type === 'none' ? probe(left) : undefined;
    if (!asked || asked.kind === 'running' || (op !== 'is not' && op !== 'is')) return undefined;
    return {
      running: op === 'is not',
      ...(asked.kind === 'imported' ? { via: { name: asked.name, kind: 'loop' } } : {}),
    };
  }
  // (a loop object is true, None false)
  const asked = probe(c);
  if (!asked) return undefined;
  return { running: true, ...(asked.kind === 'imported' ? { via: { name: asked.name } } : {}) };
}

/** Code (from..to) that runs only without a loop: by this module (`via` undefined) or if `via` is a probe. */
interface DeadRange {
  from: number;
  to: number;
  /** Where the `if` (or conditional expression) deciding it starts: it counts only inside the asking def. */
  at: number;
  via?: ProbeRef;
}

/** The def (not a lambda) holding `node`, if any. */
function defOf(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') return p;
  return undefined;
}

/**
 * Whether a node (in the def `def`) runs only without an event loop, by the module's probes, the names bound
 * by a `try` asking for the loop, and the defs it imports that may be probes (see the file comment), looking
 * no further up than `def`. The conditions read are found from the text: those naming a probe, a name bound
 * to one's answer, or `_get_running_loop` (one answer each; a module asks for every call and blocking operation
 * of its sync defs). Undefined when nothing in the module can tell.
 */
export function loopBranches(root: Node, source: string): ((node: Node, def: Node) => NoLoop) | undefined {
  const own = mayProbeLoop(source);
  const asked = importedAskers(source);
  if (!own && asked.size === 0) return undefined;
  const probes = new Map<string, Known>(own ? loopProbes(root) : []);
  if (asked.size > 0)
    for (const name of importedNames(root))
      if (asked.has(name) && !probes.has(name)) probes.set(name, 'imported');
  const words = [...probes.keys(), ...answerNames(source, probes, own)];
  if (own && source.includes('_get_running_loop')) words.push('_get_running_loop');
  if (words.length === 0) return undefined;
  const ranges: DeadRange[] = [];
  const seen = new Set<number>();
  /** Code that runs only when the condition of `holder` (at `at`) holds `running`, as `h` says. */
  const dead = (h: Holds | undefined, running: boolean, from: number, to: number, at: number): void => {
    if (h?.running === running) ranges.push({ from, to, at, ...(h.via ? { via: h.via } : {}) });
  };
  for (const m of source.matchAll(
    new RegExp(String.raw`(?<![A-Za-z0-9_])(?:${words.join('|')})(?![A-Za-z0-9_])`, 'g'),
  )) {
    let holder = root.descendantForIndex(m.index, m.index + m[0].length);
    while (
      holder &&
      !/^(?:if_statement|conditional_expression|block|module|function_definition|elif_clause)$/.test(
        holder.type,
      )
    )
      holder = holder.parent;
    if (!holder || (holder.type !== 'if_statement' && holder.type !== 'conditional_expression')) continue;
    const condition =
      holder.type === 'if_statement' ? holder.childForFieldName('condition') : holder.namedChildren[1];
    if (
      !condition ||
      m.index < condition.startIndex ||
      m.index >= condition.endIndex ||
      seen.has(condition.id)
    )
      continue;
    seen.add(condition.id);
    const def = defOf(holder);
    const h = def && whenRunning(condition, def, probes);
    if (!h) continue;
    const at = holder.startIndex;
    if (holder.type === 'conditional_expression') {
      const [yes, , no] = holder.namedChildren;
      if (no) dead(h, true, no.startIndex, no.endIndex, at);
      if (yes) dead(h, false, yes.startIndex, yes.endIndex, at);
      continue;
    }
    const consequence = holder.childForFieldName('consequence');
    if (consequence) dead(h, false, consequence.startIndex, consequence.endIndex, at);
    const alternatives = holder.childrenForFieldName('alternative');
    const otherwise = alternatives[0];
    if (alternatives.length === 1 && otherwise?.type === 'else_clause')
      dead(h, true, otherwise.startIndex, otherwise.endIndex, at);
    // `if running(): ...; return`: the rest of the block runs without a loop only.
    const last = alternatives.length === 0 ? statements(consequence).pop() : undefined;
    const block = holder.parent;
    if (last && EXITS.has(last.type) && block?.type === 'block')
      dead(h, true, holder.endIndex, block.endIndex, at);
  }
  if (ranges.length === 0) return undefined;
  return (node, def) => {
    let via: ProbeRef | undefined;
    const start = node.startIndex;
    for (const r of ranges)
      if (start >= r.from && start < r.to && r.at > def.startIndex && r.at < def.endIndex) {
        if (!r.via) return true;
        via ??= r.via;
      }
    return via ?? false;
  };
}

/** The names module-level `from … import` statements bind (also in a module-level `try`/`if`). */
function importedNames(root: Node): Set<string> {
  const names = new Set<string>();
  const read = (statements: readonly (Node | null)[]): void => {
    for (const s of statements) {
      if (s?.type === 'import_from_statement') {
        for (const n of s.childrenForFieldName('name')) {
          const local = n?.type === 'aliased_import' ? n.childForFieldName('alias') : n;
          if (local) names.add(local.text);
        }
      } else if (s?.type === 'try_statement' || s?.type === 'if_statement') {
        read(
          s.childForFieldName('body')?.namedChildren ??
            s.childForFieldName('consequence')?.namedChildren ??
            [],
        );
      }
    }
  };
  read(root.namedChildren);
  return names;
}
