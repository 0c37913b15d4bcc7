/**
 * The import graph of the pure core stays acyclic: src/python (the shared Python model), src/codeActions (fixes)
 * and src/diagnostics (rules, call graph). A cycle there meant that fixes.ts and the fix modules it dispatches to
 * imported each other (for shared types); the shared shapes now live in leaf modules (codeActions/fixTypes.ts,
 * python/imports.ts), and this test keeps a cycle from coming back. Every relative import counts, `import type`
 * and `export ... from` and `import()` included: a type-only cycle is still two modules that cannot be read
 * apart. The files are read with TypeScript's own import scanner, not a regular expression.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const SRC = path.join(__dirname, '../../..', 'src');
const FOLDERS = ['python', 'codeActions', 'diagnostics'];

/** Every .ts file under the folders (recursively), relative to src/ with `/` separators. */
function sourceFiles(): string[] {
  return FOLDERS.flatMap((dir) =>
    fs
      .readdirSync(path.join(SRC, dir), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.posix.join(dir, f.split(path.sep).join('/'))),
  );
}

/** file -> the files among `files` it imports by a relative specifier (`./x`, `../python/y`). */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    const targets = new Set<string>();
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName));
      const hit = [`${base}.ts`, `${base}/index.ts`].find((c) => known.has(c));
      if (hit) targets.add(hit);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Each cycle found by a depth-first search, as the path `a -> b -> ... -> a` (one per back edge). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return found;
}

test('the search finds a cycle, including one through a type-only import', () => {
  const graph = importGraph(sourceFiles());
  assert.ok(graph.size > 20, `read ${graph.size} files`);
  assert.ok(graph.get('codeActions/fixes.ts')?.includes('codeActions/fixTypes.ts'));
  // A cycle made up on top of the real graph is reported.
  const withCycle = new Map(graph);
  withCycle.set('codeActions/fixTypes.ts', [
    ...(graph.get('codeActions/fixTypes.ts') ?? []),
    'codeActions/fixes.ts',
  ]);
  const found = cycles(withCycle);
  assert.ok(found.length > 0);
  for (const c of found) assert.match(c, /fixTypes\.ts -> codeActions\/fixes\.ts/);
});

test('src/python, src/codeActions and src/diagnostics import each other without cycles', () => {
  assert.deepEqual(cycles(importGraph(sourceFiles())), []);
});
