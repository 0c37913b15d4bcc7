/**
 * What BHD005 and BHD006 share: requests calls, module-level (`requests.get(...)`) and through a Session
 * (`session.post(...)`), and how a call is named in messages.
 */
import { compact } from '../../python/text';
import type { Node } from '../../python/treeSitter';
import { HTTP_METHODS, REQUESTS_FUNCTIONS } from '../targets';
import type { CallSubscription, MethodSubscription, RuleContext } from './rule';

/** Calls that take awaitables (their arguments are coroutines or futures): `asyncio.gather(...)`, `tg.create_task(...)`. */
const TAKES_AWAITABLES =
  /(?:^|\.)(?:gather|wait_for|shield|create_task|ensure_future|as_completed|run_until_complete|run_coroutine_threadsafe)$/;
/** What a call's value passes through on its way into another call's arguments (`gather(*[c.get(u) for u in us])`). */
const CARRIERS = new Set([
  'list',
  'tuple',
  'list_splat',
  'parenthesized_expression',
  'list_comprehension',
  'generator_expression',
  'keyword_argument',
]);

/**
 * Whether a call's value is used as an awaitable: awaited, entered by `async with`, or passed (also in a list,
 * a tuple or a comprehension) to a call that takes awaitables (`asyncio.wait_for(c.get(u), 5)`, `gather`).
 * A sync client's response is none (awaiting it raises): such a method call is an async client's, whatever
 * the evidence says (`self._client` set to either).
 */
export function usedAsAwaitable(call: Node): boolean {
  let n: Node = call;
  for (let hops = 0; hops < 8; hops++) {
    const p = n.parent;
    if (!p) return false;
    if (p.type === 'await') return true;
    if (p.type === 'as_pattern' && p.firstNamedChild?.id === n.id) {
      n = p;
      continue;
    }
    if (p.type === 'with_item') {
      const statement = p.parent?.parent;
      return statement?.type === 'with_statement' && statement.firstChild?.type === 'async';
    }
    if (p.type === 'argument_list') {
      const outer = p.parent;
      if (outer?.type !== 'call') return false;
      // (an argument of any other call, awaited or not, is computed first: `await handle(s.get(u))` blocks)
      const fn = outer.childForFieldName('function');
      return fn !== null && TAKES_AWAITABLES.test(fn.text);
    }
    if (!CARRIERS.has(p.type)) return false;
    n = p;
  }
  return false;
}

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
          if (usedAsAwaitable(call) || !ctx.isSession(receiver)) return;
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
