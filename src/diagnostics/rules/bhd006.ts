/**
 * BHD006: `time.sleep` or a requests call directly in async code: both block the event-loop thread. Fix for
 * `time.sleep`: `await asyncio.sleep(...)`.
 */
import { compact, importsRequests, mayCallTimeSleep } from '../../python/text';
import { TIME_SLEEP } from '../targets';
import { requestsSubscriptions } from './requestsCalls';
import type { RuleModule, RuleText } from './rule';

export const sleepMessage = (call: string): RuleText => ({
  message: `\`${call}()\` blocks the event loop`,
  detail:
    `\`time.sleep\` suspends the event-loop thread: no other request is served while it sleeps. ` +
    `Use \`await asyncio.sleep(...)\`.`,
});

export const requestsMessage = (call: string): RuleText => ({
  message: `\`${call}()\` blocks the event loop`,
  detail:
    `requests does network I/O synchronously: called directly in \`async def\`, it blocks the event-loop ` +
    `thread for the whole round trip, so no other request is served meanwhile. Run it in a thread ` +
    `(\`await asyncio.to_thread(...)\`) or use an async HTTP client such as httpx.AsyncClient.`,
});

const requests = requestsSubscriptions('async', (ctx, call, shown) => {
  if (ctx.inAsync(call)) ctx.report('BHD006', call, requestsMessage(shown), false);
});

export const BHD006: RuleModule = {
  code: 'BHD006',
  title: 'Blocking call in async code',
  defaultSeverity: 'warning',
  asyncOnly: true,
  mayOccur: (source) => importsRequests(source) || mayCallTimeSleep(source),
  calls: [
    {
      targets: new Set([TIME_SLEEP]),
      need: 'async',
      check(ctx, call, fn) {
        if (ctx.inAsync(call)) ctx.report('BHD006', call, sleepMessage(compact(fn.text)), true);
      },
    },
    ...requests.calls,
  ],
  methods: requests.methods,
  blocking: true,
  fix: { title: 'await asyncio.sleep(...) for time.sleep', applicability: 'unsafe' },
};
