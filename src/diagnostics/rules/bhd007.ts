/**
 * BHD007: a sync `def` that blocks (a BHD001/002/003/006 operation in its body, or in a function it calls, up
 * to MAX_DEPTH calls deep, across the project's modules), called from async code. Found by the project index
 * (../callGraph), not by the per-file dispatch. Fix: `await asyncio.to_thread(f, args...)` (unsafe).
 */
import type { RuleModule, RuleText } from './rule';

export const message = (call: string, chain: string): RuleText => ({
  message: `\`${call}()\` blocks the event loop: ${chain}`,
  detail:
    `\`${call}\` is a plain \`def\` that, directly or through the functions it calls, does a blocking operation ` +
    `(a \`with\` on an executor, \`shutdown()\`, a wait on futures, \`time.sleep\` or a synchronous HTTP call). Called ` +
    `from \`async def\` it runs on the event-loop thread, so no other request is served meanwhile. Run it in a ` +
    `thread (\`await asyncio.to_thread(${call}, ...)\`) or make the chain async.`,
});

/** The message of a `with C():` item whose class blocks in `__enter__` or `__exit__`. */
export const enteredMessage = (cls: string, chain: string): RuleText => ({
  message: `\`with ${cls}()\` blocks the event loop: ${chain}`,
  detail:
    `Entering \`${cls}\` runs its \`__enter__\` (and \`__exit__\` on the way out): plain \`def\`s that, directly or ` +
    `through the functions they call, do a blocking operation (a \`with\` on an executor, \`shutdown()\`, a wait ` +
    `on futures, \`time.sleep\` or a synchronous HTTP call). In \`async def\` they run on the event-loop thread, so no ` +
    `other request is served meanwhile. Use an async context manager (\`async with\`), or move the whole ` +
    `\`with\` block into a function run in a thread (\`await asyncio.to_thread(f, ...)\`).`,
});

export const BHD007: RuleModule = {
  code: 'BHD007',
  title: 'Sync function that blocks, called from async code',
  defaultSeverity: 'warning',
  asyncOnly: true,
  // The project index has its own pre-filter (../callGraph/prefilter): it needs the other modules too.
  mayOccur: () => false,
  blocking: false,
  project: true,
  fix: { title: 'await asyncio.to_thread(f, args...)', applicability: 'unsafe' },
};
