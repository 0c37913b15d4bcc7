/**
 * The one reader of Python import statements (pure, no `vscode`): what names an `import` / `from ... import`
 * statement binds and to what. The rules' name resolution (./scope), the fixes (adding and removing imports,
 * src/codeActions) and the call graph's per-file summary all read imports through it, so they agree on what
 * `import a.b`, `import a.b as x`, `from ..m import y as z` and `from m import *` bind.
 *
 * Names are given as Python reads them: whitespace inside a dotted name is dropped (`import os . path` imports
 * `os.path`). Finding the statements is the caller's business (a regex over the text, the top-level nodes, a
 * sweep), as each of them has its own cost constraints.
 */
import type { Node } from './treeSitter';
import { compact } from './text';

/** One name an import statement binds. */
export interface ImportName {
  /** The name bound where the statement runs: `a` for `import a.b`, `x` for `... as x`, `y` for `from m import y`. */
  local: string;
  /**
   * The module named: `a.b` for `import a.b` and `import a.b as x`; for a from-import its module without the
   * leading dots of a relative import (`m` for `from ..m import y`, '' for `from . import y`).
   */
  module: string;
  /** From-imports: the member imported (`y` in `from m import y as z`); undefined for `import ...`. */
  member?: string;
  /** The leading dots of a relative from-import (`from ..m import y`: 2); 0 for absolute imports. */
  level: number;
  /** Whether the item has an `as` alias. */
  aliased: boolean;
  /** The item binding the name: a `dotted_name` or `aliased_import` node. */
  node: Node;
}

/** One `import` / `from ... import` statement as read by readImport. */
export interface ImportStatement {
  node: Node;
  /** True for `from ... import ...`. */
  from: boolean;
  /** From-imports: the module without leading dots (see ImportName.module); '' for `import ...`. */
  module: string;
  /** From-imports: the leading dots of a relative import; 0 otherwise. */
  level: number;
  /** `from m import *`: binds the module's public names, none listed in `names`. */
  star: boolean;
  /** The names bound, in source order (items without a name, in a tree with errors, are left out). */
  names: ImportName[];
}

/**
 * The statement `node` read as an import, or undefined when it is none (any other node, including
 * `from __future__ import ...`, which tree-sitter parses as its own `future_import_statement`, and a
 * from-import whose module is missing in a tree with errors).
 */
export function readImport(node: Node): ImportStatement | undefined {
  if (node.type === 'import_statement') {
    const names: ImportName[] = [];
    for (const item of node.childrenForFieldName('name')) {
      if (!item) continue;
      if (item.type === 'aliased_import') {
        const module = item.childForFieldName('name');
        const alias = item.childForFieldName('alias')?.text;
        if (module?.type === 'dotted_name' && alias)
          names.push({ local: alias, module: compact(module.text), level: 0, aliased: true, node: item });
      } else if (item.type === 'dotted_name') {
        // `import a.b.c` binds `a` (the package); attribute access walks down from there.
        const module = compact(item.text);
        names.push({ local: module.split('.')[0]!, module, level: 0, aliased: false, node: item });
      }
    }
    return { node, from: false, module: '', level: 0, star: false, names };
  }
  if (node.type !== 'import_from_statement') return undefined;
  const moduleNode = node.childForFieldName('module_name');
  if (!moduleNode) return undefined;
  const written = compact(moduleNode.text);
  const level = moduleNode.type === 'relative_import' ? /^\.*/.exec(written)![0].length : 0;
  const module = written.slice(level);
  const items = node.childrenForFieldName('name');
  const star = items.length === 0 && node.namedChildren.some((c) => c?.type === 'wildcard_import');
  const names: ImportName[] = [];
  for (const item of items) {
    if (!item) continue;
    if (item.type === 'aliased_import') {
      const member = item.childForFieldName('name');
      const alias = item.childForFieldName('alias')?.text;
      if (member?.type === 'dotted_name' && alias)
        names.push({ local: alias, module, member: compact(member.text), level, aliased: true, node: item });
    } else if (item.type === 'dotted_name') {
      const member = compact(item.text);
      names.push({ local: member, module, member, level, aliased: false, node: item });
    }
  }
  return { node, from: true, module, level, star, names };
}

/** The import statements among `nodes`, read (other nodes are skipped). */
export function readImports(nodes: Iterable<Node>): ImportStatement[] {
  const out: ImportStatement[] = [];
  for (const node of nodes) {
    const read = readImport(node);
    if (read) out.push(read);
  }
  return out;
}

/**
 * The dotted name `name.local` stands for: `a` for `import a.b`, `a.b` for `import a.b as x`, `m.y` for
 * `from m import y`; a relative one keeps its dots (`..m.y`, `.y` for `from . import y`).
 */
export function qualifiedName(name: ImportName): string {
  if (name.member === undefined) return name.aliased ? name.module : name.local;
  const from = '.'.repeat(name.level) + name.module;
  return from === '' || from.endsWith('.') ? from + name.member : `${from}.${name.member}`;
}

/** Strips a vendoring prefix (`pip._vendor.requests` is `requests`), as the rules' name resolution reads names. */
export function normaliseModule(name: string): string {
  const i = name.lastIndexOf('._vendor.');
  return i >= 0 ? name.slice(i + '._vendor.'.length) : name;
}
