/**
 * `# noqa` suppression (pure): a bare `# noqa` or `# noqa: BHD001, BHD005` comment on the reported line (the
 * line where the finding starts, or the line where it ends for calls spread over several lines).
 */
import type { Tree } from '../python/treeSitter';
import type { Finding } from './types';

const NOQA = /#\s*noqa(?::\s*([A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?/gi;

/** What one line's `# noqa` suppresses: 'all', a set of codes, or nothing. */
export function parseNoqa(lineText: string): 'all' | Set<string> | undefined {
  let result: 'all' | Set<string> | undefined;
  NOQA.lastIndex = 0;
  for (let m = NOQA.exec(lineText); m !== null; m = NOQA.exec(lineText)) {
    if (m[1] === undefined) return 'all';
    result ??= new Set();
    if (result !== 'all') for (const code of m[1].split(/[\s,]+/)) if (code) result.add(code.toUpperCase());
  }
  return result;
}

/** Bounds [start, end) of the line containing `index` (without its line break). */
function lineBounds(source: string, index: number): [number, number] {
  const start = source.lastIndexOf('\n', index - 1) + 1;
  let end = source.indexOf('\n', index);
  if (end < 0) end = source.length;
  if (end > start && source[end - 1] === '\r') end--;
  return [start, end];
}

/** Drops findings suppressed by a real `# noqa` comment (a `# noqa` inside a string does not count). */
export function applyNoqa(tree: Tree, source: string, findings: Finding[]): Finding[] {
  // No whole-file `/noqa/i` pre-test: that scan costs more on a big file than looking at the reported lines.
  if (findings.length === 0) return findings;
  const cache = new Map<number, 'all' | Set<string> | undefined>();
  const suppressionAt = (index: number): 'all' | Set<string> | undefined => {
    const [start, end] = lineBounds(source, index);
    if (cache.has(start)) return cache.get(start);
    let result: 'all' | Set<string> | undefined;
    const line = source.slice(start, end);
    const hash = line.indexOf('#');
    if (hash >= 0 && /noqa/i.test(line)) {
      // Take the first `#` that starts a real comment node; everything after it on the line is the comment.
      for (let i = hash; i >= 0; i = line.indexOf('#', i + 1)) {
        const node = tree.rootNode.descendantForIndex(start + i, start + i + 1);
        if (node?.type === 'comment' && node.startIndex === start + i) {
          result = parseNoqa(line.slice(i));
          break;
        }
      }
    }
    cache.set(start, result);
    return result;
  };
  const suppresses = (s: 'all' | Set<string> | undefined, code: string): boolean =>
    s === 'all' || (s !== undefined && s.has(code));
  return findings.filter(
    (f) => !suppresses(suppressionAt(f.startIndex), f.code) && !suppresses(suppressionAt(f.endIndex), f.code),
  );
}
