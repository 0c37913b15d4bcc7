/**
 * BHD006: `time.sleep` or a synchronous HTTP call (requests, httpx's module functions, `urlopen`, urllib3)
 * directly in async code: each blocks the event-loop thread. Fix for `time.sleep`: `await asyncio.sleep(...)`.
 */
import { callArguments } from '../../python/scope';
import { compact, importsRequests, mayCallTimeSleep, mayImportHttpClients } from '../../python/text';
import type { Node } from '../../python/treeSitter';
import { BLOCKING_HTTP_FUNCTIONS, HTTPX_CLIENT_METHODS, TIME_SLEEP } from '../targets';
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

export const httpMessage = (call: string, qualified: string): RuleText => ({
  message: `\`${call}()\` blocks the event loop`,
  detail:
    `\`${qualified}\` does network I/O synchronously: called directly in \`async def\`, it blocks the ` +
    `event-loop thread for the whole round trip, so no other request is served meanwhile. ` +
    (qualified.startsWith('httpx.')
      ? `Use \`httpx.AsyncClient\` (\`async with httpx.AsyncClient() as client: await client.get(...)\`) or run it in a thread.`
      : `Run it in a thread (\`await asyncio.to_thread(...)\`) or use an async HTTP client such as httpx.AsyncClient.`),
});

export const httpxClientMessage = (call: string): RuleText => ({
  message: `\`${call}()\` blocks the event loop`,
  detail:
    `An \`httpx.Client\` is httpx's synchronous client: its requests run on the calling thread, so in ` +
    `\`async def\` no other request is served for the whole round trip. Use \`httpx.AsyncClient\` and ` +
    `\`await\` its calls.`,
});

/** `x.startswith("data:")` (either quote, `'data:'` or `"data:"`), as a whole condition or one operand of an `and`. */
const DATA_URL_TEST = (name: string): RegExp =>
  new RegExp(
    `(?:^|\\band\\s+)${name}\\s*\\.\\s*startswith\\(\\s*[rbRB]?["']data:["']\\s*\\)\\s*(?:$|and\\b)`,
  );

/**
 * `urlopen(v)` that can only open a `data:` URL: a literal `"data:..."`, or a name `v` under
 * `if v.startswith("data:"):` (the call in its body): decoding the URL in memory, no network I/O.
 */
function dataUrlOnly(call: Node): boolean {
  const first = callArguments(call).positional[0];
  if (!first) return false;
  if (first.type === 'string') return /^[rbfRBF]{0,2}["']data:/.test(first.text);
  if (first.type !== 'identifier') return false;
  const test = DATA_URL_TEST(first.text);
  for (let n: Node | null = call; n; n = n.parent) {
    const parent = n.parent;
    if (!parent || parent.type === 'function_definition' || parent.type === 'lambda') return false;
    if (parent.type === 'if_statement' && parent.childForFieldName('consequence')?.id === n.id) {
      const condition = parent.childForFieldName('condition');
      if (condition && test.test(condition.text.trim())) return true;
    }
  }
  return false;
}

const requests = requestsSubscriptions('async', (ctx, call, shown) => {
  if (ctx.inAsync(call)) ctx.report('BHD006', call, requestsMessage(shown), false);
});

export const BHD006: RuleModule = {
  code: 'BHD006',
  title: 'Blocking call in async code',
  defaultSeverity: 'warning',
  asyncOnly: true,
  mayOccur: (source) => importsRequests(source) || mayCallTimeSleep(source) || mayImportHttpClients(source),
  calls: [
    {
      targets: new Set([TIME_SLEEP]),
      need: 'async',
      check(ctx, call, fn) {
        if (ctx.inAsync(call)) ctx.report('BHD006', call, sleepMessage(compact(fn.text)), true);
      },
    },
    ...requests.calls,
    {
      targets: BLOCKING_HTTP_FUNCTIONS,
      need: 'async',
      check(ctx, call, fn, qualified) {
        if (qualified === 'urllib.request.urlopen' && dataUrlOnly(call)) return;
        if (ctx.inAsync(call)) ctx.report('BHD006', call, httpMessage(compact(fn.text), qualified), false);
      },
    },
  ],
  methods: [
    ...requests.methods,
    {
      names: HTTPX_CLIENT_METHODS,
      need: 'httpxClient',
      check(ctx, receiver, call, method) {
        if (!ctx.inAsync(call) || !ctx.isHttpxClient(receiver)) return;
        const shown = receiver.text.length <= 40 ? `${compact(receiver.text)}.${method}` : `Client.${method}`;
        ctx.report('BHD006', call, httpxClientMessage(shown), false);
      },
    },
  ],
  blocking: true,
  fix: { title: 'await asyncio.sleep(...) for time.sleep', applicability: 'unsafe' },
};
