/**
 * BHD005: a requests call without `timeout=` (or with `timeout=None`), anywhere: it can wait forever, and so
 * can an executor (and the event loop behind it) waiting for the worker stuck in it. Fix: add `timeout=` (or
 * give the `None` a value).
 */
import { callArguments } from '../../python/scope';
import { compact, importsRequests } from '../../python/text';
import type { Node } from '../../python/treeSitter';
import { HTTP_METHODS, REQUESTS_FUNCTIONS, TO_THREAD } from '../targets';
import { requestsSubscriptions } from './requestsCalls';
import type { RuleContext, RuleModule, RuleText } from './rule';

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

const requests = requestsSubscriptions('none', (ctx, call, shown) => checkTimeout(ctx, call, shown));

/** Reports `call` (a requests call, or a to_thread of one: its keywords are the function's) without a timeout. */
function checkTimeout(ctx: RuleContext, call: Node, shown: string, throughThread = false): void {
  const args = callArguments(call);
  const timeout = args.keywords.get('timeout');
  if (timeout === undefined) {
    // `Session.request(method, url, params, data, headers, cookies, files, auth, timeout)`: the 9th positional
    // argument is the timeout (or `*args` may carry it).
    // (the module's `requests.request(method, url, **kw)` takes two)
    const positional =
      /\.request$/.test(shown) &&
      !/(?:^|\.)requests\.request$/.test(shown) &&
      (args.positional.length >= (throughThread ? 10 : 9) || args.listSplat);
    if (!args.dictSplat && !positional) ctx.report('BHD005', call, message(shown), true);
  } else if (timeout.type === 'none') ctx.report('BHD005', call, noneMessage(shown), true);
}

export const BHD005: RuleModule = {
  code: 'BHD005',
  title: 'HTTP call without a timeout',
  defaultSeverity: 'warning',
  asyncOnly: false,
  mayOccur: importsRequests,
  calls: [
    ...requests.calls,
    {
      // `await asyncio.to_thread(requests.get, url)`: the call runs in the thread, still without a timeout.
      targets: TO_THREAD,
      need: 'none',
      check(ctx, call) {
        const fn = callArguments(call).positional[0];
        if (!fn || (fn.type !== 'identifier' && fn.type !== 'attribute')) return;
        const q = ctx.resolve(fn);
        const method = fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
        const receiver = fn.type === 'attribute' ? fn.childForFieldName('object') : null;
        const requestsCall =
          (q !== undefined && REQUESTS_FUNCTIONS.has(q)) ||
          (q === undefined &&
            method !== undefined &&
            HTTP_METHODS.includes(method) &&
            receiver !== null &&
            ctx.isSession(receiver));
        if (requestsCall) checkTimeout(ctx, call, compact(fn.text), true);
      },
    },
  ],
  methods: requests.methods,
  blocking: false,
  fix: { title: 'add timeout=', applicability: 'unsafe' },
};
