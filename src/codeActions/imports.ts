/** Adding `import X` to a module when a fix needs it (asyncio, atexit), in a place Python accepts. Pure. */
import type { Tree } from '../python/treeSitter';
import type { TextEdit } from './fixes';
import { lineStart, nextLineStart } from './textStyle';

/**
 * The name under which `module` is usable at module level (`asyncio`, or `aio` for `import asyncio as aio`),
 * and, when it is not imported yet, the edit adding `import module`: before the first top-level import, else
 * after the docstring / `from __future__` imports / leading comments, else at the top.
 */
export function importEdit(
  tree: Tree,
  source: string,
  module: string,
  eol: string,
): { name: string; edit?: TextEdit } {
  const top = tree.rootNode.namedChildren;
  for (const stmt of top) {
    if (stmt.type !== 'import_statement') continue;
    for (const c of stmt.namedChildren) {
      if (c.type === 'dotted_name' && c.text === module) return { name: module };
      if (c.type === 'aliased_import' && c.childForFieldName('name')?.text === module) {
        return { name: c.childForFieldName('alias')?.text ?? module };
      }
    }
  }
  const line = `import ${module}${eol}`;
  const firstImport = top.find((n) => n.type === 'import_statement' || n.type === 'import_from_statement');
  if (firstImport) {
    const at = lineStart(source, firstImport.startIndex);
    // Only when the import starts its own line (not `x = 1; import os`).
    if (/^[ \t]*$/.test(source.slice(at, firstImport.startIndex)))
      return { name: module, edit: { start: at, end: at, newText: line } };
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
  const at = nextLineStart(source, after);
  const needsBreak = at === source.length && !source.endsWith('\n');
  return { name: module, edit: { start: at, end: at, newText: needsBreak ? eol + line : line } };
}
