/**
 * Links each blocked-loop finding to the static findings (`backend-hang check`) that cover the frame's line:
 * the line to fix. For BHD001 the whole `with` block counts, because CPython 3.9 reports an exiting `with`
 * at the last line run inside the block, and the blocking `shutdown` belongs to the `with` statement.
 * Pure apart from the two functions passed in (read a file, check a source), which the CLI and the editor
 * supply.
 */
import { blockEnd } from './sourceFacts';
import type { BlockedLoopFinding, StaticLink } from './types';

/** The subset of a static finding this module reads (src/diagnostics/types Finding fits). */
export interface StaticFinding {
  code: string;
  range: { start: { row: number; column: number }; end: { row: number; column: number } };
  fixable: boolean;
  message: string;
}

/** A frame file resolved to this machine, with its text; undefined when not here. */
export type LocalSource = (file: string) => { path: string; text: string } | undefined;

/** Static findings whose statement covers 1-based `line`, BHD001's `with` block included; nearest first. */
export function staticCovering(
  findings: readonly StaticFinding[],
  lines: readonly string[],
  line: number,
): StaticFinding[] {
  const row = line - 1;
  const hits = findings.filter((f) => {
    if (f.range.start.row <= row && row <= f.range.end.row) return true;
    return f.code === 'BHD001' && f.range.start.row < row && row < blockEnd(lines, f.range.start.row);
  });
  // The finding on the line itself first, then the innermost enclosing block (latest start).
  return hits.sort(
    (a, b) =>
      Number(b.range.start.row === row) - Number(a.range.start.row === row) ||
      b.range.start.row - a.range.start.row,
  );
}

/**
 * Fills `static` on every finding that has a frame: `[]` when the file is not readable here or nothing covers
 * the line. One check per distinct file.
 */
export async function linkStatic(
  findings: Pick<BlockedLoopFinding, 'frame' | 'static'>[],
  readLocal: LocalSource,
  check: (source: string, path?: string) => Promise<StaticFinding[]>,
): Promise<void> {
  const perFile = new Map<
    string,
    Promise<{ path: string; lines: string[]; found: StaticFinding[] } | undefined>
  >();
  for (const finding of findings) {
    if (!finding.frame) {
      finding.static = [];
      continue;
    }
    const file = finding.frame.file;
    if (!perFile.has(file)) {
      perFile.set(
        file,
        (async () => {
          let local: { path: string; text: string } | undefined;
          try {
            local = readLocal(file);
          } catch {
            local = undefined;
          }
          if (!local) return undefined;
          const found = await check(local.text, local.path).catch(() => [] as StaticFinding[]);
          return { path: local.path, lines: local.text.split(/\r?\n/), found };
        })(),
      );
    }
    const src = await perFile.get(file)!;
    finding.static = src
      ? staticCovering(src.found, src.lines, finding.frame.line).map((f): StaticLink => ({
          code: f.code,
          line: f.range.start.row + 1,
          column: f.range.start.column + 1,
          fixable: f.fixable,
          message: f.message,
          file: src.path,
        }))
      : [];
  }
}

/** Where to send the person: the first linked static finding (the `with` line), else the frame itself. */
export function lineToFix(finding: BlockedLoopFinding): { file: string; line: number } | undefined {
  const s = finding.static?.[0];
  if (s) return { file: s.file, line: s.line };
  return finding.frame ? { file: finding.frame.file, line: finding.frame.line } : undefined;
}
