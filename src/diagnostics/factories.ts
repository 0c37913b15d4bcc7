/**
 * Factories of a parsed file (pure, no `vscode`): the def a call runs when this file defines it, and the type
 * that def is declared to return. `make_client()` runs the module-level `def make_client() -> httpx.Client:`
 * (the last of that name), `self._client()` / `cls._client()` the method of the class around the call. The
 * evidence of ./valueKinds takes such a call for a construction of the declared class; nothing is inferred
 * from the body (`return httpx.Client()` says nothing: an annotation is what the author promises).
 */
import type { Node } from '../python/treeSitter';

const DEFINITIONS = new Set(['function_definition', 'decorated_definition']);

/** The function definition a module-level or class-body statement holds (through its decorators). */
function defOf(statement: Node): Node | undefined {
  if (statement.type === 'function_definition') return statement;
  if (statement.type !== 'decorated_definition') return undefined;
  const inner = statement.childForFieldName('definition');
  return inner?.type === 'function_definition' ? inner : undefined;
}

/** The last def named `name` among the statements of `block` (a module, a class body). */
function lastDef(block: Node, name: string): Node | undefined {
  let found: Node | undefined;
  for (const statement of block.namedChildren) {
    if (!statement || !DEFINITIONS.has(statement.type)) continue;
    const def = defOf(statement);
    if (def?.childForFieldName('name')?.text === name) found = def;
  }
  return found;
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
 * The return annotation of the def that `call` (whose callee is `fn`) runs, when this file defines it: a plain
 * name not bound otherwise where it is called (`bound`: local assignments, parameters...), or `self.f` /
 * `cls.f` in a method. Undefined when there is no such def or it declares nothing.
 */
export function factoryReturnType(call: Node, fn: Node, bound: (name: string) => boolean): Node | undefined {
  let def: Node | undefined;
  if (fn.type === 'identifier') {
    if (bound(fn.text) || parameterAround(call, fn.text)) return undefined;
    let root: Node = call;
    while (root.parent) root = root.parent;
    def = lastDef(root, fn.text);
  } else if (fn.type === 'attribute') {
    const object = fn.childForFieldName('object');
    const attr = fn.childForFieldName('attribute');
    if (!attr || object?.type !== 'identifier' || (object.text !== 'self' && object.text !== 'cls'))
      return undefined;
    const body = classAround(call)?.childForFieldName('body');
    def = body ? lastDef(body, attr.text) : undefined;
  }
  return def?.childForFieldName('return_type') ?? undefined;
}
