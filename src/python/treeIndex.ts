/**
 * Per-tree memo of "every node of type X" (pure, no `vscode`). `descendantsOfType` walks the whole tree in wasm;
 * fixes and checks that run once per finding and ask it each time make a file's cost findings × size. Asking
 * here walks once per tree and type. Trees are immutable once parsed (an edited tree is a new parse), so the
 * memo is never stale; it goes away with the tree object.
 */
import type { Node, Tree } from './treeSitter';

const MEMO = new WeakMap<Tree, Map<string, unknown>>();

/**
 * `compute()` once per tree and `key` (keys are namespaced by their users: `type:`, `imports:` ...); the value
 * goes away with the tree object.
 */
export function perTree<T>(tree: Tree, key: string, compute: () => T): T {
  let memo = MEMO.get(tree);
  if (!memo) {
    memo = new Map();
    MEMO.set(tree, memo);
  }
  if (!memo.has(key)) memo.set(key, compute());
  return memo.get(key) as T;
}

/** Every node of `type` in `tree`, in text order (the same array on every call: do not modify it). */
export function nodesOfType(tree: Tree, type: string): readonly Node[] {
  return perTree(tree, `type:${type}`, () => tree.rootNode.descendantsOfType(type));
}

/** The named top-level children of `tree` (memoised like nodesOfType; marshalling them costs O(file)). */
export function topLevelNodes(tree: Tree): readonly Node[] {
  return perTree(tree, 'top', () => tree.rootNode.namedChildren);
}
