/**
 * BHD003: `concurrent.futures.wait`/`as_completed`, or `.result()` on a submitted future, in async code: they
 * wait on the calling thread, the event loop. Fix for `.result()`: `await asyncio.wrap_future(fut)`.
 */
import { callArguments } from '../../python/scope';
import type { Node } from '../../python/treeSitter';
import { hasMethodCall, importsConcurrentFutures } from '../../python/text';
import { CF_WAITS } from '../targets';
import type { RuleModule, RuleText } from './rule';

export const waitMessage = (fn: string): RuleText => ({
  message: `\`concurrent.futures.${fn}()\` blocks the event loop`,
  detail:
    `\`concurrent.futures.${fn}\` waits on the calling thread; inside \`async def\` that is the event-loop ` +
    `thread, so the whole server stalls until the futures complete. Wrap the futures with ` +
    `\`asyncio.wrap_future\` and use \`asyncio.${fn === 'wait' ? 'wait' : 'as_completed'}\`, or use ` +
    `\`loop.run_in_executor\`.`,
});

export const resultMessage = (): RuleText => ({
  message: '`.result()` on an executor future blocks the event loop',
  detail:
    `\`Future.result()\` of \`concurrent.futures\` waits on the calling thread; inside \`async def\` that is the ` +
    `event-loop thread, so the whole server stalls until the job finishes. ` +
    `Use \`await asyncio.wrap_future(future)\` instead.`,
});

export const BHD003: RuleModule = {
  code: 'BHD003',
  title: 'Blocking wait on concurrent futures in async code',
  defaultSeverity: 'warning',
  asyncOnly: true,
  mayOccur: (source) =>
    importsConcurrentFutures(source) || (hasMethodCall(source, 'submit') && hasMethodCall(source, 'result')),
  calls: [
    {
      targets: new Set(CF_WAITS.keys()),
      need: 'async',
      check(ctx, call, _fn, qualified) {
        if (ctx.inAsync(call)) ctx.report('BHD003', call, waitMessage(CF_WAITS.get(qualified)!), false);
      },
    },
  ],
  methods: [
    {
      names: ['result'],
      need: 'future',
      check(ctx, receiver, call) {
        if (ctx.inAsync(call) && !waitsNot(receiver, call) && ctx.isFuture(receiver))
          ctx.report('BHD003', call, resultMessage(), true);
      },
    },
  ],
  blocking: true,
  fix: { title: 'await asyncio.wrap_future(fut)', applicability: 'safe' },
};

/**
 * Whether `receiver.result(...)` returns at once: with a zero timeout (`result(timeout=0)`, `result(0)`: it
 * raises instead of waiting), or in the branch of `if receiver.done():` (in the same function).
 */
function waitsNot(receiver: Node, call: Node): boolean {
  const args = callArguments(call);
  const timeout = args.keywords.get('timeout') ?? args.positional[0];
  if (timeout && /^0(?:\.0*)?$/.test(timeout.text)) return true;
  const done = `${receiver.text}.done()`.replace(/\s+/g, '');
  for (let child = call, n = call.parent; n; child = n, n = n.parent) {
    const type = n.type;
    if (type === 'function_definition' || type === 'lambda' || type === 'class_definition') break;
    if (
      type === 'if_statement' &&
      n.childForFieldName('consequence')?.id === child.id &&
      n.childForFieldName('condition')?.text.replace(/\s+/g, '') === done
    )
      return true;
  }
  return false;
}
