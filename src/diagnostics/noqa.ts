/**
 * Suppression comments (pure), ours and other linters' for the same rules:
 * - `# noqa` / `# noqa: BHD001, BHD005` on the reported line (the line where the finding starts, or where it ends
 *   for calls spread over several lines), and Ruff's `# ruff: ignore[BHD001]` there;
 * - Ruff's ranges: `# ruff: disable[BHD006]` ... `# ruff: enable[BHD006]` on lines of their own;
 * - file level: `# ruff: noqa`, `# ruff: noqa: BHD006`, `# flake8: noqa`, `# backend-hang: noqa[: codes]`.
 * Other tools' codes for the same problem count too (`ASYNC251` for BHD006, `S113` for BHD005: see
 * DEFAULT_NOQA_ALIASES; `noqa-aliases` in the config changes them).
 */
import type { Tree } from '../python/treeSitter';
import type { Finding } from './types';

/** Rule -> other tools' codes for the same problem. */
export type NoqaAliases = Readonly<Record<string, readonly string[]>>;

/**
 * Ruff / flake8-async / bandit codes whose suppression also suppresses ours: ASYNC251 `time.sleep` in async,
 * ASYNC210-212 blocking HTTP calls and ASYNC221-222 process runs and waits in async (BHD006); S113 requests without timeout (BHD005).
 */
export const DEFAULT_NOQA_ALIASES: NoqaAliases = {
  BHD005: ['S113'],
  BHD006: ['ASYNC251', 'ASYNC210', 'ASYNC211', 'ASYNC212', 'ASYNC221', 'ASYNC222'],
};

const CODES = '[A-Za-z]+[0-9]+(?:[\\s,]+[A-Za-z]+[0-9]+)*';
const NOQA = new RegExp(`#\\s*noqa(?::\\s*(${CODES}))?`, 'gi');
const RUFF_IGNORE = new RegExp(`#\\s*ruff\\s*:\\s*ignore\\[\\s*(${CODES})\\s*,?\\s*\\]`, 'gi');
const FILE_LEVEL = new RegExp(
  `^[ \\t]*#\\s*(?:ruff|flake8|backend-hang)\\s*:\\s*noqa(?::\\s*(${CODES}))?`,
  'gim',
);
const RANGE = new RegExp(`^[ \\t]*#\\s*ruff\\s*:\\s*(disable|enable)\\[\\s*(${CODES})\\s*,?\\s*\\]`, 'gim');

type Suppression = 'all' | Set<string> | undefined;

function addCodes(into: Set<string>, codes: string): void {
  for (const code of codes.split(/[\s,]+/)) if (code) into.add(code.toUpperCase());
}

/** What one line's suppression comments (`# noqa`, `# ruff: ignore[...]`) suppress: 'all', codes, or nothing. */
export function parseNoqa(lineText: string): Suppression {
  let result: Set<string> | undefined;
  NOQA.lastIndex = 0;
  for (let m = NOQA.exec(lineText); m !== null; m = NOQA.exec(lineText)) {
    if (m[1] === undefined) return 'all';
    addCodes((result ??= new Set()), m[1]);
  }
  RUFF_IGNORE.lastIndex = 0;
  for (let m = RUFF_IGNORE.exec(lineText); m !== null; m = RUFF_IGNORE.exec(lineText))
    addCodes((result ??= new Set()), m[1]!);
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

function isCommentAt(tree: Tree, index: number): boolean {
  const node = tree.rootNode.descendantForIndex(index, index + 1);
  return node?.type === 'comment' && node.startIndex === index;
}

/** File-level exemptions and `disable`/`enable` ranges (only when such a comment exists at all). */
function fileSuppressions(
  tree: Tree,
  source: string,
): { file: Suppression; ranges: [number, number, Set<string>][] } {
  let file: Suppression;
  const ranges: [number, number, Set<string>][] = [];
  if (!/(?:ruff|flake8|backend-hang)\s*:/i.test(source)) return { file, ranges };
  FILE_LEVEL.lastIndex = 0;
  for (let m = FILE_LEVEL.exec(source); m !== null; m = FILE_LEVEL.exec(source)) {
    if (!isCommentAt(tree, m.index + m[0].indexOf('#'))) continue;
    if (m[1] === undefined) file = 'all';
    else if (file !== 'all') {
      file ??= new Set<string>();
      addCodes(file, m[1]);
    }
  }
  const open = new Map<string, number>();
  RANGE.lastIndex = 0;
  for (let m = RANGE.exec(source); m !== null; m = RANGE.exec(source)) {
    if (!isCommentAt(tree, m.index + m[0].indexOf('#'))) continue;
    const codes = new Set<string>();
    addCodes(codes, m[2]!);
    for (const code of codes) {
      if (m[1]!.toLowerCase() === 'disable') {
        if (!open.has(code)) open.set(code, m.index);
      } else if (open.has(code)) {
        ranges.push([open.get(code)!, m.index, new Set([code])]);
        open.delete(code);
      }
    }
  }
  // A `disable` without its `enable` lasts to the end of the file.
  for (const [code, from] of open) ranges.push([from, source.length, new Set([code])]);
  return { file, ranges };
}

/**
 * Drops findings suppressed by a real comment (a `# noqa` inside a string does not count), ours or another
 * tool's code for the same rule (`aliases`).
 */
export function applyNoqa(
  tree: Tree,
  source: string,
  findings: Finding[],
  aliases: NoqaAliases = DEFAULT_NOQA_ALIASES,
): Finding[] {
  // No whole-file `/noqa/i` pre-test: that scan costs more on a big file than looking at the reported lines.
  if (findings.length === 0) return findings;
  const cache = new Map<number, Suppression>();
  const suppressionAt = (index: number): Suppression => {
    const [start, end] = lineBounds(source, index);
    if (cache.has(start)) return cache.get(start);
    let result: Suppression;
    const line = source.slice(start, end);
    const hash = line.indexOf('#');
    if (hash >= 0 && /noqa|ruff/i.test(line)) {
      // Take the first `#` that starts a real comment node; everything after it on the line is the comment.
      for (let i = hash; i >= 0; i = line.indexOf('#', i + 1)) {
        if (isCommentAt(tree, start + i)) {
          result = parseNoqa(line.slice(i));
          break;
        }
      }
    }
    cache.set(start, result);
    return result;
  };
  const suppresses = (s: Suppression, code: string): boolean =>
    s === 'all' || (s !== undefined && (s.has(code) || (aliases[code] ?? []).some((a) => s.has(a))));
  const { file, ranges } = fileSuppressions(tree, source);
  return findings.filter(
    (f) =>
      !suppresses(file, f.code) &&
      !ranges.some(
        ([from, to, codes]) => f.startIndex >= from && f.startIndex < to && suppresses(codes, f.code),
      ) &&
      !suppresses(suppressionAt(f.startIndex), f.code) &&
      !suppresses(suppressionAt(f.endIndex), f.code),
  );
}
