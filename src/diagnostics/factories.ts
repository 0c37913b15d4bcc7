/**
 * Factories of a parsed file (pure, no `vscode`): the def a call runs when this file defines it, and what it
 * returns. `make_client()` runs the module-level `def make_client(...)` (the last of that name),
 * `self._client()` / `cls._client()` the method of the class around the call. The evidence of ./valueKinds
 * takes such a call for a construction of a class when the def is declared to return it (`-> httpx.Client`),
 * or, declaring nothing, when every `return` of its own body returns one (`return httpx.Client(...)`, a name
 * bound to one); a bare `return`, `return None` or falling off its end (None) says it is not always one.
 */
import type { Node } from '../python/treeSitter';
import { perTree } from '../python/treeIndex';

const DEFINITIONS = new Set(['function_definition', 'decorated_definition']);

/** The function definition a module-level or class-body statement holds (through its decorators). */
function defOf(statement: Node): Node | undefined {
  if (statement.type === 'function_definition') return statement;
  if (statement.type !== 'decorated_definition') return undefined;
  const inner = statement.childForFieldName('definition');
  return inner?.type === 'function_definition' ? inner : undefined;
}

/** The defs among the statements of `block` (a module, a class body), by name: the last of each name. */
function defsByName(block: Node): Map<string, Node> {
  const defs = new Map<string, Node>();
  for (const statement of block.namedChildren) {
    if (!statement || !DEFINITIONS.has(statement.type)) continue;
    const def = defOf(statement);
    const name = def?.childForFieldName('name')?.text;
    if (def && name) defs.set(name, def);
  }
  return defs;
}

/** The class whose body holds `node` directly in one of its methods (`self`/`cls` there are its instance). */
function classAround(node: Node): Node | undefined {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type !== 'function_definition') continue;
    const body = n.parent?.type === 'decorated_definition' ? n.parent.parent : n.parent;
    const cls = body?.parent;
    return body?.type === 'block' && cls?.type === 'class_definition' ? cls : undefined;
  }
  return undefined;
}

/** Whether a def or lambda around `node` has a parameter `name` (it shadows the module's def there). */
function parameterAround(node: Node, name: string): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type !== 'function_definition' && n.type !== 'lambda') continue;
    for (const p of n.childForFieldName('parameters')?.namedChildren ?? []) {
      if (!p) continue;
      const id = p.type === 'identifier' ? p : (p.childForFieldName('name') ?? p.firstNamedChild);
      if (id?.type === 'identifier' && id.text === name) return true;
    }
  }
  return false;
}

/**
 * The def that `call` (whose callee is `fn`) runs, when this file defines it: a plain name not bound otherwise
 * where it is called (`bound`: local assignments...; parameters), or `self.f` / `cls.f` in a method.
 */
export function factoryDef(call: Node, fn: Node, bound: (name: string) => boolean): Node | undefined {
  let def: Node | undefined;
  if (fn.type === 'identifier') {
    // (the module's defs by name, read once per tree: asked for every receiver made by a call)
    const tree = call.tree;
    def = perTree(tree, 'moduleDefs', () => defsByName(tree.rootNode)).get(fn.text);
    if (def && (bound(fn.text) || parameterAround(call, fn.text))) return undefined;
  } else if (fn.type === 'attribute') {
    const object = fn.childForFieldName('object');
    const attr = fn.childForFieldName('attribute');
    if (!attr || object?.type !== 'identifier' || (object.text !== 'self' && object.text !== 'cls'))
      return undefined;
    const body = classAround(call)?.childForFieldName('body');
    def = body ? defsByName(body).get(attr.text) : undefined;
  }
  return def;
}

const NESTED = new Set(['function_definition', 'lambda', 'class_definition']);

/** Nodes that bind a name other than by a plain `name = value` (its value is then not known here). */
const OTHER_BINDINGS = new Set([
  'augmented_assignment',
  'for_statement',
  'for_in_clause',
  'as_pattern_target',
  'named_expression',
  'global_statement',
  'nonlocal_statement',
]);

/**
 * The values `def` returns from its own body (not from defs, lambdas or classes nested in it), a returned
 * local name replaced by the values its plain assignments there give it (`s = requests.Session()` ...
 * `return s`); undefined when it may return None: a bare `return`, a generator (`yield`), or a body whose last
 * statement is not a `return`/`raise` (it may fall off the end). Early `raise`s are fine. Read from the def
 * alone, the same whatever part of the file is being checked.
 */
export function returnedValues(def: Node): Node[] | undefined {
  const body = def.childForFieldName('body');
  const last = body?.lastNamedChild;
  if (!body || (last?.type !== 'return_statement' && last?.type !== 'raise_statement')) return undefined;
  const values: Node[] = [];
  /** Local name -> the values of its plain assignments (null: bound another way too). */
  const assigned = new Map<string, Node[] | null>();
  const bind = (name: string, value: Node | null): void => {
    const list = assigned.get(name);
    if (list === null) return;
    if (value === null) assigned.set(name, null);
    else if (list) list.push(value);
    else assigned.set(name, [value]);
  };
  const stack: Node[] = [body];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const c of n.namedChildren) {
      if (!c || NESTED.has(c.type)) continue;
      if (c.type === 'yield') return undefined;
      if (c.type === 'return_statement') {
        const value = c.firstNamedChild;
        if (!value) return undefined;
        values.push(value);
      } else if (c.type === 'assignment') {
        const left = c.childForFieldName('left');
        const right = c.childForFieldName('right');
        if (left?.type === 'identifier') bind(left.text, right);
        else for (const id of left?.descendantsOfType('identifier') ?? []) if (id) bind(id.text, null);
      } else if (OTHER_BINDINGS.has(c.type))
        for (const id of c.descendantsOfType('identifier')) if (id) bind(id.text, null);
      stack.push(c);
    }
  }
  if (values.length === 0) return undefined;
  const params = new Set(
    (def.childForFieldName('parameters')?.namedChildren ?? []).map((p) =>
      p?.type === 'identifier' ? p.text : (p?.childForFieldName('name') ?? p?.firstNamedChild)?.text,
    ),
  );
  return values.flatMap((v) => {
    if (v.type !== 'identifier' || params.has(v.text)) return [v];
    return assigned.get(v.text) ?? [v];
  });
}
