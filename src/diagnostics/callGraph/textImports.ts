/**
 * The imports of a module's code, read from the text (pure, no parse): what BHD007's pre-filter and its
 * text-level reachability (./prefilter, ./nameReach, ./blockingText) follow. A superset of what the call
 * graph resolves: every import statement anywhere in the file, relative ones included.
 */
import { importBindings } from '../../python/importText';
import { lexTopLevel } from '../../python/lexer';

const RELATIVE_IMPORT =
  /(?<![A-Za-z0-9_.])from[ \t]+(\.+)([A-Za-z0-9_.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n;]*)/g;

/**
 * A module an import may come from, relative when the level > 0; with a name when the import names a member
 * of it (`from a import f`: f of a), without one for the module itself (`a.f` as a submodule).
 */
export type ImportSource = [module: string, level: number, name?: string];

/** One import of the text: local name ('*' for a star import) and the modules it may come from. */
export interface TextImport {
  local: string;
  modules: ImportSource[];
}

/** The imports of `code` (strings and comments blanked), relative ones included. */
export function textImports(code: string): TextImport[] {
  const out: TextImport[] = [];
  for (const b of importBindings(code)) {
    const dot = b.qualified.lastIndexOf('.');
    const modules: ImportSource[] = [[b.qualified, 0]];
    if (dot > 0 && b.local !== '*') modules.push([b.qualified.slice(0, dot), 0, b.qualified.slice(dot + 1)]);
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
      const modules: ImportSource[] = [name === '*' ? [base, level] : [base, level, name]];
      if (name !== '*') modules.push([base ? `${base}.${name}` : name, level]);
      out.push({ local, modules });
    }
  }
  return out;
}

/** The project modules `source` imports, as [module, level] pairs (what may-block follows). */
export function importedModules(source: string): [string, number][] {
  const code = lexTopLevel(source)?.code ?? source;
  return textImports(code).flatMap((i) =>
    i.modules.map(([module, level]): [string, number] => [module, level]),
  );
}
