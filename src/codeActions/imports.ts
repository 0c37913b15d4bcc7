/**
 * Imports and fixes (pure): adding `import X` when a fix needs it (asyncio, atexit) without ever importing a
 * name twice, and removing an import a fix made unused (`import time` once its only `time.sleep` is gone), so a
 * fix never leaves a pyflakes F401/F811 warning behind.
 */
import type { Node, Tree } from '../python/treeSitter';
import type { TextEdit } from './fixTypes';
import { nodesOfType, perTree, topLevelNodes } from '../python/treeIndex';
import { readImport } from '../python/imports';
import { LocalNames, underMainGuard } from '../python/localBindings';
import { underTypeChecking, visibleScopes } from '../python/scope';
import { lineEnd, lineStart, nextLineStart } from './textStyle';

const SCOPES = new Set(['function_definition', 'class_definition', 'lambda']);

/** The innermost function/class around `node` (null: module level). */
function scopeOf(node: Node): Node | null {
  for (let n = node.parent; n; n = n.parent) if (SCOPES.has(n.type)) return n;
  return null;
}

/** The name `import module [as alias]` in `stmt` binds for `module`, if it imports it. */
function boundName(stmt: Node, module: string): string | undefined {
  const name = readImport(stmt)?.names.find((n) => n.member === undefined && n.module === module);
  return name && (name.aliased ? name.local : module);
}

/** One `import module [as alias]` outside `if TYPE_CHECKING:`: the name it binds, its scope, where it starts. */
interface ModuleImport {
  name: string;
  /** The id of the innermost function/class/lambda holding it; null at module level. */
  scopeId: number | null;
  start: number;
}

/**
 * Per tree and module, the `import module` statements that bind it at run time, in text order. importEdit runs
 * once per finding; reading every import statement each time cost wasm calls in findings × imports. Kept per
 * Tree object (src/python/treeIndex perTree): a fix's edit re-parses into a new tree, so this is never stale.
 */
function moduleImports(tree: Tree, module: string): readonly ModuleImport[] {
  return perTree(tree, `imports:${module}`, () => {
    const list: ModuleImport[] = [];
    for (const stmt of nodesOfType(tree, 'import_statement')) {
      const name = boundName(stmt, module);
      // (under `if TYPE_CHECKING:` it never runs; under `if __name__ == "__main__":` not when imported)
      if (!name || underTypeChecking(stmt) || underMainGuard(stmt)) continue;
      list.push({ name, scopeId: scopeOf(stmt)?.id ?? null, start: stmt.startIndex });
    }
    return list;
  });
}

/**
 * The name under which `module` is usable where the fix puts it (`asyncio`, or `aio` for
 * `import asyncio as aio`), and, when nothing imports it in a scope that reaches `at` (module level, also inside
 * `try`/`if` blocks, or an enclosing function), the edit adding `import module`: before the first top-level
 * import, else after the docstring / `from __future__` imports / leading comments, else at the top. `shadowed`:
 * that name is bound locally at `at` (a parameter or variable `asyncio`): the caller declines its fix.
 */
export function importEdit(
  tree: Tree,
  source: string,
  module: string,
  eol: string,
  at?: Node,
): { name: string; edit?: TextEdit; shadowed?: true } {
  const found = importedName(tree, source, module, eol, at);
  if (found.shadowed) return found;
  // A name bound locally where the fix puts it (`for asyncio in items:`) would be called instead of the module.
  const locals = perTree(tree, 'localNames', () => new LocalNames(tree, source));
  // (the whole file first, once per name: a name bound nowhere needs no walk up from every fixed call)
  if (at && locals.bindsIn(found.name, tree.rootNode)) {
    const scopes = visibleScopes(at).filter((s): s is Node => s !== undefined);
    if (scopes.length > 0 && locals.shadowed(found.name, scopes, at.startIndex, at.endIndex))
      return { ...found, shadowed: true };
  }
  return found;
}

function importedName(
  tree: Tree,
  source: string,
  module: string,
  eol: string,
  at?: Node,
): { name: string; edit?: TextEdit; shadowed?: true } {
  const imports = moduleImports(tree, module);
  // In a function, an import binds a local of that function (and a closure variable of the defs nested in it),
  // which hides a module-level import there: asked first.
  if (at && imports.some((imp) => imp.scopeId !== null)) {
    const functions: number[] = []; // the functions `at` is in, innermost first
    for (let s: Node | null = scopeOf(at); s; s = scopeOf(s))
      if (s.type === 'function_definition') functions.push(s.id);
    let usable: string | undefined;
    for (const imp of imports) {
      if (imp.scopeId === null || !functions.includes(imp.scopeId)) continue;
      if (imp.scopeId === functions[0] && imp.start >= at.startIndex) {
        // `asyncio` imported later in the same function is unbound where the fix would use it
        // (UnboundLocalError), whatever the module imports: no fix.
        if (imp.name === module) return { name: module, shadowed: true };
        continue;
      }
      // Imported earlier in the same function, or anywhere in an enclosing one (a closure variable by the time
      // the nested def runs; a module-level import could not reach it anyway).
      usable ??= imp.name;
    }
    if (usable !== undefined) return { name: usable };
  }
  // At module level the import binds before any function body runs.
  for (const imp of imports) if (imp.scopeId === null) return { name: imp.name };
  const top = topLevelNodes(tree);
  const line = `import ${module}${eol}`;
  const firstImport = top.find((n) => n.type === 'import_statement' || n.type === 'import_from_statement');
  if (firstImport) {
    const start = lineStart(source, firstImport.startIndex);
    // Only when the import starts its own line (not `x = 1; import os`).
    if (/^[ \t]*$/.test(source.slice(start, firstImport.startIndex)))
      return { name: module, edit: { start, end: start, newText: line } };
  }
  // No usable import line: after the prelude (leading comments such as a shebang or coding line, the module
  // docstring, `from __future__` imports), which must stay first.
  let after = -1;
  let statements = 0;
  for (const n of top) {
    // The docstring is the first statement (comments before it do not count).
    const isDocstring =
      statements === 0 && n.type === 'expression_statement' && n.namedChildren[0]?.type === 'string';
    if (n.type !== 'comment') statements++;
    if (n.type === 'comment' || n.type === 'future_import_statement' || isDocstring) after = n.endIndex;
    else break;
  }
  if (after < 0) return { name: module, edit: { start: 0, end: 0, newText: line } };
  const pos = nextLineStart(source, after);
  const needsBreak = pos === source.length && !source.endsWith('\n');
  return { name: module, edit: { start: pos, end: pos, newText: needsBreak ? eol + line : line } };
}

/** Whether `id` reads the name (not an attribute after a dot, not a keyword argument's name, not an import). */
function isUse(id: Node): boolean {
  const p = id.parent;
  if (!p) return true;
  if (p.type === 'attribute' && p.childForFieldName('attribute')?.id === id.id) return false;
  if (p.type === 'keyword_argument' && p.childForFieldName('name')?.id === id.id) return false;
  for (let n: Node | null = p; n; n = n.parent)
    if (n.type === 'import_statement' || n.type === 'import_from_statement') return false;
  return true;
}

/** Whether anything in the module still uses `name` (an identifier, or a string naming it as in `__all__`). */
export function nameUsed(root: Node, name: string): boolean {
  if (root.descendantsOfType('identifier').some((id) => id.text === name && isUse(id))) return true;
  return root.descendantsOfType('string_content').some((s) => s.text === name);
}

/**
 * The edit removing `name` from the module's top-level imports (the whole statement when it imports only that
 * name, else the name and its comma), or undefined when no top-level import binds it or the statement shares
 * its line with other code (`import time; x = 1`).
 */
export function importRemovalEdit(tree: Tree, source: string, name: string): TextEdit | undefined {
  for (const stmt of topLevelNodes(tree)) {
    const read = readImport(stmt);
    if (!read || read.star) continue; // `from __future__` is not an import_from_statement
    const items = read.names;
    const i = items.findIndex((n) => n.local === name);
    if (i < 0) continue;
    if (items.length === 1) {
      const start = lineStart(source, stmt.startIndex);
      const end = lineEnd(source, stmt.endIndex);
      const rest = source.slice(stmt.endIndex, end);
      // Only a statement on lines of its own (a trailing comment goes with it).
      if (!/^[ \t]*$/.test(source.slice(start, stmt.startIndex)) || !/^[ \t]*(#.*)?$/.test(rest))
        return undefined;
      return { start, end: nextLineStart(source, end), newText: '' };
    }
    const item = items[i]!.node;
    if (i > 0) return { start: items[i - 1]!.node.endIndex, end: item.endIndex, newText: '' };
    return { start: item.startIndex, end: items[1]!.node.startIndex, newText: '' };
  }
  return undefined;
}
