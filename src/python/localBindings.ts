/**
 * Local bindings that shadow a module's names (pure, no `vscode`): in Python, a name bound anywhere in a
 * function (a parameter, an assignment, a `for`/`with`/`except ... as` target, a walrus, a nested `def` or
 * `class`) is that function's own for its whole body, unless declared `global`/`nonlocal`; a comprehension's
 * `for` target is the comprehension's own. A call `requests.get(key)` with a local `requests = {}`, or
 * `helper()` with a parameter `helper`, is then not the imported module or the module-level def: the rules
 * and BHD007's call graph must not resolve it through the imports (precision first: a shadowed name is
 * silent). Imports inside a function are not counted here: they bind what the import tables say.
 *
 * Driven by text positions like ./scope: the caller hands the identifier nodes of the name (found by a regex
 * over the text), and each is asked where it binds, a few wasm calls per occurrence.
 */
import type { Node, Tree } from './treeSitter';
import { enclosingScope, inIfBranch, isField, wordsRegExp } from './scope';

/** Nodes a binding target may be nested in (`a, (b, *c) = ...`, `with cm as (x, y)`). */
const TARGET_CONTAINERS = new Set([
  'pattern_list',
  'tuple_pattern',
  'list_pattern',
  'list_splat_pattern',
  'dictionary_splat_pattern',
  'tuple',
  'list',
  'parenthesized_expression',
]);

const PARAMETER_LISTS = new Set(['parameters', 'lambda_parameters']);

/** Where an identifier binds its name. */
export type BindingPlace =
  /** A def/lambda/class scope (a parameter, an assignment in its body, a nested def's name...), or the module. */
  | { kind: 'scope'; scope: Node | undefined }
  /** A comprehension's `for` target: bound inside that comprehension only. */
  | { kind: 'comprehension'; node: Node }
  /** `global name` in `scope`: the module's name there. */
  | { kind: 'declared'; scope: Node | undefined }
  /** `nonlocal name` in `scope`: an enclosing function's name there. */
  | { kind: 'nonlocal'; scope: Node | undefined };

/**
 * Where `ident` (an identifier node) binds its name, or undefined when it is no binding (a use, an attribute,
 * an import's name: imports are resolved by ./imports).
 */
export function bindingPlace(ident: Node): BindingPlace | undefined {
  let child = ident;
  let parent = ident.parent;
  while (parent && TARGET_CONTAINERS.has(parent.type)) {
    child = parent;
    parent = parent.parent;
  }
  if (!parent) return undefined;
  const type = parent.type;
  switch (type) {
    case 'assignment':
    case 'augmented_assignment':
    case 'for_statement':
      return isField(parent, 'left', child) ? { kind: 'scope', scope: enclosingScope(parent) } : undefined;
    case 'for_in_clause':
      return isField(parent, 'left', child) && parent.parent
        ? { kind: 'comprehension', node: parent.parent }
        : undefined;
    case 'as_pattern_target':
      return { kind: 'scope', scope: enclosingScope(parent) };
    case 'named_expression':
      // (in a comprehension, a walrus binds in the enclosing function: enclosingScope skips comprehensions)
      return isField(parent, 'name', child) ? { kind: 'scope', scope: enclosingScope(parent) } : undefined;
    case 'function_definition':
    case 'class_definition':
      return isField(parent, 'name', child) ? { kind: 'scope', scope: enclosingScope(parent) } : undefined;
    case 'global_statement':
      return { kind: 'declared', scope: enclosingScope(parent) };
    case 'nonlocal_statement':
      return { kind: 'nonlocal', scope: enclosingScope(parent) };
    default:
  }
  if (PARAMETER_LISTS.has(type)) return { kind: 'scope', scope: parent.parent ?? undefined };
  if (type === 'typed_parameter' && !isField(parent, 'type', child)) {
    const list = parent.parent;
    return list && PARAMETER_LISTS.has(list.type)
      ? { kind: 'scope', scope: list.parent ?? undefined }
      : undefined;
  }
  if (
    (type === 'default_parameter' || type === 'typed_default_parameter') &&
    isField(parent, 'name', child)
  ) {
    // `def h(load=load):` keeps the outer object under its own name (the usual early-binding idiom).
    if (parent.childForFieldName('value')?.text === ident.text) return undefined;
    const list = parent.parent;
    return list && PARAMETER_LISTS.has(list.type)
      ? { kind: 'scope', scope: list.parent ?? undefined }
      : undefined;
  }
  return undefined;
}

/** A binding of a name, read once (./bindingPlace), with the ranges it is asked about by. */
interface ReadBinding {
  kind: BindingPlace['kind'];
  /** Id of the scope it binds or declares in (undefined: the module). */
  scopeId: number | undefined;
  /** For a comprehension variable: where it is visible (the comprehension, less its first iterable). */
  visible?: { from: number; to: number; outside?: [number, number] };
}

/** `ident`'s binding, read once into plain data (undefined: no binding). */
function readBinding(ident: Node): ReadBinding | undefined {
  const place = bindingPlace(ident);
  if (!place) return undefined;
  if (place.kind !== 'comprehension') return { kind: place.kind, scopeId: place.scope?.id };
  const { node } = place;
  // The first `for`'s iterable runs in the enclosing scope (`[r for r in r.items()]` reads the outer `r`).
  const first = node.namedChildren.find((c) => c?.type === 'for_in_clause')?.childForFieldName('right');
  return {
    kind: 'comprehension',
    scopeId: undefined,
    visible: {
      from: node.startIndex,
      to: node.endIndex,
      ...(first ? { outside: [first.startIndex, first.endIndex] as [number, number] } : {}),
    },
  };
}

/**
 * Whether a name with `bindings` (those in the outermost of `scopes`, read by readBinding) is bound locally at
 * the code [start, end): in one of `scopes` (the def/lambda scopes whose names that code sees, innermost
 * first, module excluded; ./scope visibleScopes) unless declared `global` there (`nonlocal`: the enclosing
 * functions decide), or by a comprehension holding the code.
 */
function boundAt(
  [start, end]: readonly [number, number],
  scopes: readonly Node[],
  bindings: ReadBindings,
  scopeAnswer: (compute: () => boolean) => boolean,
): boolean {
  if (inComprehension(bindings.comprehensions, start, end)) return true;
  // The innermost scope that binds or declares the name decides: the same answer for all code directly in
  // the innermost scope, kept by the caller.
  return scopeAnswer(() => binder(bindings, scopes) !== null);
}

/**
 * The innermost of `scopes` that binds the name (`nonlocal` passes it outwards), null for the module's (none
 * binds it, or `global` declares it).
 */
function binder(bindings: ReadBindings, scopes: readonly Node[]): Node | null {
  for (const scope of scopes) {
    const here = bindings.list.filter((b) => b.scopeId === scope.id);
    if (here.some((b) => b.kind === 'declared')) return null;
    if (here.some((b) => b.kind === 'nonlocal')) continue;
    if (here.some((b) => b.kind === 'scope')) return scope;
  }
  return null;
}

/** The bindings of a name in a scope: all, and the comprehension variables' ranges (see comprehensionRanges). */
interface ReadBindings {
  list: ReadBinding[];
  comprehensions: Ranges;
}

/** Ranges sorted by start, each with the index of the nearest range holding it (-1: none). */
interface Ranges {
  from: number[];
  to: number[];
  outside: ([number, number] | undefined)[];
  parent: number[];
}

/** The comprehension variables' visible ranges, which nest or are apart (they follow the tree). */
function comprehensionRanges(list: readonly ReadBinding[]): Ranges {
  const visible = list
    .map((b) => b.visible)
    .filter((v): v is NonNullable<ReadBinding['visible']> => v !== undefined)
    .sort((a, b) => a.from - b.from || b.to - a.to);
  const ranges: Ranges = { from: [], to: [], outside: [], parent: [] };
  const open: number[] = [];
  visible.forEach((v, i) => {
    while (open.length > 0 && ranges.to[open[open.length - 1]!]! < v.to) open.pop();
    ranges.from.push(v.from);
    ranges.to.push(v.to);
    ranges.outside.push(v.outside);
    ranges.parent.push(open.length > 0 ? open[open.length - 1]! : -1);
    open.push(i);
  });
  return ranges;
}

/**
 * Whether [start, end) is where a comprehension variable is visible: the ranges holding it are the last one
 * starting at or before it and that one's parents (ranges nest or are apart), so a search and a walk up.
 */
function inComprehension(ranges: Ranges, start: number, end: number): boolean {
  let lo = 0;
  let hi = ranges.from.length - 1;
  let last = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges.from[mid]! <= start) {
      last = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let i = last; i >= 0; i = ranges.parent[i]!) {
    if (ranges.to[i]! < end) continue;
    const outside = ranges.outside[i];
    if (!(outside && outside[0] <= start && end <= outside[1])) return true;
  }
  return false;
}

/** Characters of scope text scanned for candidates so far (the tests bound it: linear in the file). */
export const scanned = { chars: 0 };

/**
 * Local bindings that shadow a name, asked per call: the occurrences of a name in a scope are found in its
 * text once per (scope, name), only those that may be a binding by their text (mayBind) are asked of the
 * tree, once each, and the answer for code directly in a scope is kept per (scope, name). A file of
 * thousands of calls and uses of one name costs work linear in them.
 */
export class LocalNames {
  private readonly bindings = new Map<string, ReadBindings>();
  private readonly words = new Map<number, Map<string, number[]>>();
  private readonly answers = new Map<string, boolean>();

  /**
   * `allNames`: a caller asking about many names of one scope (BHD007's summary: every call's root) reads
   * each scope's words once; the rules ask about a few imported names (`requests`, `time`), looked for one
   * by one.
   */
  constructor(
    private readonly tree: Tree,
    private readonly source: string,
    private readonly allNames = false,
  ) {}

  /** Where `name` occurs in `node`'s text as a word that may bind it (mayBind). */
  private occurrences(name: string, node: Node): number[] {
    const found: number[] = [];
    const from = node.startIndex;
    const text = this.source.slice(from, node.endIndex);
    scanned.chars += text.length;
    for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + 1))
      if (mayBind(text, i, name.length)) found.push(from + i);
    return found;
  }

  /**
   * Whether `name` is bound locally at the code [start, end) in `scopes` (its enclosing def/lambda scopes,
   * innermost first, module excluded), or by a comprehension holding it; not by an import.
   */
  shadowed(name: string, scopes: readonly Node[], start: number, end: number): boolean {
    const outer = scopes[scopes.length - 1];
    if (outer === undefined) return false;
    const bindings = this.bindingsIn(name, outer);
    if (bindings.list.length === 0) return false;
    const key = `${scopes[0]!.id}\u0000${name}`;
    return boundAt([start, end], scopes, bindings, (compute) => {
      let known = this.answers.get(key);
      if (known === undefined) this.answers.set(key, (known = compute()));
      return known;
    });
  }

  /**
   * Which scope's binding of `name` the code at [start, end) sees, as Python's scoping has it: the innermost of
   * `scopes` (its enclosing def/lambda scopes, innermost first, module excluded) that binds it (a parameter,
   * an assignment, a `with`/`for`/`except` target...; `nonlocal` passes it outwards), null for the module's
   * (none binds it, or `global` declares it), 'comprehension' for a comprehension's own variable.
   */
  bindingScope(
    name: string,
    scopes: readonly Node[],
    start: number,
    end: number,
  ): Node | null | 'comprehension' {
    const outer = scopes[scopes.length - 1];
    if (outer === undefined) return null;
    const bindings = this.bindingsIn(name, outer);
    if (bindings.list.length === 0) return null;
    if (inComprehension(bindings.comprehensions, start, end)) return 'comprehension';
    return binder(bindings, scopes);
  }

  /**
   * The scopes under `node` that declare `name` `global` (their assignments bind the module's name) and those
   * that declare it `nonlocal` (they bind an enclosing def's), by node id.
   */
  declaring(name: string, node: Node): { global: Set<number>; nonlocal: Set<number> } {
    const found = { global: new Set<number>(), nonlocal: new Set<number>() };
    for (const b of this.bindingsIn(name, node).list)
      if (b.scopeId !== undefined && (b.kind === 'declared' || b.kind === 'nonlocal'))
        found[b.kind === 'declared' ? 'global' : 'nonlocal'].add(b.scopeId);
    return found;
  }

  /** Whether `node`'s text (a scope, or any node holding the code asked about) binds `name` anywhere. */
  bindsIn(name: string, node: Node): boolean {
    return this.bindingsIn(name, node).list.length > 0;
  }

  /** The bindings of `name` in `node`'s text, in text order (occurrences that bind nothing left out). */
  private bindingsIn(name: string, node: Node): ReadBindings {
    const key = `${node.id}\u0000${name}`;
    let found = this.bindings.get(key);
    if (found === undefined) {
      const list: ReadBinding[] = [];
      for (const at of this.allNames
        ? (this.candidates(node).get(name) ?? [])
        : this.occurrences(name, node)) {
        const ident = this.tree.rootNode.descendantForIndex(at, at + name.length);
        if (ident?.type !== 'identifier' || ident.startIndex !== at || ident.endIndex !== at + name.length)
          continue;
        const read = readBinding(ident);
        if (read) list.push(read);
      }
      found = { list, comprehensions: comprehensionRanges(list) };
      this.bindings.set(key, found);
    }
    return found;
  }

  /**
   * Every word of `node`'s text that may bind its name by the text (mayBind), by name: one scan per node, so
   * a scope with thousands of distinct names is not read once per name.
   */
  private candidates(node: Node): Map<string, number[]> {
    let byName = this.words.get(node.id);
    if (byName === undefined) {
      byName = new Map();
      const text = this.source.slice(node.startIndex, node.endIndex);
      scanned.chars += text.length;
      for (const m of text.matchAll(IDENTIFIER)) {
        if (!mayBind(text, m.index, m[0].length)) continue;
        const list = byName.get(m[0]);
        if (list) list.push(node.startIndex + m.index);
        else byName.set(m[0], [node.startIndex + m.index]);
      }
      this.words.set(node.id, byName);
    }
    return byName;
  }
}

const isWord = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c > 127;

/**
 * Whether the word at text[i, i + length) may, by its text, bind its name: a whole word, not an attribute
 * (`x.name`), and not used as `name(`, `name.` or `name[` unless after `def`/`class` (`def name(`).
 */
function mayBind(text: string, i: number, length: number): boolean {
  if (isWord(text.charCodeAt(i - 1)) || isWord(text.charCodeAt(i + length))) return false;
  let b = i - 1;
  while (text.charCodeAt(b) === 32 || text.charCodeAt(b) === 9) b--;
  if (text.charCodeAt(b) === 46 /* . */) return false;
  if (/(?:^|[^A-Za-z0-9_])(?:def|class)$/.test(text.slice(Math.max(0, b - 5), b + 1))) return true;
  let a = i + length;
  while (text.charCodeAt(a) === 32 || text.charCodeAt(a) === 9) a++;
  const next = text.charCodeAt(a);
  return next !== 40 /* ( */ && next !== 46 /* . */ && next !== 91; /* [ */
}

/**
 * Lines that may bind names at module level: an assignment's targets (`helper = ...`, `helper, other = ...`,
 * `helper: T = ...`) or a `for` loop's; indented too (under `if`/`try`). The tree confirms.
 */
const BINDING_LINE =
  /^[ \t]*(?:for[ \t]+([^ \t\n=][^\n=]*?)[ \t]in(?![A-Za-z0-9_])|([A-Za-z_(][A-Za-z0-9_ \t,()*[\]]*?)(?::[^\n=]*)?=(?!=))/gm;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/g;
/** An identifier (non-ASCII letters included, as Python allows). */
const IDENTIFIER = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/g;

/**
 * The names of `defs` (a module-level def's name -> where its last `def` ends) that a module-level binding
 * after that def binds to something else (`helper = print`, `helper, other = print, 2`, `for helper in ...`):
 * a call of the name then does not run the def. `helper = retry(helper)` (the right side names it: a wrapper
 * of it) keeps it. (Classes and imports are the caller's: it has them read.)
 */
export function reboundAtModuleLevel(
  tree: Tree,
  source: string,
  defs: ReadonlyMap<string, number>,
): Set<string> {
  const rebound = new Set<string>();
  if (defs.size === 0) return rebound;
  const root = tree.rootNode;
  BINDING_LINE.lastIndex = 0;
  for (const m of source.matchAll(BINDING_LINE)) {
    const targets = m[1] ?? m[2]!;
    const base = m.index + m[0].indexOf(targets);
    for (const w of targets.matchAll(WORD)) {
      const name = w[0];
      const after = defs.get(name);
      const at = base + w.index;
      if (after === undefined || at < after || rebound.has(name)) continue;
      const ident = root.descendantForIndex(at, at + name.length);
      if (ident?.type !== 'identifier' || ident.startIndex !== at) continue;
      const place = bindingPlace(ident);
      if (place?.kind !== 'scope' || place.scope !== undefined || underMainGuard(ident)) continue;
      // `helper = retry(helper)`: still the def, wrapped.
      let assignment: Node | null = ident.parent;
      while (assignment && TARGET_CONTAINERS.has(assignment.type)) assignment = assignment.parent;
      const right = assignment?.type === 'assignment' ? assignment.childForFieldName('right') : null;
      if (right && wordsRegExp([name])!.test(right.text)) continue;
      rebound.add(name);
    }
  }
  return rebound;
}

/** Whether `node` lies in the branch of `if __name__ == "__main__":` (run as a script only, not when imported). */
export const underMainGuard = (node: Node): boolean => inIfBranch(node, MAIN_TEST);

/** `__name__ == "__main__"` (either quote, either side). */
const MAIN_TEST = /^(?:__name__\s*==\s*(['"])__main__\1|(['"])__main__\2\s*==\s*__name__)$/;
