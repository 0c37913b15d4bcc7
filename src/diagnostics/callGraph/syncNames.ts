/**
 * Whether a module's text names something other than as an `async def`'s name (pure, no parse): what a lookup
 * of a sync function, class or re-export there needs (./projectIndex names, ./prefilter).
 */
import { isWordChar } from './callShape';

/** Text that ends with `async def ` (also across a backslash continuation): what precedes an async def's name. */
const ASYNC_DEF_BEFORE = /(?<![A-Za-z0-9_.])async(?:[ \t]|\\\r?\n)+def[ \t]+$/;

/** Whether the name at `index` of `code` is an `async def`'s. */
export const asyncDefName = (code: string, index: number): boolean =>
  ASYNC_DEF_BEFORE.test(code.slice(Math.max(0, index - 60), index));

/** Whether `code` has the word `name` other than as an `async def`'s name (a def, class, import, call...). */
export function namesSync(code: string, name: string): boolean {
  if (name === '') return false;
  // indexOf and the word boundaries by hand: a regex per (module, name) asked was a visible share of the check.
  for (let i = code.indexOf(name); i >= 0; i = code.indexOf(name, i + 1))
    if (
      !isWordChar(code.charCodeAt(i - 1)) &&
      !isWordChar(code.charCodeAt(i + name.length)) &&
      !asyncDefName(code, i)
    )
      return true;
  return false;
}
