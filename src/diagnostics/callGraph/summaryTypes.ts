/**
 * What a module's BHD007 summary holds (./summary): plain data, no tree-sitter nodes, so that summaries outlive
 * their tree and are cached by content hash in the project index (./projectIndex).
 */
import type { Range } from '../types';
import type { CallSite, CalleeSite } from './callSites';
import type { Guard } from './guards';
import type { Probe, ProbeRef } from '../../python/loopBranch';

/** One blocking operation found directly in a function body. */
export interface BlockingOp {
  /** What it is, as the rules show it: `with ThreadPoolExecutor(...)`, `time.sleep()`. */
  what: string;
  range: Range;
  /** It runs only on a platform servers rarely are (`if sys.platform == "win32":`, ../../python/platformBranch). */
  platform?: true;
}

/** One `def` addressable from elsewhere: module-level (`f`) or a method of a module-level class (`C.f`). */
export interface FunctionSummary {
  /** `f` or `C.f`. */
  qualname: string;
  className?: string;
  isAsync: boolean;
  /** The name in the `def` line (where a chain hop points). */
  nameRange: Range;
  /** The first blocking operation directly in the body, if any (one that runs on any platform, else `platformBlocks`). */
  blocks?: BlockingOp;
  /** The first one that runs only on some platforms (see BlockingOp.platform), when no other is in the body. */
  platformBlocks?: BlockingOp;
  /** Its body has a `yield`: calling it only makes a generator (the body runs when that is iterated). */
  generator?: boolean;
  /** Blocking operations under a flag that is off unless the caller passes it (./guards), when `blocks` is not set. */
  guarded?: { op: BlockingOp; guard: Guard }[];
  /**
   * Blocking operations that run only when no loop is running if an imported def is a probe (a ProbeRef: the
   * chain search asks), when `blocks` is not set.
   */
  probed?: { op: BlockingOp; probe: ProbeRef }[];
  /**
   * The class it returns, as written in its module (`C`, `m.C`): declared (`-> C`, `-> Optional[C]`) or, declaring
   * nothing, what every `return` gives (`return C(...)`, a module-level instance). For a module-level sync def.
   */
  returns?: string;
  /** It is a probe (../../python/loopBranch): it answers whether an event loop runs in the thread. */
  loopProbe?: Probe;
  /** Its decorators written as names (`@offload`): one returning an `async def` wrapper makes it awaitable. */
  decorators?: string[];
  /** It returns an `async def` it defines (a decorator whose wrapper is awaitable: ./defTraits). */
  wrapsAsync?: true;
  /**
   * Its flags (./guards defFlags: a falsy default, or none but tested; never assigned): a call passing one
   * on by name (`_call(f, wait)`) passes what this def's caller passed.
   */
  flags?: Map<string, Guard>;
  /** Imports inside its body (`from a import f` in the def): they bind names there before the module's do. */
  imports?: Map<string, ImportBinding>;
  /** The calls of a sync def (an async def's are in ModuleSummary.asyncCalls): only what they call is kept. */
  calls: CalleeSite[];
}

/** An import binding: `import a.b as m` -> {module 'a.b'}; `from .x import f` -> {module 'x', name 'f', level 1}. */
export interface ImportBinding {
  module: string;
  name?: string;
  /** Leading dots of a relative import (0: absolute). */
  level: number;
}

export interface ModuleSummary {
  functions: Map<string, FunctionSummary>;
  /** Classes defined at module level. */
  classes: Set<string>;
  /** A module-level class's bases, as written (`Base`, `m.Base`), for those that have any. */
  bases: Map<string, string[]>;
  /** Local name -> what it is bound to by a module-level import. */
  imports: Map<string, ImportBinding>;
  /** Modules star-imported at module level (`from .files import *`): a name not found here may be there. */
  stars: ImportBinding[];
  /** Names a module-level assignment binds (`fetch = afetch`): not what a star import brings. */
  assigned: Set<string>;
  /** The names `__all__` lists, when it is a literal list: what `from here import *` brings. */
  exports?: Set<string>;
  /** Module-level names bound once, to an instance of a class (`svc = NewsService()`): that class as written. */
  instances: Map<string, string>;
  /** Calls in async code (lexically in `async def`, not in nested def/lambda/class): BHD007 candidates. */
  asyncCalls: CallSite[];
  /** For each async call, the async function holding it (same order as asyncCalls; `self.f` resolution). */
  asyncCallOwners: (string | undefined)[];
  /** For each async call, the imports inside the async function holding it (same order; undefined: none). */
  asyncCallImports: (Map<string, ImportBinding> | undefined)[];
}
