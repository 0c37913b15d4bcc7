/**
 * Code that never runs because a statement before it in its block leaves the block (pure; tree-sitter nodes):
 * BHD007 does not take a blocking operation there for one its def performs (./summary).
 */
import type { Node } from '../../python/treeSitter';

const EXIT_STATEMENTS = new Set([
  'return_statement',
  'raise_statement',
  'continue_statement',
  'break_statement',
]);

/**
 * Whether `node` comes after a `return`/`raise`/`continue`/`break` of its own block or of one around it (up to
 * the def `scope`). `firstExits` keeps, per block, where its first such statement starts (each block read once).
 */
export function afterExit(node: Node, scope: number, firstExits: Map<number, number>): boolean {
  for (let n: Node | null = node; n && n.id !== scope; n = n.parent) {
    const block = n.parent;
    if (block?.type !== 'block') continue;
    let first = firstExits.get(block.id);
    if (first === undefined) {
      first = Infinity;
      for (const s of block.namedChildren)
        if (s && EXIT_STATEMENTS.has(s.type)) {
          first = s.startIndex;
          break;
        }
      firstExits.set(block.id, first);
    }
    if (first < n.startIndex) return true;
  }
  return false;
}
