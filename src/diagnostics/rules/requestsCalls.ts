/**
 * What BHD005 and BHD006 share: requests calls, module-level (`requests.get(...)`) and through a Session
 * (`session.post(...)`), and how a call is named in messages.
 */
import { compact } from '../../python/text';
import type { Node } from '../../python/treeSitter';
import { HTTP_METHODS, REQUESTS_FUNCTIONS } from '../targets';
import type { CallSubscription, MethodSubscription, RuleContext } from './rule';

/** Subscriptions calling `check(ctx, call, shownName)` for every requests call (module function or Session). */
export function requestsSubscriptions(
  need: CallSubscription['need'],
  check: (ctx: RuleContext, call: Node, shown: string) => void,
): { calls: CallSubscription[]; methods: MethodSubscription[] } {
  return {
    calls: [
      { targets: REQUESTS_FUNCTIONS, need, check: (ctx, call, fn) => check(ctx, call, compact(fn.text)) },
    ],
    methods: [
      {
        names: HTTP_METHODS,
        need: 'session',
        check(ctx, receiver, call, method) {
          // (an awaited call is no Session's: a requests Response cannot be awaited)
          if (call.parent?.type === 'await' || !ctx.isSession(receiver)) return;
          check(
            ctx,
            call,
            receiver.text.length <= 40 ? `${compact(receiver.text)}.${method}` : `Session.${method}`,
          );
        },
      },
    ],
  };
}
