/**
 * What a def's decorators and place say about calling it (pure; text first, the tree only to confirm): a def
 * its decorator runs in a worker thread (no chain starts there), or the fallback def of an import (which one
 * runs depends on what is installed). ./summary asks these of the defs it records.
 */
import type { Node } from '../../python/treeSitter';

/** Decorator lines right before a def (`@sync_to_async`, `@decorator(arg)`), up to the def keyword. */
const DECORATOR_LINES = /(?:^|\n)((?:[ \t]*@[^\n]*\n)+)[ \t]*(?:async[ \t]+)?$/;
/**
 * A decorator that makes a sync def an awaitable run in a worker thread (or dispatched to an async twin),
 * by its name (the last dotted part): asgiref's `sync_to_async`, channels' `database_sync_to_async`,
 * asyncer's `asyncify`, prefect's `async_dispatch`, tornado's `run_on_executor` (the call returns a Future),
 * Textual's `work(thread=True)`, Quart's `run_sync`, and the usual names of projects' own wrappers. A name
 * merely mentioning threads (`@thread_safe`, `@run_in_main_thread`) keeps the def sync.
 */
const WRAPPERS =
  'sync_to_async|database_sync_to_async|asyncify|async_dispatch|make_async|to_async|run_async|run_sync|threaded|in_thread|to_thread|run_on_executor|run_in_(?:executor|thread|threadpool|background)';
const OFFLOADING_DECORATOR = new RegExp(
  `@[ \\t]*(?:[A-Za-z_][A-Za-z0-9_]*[ \\t]*\\.[ \\t]*)*(?:${WRAPPERS}|work[ \\t]*\\([^)\\n]*(?<![A-Za-z0-9_])thread[ \\t]*=[ \\t]*True)(?![A-Za-z0-9_])`,
);
/** `load = sync_to_async(load)` at the start of a line: the module's `load` is then the wrapper. */
const OFFLOADING_REBINDING = new RegExp(
  `^([A-Za-z_][A-Za-z0-9_]*)[ \\t]*=[ \\t]*(?:[A-Za-z_][A-Za-z0-9_]*[ \\t]*\\.[ \\t]*)*(?:${WRAPPERS})[ \\t]*\\([ \\t]*\\1[ \\t]*[,)]`,
  'gm',
);

/**
 * The module-level defs a later line rebinds to their thread-running wrapper (`load = sync_to_async(load)`,
 * after the def: `last` gives where each name's last def ends): calling the name then returns an awaitable.
 */
export function offloadedByRebinding(source: string, last: ReadonlyMap<string, number>): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(OFFLOADING_REBINDING)) {
    const end = last.get(m[1]!);
    if (end !== undefined && m.index >= end) found.push(m[1]!);
  }
  return found;
}

/** A decorator line naming a decorator without calling it: `@offload`, `@utils.offload` (a comment may follow). */
const BARE_DECORATOR =
  /^[ \t]*@[ \t]*([A-Za-z_][A-Za-z0-9_]*(?:[ \t]*\.[ \t]*[A-Za-z_][A-Za-z0-9_]*)*)[ \t]*(?:#.*)?$/;

/**
 * The decorators of `def` written as a plain or dotted name (`@offload`, `@utils.offload`; not a call such as
 * `@retry(3)`), innermost last: what the call graph resolves to see whether one returns an `async def` wrapper
 * (returnsAsyncWrapper).
 */
export function decoratorNames(def: Node, source: string): string[] | undefined {
  if (def.parent?.type !== 'decorated_definition') return undefined;
  const lines = DECORATOR_LINES.exec(source.slice(Math.max(0, def.startIndex - 400), def.startIndex));
  if (!lines) return undefined;
  const names: string[] = [];
  for (const line of lines[1]!.split('\n')) {
    const m = BARE_DECORATOR.exec(line);
    if (m) names.push(m[1]!.replace(/[ \t]+/g, ''));
  }
  return names.length > 0 ? names : undefined;
}

/** A line's indentation and what starts it: `def`/`async def` NAME, or `return` [NAME]. */
const LINE_START =
  /^([ \t]*)(?:(async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)|(return)\b[ \t]*([A-Za-z_][A-Za-z0-9_]*)?)?/;
/** What hands a call to a thread (and returns an awaitable or a Future). */
const TO_THREAD = /(?<![A-Za-z0-9_])(?:run_in_executor|to_thread|run_sync)[ \t]*\(/;

/**
 * Whether `def` (a decorator) always returns a wrapper it defines that makes the call awaitable: an `async def`
 * (`def offload(fn): async def wrapper(*a): return await asyncio.to_thread(fn, *a); return wrapper`), or a def
 * handing the call to a thread (`loop.run_in_executor(None, fn, *a)`: a Future). Every return of its own (not
 * of a def nested in it) must return such a wrapper, one of them directly in its body: a decorator returning
 * its async wrapper only `if iscoroutinefunction(fn)`, or `fn` itself when disabled, keeps sync defs sync. A def
 * it decorates then blocks nothing where it is called. One pass over its lines.
 */
export function returnsAsyncWrapper(def: Node, source: string): boolean {
  const text = source.slice(def.startIndex, def.endIndex);
  const threaded = TO_THREAD.test(text);
  if (!threaded && !text.includes('async')) return false;
  const wrappers = new Map<string, boolean>(); // a def nested directly in it -> an awaitable wrapper
  const open: number[] = []; // indentations of the nested defs the line may be in
  let bodyIndent = -1;
  let direct = false;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const m = LINE_START.exec(line)!;
    const indent = m[1]!.length;
    if (indent === line.length || line.charCodeAt(indent) === 35 /* # */) continue; // blank or comment
    if (bodyIndent < 0) bodyIndent = indent;
    while (open.length > 0 && open[open.length - 1]! >= indent) open.pop();
    if (m[3] !== undefined) {
      if (open.length === 0) wrappers.set(m[3], m[2] !== undefined || threaded);
      open.push(indent);
    } else if (m[4] !== undefined && open.length === 0) {
      if (m[5] === undefined || wrappers.get(m[5]) !== true) return false;
      if (indent === bodyIndent) direct = true;
    }
  }
  return direct;
}

/** Whether `def` (a function_definition) is decorated by one that runs it in a thread (OFFLOADING_DECORATOR). */
export function offloaded(def: Node, source: string): boolean {
  const lines = DECORATOR_LINES.exec(source.slice(Math.max(0, def.startIndex - 400), def.startIndex));
  return (
    lines !== null && OFFLOADING_DECORATOR.test(lines[1]!) && def.parent?.type === 'decorated_definition'
  );
}

/**
 * Whether a module-level `def` is the fallback of an import (`try: from fastlib import nap` / `except
 * ImportError: def nap(): ...`): which one runs depends on what is installed, so it is not followed (precision
 * first). Only an indented module-level def can be one: the tree is asked about those alone.
 */
export function importFallback(def: Node, source: string): boolean {
  const before = source.charCodeAt(def.startIndex - 1);
  if (before !== 32 && before !== 9) return false;
  const clause = def.parent?.type === 'decorated_definition' ? def.parent.parent?.parent : def.parent?.parent;
  if (!clause || !importErrorClause(clause)) return false;
  // ... and the `try` imports that name (else the def is the only one, and always runs).
  const name = def.childForFieldName('name')?.text;
  const body = clause.parent?.type === 'try_statement' ? clause.parent.childForFieldName('body') : null;
  return (
    name !== undefined &&
    body !== null &&
    new RegExp(`(?<![A-Za-z0-9_.])${name}(?![A-Za-z0-9_])`).test(body.text)
  );
}

/** Whether `clause` is an `except ImportError:` (or ModuleNotFoundError) clause (not a bare `except:`). */
function importErrorClause(clause: Node): boolean {
  if (clause.type !== 'except_clause') return false;
  const value = clause.namedChildren[0];
  return !!value && value.type !== 'block' && /ImportError|ModuleNotFoundError/.test(value.text);
}

/** Whether a statement lies directly in an `except ImportError:` clause: the stand-in for the `try`'s. */
export function inImportFallback(node: Node): boolean {
  const clause = node.parent?.type === 'block' ? node.parent.parent : undefined;
  return !!clause && importErrorClause(clause);
}
