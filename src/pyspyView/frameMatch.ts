/**
 * Pure: matching py-spy frames by what they are, not by how one py-spy version spells them.
 *
 * py-spy 0.4.3+ prints qualified names on CPython 3.11+ (`ThreadPoolExecutor.shutdown`,
 * `news_stream.<locals>.event_generator`); older versions and older Pythons print bare names (`shutdown`).
 * Files come absolute (`--json`), short (`concurrent/futures/thread.py`), or under a chroot/container prefix
 * (`/usr/lib/python3.14/...`, `/opt/v/lib/python3.14/site-packages/...`). Every match here is on the bare
 * name and a path suffix, so all of those spellings meet the same rule.
 */
import type { Frame } from './types';

/** Forward slashes (Windows dumps). */
export const normPath = (f: string): string => f.replace(/\\/g, '/');

/**
 * The function's own name without its qualification: `ThreadPoolExecutor.shutdown` → `shutdown`,
 * `news_stream.<locals>.event_generator` → `event_generator`, `<module>` → `<module>`. Native symbols
 * (`std::rt::lang_start`, `_PyEval_EvalFrameDefault`) are returned unchanged.
 */
export function bareName(fn: string): string {
  if (fn.includes('::') || !fn.includes('.')) return fn;
  // `a.<locals>.<lambda>`: split on dots outside angle brackets.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of fn) {
    if (ch === '<') depth++;
    else if (ch === '>') depth = Math.max(0, depth - 1);
    if (ch === '.' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const named = parts.filter((p) => p !== '<locals>' && p !== '');
  return named[named.length - 1] ?? fn;
}

/** The class part of a qualified method name (`ThreadPoolExecutor.shutdown` → `ThreadPoolExecutor`). */
export function ownerName(fn: string): string | undefined {
  if (fn.includes('::')) return undefined;
  const parts = fn.split('.').filter((p) => p !== '<locals>');
  return parts.length >= 2 ? parts[parts.length - 2] : undefined;
}

/** A file suffix test: `concurrent/futures/thread.py` matches `/usr/lib/python3.9/concurrent/futures/thread.py`. */
export function fileIs(frame: Pick<Frame, 'file'>, suffix: string | RegExp): boolean {
  const f = normPath(frame.file);
  return typeof suffix === 'string' ? f === suffix || f.endsWith(`/${suffix}`) : suffix.test(f);
}

/** Matches a frame by its bare function name (string or regex over the bare name) and a file suffix. */
export function at(frame: Frame, fn: string | RegExp, fileSuffix: string | RegExp): boolean {
  const name = bareName(frame.function);
  return (typeof fn === 'string' ? name === fn : fn.test(name)) && fileIs(frame, fileSuffix);
}

/** A native frame (C code of CPython or an extension): no Python source file. */
export function isNative(f: Pick<Frame, 'file'>): boolean {
  return !/\.(pyw?|pyx)$/.test(f.file) && !f.file.startsWith('<frozen');
}

/** A Python frame whose file is in a package folder: `uvicorn/server.py` under any prefix. */
export function inPackage(frame: Pick<Frame, 'file'>, pkgPath: string): boolean {
  const f = normPath(frame.file);
  return f.startsWith(`${pkgPath}/`) || f.includes(`/${pkgPath}/`) || f === pkgPath;
}
