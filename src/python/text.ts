/**
 * Text-level facts about Python source (pure, no parse): what the pre-filters of the rules ask before anything
 * is parsed. Each answer errs towards "maybe" (a false yes costs a parse, a false no a missed finding).
 */

/** What may precede `requests` on its logical line in an import (after a `:` or `;`, or from the line start). */
const IMPORT_BEFORE_REQUESTS = /^[ \t]*(?:[^\n#'"]*[:;][ \t]*)?(?:import[ \t\\][^#]*|from[\s\\]+)$/;
/** pip's vendored copy: `pip._vendor.requests`, `from pip._vendor import (..., requests)`. */
const VENDORED_REQUESTS = /_vendor\.requests|_vendor[\s\\]+import[\s\\]*\(?[^)#]*requests/;

/**
 * Whether an import can bind the requests package (`import requests`, `from requests...`, pip's vendored
 * copy). An import statement starts a logical line (after indentation) or follows a `:` or `;` on it, which
 * rules out doctest lines (`>>> import requests`) in docstrings. Each occurrence of "requests" is checked
 * against the start of its logical line (one regex over the whole text was ten times slower).
 */
export function importsRequests(source: string): boolean {
  if (!source.includes('requests')) return false;
  for (let i = source.indexOf('requests'); i >= 0; i = source.indexOf('requests', i + 8)) {
    let lineStart = source.lastIndexOf('\n', i - 1) + 1;
    // a line continued from the previous one (`import os, \` + newline + `requests`)
    while (lineStart >= 2 && (source[lineStart - 2] === '\\' || source.startsWith('\\\r', lineStart - 3)))
      lineStart = source.lastIndexOf('\n', lineStart - 2) + 1;
    if (IMPORT_BEFORE_REQUESTS.test(source.slice(lineStart, i))) return true;
  }
  return VENDORED_REQUESTS.test(source);
}

const ASYNC_DEF = /\basync\s+def\b/;
const CONCURRENT_FUTURES = /\bconcurrent\s*\.\s*futures\b|\bfrom\s+concurrent\s+import\b/;
const TIME_IMPORT = /(?<![\w.])import\s[^\n#]*(?<![\w.])time\b|\bfrom\s+time\s+import\b/;
const SLEEP = /\bsleep\b/;

/** `async def` anywhere in the text. */
export function hasAsyncDef(source: string): boolean {
  return source.includes('async') && ASYNC_DEF.test(source);
}

/** An import of concurrent.futures (or `from concurrent import futures`). */
export function importsConcurrentFutures(source: string): boolean {
  return source.includes('concurrent') && CONCURRENT_FUTURES.test(source);
}

const HTTPX_CALL =
  /\bhttpx[\s\\]*\.[\s\\]*(?:get|post|put|patch|delete|head|options|request|stream)[\s\\]*\(/;
/** `from httpx import ...` or `import httpx as x`: its functions may be called by other names. */
const HTTPX_RENAMED = /\bfrom[\s\\]+httpx[\s\\]+import\b|\bhttpx[\s\\]+as\b/;
const CLIENT = /\bClient\b/;

/**
 * Whether the text can call a synchronous HTTP function BHD006 reports besides requests': `urlopen`,
 * urllib3 (its `request`, also imported under another name), an `httpx.get(`-like call (also imported by name or through an alias), or a method of an
 * `httpx.Client` (whose evidence names the class).
 */
export function mayCallBlockingHttp(source: string): boolean {
  if (source.includes('urlopen')) return true;
  if (source.includes('urllib3')) return true;
  return (
    source.includes('httpx') && (HTTPX_CALL.test(source) || HTTPX_RENAMED.test(source) || CLIENT.test(source))
  );
}

/** `os.system(`, `os.waitpid(`, `os.spawnl(`... (any spacing, line continuations). */
const OS_PROCESS_CALL = /\bos[\s\\]*\.[\s\\]*(?:system|wait(?:pid|3|4|id)?|spawn[lv]p?e?)[\s\\]*\(/;
/** `from os import ...` or `import os as o`: those functions may be called by other names. */
const OS_RENAMED = /\bfrom[\s\\]+os[\s\\]+import\b|\bos[\s\\]+as\b/;

/**
 * Whether the text can call a function BHD006 reports for running a process and waiting for it: any text
 * naming subprocess (imported in any way), or one of the `os` functions, also through an import by name or
 * an alias of `os`.
 */
export function mayRunProcess(source: string): boolean {
  if (source.includes('subprocess')) return true;
  return source.includes('os') && (OS_PROCESS_CALL.test(source) || OS_RENAMED.test(source));
}

/** A `sleep` name and an import of `time`. */
export function mayCallTimeSleep(source: string): boolean {
  return source.includes('sleep') && SLEEP.test(source) && TIME_IMPORT.test(source);
}

const SPACE = /\s/;
/** Whether char code `c` is whitespace as a regex's `\s` reads it (NaN, past the text's end, is not). */
const isSpace = (c: number): boolean =>
  c === 32 || (c >= 9 && c <= 13) || (c > 127 && SPACE.test(String.fromCharCode(c)));
/** isSpace, or a line continuation's backslash. */
const isGap = (c: number): boolean => c === 92 || isSpace(c);

/**
 * A `.name(` method call (with any spacing and line continuations, as `/\.[\s\\]*name[\s\\]*\(/`) somewhere in the text. Each occurrence
 * of `name` is looked around (a regex for `.` runs through every dot of the file: most rules' pre-filters ask
 * this of every file a check reads).
 */
export function hasMethodCall(source: string, name: string): boolean {
  for (let i = source.indexOf(name); i >= 0; i = source.indexOf(name, i + 1)) {
    let j = i + name.length;
    while (isGap(source.charCodeAt(j))) j++;
    if (source.charCodeAt(j) !== 40 /* ( */) continue;
    let k = i - 1;
    while (k >= 0 && isGap(source.charCodeAt(k))) k--;
    if (source.charCodeAt(k) === 46 /* . */) return true;
  }
  return false;
}

/** Final identifier of a dotted name. */
export function lastPart(qualified: string): string {
  return qualified.slice(qualified.lastIndexOf('.') + 1);
}

/** The text without whitespace (`requests . get` -> `requests.get`), as messages show call names. */
export function compact(text: string): string {
  return text.replace(/\s+/g, '');
}

/** The index of the last of `sorted` (ascending) that is <= `at`; -1 when none is. */
export function lastAtOrBefore(sorted: readonly number[], at: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= at) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}
