/**
 * Per-tree memo of "every node of type X" (pure, no `vscode`). `descendantsOfType` walks the whole tree in wasm;
 * fixes and checks that run once per finding and ask it each time make a file's cost findings × size. Asking
 * here walks once per tree and type. Trees are immutable once parsed (an edited tree is a new parse), so the
 * memo is never stale; it goes away with the tree object.
 */
import type { Node, Tree } from './treeSitter';

const MEMO = new WeakMap<Tree, Map<string, Node[]>>();

/** Every node of `type` in `tree`, in text order (the same array on every call: do not modify it). */
export function nodesOfType(tree: Tree, type: string): readonly Node[] {
  let byType = MEMO.get(tree);
  if (!byType) {
    byType = new Map();
    MEMO.set(tree, byType);
  }
  let nodes = byType.get(type);
  if (!nodes) {
    nodes = tree.rootNode.descendantsOfType(type);
    byType.set(type, nodes);
  }
  return nodes;
}

const TOP = new WeakMap<Tree, Node[]>();

/** The named top-level children of `tree` (memoised like nodesOfType; marshalling them costs O(file)). */
export function topLevelNodes(tree: Tree): readonly Node[] {
  let nodes = TOP.get(tree);
  if (!nodes) {
    nodes = tree.rootNode.namedChildren;
    TOP.set(tree, nodes);
  }
  return nodes;
}
