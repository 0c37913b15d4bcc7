/**
 * Reading a call for BHD007's summary (pure, tree-sitter nodes in, plain data out): what its callee names
 * (`f`, `a.b.f`, `self.f`, `super().f`), where it is, and whether it may be a method of an instance.
 */
import type { Node } from '../../python/treeSitter';
import type { Range } from '../types';
import type { Guard } from './guards';
import type { ProbeRef } from '../../python/loopBranch';
import { classLike } from './instances';

/**
 * What a call site calls, as written: `f(...)`, `a.b.f(...)` (base `a.b`), `self.f(...)`, `super().f(...)` (base
 * `super()`), or with `made` a method of an instance made right there: `C(...).f(...)`, `m.C(...).f(...)` (base
 * `C`, `m.C`: a class by its CapWords name).
 */
export type Callee = { name: string } | { base: string; attr: string; made?: true; factory?: true };

/** One call in a function body (not in a nested def/lambda/class). */
export interface CallSite {
  callee: Callee;
  /** The call expression. */
  range: Range;
  startIndex: number;
  endIndex: number;
  /** The callee expression's text (`self.helper`, `m.f`) and the arguments' text (`(a, b)`), for the fix. */
  calleeText: string;
  argsText: string;
  /** The call is a whole statement, the right side of an assignment statement or a return's value (the quick fix applies). */
  statement: boolean;
  /** `x.f(...)` on an instance of a known class (./instances): that class as written (`C`, `m.C`). */
  cls?: string;
  /** `Base.f(self, ...)`: a method called on the calling method's own instance (its overrides apply). */
  selfArg?: true;
  /** See CalleeSite.factory. */
  factory?: string;
}

/** A call in a sync def: what it calls (a chain goes through it; its place and text are never shown). */
export interface CalleeSite {
  callee: Callee;
  /**
   * Where the call starts in the file's text: what the text before it does with the result (../callShape
   * consumedAt, enteredAt) is read there when it matters (a generator called, a class entered).
   */
  startIndex: number;
  /** Where its argument list is in the file's text (read when a guard of the callee asks what it passes). */
  args?: [from: number, to: number];
  /** The call is under a flag of the calling def (./guards): made only when that def's caller passes it. */
  guard?: Guard;
  /** `x.f(...)` on an instance of a known class (./instances): that class as written (`C`, `m.C`). */
  cls?: string;
  /** `Base.f(self, ...)`: a method called on the calling method's own instance (its overrides apply). */
  selfArg?: true;
  /** The call is made only on a platform servers rarely are (../../python/platformBranch). */
  platform?: true;
  /** It is made only without a running loop if this imported def is a probe (../../python/loopBranch). */
  noLoop?: ProbeRef;
  /**
   * In async code, `x.f(...)` with `x` bound once to what an imported def returns (`x = get_service()`), or
   * `get_service().f()`: that def as written (`get_service`, `deps.get_service`); the chain search looks `f` up
   * in the class it returns (FunctionSummary.returns). Not in sync code: the text gates would read every
   * module's bindings for it (5% of a check for a rare hop).
   */
  factory?: string;
}

/** `Base.f(self, ...)` (a class by its CapWords name): the call runs `f` on the caller's own `self`. */
function passesSelf(callee: Callee, args: Node): boolean {
  if (!('base' in callee) || !classLike(callee.base)) return false;
  const first = args.firstNamedChild;
  return first?.type === 'identifier' && first.text === 'self';
}

export function rangeOf(n: Node): Range {
  return {
    start: { row: n.startPosition.row, column: n.startPosition.column },
    end: { row: n.endPosition.row, column: n.endPosition.column },
  };
}

/** `a`, `a.b.c` (identifiers only) as text, else undefined. */
export function dotted(n: Node): string | undefined {
  if (n.type === 'identifier') return n.text;
  if (n.type === 'attribute') {
    const object = n.childForFieldName('object');
    const attr = n.childForFieldName('attribute');
    const base = object && dotted(object);
    return base !== undefined && attr ? `${base}.${attr.text}` : undefined;
  }
  return undefined;
}

/**
 * What `fn`, the function expression of a call, names (`f`, `a.b.f`, `self.f`), or undefined. With `factories`
 * (calls in async code), also `f(...).g(...)` with `f` not a class: `g` of what `f` returns (CalleeSite.factory).
 */
function calleeOf(fn: Node, factories = true): Callee | undefined {
  if (fn.type === 'identifier') return { name: fn.text };
  if (fn.type === 'attribute') {
    const object = fn.childForFieldName('object');
    const attr = fn.childForFieldName('attribute');
    // `super().f(...)`: the method of a base class (`super()` with no arguments, the usual form).
    // (written exactly as the text pre-filter reads it, callShape's prefilterCode: `super()` then `.` on its line)
    const base = object
      ? object.type === 'call' && /^super\(\)[ \t]*\./.test(fn.text)
        ? 'super()'
        : dotted(object)
      : undefined;
    if (base !== undefined && attr) return { base, attr: attr.text };
    // `C(...).f(...)`: the method of an instance of C made right there (its class is known: site.cls).
    const made = object?.type === 'call' ? object.childForFieldName('function') : undefined;
    const cls = made ? dotted(made) : undefined;
    if (cls !== undefined && attr && !/^(?:self|cls)\./.test(cls)) {
      if (classLike(cls)) return { base: cls, attr: attr.text, made: true };
      if (factories) return { base: cls, attr: attr.text, made: true, factory: true };
    }
  }
  return undefined;
}

/**
 * A call in a sync def: its callee only (a chain's hop is shown by the def it reaches). Also one continued over
 * a backslash (`helper \⏎()`, `self.\⏎load()`), which the text pre-filters read as well (../callShape isGap).
 */
export function calleeSite(call: Node): CalleeSite | undefined {
  const fn = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (!fn || !args) return undefined;
  const callee = calleeOf(fn, false);
  const start = call.startIndex;
  return (
    callee && {
      callee,
      startIndex: start,
      args: [args.startIndex, args.endIndex],
      ...(passesSelf(callee, args) ? { selfArg: true as const } : {}),
      ...('made' in callee ? { cls: callee.base } : {}),
    }
  );
}

/**
 * Whether a call is a whole statement, the right side of an assignment statement or a return's value: what the
 * `await asyncio.to_thread(f, ...)` fix (../../codeActions/toThreadFix) rewrites.
 */
export function isStatementCall(call: Node): boolean {
  const parent = call.parent;
  return (
    parent?.type === 'expression_statement' ||
    parent?.type === 'return_statement' ||
    (parent?.type === 'assignment' &&
      parent.childForFieldName('right')?.startIndex === call.startIndex &&
      parent.parent?.type === 'expression_statement')
  );
}

export function callSite(call: Node): CallSite | undefined {
  const fn = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (!fn || !args) return undefined;
  const callee = calleeOf(fn);
  if (!callee) return undefined;
  const statement = isStatementCall(call);
  return {
    callee,
    range: rangeOf(call),
    startIndex: call.startIndex,
    endIndex: call.endIndex,
    calleeText: fn.text,
    argsText: args.text,
    statement,
    ...(passesSelf(callee, args) ? { selfArg: true as const } : {}),
    ...('factory' in callee ? { factory: callee.base } : 'made' in callee ? { cls: callee.base } : {}),
  };
}

/**
 * `x.f(...)` with a plain name `x` (not `self`/`cls`), or `self.x.f(...)`: `x` may be an instance of a known
 * class (a local or module name, or an attribute of the instance).
 */
export const mayBeInstance = (callee: Callee): boolean => {
  if (
    !('base' in callee) ||
    callee.made ||
    callee.base === 'self' ||
    callee.base === 'cls' ||
    callee.base === 'super()'
  )
    return false;
  const dot = callee.base.indexOf('.');
  return dot < 0 || (callee.base.startsWith('self.') && callee.base.indexOf('.', dot + 1) < 0);
};
