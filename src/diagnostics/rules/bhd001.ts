/**
 * BHD001: `with ThreadPoolExecutor(...)` / `ProcessPoolExecutor` in async code. Leaving the block calls
 * `shutdown(wait=True)` on the event-loop thread: a cancelled request (client gone) freezes the server until
 * the workers finish. Fix: executor outside the `with`, `shutdown(wait=False, cancel_futures=True)` in `finally`.
 */
import { importsConcurrentFutures, lastPart } from '../../python/text';
import { EXECUTOR_CLASSES } from '../targets';
import type { RuleModule, RuleText } from './rule';

export const message = (executorClass: string): RuleText => ({
  kind: 'blocksOnExit',
  message: `\`with ${executorClass}(...)\` in async code blocks the event loop when the block exits`,
  detail:
    `Leaving the \`with\` block calls \`shutdown(wait=True)\` on the event-loop thread. When the request is ` +
    `cancelled (for example the client disconnects from a stream), the whole server, every route and /health ` +
    `included, stops answering until the worker threads finish their I/O. Create the executor without \`with\` ` +
    `and call \`shutdown(wait=False, cancel_futures=True)\` in a \`finally\` block.`,
});

export const BHD001: RuleModule = {
  code: 'BHD001',
  title: '`with` on an executor in async code',
  defaultSeverity: 'error',
  asyncOnly: true,
  mayOccur: importsConcurrentFutures,
  calls: [
    {
      targets: EXECUTOR_CLASSES,
      need: 'asyncWith',
      check(ctx, call, _fn, qualified) {
        if (ctx.isWithItemValue(call) && ctx.inAsync(call))
          ctx.report('BHD001', call, message(lastPart(qualified)), true);
      },
    },
  ],
  blocking: true,
  fix: { title: 'try/finally with shutdown(wait=False, cancel_futures=True)', applicability: 'safe' },
};
