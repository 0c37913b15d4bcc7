/**
 * BHD002: `executor.shutdown()` in async code without `wait=False`: waits for every submitted job on the
 * event-loop thread. Fix: `shutdown(wait=False, cancel_futures=True)`.
 */
import { compact, hasMethodCall } from '../../python/text';
import { callArguments } from '../../python/scope';
import type { RuleModule, RuleText } from './rule';

export const message = (receiver: string): RuleText => ({
  message: `\`${receiver}.shutdown()\` waits for worker threads on the event loop`,
  detail:
    `\`shutdown()\` defaults to \`wait=True\`: called inside \`async def\`, it blocks the event-loop thread until ` +
    `every submitted job finishes, so no other request is served meanwhile. Pass \`wait=False\` ` +
    `(and \`cancel_futures=True\` on Python 3.9+).`,
});

export const BHD002: RuleModule = {
  code: 'BHD002',
  title: 'Blocking executor `shutdown()` in async code',
  defaultSeverity: 'error',
  asyncOnly: true,
  mayOccur: (source) => hasMethodCall(source, 'shutdown'),
  methods: [
    {
      names: ['shutdown'],
      need: 'executor',
      check(ctx, receiver, call) {
        if (!ctx.inAsync(call)) return;
        const args = callArguments(call);
        const wait = args.keywords.get('wait') ?? args.positional[0];
        if (wait?.type === 'false') return;
        // `**options` may well carry wait=False: no evidence either way, stay quiet (precision first).
        if (wait === undefined && (args.dictSplat || args.listSplat)) return;
        if (!ctx.isExecutor(receiver)) return;
        const shown = receiver.text.length <= 40 ? compact(receiver.text) : 'executor';
        ctx.report('BHD002', call, message(shown), true);
      },
    },
  ],
  blocking: true,
  fix: { title: 'shutdown(wait=False, cancel_futures=True)', applicability: 'unsafe' },
};
