/**
 * Rule metadata: short statements, explanations and default severities. Pure data, shared by the editor
 * glue, the CLI and the docs (docs/rules/BHD00N.md hold the long form).
 */
import type { RuleCode, Severity } from './types';

/** Default severity per rule (the settings `backendHang.severity.BHD00N` override it). */
export const DEFAULT_SEVERITY: Readonly<Record<RuleCode, Severity>> = {
  BHD001: 'error',
  BHD002: 'error',
  BHD003: 'warning',
  BHD005: 'warning',
  BHD006: 'warning',
  BHD007: 'warning',
};

/** A few words naming each rule (SARIF `shortDescription`, docs titles). */
export const RULE_TITLES: Readonly<Record<RuleCode, string>> = {
  BHD001: '`with` on an executor in async code',
  BHD002: 'Blocking executor `shutdown()` in async code',
  BHD003: 'Blocking wait on concurrent futures in async code',
  BHD005: 'HTTP call without a timeout',
  BHD006: 'Blocking call in async code',
  BHD007: 'Sync function that blocks, called from async code',
};

/** Path of a rule's doc page relative to the repository / extension root. */
export function ruleDocPath(code: RuleCode): string {
  return `docs/rules/${code}.md`;
}

/** Messages and details, parameterised by the text the user wrote (e.g. the executor class name). */
export const MESSAGES = {
  BHD001: (executorClass: string) => ({
    message: `\`with ${executorClass}(...)\` in async code blocks the event loop when the block exits`,
    detail:
      `Leaving the \`with\` block calls \`shutdown(wait=True)\` on the event-loop thread. When the request is ` +
      `cancelled (for example the client disconnects from a stream), the whole server, every route and /health ` +
      `included, stops answering until the worker threads finish their I/O. Create the executor without \`with\` ` +
      `and call \`shutdown(wait=False, cancel_futures=True)\` in a \`finally\` block.`,
  }),
  BHD002: (receiver: string) => ({
    message: `\`${receiver}.shutdown()\` waits for worker threads on the event loop`,
    detail:
      `\`shutdown()\` defaults to \`wait=True\`: called inside \`async def\`, it blocks the event-loop thread until ` +
      `every submitted job finishes, so no other request is served meanwhile. Pass \`wait=False\` ` +
      `(and \`cancel_futures=True\` on Python 3.9+).`,
  }),
  BHD003Wait: (fn: string) => ({
    message: `\`concurrent.futures.${fn}()\` blocks the event loop`,
    detail:
      `\`concurrent.futures.${fn}\` waits on the calling thread; inside \`async def\` that is the event-loop ` +
      `thread, so the whole server stalls until the futures complete. Wrap the futures with ` +
      `\`asyncio.wrap_future\` and use \`asyncio.${fn === 'wait' ? 'wait' : 'as_completed'}\`, or use ` +
      `\`loop.run_in_executor\`.`,
  }),
  BHD003Result: () => ({
    message: '`.result()` on an executor future blocks the event loop',
    detail:
      `\`Future.result()\` of \`concurrent.futures\` waits on the calling thread; inside \`async def\` that is the ` +
      `event-loop thread, so the whole server stalls until the job finishes. ` +
      `Use \`await asyncio.wrap_future(future)\` instead.`,
  }),
  BHD005: (call: string) => ({
    message: `\`${call}()\` has no timeout`,
    detail:
      `Without \`timeout=\`, requests can wait forever on an unresponsive server. A worker thread stuck like this ` +
      `keeps its executor busy, and code that waits for the executor (its \`shutdown\`, the \`with\` block, the ` +
      `event loop behind it) hangs with it. Pass \`timeout=\` (seconds).`,
  }),
  BHD006Sleep: (call: string) => ({
    message: `\`${call}()\` blocks the event loop`,
    detail:
      `\`time.sleep\` suspends the event-loop thread: no other request is served while it sleeps. ` +
      `Use \`await asyncio.sleep(...)\`.`,
  }),
  BHD006Requests: (call: string) => ({
    message: `\`${call}()\` blocks the event loop`,
    detail:
      `requests does network I/O synchronously: called directly in \`async def\`, it blocks the event-loop ` +
      `thread for the whole round trip, so no other request is served meanwhile. Run it in a thread ` +
      `(\`await asyncio.to_thread(...)\`) or use an async HTTP client such as httpx.AsyncClient.`,
  }),
  BHD007: (call: string, chain: string) => ({
    message: `\`${call}()\` blocks the event loop: ${chain}`,
    detail:
      `\`${call}\` is a plain \`def\` that, directly or through the functions it calls, does a blocking operation ` +
      `(a \`with\` on an executor, \`shutdown()\`, a wait on futures, \`time.sleep\` or a requests call). Called ` +
      `from \`async def\` it runs on the event-loop thread, so no other request is served meanwhile. Run it in a ` +
      `thread (\`await asyncio.to_thread(${call}, ...)\`) or make the chain async.`,
  }),
} as const;
