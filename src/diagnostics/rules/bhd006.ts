/**
 * BHD006: `time.sleep`, a synchronous HTTP call (requests, httpx's module functions, `urlopen`, urllib3) or a
 * call that runs a child process and waits for it (subprocess.run, os.system, os.waitpid...) directly in
 * async code: each blocks the event-loop thread. Fix for `time.sleep`: `await asyncio.sleep(...)`; for a call
 * standing alone: `await asyncio.to_thread(...)`.
 */
import { callArguments } from '../../python/scope';
import {
  compact,
  importsRequests,
  mayCallBlockingHttp,
  mayCallTimeSleep,
  mayRunProcess,
} from '../../python/text';
import type { Node } from '../../python/treeSitter';
import { isStatementCall } from '../callGraph/callSites';
import {
  BLOCKING_HTTP_FUNCTIONS,
  BLOCKING_PROCESS_FUNCTIONS,
  HTTPX_CLIENT_METHODS,
  POPEN_CLASSES,
  POPEN_METHODS,
  TIME_SLEEP,
} from '../targets';
import { requestsSubscriptions, usedAsAwaitable } from './requestsCalls';
import type { MethodNeed, MethodSubscription, RuleContext, RuleModule, RuleText } from './rule';

export const sleepMessage = (call: string): RuleText => ({
  kind: 'sleep',
  message: `\`${call}()\` blocks the event loop`,
  detail:
    `\`time.sleep\` suspends the event-loop thread: no other request is served while it sleeps. ` +
    `Use \`await asyncio.sleep(...)\`.`,
});

export const requestsMessage = (call: string): RuleText => ({
  kind: 'requests',
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

export const processMessage = (call: string, qualified: string): RuleText => ({
  message: `\`${call}()\` blocks the event loop`,
  detail: qualified.startsWith('os.wait')
    ? `\`${qualified}\` waits for a child process to change state on the calling thread, here the event-loop ` +
      `thread: no other request is served until it does. Run it in a thread (\`await asyncio.to_thread(...)\`) ` +
      `or await an asyncio subprocess (\`await proc.wait()\`).`
    : `\`${qualified}\` runs a child process and waits for it to exit on the calling thread, here the ` +
      `event-loop thread: no other request is served until the process ends, and none at all if it hangs. ` +
      `Use \`await asyncio.create_subprocess_exec(...)\` (then \`await proc.communicate()\`) or run it in a ` +
      `thread (\`await asyncio.to_thread(...)\`).`,
});

export const popenMessage = (call: string): RuleText => ({
  message: `\`${call}()\` blocks the event loop`,
  detail:
    `A \`subprocess.Popen\`'s \`wait()\` and \`communicate()\` wait for the child to exit on the calling ` +
    `thread, here the event-loop thread: no other request is served until it does, and none at all if it ` +
    `hangs. Use \`proc = await asyncio.create_subprocess_exec(...)\` and \`await proc.communicate()\`, or run ` +
    `it in a thread (\`await asyncio.to_thread(proc.communicate)\`).`,
});

export const popenWithMessage = (call: string): RuleText => ({
  kind: 'blocksOnExit',
  message: `\`with ${call}(...)\` blocks the event loop when the block exits`,
  detail:
    `Leaving the \`with\` block of a \`subprocess.Popen\` waits for the child to exit, on the event-loop ` +
    `thread: no other request is served until it does, and none at all if it hangs. Use ` +
    `\`proc = await asyncio.create_subprocess_exec(...)\` and \`await proc.wait()\`, or run the whole block ` +
    `in a thread.`,
});

/** Whether an argument of an `os.wait*` call names `WNOHANG`: the call returns at once instead of waiting. */
const noHang = (call: Node): boolean =>
  /(?<![A-Za-z0-9_])WNOHANG(?![A-Za-z0-9_])/.test(call.childForFieldName('arguments')?.text ?? '');

/** Whether an `os.spawn*` call waits for the child: its mode (first argument) is `P_WAIT`. */
function spawnWaits(call: Node): boolean {
  const mode = callArguments(call).positional[0];
  return mode !== undefined && /^(?:[A-Za-z_][A-Za-z0-9_]*\s*\.\s*)?P_WAIT$/.test(mode.text);
}

/** Whether a call of a BLOCKING_PROCESS_FUNCTIONS function blocks as written (see there). */
const processBlocks = (call: Node, qualified: string): boolean =>
  qualified.startsWith('os.wait')
    ? !noHang(call)
    : qualified.startsWith('os.spawn')
      ? spawnWaits(call)
      : true;

/** A string literal starting with `data:` (any prefix letters, either quote). */
const isDataLiteral = (n: Node | null | undefined): boolean =>
  n?.type === 'string' && /^[rbfu]{0,2}(?:"""|'''|["'])data:/i.test(n.text);

/** Whether `condition` being true means `name.startswith("data:...")`: that test, alone or in an `and` chain. */
function impliesDataUrl(condition: Node | null | undefined, name: string): boolean {
  if (!condition) return false;
  if (condition.type === 'parenthesized_expression') return impliesDataUrl(condition.namedChildren[0], name);
  if (condition.type === 'boolean_operator')
    return (
      condition.childForFieldName('operator')?.type === 'and' &&
      (impliesDataUrl(condition.childForFieldName('left'), name) ||
        impliesDataUrl(condition.childForFieldName('right'), name))
    );
  if (condition.type !== 'call') return false;
  const fn = condition.childForFieldName('function');
  if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'startswith') return false;
  if (fn.childForFieldName('object')?.text !== name) return false;
  const { positional } = callArguments(condition);
  return positional.length === 1 && isDataLiteral(positional[0]);
}

/**
 * `urlopen(v)` that can only open a `data:` URL: a literal `"data:..."`, or a name `v` under
 * `if v.startswith("data:"):` (the call in its body; or in the `else:` of `if not v.startswith(...)`): the URL
 * is decoded in memory, no network I/O.
 */
function dataUrlOnly(call: Node): boolean {
  const { positional, keywords } = callArguments(call);
  const first = positional[0] ?? keywords.get('url');
  if (!first) return false;
  if (first.type === 'string') return isDataLiteral(first);
  if (first.type !== 'identifier') return false;
  for (let n: Node | null = call; n; n = n.parent) {
    const parent = n.parent;
    if (!parent || parent.type === 'function_definition' || parent.type === 'lambda') return false;
    if (parent.type === 'if_statement') {
      const condition = parent.childForFieldName('condition');
      if (parent.childForFieldName('consequence')?.id === n.id && impliesDataUrl(condition, first.text))
        return true;
      if (
        n.type === 'else_clause' &&
        condition?.type === 'not_operator' &&
        impliesDataUrl(condition.childForFieldName('argument'), first.text)
      )
        return true;
    }
  }
  return false;
}

/**
 * Whether an HTTP call gets the `await asyncio.to_thread(f, ...)` fix: a call standing alone (a statement, an
 * assignment's value, a return's value) with a plain argument list.
 */
const toThreadable = (call: Node): boolean =>
  isStatementCall(call) && call.childForFieldName('arguments')?.type === 'argument_list';

/**
 * A blocking method of an instance of a class (`client.get(...)`, `proc.wait()`) in async code, when the
 * receiver has evidence of being one and the call is not used as an awaitable; shown as `receiver.method`
 * (`Class.method` for a long receiver).
 */
function instanceMethods(
  names: readonly string[],
  need: MethodNeed,
  className: string,
  isInstance: (ctx: RuleContext, receiver: Node) => boolean,
  text: (shown: string) => RuleText,
): MethodSubscription {
  return {
    names,
    need,
    check(ctx, receiver, call, method) {
      if (usedAsAwaitable(call) || !ctx.inAsync(call) || !isInstance(ctx, receiver)) return;
      const shown =
        receiver.text.length <= 40 ? `${compact(receiver.text)}.${method}` : `${className}.${method}`;
      ctx.report('BHD006', call, text(shown), toThreadable(call));
    },
  };
}

const requests = requestsSubscriptions('async', (ctx, call, shown) => {
  if (ctx.inAsync(call)) ctx.report('BHD006', call, requestsMessage(shown), toThreadable(call));
});

export const BHD006: RuleModule = {
  code: 'BHD006',
  title: 'Blocking call in async code',
  defaultSeverity: 'warning',
  asyncOnly: true,
  mayOccur: (source) =>
    importsRequests(source) ||
    mayCallTimeSleep(source) ||
    mayCallBlockingHttp(source) ||
    mayRunProcess(source),
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
        if (ctx.inAsync(call))
          ctx.report('BHD006', call, httpMessage(compact(fn.text), qualified), toThreadable(call));
      },
    },
    {
      targets: BLOCKING_PROCESS_FUNCTIONS,
      need: 'async',
      check(ctx, call, fn, qualified) {
        if (processBlocks(call, qualified) && ctx.inAsync(call))
          ctx.report('BHD006', call, processMessage(compact(fn.text), qualified), toThreadable(call));
      },
    },
    {
      // `with subprocess.Popen(...) as p:`: its `__exit__` waits for the child (no mechanical fix).
      targets: POPEN_CLASSES,
      need: 'asyncWith',
      check(ctx, call, fn) {
        if (ctx.isWithItemValue(call) && ctx.inAsync(call))
          ctx.report('BHD006', call, popenWithMessage(compact(fn.text)), false);
      },
    },
  ],
  methods: [
    ...requests.methods,
    // (an awaited call is no sync client's: its Response cannot be awaited; `self._client` may be either)
    instanceMethods(
      HTTPX_CLIENT_METHODS,
      'httpxClient',
      'Client',
      (ctx, r) => ctx.isHttpxClient(r),
      httpxClientMessage,
    ),
    // (`await proc.wait()` is an asyncio Process's, whatever evidence there is)
    instanceMethods(POPEN_METHODS, 'popen', 'Popen', (ctx, r) => ctx.isPopen(r), popenMessage),
  ],
  blocking: true,
  fix: {
    title:
      'await asyncio.sleep(...) for time.sleep; await asyncio.to_thread(...) for an HTTP or process call standing alone',
    applicability: 'unsafe',
  },
};
