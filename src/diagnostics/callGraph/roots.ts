/**
 * Where BHD007 resolves modules from when nobody says (pure, no `vscode`): for each checked file, the directory
 * above its top-most package (a chain of `__init__.py` directories), so `from app.services import x` in
 * `app/api/routes.py` resolves from the project root; plus the extra roots given (a setting, `--root`).
 * ProjectIndex adds each root's `src/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function rootsForFiles(files: Iterable<string>, extra: readonly string[] = []): string[] {
  const roots = new Set<string>(extra.map((r) => path.resolve(r)));
  const seen = new Map<string, string>();
  for (const file of files) {
    let dir = path.dirname(path.resolve(file));
    const start = dir;
    const known = seen.get(start);
    if (known !== undefined) {
      roots.add(known);
      continue;
    }
    while (fs.existsSync(path.join(dir, '__init__.py')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    seen.set(start, dir);
    roots.add(dir);
  }
  return [...roots];
}
