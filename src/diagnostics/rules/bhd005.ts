/**
 * BHD005: a requests call without `timeout=` (or with `timeout=None`), anywhere: it can wait forever, and so
 * can an executor (and the event loop behind it) waiting for the worker stuck in it. Fix: add `timeout=` (or
 * give the `None` a value).
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

/** `timeout=None` says, explicitly, no timeout at all: the same wait forever (as Ruff's S113 reads it). */
export const noneMessage = (call: string): RuleText => ({
  message: `\`${call}()\` has \`timeout=None\`: no timeout`,
  detail: message(call).detail.replace('Without `timeout=`', 'With `timeout=None`'),
});

export const BHD005: RuleModule = {
  code: 'BHD005',
  title: 'HTTP call without a timeout',
  defaultSeverity: 'warning',
  asyncOnly: false,
  mayOccur: importsRequests,
  ...requestsSubscriptions('none', (ctx, call, shown) => {
    const args = callArguments(call);
    const timeout = args.keywords.get('timeout');
    if (timeout === undefined) {
      // `Session.request(method, url, params, data, headers, cookies, files, auth, timeout)`: the 9th positional
      // argument is the timeout (or `*args` may carry it).
      // (the module's `requests.request(method, url, **kw)` takes two)
      const positional =
        /\.request$/.test(shown) &&
        !/(?:^|\.)requests\.request$/.test(shown) &&
        (args.positional.length >= 9 || args.listSplat);
      if (!args.dictSplat && !positional) ctx.report('BHD005', call, message(shown), true);
    } else if (timeout.type === 'none') ctx.report('BHD005', call, noneMessage(shown), true);
  }),
  blocking: false,
  fix: { title: 'add timeout=', applicability: 'unsafe' },
};
