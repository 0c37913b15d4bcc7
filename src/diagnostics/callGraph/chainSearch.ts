/**
 * BHD007's chain search (pure): from a sync def called in async code down to a blocking operation, through the
 * calls its summary lists (./summary), each resolved by the project's CallResolver, at most MAX_DEPTH hops.
 * Recursion and `async def`s end a chain; code under a flag the call does not pass (./guards) or that only runs
 * without an event loop by another module's probe (../../python/loopBranch) does not run;
 * a path through code for other platforms (../../python/platformBranch) is shown only when no other blocks.
 */
import type { CallResolver } from './callResolver';
import type { Chain, Target } from './chainFinding';
import { type Guard, passer } from './guards';
import type { ModuleSummary } from './summary';
import type { ProbeRef } from '../../python/loopBranch';

/** Hops followed from the called function down to the blocking operation (the call itself is hop 1). */
export const MAX_DEPTH = 5;

/** What the search reads of the project (./projectIndex). */
export interface ChainHost {
  summary(file: string): ModuleSummary | undefined;
  textOf(file: string): string | undefined;
  readonly calls: Pick<CallResolver, 'targets' | 'named'>;
}

/** Whether one of `decorators` (names in `file`) resolves to a def returning an `async def` wrapper. */
function wrappedAsync(host: ChainHost, file: string, decorators: readonly string[]): boolean {
  const summary = host.summary(file);
  return (
    summary !== undefined &&
    decorators.some((d) => host.calls.named(file, summary, d)?.fn.wrapsAsync === true)
  );
}

/** Whether `ref` (a name in `file`) is another module's probe, of the kind it needs (../../python/loopBranch). */
function isProbe(host: ChainHost, file: string, summary: ModuleSummary | undefined, ref: ProbeRef): boolean {
  const kind = summary && host.calls.named(file, summary, ref.name)?.fn.loopProbe;
  return kind !== undefined && (ref.kind === undefined || kind === ref.kind);
}

/**
 * The chain from `target` (a sync def) down to a blocking operation, or undefined. `passed`: whether the
 * call into it may pass a flag of it (./guards): code under a flag it does not pass does not run.
 */
export function chainFrom(
  host: ChainHost,
  target: Target,
  depth: number,
  visiting: Set<string>,
  passed: (guard: Guard) => boolean,
): Chain | undefined {
  const { file, fn } = target;
  if (fn.isAsync) return undefined;
  // `@offload` of the project, returning an `async def` wrapper: calling the def makes a coroutine.
  if (fn.decorators && wrappedAsync(host, file, fn.decorators)) return undefined;
  const key = `${file}\u0000${fn.qualname}`;
  if (visiting.has(key)) return undefined; // recursion
  const op =
    fn.blocks ??
    fn.guarded?.find((b) => passed(b.guard))?.op ??
    fn.probed?.find((b) => !isProbe(host, file, host.summary(file), b.probe))?.op;
  if (op) return { hops: [target], file, what: op.what, range: op.range };
  // A chain through code that runs only on some platforms (`if sys.platform == "win32":`) is kept for when no
  // other is found: the first such one, an operation here before one further down.
  const only = fn.platformBlocks;
  let fallback: Chain | undefined = only && {
    hops: [target],
    file,
    what: only.what,
    range: only.range,
    platform: true,
  };
  if (depth >= MAX_DEPTH) return fallback;
  const summary = host.summary(file);
  if (!summary) return fallback;
  visiting.add(key);
  const text = (): string => host.textOf(file) ?? '';
  // A flag of this def passed on by name: what this def's caller passed decides.
  const flags = fn.flags;
  const forward = flags
    ? (value: string, test: Guard['test']): boolean | undefined => {
        const flag = flags.get(value);
        return flag && passed(test ? { ...flag, test } : flag);
      }
    : undefined;
  try {
    for (const site of fn.calls) {
      if (site.guard && !passed(site.guard)) continue;
      if (site.noLoop && isProbe(host, file, summary, site.noLoop)) continue;
      // No argument list known: assume it may pass anything (`*_`).
      const args = (): string => (site.args ? text().slice(site.args[0], site.args[1]) : '(*_)');
      for (const next of host.calls.targets(
        file,
        summary,
        site,
        fn.className,
        fn.imports,
        text,
        target.receiver,
      )) {
        const below = chainFrom(
          host,
          next,
          depth + 1,
          visiting,
          passer(args, next.fn.className !== undefined, forward),
        );
        if (!below) continue;
        const chain: Chain = { ...below, hops: [target, ...below.hops] };
        if (site.platform) chain.platform = true;
        if (!chain.platform) return chain;
        fallback ??= chain;
      }
    }
  } finally {
    visiting.delete(key);
  }
  return fallback;
}
