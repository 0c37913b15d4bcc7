/**
 * How a name in code text (strings and comments blanked) is used where a call may start (pure): called, or
 * the head of a dotted callee and its attributes up to the call. Shared by BHD007's pre-filter for calls in
 * async code (./prefilter) and for the uses in def and class blocks (./defBlocks).
 */

/** An ASCII word character. */
export const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/** Space, tab, line break or backslash (a continuation): what may separate tokens. */
export const isGap = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 92;

/**
 * How the name ending at `end` (followed by `(` or `.`) is used: called (`name(`), or the head of a dotted
 * callee with `tail` its attributes up to the call (`name.a.f(`: ['a', 'f']; undefined when not sure: an
 * attribute that is not plain ASCII, or after `self.`: `viaSelf`). Null when no call can start there: a
 * chain that is not called (`name.a[0]`, `name.a = 1`).
 */
export function useShape(
  code: string,
  viaSelf: boolean,
  end: number,
): { call: boolean; tail?: readonly string[] } | null {
  let j = end;
  while (code.charCodeAt(j) === 32 || code.charCodeAt(j) === 9) j++;
  if (code.charCodeAt(j) === 40 /* ( */) return { call: true, tail: [] };
  const tail: string[] = [];
  while (code.charCodeAt(j) === 46 /* . */) {
    for (j++; isGap(code.charCodeAt(j)); j++);
    const from = j;
    while (isWordChar(code.charCodeAt(j))) j++;
    if (j === from || code.charCodeAt(j) > 127) return { call: false };
    tail.push(code.slice(from, j));
    while (isGap(code.charCodeAt(j))) j++;
  }
  if (code.charCodeAt(j) !== 40 /* ( */) return null;
  // `self.name.a(...)` is not resolved by the call graph, but `self` may be a name of its own here (the
  // regex reference and the scan see the chain from different words): nothing assumed.
  return viaSelf ? { call: false } : { call: false, tail };
}
