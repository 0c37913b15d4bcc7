/**
 * BHD003: `concurrent.futures.wait`/`as_completed`, or `.result()` on a submitted future, in async code: they
 * wait on the calling thread, the event loop. Fix for `.result()`: `await asyncio.wrap_future(fut)`.
 */
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
        if (ctx.inAsync(call) && ctx.isFuture(receiver)) ctx.report('BHD003', call, resultMessage(), true);
      },
    },
  ],
  blocking: true,
  fix: { title: 'await asyncio.wrap_future(fut)', applicability: 'safe' },
};
