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
import { enclosingScope, isField, wordsRegExp } from './scope';

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
  /** `global name` / `nonlocal name` in `scope`: the name is not that scope's own. */
  | { kind: 'declared'; scope: Node | undefined };

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
    case 'nonlocal_statement':
      return { kind: 'declared', scope: enclosingScope(parent) };
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
    const list = parent.parent;
    return list && PARAMETER_LISTS.has(list.type)
      ? { kind: 'scope', scope: list.parent ?? undefined }
      : undefined;
  }
  return undefined;
}

const same = (a: Node, b: Node): boolean =>
  a.id === b.id || (a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type);

/**
 * Whether the name of `occurrences` (identifier nodes of one name, e.g. every one in the statement holding
 * the code at [start, end)) is bound locally at that code: in one of `scopes` (the def/lambda scopes whose names that code
 * sees, innermost first, module excluded; ./scope visibleScopes), not declared global/nonlocal there, or by a
 * comprehension holding the code.
 */
export function shadowedAt(
  [start, end]: readonly [number, number],
  scopes: readonly Node[],
  occurrences: readonly Node[],
): boolean {
  if (occurrences.length === 0 || scopes.length === 0) return false;
  const bound: Node[] = [];
  const declared: Node[] = [];
  for (const ident of occurrences) {
    // A binding of a function's parameters or body lies inside that function's text: only those can count.
    if (!scopes.some((s) => s.startIndex <= ident.startIndex && ident.endIndex <= s.endIndex)) continue;
    const place = bindingPlace(ident);
    if (!place) continue;
    if (place.kind === 'comprehension') {
      const { node } = place;
      if (node.startIndex <= start && end <= node.endIndex) return true;
      continue;
    }
    if (place.scope === undefined) continue;
    (place.kind === 'declared' ? declared : bound).push(place.scope);
  }
  // The innermost scope that binds or declares the name decides (a `global` there means the module's).
  for (const scope of scopes) {
    if (declared.some((d) => same(d, scope))) return false;
    if (bound.some((b) => same(b, scope))) return true;
  }
  return false;
}

/**
 * shadowedAt over the text of the scopes holding the code: the occurrences of a name in a scope are found in
 * its text once per (scope, name), and only those that may be a binding by their text (mayBind) are asked of
 * the tree: most names of a call occur only as uses, and a file of thousands of `time.sleep` calls must not
 * compare each call with every other occurrence.
 */
export class LocalNames {
  private readonly occurrences = new Map<string, Node[]>();
  private readonly texts = new Map<number, string>();

  constructor(
    private readonly tree: Tree,
    private readonly source: string,
  ) {}

  /**
   * Whether `name` is bound locally at the code [start, end) directly in `scopes` (its enclosing def/lambda
   * scopes, innermost first, module excluded), or by a comprehension holding it; not by an import.
   */
  shadowed(name: string, scopes: readonly Node[], start: number, end: number): boolean {
    const outer = scopes[scopes.length - 1];
    return outer !== undefined && shadowedAt([start, end], scopes, this.bindingsIn(name, outer));
  }

  /**
   * The identifiers `name` in `node`'s text (a scope, or any node holding the code asked about) that may bind
   * it (by their text: mayBind), in text order. None: `name` is bound nowhere in there.
   */
  bindingsIn(name: string, scope: Node): Node[] {
    const key = `${scope.id}\u0000${name}`;
    let nodes = this.occurrences.get(key);
    if (nodes === undefined) {
      nodes = [];
      // The scope's own text: an indexOf over the source would read on to its end when the name is rare.
      let text = this.texts.get(scope.id);
      if (text === undefined)
        this.texts.set(scope.id, (text = this.source.slice(scope.startIndex, scope.endIndex)));
      for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + 1))
        if (mayBind(text, i, name.length)) {
          const at = scope.startIndex + i;
          const node = this.tree.rootNode.descendantForIndex(at, at + name.length);
          if (node?.type === 'identifier' && node.startIndex === at && node.endIndex === at + name.length)
            nodes.push(node);
        }
      this.occurrences.set(key, nodes);
    }
    return nodes;
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
  /^[ \t]*(?:for[ \t]+([^\n=]+?)[ \t]+in(?![A-Za-z0-9_])|([A-Za-z_(][A-Za-z0-9_ \t,()*[\]]*?)[ \t]*(?::[^\n=]*)?=(?!=))/gm;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/g;

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
      if (place?.kind !== 'scope' || place.scope !== undefined) continue;
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
