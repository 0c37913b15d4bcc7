/**
 * BHD005: a requests call without `timeout=`, anywhere: it can wait forever, and so can an executor (and the
 * event loop behind it) waiting for the worker stuck in it. Fix: add `timeout=`.
 */
import { callArguments } from '../../python/scope';
import { importsRequests } from '../../python/text';
import { requestsSubscriptions } from './requestsCalls';
import type { RuleModule, RuleText } from './rule';

export const message = (call: string): RuleText => ({
  message: `\`${call}()\` has no timeout`,
  detail:
    `Without \`timeout=\`, requests can wait forever on an unresponsive server. A worker thread stuck like this ` +
    `keeps its executor busy, and code that waits for the executor (its \`shutdown\`, the \`with\` block, the ` +
    `event loop behind it) hangs with it. Pass \`timeout=\` (seconds).`,
});

export const BHD005: RuleModule = {
  code: 'BHD005',
  title: 'HTTP call without a timeout',
  defaultSeverity: 'warning',
  asyncOnly: false,
  mayOccur: importsRequests,
  ...requestsSubscriptions('none', (ctx, call, shown) => {
    const args = callArguments(call);
    if (!args.keywords.has('timeout') && !args.dictSplat) ctx.report('BHD005', call, message(shown), true);
  }),
  blocking: false,
  fix: { title: 'add timeout=', applicability: 'unsafe' },
};
