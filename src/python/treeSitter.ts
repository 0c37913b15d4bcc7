/**
 * Loads web-tree-sitter and the Python grammar once per process (lazily, on first use) and hands out parsers.
 * Pure: no `vscode` import; used by the extension, the CLI and the unit tests alike.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

export type { Language, Node, Parser, Point, Tree, Edit } from 'web-tree-sitter';

let loading: Promise<Language> | undefined;

/**
 * Finds the directory holding `web-tree-sitter.wasm` and `tree-sitter-python.wasm`: beside the bundle in
 * `dist/` (extension and CLI), else in node_modules (unit tests run from `out/`).
 */
export function defaultWasmPaths(): { runtime: string; grammar: string } {
  const here = path.join(__dirname, 'tree-sitter-python.wasm');
  if (fs.existsSync(here)) {
    return { runtime: path.join(__dirname, 'web-tree-sitter.wasm'), grammar: here };
  }
  const runtimeDir = path.dirname(require.resolve('web-tree-sitter'));
  return {
    runtime: path.join(runtimeDir, 'web-tree-sitter.wasm'),
    grammar: require.resolve('tree-sitter-python/tree-sitter-python.wasm'),
  };
}

/** The Python `Language`, loaded once and cached (a failed load is retried on the next call). */
export function loadPython(paths = defaultWasmPaths()): Promise<Language> {
  loading ??= (async () => {
    await Parser.init({ locateFile: () => paths.runtime });
    // The bytes, not the path: web-tree-sitter reads a path with `import('fs/promises')`, which a bundle
    // started from V8's code cache (../cliLoader) may not be able to run on older Nodes.
    return Language.load(fs.readFileSync(paths.grammar));
  })().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/** A new parser for Python. The caller owns it and must `.delete()` it when done. */
export async function createPythonParser(paths?: { runtime: string; grammar: string }): Promise<Parser> {
  const language = await loadPython(paths);
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}
