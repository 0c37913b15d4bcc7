/**
 * BHD007's fix (pure): `helper(a, b=1)` -> `await asyncio.to_thread(helper, a, b=1)` (before Python 3.9:
 * `await asyncio.get_running_loop().run_in_executor(None, helper, a)`), when the call is a whole
 * statement, the right side of an assignment or a `return`'s value directly in the `async def`. Declared unsafe: the helper then
 * runs in a worker thread, which code that is not thread-safe (shared state, thread-bound clients) may not
 * survive.
 */
import type { Finding } from '../diagnostics/types';
import type { Tree } from '../python/treeSitter';
import { callAt } from './callFixes';
import type { Rewrite, TextEdit } from './fixTypes';
import { importEdit } from './imports';
import { directlyInAsyncDef } from './pythonTree';

/**
 * `toThread`: the target Python has `asyncio.to_thread` (3.9+); before, the call becomes
 * `await asyncio.get_running_loop().run_in_executor(None, f, a)`, which takes no keyword arguments.
 */
export function toThreadFix(
  finding: Finding,
  tree: Tree,
  source: string,
  eol: string,
  toThread = true,
): Rewrite {
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
    parent?.type === 'return_statement' ||
    (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === call.id);
  if (!statement)
    return { reason: 'only a call that is a statement, an assignment or a return value is rewritten' };
  if (args.namedChildren.some((c) => c?.type === 'comment'))
    return { reason: 'comments inside the call would be lost' };
  if (
    !toThread &&
    args.namedChildren.some((c) => c?.type === 'keyword_argument' || c?.type === 'dictionary_splat')
  )
    return {
      reason:
        'keyword arguments: `run_in_executor` takes none (`asyncio.to_thread` needs Python 3.9; the target is older)',
    };
  const asyncio = importEdit(tree, source, 'asyncio', eol, call);
  if (asyncio.shadowed)
    return { reason: `\`${asyncio.name}\` is a local name here: the fix would call that, not the module` };
  const inner = source
    .slice(args.startIndex + 1, args.endIndex - 1)
    .trim()
    .replace(/,\s*$/, '');
  const runner = toThread
    ? `${asyncio.name}.to_thread(`
    : `${asyncio.name}.get_running_loop().run_in_executor(None, `;
  const expr = `await ${runner}${fn.text}${inner ? `, ${inner}` : ''})`;
  const edits: TextEdit[] = [{ start: call.startIndex, end: call.endIndex, newText: expr }];
  if (asyncio.edit) edits.push(asyncio.edit);
  return {
    edits,
    name: asyncio.name,
    applicability: 'unsafe',
    unsafeBecause:
      'the function then runs in a worker thread, which code that is not thread-safe may not survive, and context variables it sets are not seen by the caller',
  };
}
