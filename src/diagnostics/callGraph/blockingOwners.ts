/**
 * Which blocking operations of a file each sync def of its summary holds (pure): the first that runs on any
 * platform (`blocks`), else those under a flag (`guarded`), under another module's probe (`probed`), or only on
 * some platforms (`platformBlocks`). Code after a `return` and code that runs only without an event loop are
 * left out. Part of ./summary.
 */
import type { Node, Tree } from '../../python/treeSitter';
import { enclosingScope } from '../../python/scope';
import type { NoLoop } from '../../python/loopBranch';
import { blockingOps } from '../analyze';
import type { Guard } from './guards';
import type { BlockingOp, FunctionSummary } from './summaryTypes';
import { afterExit } from './unreachable';

/** What decides where an operation goes, besides its def. */
export interface OpContext {
  /** The flag of def `id` an operation at `at` is under (./guards), if any. */
  guardAt(id: number, at: number): Guard | undefined;
  /** Whether it runs only without an event loop (../../python/loopBranch); absent: the module cannot tell. */
  noLoop?: (node: Node, def: Node) => NoLoop;
  /** Whether it runs only on a platform servers rarely are (../../python/platformBranch); absent: none. */
  platformOnly?: (node: Node, def: Node) => boolean;
}

/** The first backquoted code of a rule message (`with ThreadPoolExecutor(...)`). */
function shownOp(message: string): string {
  return /`([^`]+)`/.exec(message)?.[1] ?? message;
}

/** Where the `with` statement ends whose item `call` is (`with C(...) as x:`), if it is one. */
function withItemEnd(call: Node): number | undefined {
  const up = call.parent;
  const item = up?.type === 'as_pattern' ? up.parent : up;
  if (item?.type !== 'with_item') return undefined;
  const statement = item.parent?.parent;
  return statement?.type === 'with_statement' ? statement.endIndex : undefined;
}

/** Sets `blocks`, `guarded`, `probed` and `platformBlocks` of the defs in `byId` (by node id) from `tree`. */
export function attachBlockingOps(
  tree: Tree,
  source: string,
  byId: ReadonlyMap<number, FunctionSummary>,
  how: OpContext,
): void {
  const firstExits = new Map<number, number>();
  // A `with` item whose exit blocks (`with ThreadPoolExecutor()`, `with subprocess.Popen(...)`) blocks after
  // its body: an operation in the body, which runs first, is the one shown (up to where the `with` ends).
  const exitBlocks = new Map<FunctionSummary, number>();
  const guardedExits = new Map<object, number>();
  for (const op of blockingOps(tree, source)) {
    const node = tree.rootNode.descendantForIndex(op.startIndex, op.endIndex);
    const scope = node && enclosingScope(node);
    const owner = scope && byId.get(scope.id);
    if (!owner || owner.isAsync) continue;
    if (owner.blocks && !(op.startIndex < (exitBlocks.get(owner) ?? -1))) continue;
    if (afterExit(node, scope.id, firstExits)) continue; // `return x` then `time.sleep(1)`: never runs
    const off = how.noLoop?.(node, scope);
    if (off === true) continue; // runs only without an event loop
    const blocking: BlockingOp = { what: shownOp(op.message), range: op.range };
    if (off) {
      (owner.probed ??= []).push({ op: blocking, probe: off });
      continue;
    }
    const guard = how.guardAt(scope.id, op.startIndex);
    // (BHD001's executor and BHD006's Popen `with`: their exits block; `with urlopen(...)` blocks on entry)
    const end = op.kind === 'blocksOnExit' ? withItemEnd(node) : undefined;
    if (guard) {
      // The same order under one flag: an operation in the body of such a `with` before its exit.
      const list = (owner.guarded ??= []);
      const entry = { op: blocking, guard };
      const exit = list.findIndex((e) => e.guard === guard && op.startIndex < (guardedExits.get(e) ?? -1));
      if (exit >= 0) list.splice(exit, 0, entry);
      else list.push(entry);
      if (end !== undefined) guardedExits.set(entry, end);
    } else if (how.platformOnly?.(node, scope)) owner.platformBlocks ??= { ...blocking, platform: true };
    else {
      owner.blocks = blocking;
      if (end === undefined) exitBlocks.delete(owner);
      else exitBlocks.set(owner, end);
    }
  }
}
