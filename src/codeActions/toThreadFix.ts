/**
 * BHD007's fix (pure): `helper(a, b=1)` -> `await asyncio.to_thread(helper, a, b=1)`, when the call is a whole
 * statement or the right side of an assignment directly in the `async def`. Declared unsafe: the helper then
 * runs in a worker thread, which code that is not thread-safe (shared state, thread-bound clients) may not
 * survive.
 */
import type { Finding } from '../diagnostics/types';
import type { Tree } from '../python/treeSitter';
import { callAt } from './callFixes';
import type { Rewrite, TextEdit } from './fixTypes';
import { importEdit } from './imports';
import { directlyInAsyncDef } from './pythonTree';

export function toThreadFix(finding: Finding, tree: Tree, source: string, eol: string): Rewrite {
  const call = callAt(finding, tree);
  const fn = call?.childForFieldName('function');
  const args = call?.childForFieldName('arguments');
  if (!call || !fn || !args) return { reason: 'no call' };
  if (args.type !== 'argument_list') return { reason: 'a generator argument is not moved mechanically' };
  if (!directlyInAsyncDef(call))
    return { reason: '`await` is not allowed here (lambda, nested def or generator expression)' };
  if (call.parent?.type === 'await') return { reason: 'already awaited' };
  const parent = call.parent;
  const statement =
    parent?.type === 'expression_statement' ||
    (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === call.id);
  if (!statement) return { reason: 'only a call that is a statement or an assignment is rewritten' };
  if (args.namedChildren.some((c) => c?.type === 'comment'))
    return { reason: 'comments inside the call would be lost' };
  const asyncio = importEdit(tree, source, 'asyncio', eol, call);
  const inner = source
    .slice(args.startIndex + 1, args.endIndex - 1)
    .trim()
    .replace(/,\s*$/, '');
  const expr = `await ${asyncio.name}.to_thread(${fn.text}${inner ? `, ${inner}` : ''})`;
  const edits: TextEdit[] = [{ start: call.startIndex, end: call.endIndex, newText: expr }];
  if (asyncio.edit) edits.push(asyncio.edit);
  return {
    edits,
    name: asyncio.name,
    applicability: 'unsafe',
    unsafeBecause:
      'the function then runs in a worker thread, which code that is not thread-safe may not survive',
  };
}
