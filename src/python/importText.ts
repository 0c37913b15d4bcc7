/**
 * The imports of a module read from its code-only text (pure, no parse; ./lexer blanks strings and comments):
 * every binding an import-like statement could make, a superset of what the parsed import table
 * (./imports) holds. What the check planner (../diagnostics/regions) and BHD007's pre-filter
 * (../diagnostics/callGraph/textImports) read before deciding whether to parse at all.
 */

/** One binding an import statement can make: local name -> qualified name (`_vendor.` prefixes stripped). */
export interface ImportBinding {
  local: string;
  qualified: string;
  /** Where the statement starts in the text. */
  at: number;
}

/** Strips a vendoring prefix (`pip._vendor.requests` is `requests`), like the analysis does. */
function normaliseModule(name: string): string {
  const i = name.lastIndexOf('._vendor.');
  return i >= 0 ? name.slice(i + '._vendor.'.length) : name;
}

const IMPORT_STATEMENT =
  /(?<![\w.])(?:from[\s\\]+([^\n;]*?)[\s\\]+import(?![\w])[\s\\]*(\([^)]*\)|(?:[^\n;\\]|\\[\s\S])*)|import(?![\w])[\s\\]+((?:[^\n;\\]|\\[\s\S])*))/g;
const IDENT = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*$/;
const DOTTED =
  /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*(?:\.[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)*$/;

/**
 * Every binding any import-like text of `code` could make (a superset of what the parsed import table holds:
 * text that only looks like an import adds names, it never hides one). Star imports give `*` as local.
 */
export function importBindings(code: string): readonly ImportBinding[] {
  // Asked for the same code-only text by the planner and BHD007's pre-filter: the last results are kept.
  for (const entry of bindingsRecently) if (entry.code === code) return entry.bindings;
  const bindings = bindingsOf(code);
  bindingsRecently[bindingsNext] = { code, bindings };
  bindingsNext = (bindingsNext + 1) % bindingsRecently.length;
  return bindings;
}

const bindingsRecently: { code: string | undefined; bindings: readonly ImportBinding[] }[] = [
  { code: undefined, bindings: [] },
  { code: undefined, bindings: [] },
];
let bindingsNext = 0;

function bindingsOf(code: string): ImportBinding[] {
  const result: ImportBinding[] = [];
  IMPORT_STATEMENT.lastIndex = 0;
  for (let m = IMPORT_STATEMENT.exec(code); m; m = IMPORT_STATEMENT.exec(code)) {
    const at = m.index;
    const items = (m[2] ?? m[3] ?? '').replace(/[()\\]/g, ' ').split(',');
    if (m[1] !== undefined) {
      const module = m[1].replace(/[\s\\]+/g, '');
      if (!DOTTED.test(module)) continue; // relative import (or not an import): not resolved by the analysis
      const base = normaliseModule(module);
      for (const item of items) {
        const parts = item.trim().split(/\s+/);
        if (parts[0] === '*') result.push({ local: '*', qualified: base, at });
        else if (parts[0] && IDENT.test(parts[0])) {
          const local = parts[1] === 'as' && parts[2] && IDENT.test(parts[2]) ? parts[2] : parts[0];
          result.push({ local, qualified: normaliseModule(`${base}.${parts[0]}`), at });
        }
      }
    } else {
      for (const item of items) {
        const parts = item.trim().split(/\s+/);
        const name = (parts[0] ?? '').replace(/\s+/g, '');
        if (!DOTTED.test(name)) continue;
        if (parts[1] === 'as' && parts[2] && IDENT.test(parts[2])) {
          result.push({ local: parts[2], qualified: normaliseModule(name), at });
        } else {
          const head = name.split('.')[0]!;
          result.push({ local: head, qualified: normaliseModule(head), at });
        }
      }
    }
  }
  return result;
}
