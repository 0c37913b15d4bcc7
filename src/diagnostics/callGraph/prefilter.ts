/**
 * Whether a file can have a BHD007 finding, from its text alone (no parse; pure). Errs towards yes: it says no
 * only when no call in async code (by indentation, ../regions asyncLocator) names something that could
 * resolve to a function that may block: a `def` or class of this file (also through `self.`/`cls.`) when this
 * file may block, or a name imported from a project module that may block. "May block" is decided from text
 * by the caller (ProjectIndex.mayBlock: blocking tokens in the module or, transitively, in a project module
 * it imports). Most files with `async def` are then never parsed for BHD007.
 */
import { asyncLocator, importBindings, lexTopLevel } from '../regions';

const ASYNC_DEF = /(?<![A-Za-z0-9_])async[ \t]+def(?![A-Za-z0-9_])/;
const DEF_NAME = /(?<![A-Za-z0-9_])(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)/g;
const RELATIVE_IMPORT =
  /(?<![A-Za-z0-9_.])from[ \t]+(\.+)([A-Za-z0-9_.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n;]*)/g;
const escape = (w: string): string => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether module `module` (relative to the file when `level` > 0) is a project module that may block. */
export type ModuleMayBlock = (module: string, level: number) => boolean;

/** One import of the text: local name ('*' for a star import) and the modules it may come from. */
interface TextImport {
  local: string;
  modules: [string, number][];
}

/** The imports of `code` (strings and comments blanked), relative ones included. */
function textImports(code: string): TextImport[] {
  const out: TextImport[] = [];
  for (const b of importBindings(code)) {
    const dot = b.qualified.lastIndexOf('.');
    const modules: [string, number][] = [[b.qualified, 0]];
    if (dot > 0 && b.local !== '*') modules.push([b.qualified.slice(0, dot), 0]);
    out.push({ local: b.local, modules });
  }
  for (const m of code.matchAll(RELATIVE_IMPORT)) {
    const level = m[1]!.length;
    const base = m[2]!;
    for (const item of m[3]!.replace(/[()\\]/g, ' ').split(',')) {
      const parts = item.trim().split(/\s+/);
      const name = parts[0];
      if (!name) continue;
      const local = parts[1] === 'as' && parts[2] ? parts[2] : name;
      // `from . import helpers` names a submodule; `from .x import f` a name of module x.
      const modules: [string, number][] = [[base, level]];
      if (name !== '*') modules.push([base ? `${base}.${name}` : name, level]);
      out.push({ local, modules });
    }
  }
  return out;
}

/** The project modules `source` imports, as [module, level] pairs (what may-block follows). */
export function importedModules(source: string): [string, number][] {
  const code = lexTopLevel(source)?.code ?? source;
  return textImports(code).flatMap((i) => i.modules);
}

/** See the file comment. `selfMayBlock`: this file may block (its own defs are candidates only then). */
export function mayHaveChains(source: string, selfMayBlock: boolean, mayBlock: ModuleMayBlock): boolean {
  if (!source.includes('async') || !ASYNC_DEF.test(source)) return false;
  const lexed = lexTopLevel(source);
  if (!lexed) return true;
  const code = lexed.code;
  const names = new Set<string>();
  if (selfMayBlock) for (const m of code.matchAll(DEF_NAME)) names.add(m[1]!);
  for (const { local, modules } of textImports(code)) {
    if (!modules.some(([module, level]) => mayBlock(module, level))) continue;
    if (local === '*') return true; // a star import of a project module: any name may resolve
    names.add(local);
  }
  if (names.size === 0) return false;
  const asyncAt = asyncLocator(code, lexed.lines);
  if (!asyncAt) return true;
  const call = new RegExp(
    `(?<![A-Za-z0-9_.])(?:(?:self|cls)[ \\t]*\\.[ \\t]*)?(?:${[...names].map(escape).join('|')})(?![A-Za-z0-9_])[ \\t]*[(.]`,
    'g',
  );
  for (const m of code.matchAll(call)) if (asyncAt(m.index)) return true;
  return false;
}
