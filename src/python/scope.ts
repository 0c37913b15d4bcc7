/**
 * Python name resolution and scope helpers on a tree-sitter tree (pure, no `vscode`).
 *
 * Everything here is driven by text positions: callers find candidate tokens with a regular expression over
 * the source and ask the tree about the node at that spot. Walking the whole tree from JavaScript costs a wasm
 * call per node, which a 12,000-line file cannot afford on every keystroke; a regex over the text is far cheaper.
 */
import type { Node, Tree } from './treeSitter';
import { type ImportName, normaliseModule, qualifiedName, readImport } from './imports';

/**
 * Import bindings of one file: local name -> qualified name (imports that bind at module level, also inside
 * `try`/`if`/class bodies), the modules star-imported, and `local`: the names imports inside a def or lambda
 * bind, with what they may stand for. Those bind in that function only (qualify looks them up there).
 */
export interface ImportTable {
  names: Map<string, string>;
  starModules: string[];
  local?: Map<string, Set<string>>;
}

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Escapes a string for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A global regex matching any of `words` as a whole identifier (not preceded/followed by identifier chars). */
export function wordsRegExp(words: Iterable<string>): RegExp | undefined {
  const list = [...new Set(words)].filter((w) => w.length > 0);
  if (list.length === 0) return undefined;
  list.sort((a, b) => b.length - a.length);
  return new RegExp(`(?<![A-Za-z0-9_])(?:${list.map(escapeRegExp).join('|')})(?![A-Za-z0-9_])`, 'g');
}

/**
 * Identifier nodes for every regex match of `re` in `source[from, to)` that is a real identifier token (matches
 * inside strings and comments resolve to string/comment nodes and are dropped).
 */
export function identifierNodesMatching(
  tree: Tree,
  source: string,
  re: RegExp,
  from = 0,
  to = source.length,
): Node[] {
  const nodes: Node[] = [];
  const root = tree.rootNode;
  // Scan only [from, to) (plus a little context for look-arounds): a regex run on the whole source would,
  // when nothing matches inside the segment, read on to the end of the file for every segment.
  const { text, base } = window(source, from, to);
  re.lastIndex = from - base;
  const limit = to - base;
  for (let m = re.exec(text); m !== null && m.index < limit; m = re.exec(text)) {
    const start = base + m.index;
    const end = start + m[0].length;
    const node = root.descendantForIndex(start, end);
    if (node && node.type === 'identifier' && node.startIndex === start && node.endIndex === end) {
      nodes.push(node);
    }
  }
  return nodes;
}

/** Context kept around a scanned window: enough for any look-behind/look-ahead and any identifier. */
const WINDOW_MARGIN = 256;

/** `source` around [from, to), with one margin of context either side, and where it starts in `source`. */
function window(source: string, from: number, to: number): { text: string; base: number } {
  if (from <= WINDOW_MARGIN && to + WINDOW_MARGIN >= source.length) return { text: source, base: 0 };
  const base = Math.max(0, from - WINDOW_MARGIN);
  return { text: source.slice(base, Math.min(source.length, to + WINDOW_MARGIN)), base };
}

/**
 * Adds the bindings of one `import` / `from ... import` statement to `table` (read by ./imports; relative
 * imports are left out: resolving them is not this table's business).
 */
function addImport(statement: Node, table: ImportTable): void {
  const read = readImport(statement);
  if (!read) return;
  const fn = functionOf(statement);
  if (fn !== undefined && !declaresGlobal(fn, read.names)) {
    // In a def: binds there only (a relative one too, then to what this table cannot name).
    table.local ??= new Map();
    for (const name of read.names) {
      let set = table.local.get(name.local);
      if (!set) table.local.set(name.local, (set = new Set()));
      set.add(read.level > 0 ? '' : importTarget(name));
    }
    return;
  }
  if (read.level > 0) return;
  if (read.star) {
    table.starModules.push(normaliseModule(read.module));
    return;
  }
  for (const name of read.names) table.names.set(name.local, importTarget(name));
}

/** What an absolute import's name stands for, vendoring prefixes stripped. */
function importTarget(name: ImportName): string {
  const target =
    name.member === undefined ? qualifiedName(name) : `${normaliseModule(name.module)}.${name.member}`;
  return normaliseModule(target);
}

/** Whether `fn`'s text declares one of `names` `global` (`global requests; import requests` binds the module's). */
function declaresGlobal(fn: Node, names: readonly ImportName[]): boolean {
  const text = fn.text;
  if (!text.includes('global')) return false;
  return names.some((n) =>
    new RegExp(`(?<![A-Za-z0-9_])global[ \\t][^\\n]*(?<![A-Za-z0-9_])${n.local}(?![A-Za-z0-9_])`).test(text),
  );
}

/** The innermost def or lambda holding `node` (class bodies do not count), if any. */
function functionOf(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) {
    const type = p.type;
    if (type === 'function_definition' || type === 'lambda') return p;
  }
  return undefined;
}

/** Per tree: a def's own imports (not its nested defs'), local name -> qualified name ('' when relative). */
const FUNCTION_IMPORTS = new WeakMap<Tree, Map<number, Map<string, string>>>();

function importsOfFunction(fn: Node): Map<string, string> {
  let perTree = FUNCTION_IMPORTS.get(fn.tree);
  if (!perTree) FUNCTION_IMPORTS.set(fn.tree, (perTree = new Map()));
  let found = perTree.get(fn.id);
  if (!found) {
    found = new Map();
    for (const statement of fn.descendantsOfType(['import_statement', 'import_from_statement'])) {
      if (!statement || functionOf(statement)?.id !== fn.id) continue;
      const read = readImport(statement);
      if (read && !declaresGlobal(fn, read.names))
        for (const name of read.names) found.set(name.local, read.level > 0 ? '' : importTarget(name));
    }
    perTree.set(fn.id, found);
  }
  return found;
}

/**
 * What `name` at `node` stands for when a def holding it imports that name (innermost first): its qualified
 * name, '' when it cannot be named (a relative import), undefined when no def around it imports it.
 */
function importedInFunction(node: Node, name: string): string | undefined {
  for (let p = node.parent; p; p = p.parent) {
    const type = p.type;
    if (type !== 'function_definition' && type !== 'lambda') continue;
    const q = importsOfFunction(p).get(name);
    if (q !== undefined) return q;
  }
  return undefined;
}

/** Collects every import in the file (module level or nested: try/except, if; those in defs as `local`). */
export function collectImports(tree: Tree, source: string): ImportTable {
  const table: ImportTable = { names: new Map(), starModules: [] };
  collectImportsIn(tree, source, 0, source.length, table);
  return table;
}

const IMPORT_KEYWORD = /(?<![A-Za-z0-9_])import(?![A-Za-z0-9_])/g;

/** Adds the imports whose `import` keyword lies in source[from, to) to `table`, in text order. */
export function collectImportsIn(
  tree: Tree,
  source: string,
  from: number,
  to: number,
  table: ImportTable,
): void {
  const { text, base } = window(source, from, to);
  const re = IMPORT_KEYWORD;
  const root = tree.rootNode;
  re.lastIndex = from - base;
  const limit = to - base;
  for (let m = re.exec(text); m !== null && m.index < limit; m = re.exec(text)) {
    const at = base + m.index;
    const keyword = root.descendantForIndex(at, at + 6);
    if (!keyword || keyword.type !== 'import') continue; // in a string, comment or identifier
    const statement = keyword.parent;
    if (statement) addImport(statement, table);
  }
}

/**
 * The qualified name an expression stands for through the file's imports (`cf.ThreadPoolExecutor` ->
 * `concurrent.futures.ThreadPoolExecutor`), or undefined. A bare name bound by a star import resolves when
 * `known(qualified)` accepts it.
 */
export function qualify(node: Node, table: ImportTable, known: (q: string) => boolean): string | undefined {
  const type = node.type; // each `.type` is a wasm call: read once
  if (type === 'identifier') {
    const text = node.text;
    if (table.local?.has(text)) {
      // (an import in a def holding the name wins over the module's; one in another def does not count)
      const inFunction = importedInFunction(node, text);
      if (inFunction !== undefined) return inFunction === '' ? undefined : inFunction;
    }
    const bound = table.names.get(text);
    if (bound !== undefined) return bound;
    for (const module of table.starModules) {
      const q = `${module}.${text}`;
      if (known(q)) return q;
    }
    return undefined;
  }
  if (type === 'attribute') {
    const object = node.childForFieldName('object');
    const attribute = node.childForFieldName('attribute');
    if (!object || !attribute) return undefined;
    const base = qualify(object, table, () => false);
    return base === undefined ? undefined : `${base}.${attribute.text}`;
  }
  return undefined;
}

/** True when `child` is the node in `parent`'s field `field`. */
export function isField(parent: Node, field: string, child: Node): boolean {
  const f = parent.childForFieldName(field);
  return (
    f !== null && f.startIndex === child.startIndex && f.endIndex === child.endIndex && f.type === child.type
  );
}

/** The function/lambda/class whose body lexically holds `node`, or undefined at module level. */
export function enclosingScope(node: Node): Node | undefined {
  return enclosingScopeTyped(node)?.scope;
}

/** enclosingScope with the scope's type (read once here: each `.type` is a wasm call). */
function enclosingScopeTyped(node: Node): { scope: Node; type: string } | undefined {
  let child = node;
  for (let parent = node.parent; parent; child = parent, parent = parent.parent) {
    const type = parent.type; // read once per ancestor
    if (
      (type === 'function_definition' || type === 'lambda' || type === 'class_definition') &&
      isField(parent, 'body', child)
    ) {
      return { scope: parent, type };
    }
  }
  return undefined;
}

/** Whether a `function_definition` is `async def`. */
export function isAsyncDef(fn: Node): boolean {
  return fn.type === 'function_definition' && fn.firstChild?.type === 'async';
}

/**
 * "In async code": lexically inside an `async def` body, and not inside a nested `def`, `lambda` or `class`
 * body within it (that code does not run on the event loop when the coroutine runs). Default values and
 * decorators of a nested def are evaluated by the enclosing code, so they count as the enclosing scope.
 */
export function isInAsyncCode(node: Node): boolean {
  const found = enclosingScopeTyped(node);
  return found?.type === 'function_definition' && found.scope.firstChild?.type === 'async'; // isAsyncDef
}

/** The nearest enclosing class of `node` (through any functions), or undefined. */
export function enclosingClass(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'class_definition') return p;
  return undefined;
}

/** The callee expression of a call, or undefined. */
export function callee(call: Node): Node | undefined {
  return call.childForFieldName('function') ?? undefined;
}

/** If `expr` is the `function` of a call, that call. */
export function callOf(expr: Node): Node | undefined {
  const parent = expr.parent;
  return parent && parent.type === 'call' && isField(parent, 'function', expr) ? parent : undefined;
}

/** Keyword arguments (name -> value node) and whether `*args` / `**kwargs` are passed. */
export function callArguments(call: Node): {
  positional: Node[];
  keywords: Map<string, Node>;
  listSplat: boolean;
  dictSplat: boolean;
} {
  const positional: Node[] = [];
  const keywords = new Map<string, Node>();
  let listSplat = false;
  let dictSplat = false;
  const args = call.childForFieldName('arguments');
  if (args && args.type === 'argument_list') {
    for (const arg of args.namedChildren) {
      if (!arg) continue;
      const type = arg.type; // a wasm call: read once per argument
      if (type === 'comment') continue;
      if (type === 'keyword_argument') {
        const name = arg.childForFieldName('name')?.text;
        const value = arg.childForFieldName('value');
        if (name && value) keywords.set(name, value);
      } else if (type === 'list_splat') listSplat = true;
      else if (type === 'dictionary_splat') dictSplat = true;
      else positional.push(arg);
    }
  }
  return { positional, keywords, listSplat, dictSplat };
}

/** What a name is bound to at one place in the code. */
export type Binding =
  /** (`annotation`: the declared type of an annotated assignment, `p: subprocess.Popen = make()`) */
  | { kind: 'value'; value: Node; scope: Node | undefined; annotation?: Node }
  | { kind: 'annotation'; type: Node; scope: Node | undefined }
  | { kind: 'iteration'; iterable: Node; scope: Node | undefined };

/** The binding `identifier` (or `self.attr`'s `attr` attribute node) takes part in, if it is a binding target. */
export function bindingOfTarget(target: Node): Binding | undefined {
  const parent = target.parent;
  if (!parent) return undefined;
  const type = parent.type; // a wasm call: read once, not once per case below
  if (type === 'assignment' && isField(parent, 'left', target)) {
    const right = parent.childForFieldName('right');
    const annotation = parent.childForFieldName('type');
    const scope = enclosingScope(parent);
    if (right)
      return annotation
        ? { kind: 'value', value: right, scope, annotation }
        : { kind: 'value', value: right, scope };
    if (annotation) return { kind: 'annotation', type: annotation, scope };
    return undefined;
  }
  if (type === 'named_expression' && isField(parent, 'name', target)) {
    // `(name := value)`: binds in the enclosing function (a comprehension's too, PEP 572)
    const value = parent.childForFieldName('value');
    return value ? { kind: 'value', value, scope: enclosingScope(parent) } : undefined;
  }
  if (type === 'as_pattern_target') {
    const pattern = parent.parent; // as_pattern: value `as` target
    if (pattern?.type === 'as_pattern' && pattern.parent?.type === 'with_item') {
      const value = pattern.firstNamedChild;
      if (value) return { kind: 'value', value, scope: enclosingScope(pattern) };
    }
    return undefined;
  }
  if (type === 'for_statement' && isField(parent, 'left', target)) {
    const right = parent.childForFieldName('right');
    if (right) return { kind: 'iteration', iterable: right, scope: enclosingScope(parent) };
    return undefined;
  }
  if (type === 'for_in_clause' && isField(parent, 'left', target)) {
    const right = parent.childForFieldName('right');
    if (right) return { kind: 'iteration', iterable: right, scope: enclosingScope(parent.parent ?? parent) };
    return undefined;
  }
  if (type === 'typed_parameter' || type === 'typed_default_parameter') {
    const annotation = parent.childForFieldName('type');
    const fn = parent.parent?.parent;
    if (annotation && fn) return { kind: 'annotation', type: annotation, scope: fn };
  }
  return undefined;
}

/** The scopes (innermost first) whose bindings are visible at `node`: enclosing functions, then the module. */
export function visibleScopes(node: Node): (Node | undefined)[] {
  const scopes: (Node | undefined)[] = [];
  for (let s = enclosingScopeTyped(node); s; s = enclosingScopeTyped(s.scope)) {
    if (s.type !== 'class_definition') scopes.push(s.scope); // class bodies are not visible from methods
  }
  scopes.push(undefined);
  return scopes;
}

/** Whether `node` lies under `if TYPE_CHECKING:` (an import there binds nothing at run time). */
export function underTypeChecking(node: Node): boolean {
  // Only the `if` branch itself (not its `else:`), of a plain `TYPE_CHECKING` test (not `not TYPE_CHECKING`).
  return inIfBranch(node, /^(?:[A-Za-z_][A-Za-z0-9_]*\.)?TYPE_CHECKING$/);
}

/** Whether `node` lies in the branch (not the `else:`/`elif`) of an `if` whose whole condition matches `test`. */
export function inIfBranch(node: Node, test: RegExp): boolean {
  for (let child = node, n = node.parent; n; child = n, n = n.parent)
    if (
      n.type === 'if_statement' &&
      test.test(n.childForFieldName('condition')?.text ?? '') &&
      n.childForFieldName('consequence')?.id === child.id
    )
      return true;
  return false;
}

/** Same node (by range and type)? */
export function sameNode(a: Node | undefined, b: Node | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

/** Reads an identifier at `index` of `text`, if one starts there. */
export function identifierAt(text: string, index: number): string | undefined {
  IDENTIFIER.lastIndex = index;
  return IDENTIFIER.exec(text)?.[0];
}
