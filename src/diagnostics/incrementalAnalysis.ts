/**
 * What makes re-analysing a document cheap (pure, no `vscode`): per-statement findings remembered between runs
 * (AnalysisCache) and the keystroke path (analyzeEdit), which re-analyses only the top-level statements an
 * edit touched and moves every other finding by the edit.
 */
import type { Node, Tree } from '../python/treeSitter';
import { type ImportTable, collectImportsIn } from '../python/scope';
import { Analysis } from './evidence';
import { type DerivedFromImports, makeContext } from './fileContext';
import { applyNoqa } from './noqa';
import { type TreeChange, editSpan, treeChangeOf } from './treeChanges';
import type { Finding, RuleCode } from './types';

/** A finding relative to the start of its segment (row offset, index offset; columns as they are). */
export type RelativeFinding = Finding;

/** What is remembered of one top-level statement between runs. */
export interface CachedSegment {
  /** The statement's text: a hit must have exactly this text (node ids alone could be recycled addresses). */
  text: string;
  /** The imports in it (they depend on its text only, so they survive a context change). */
  imports: ImportTable;
  /** Start column and findings relative to its start, for `AnalysisCache.contextKey`; undefined: not analysed. */
  column: number;
  findings: RelativeFinding[] | undefined;
}

/**
 * Findings of unchanged top-level statements, kept between runs on the same document (one cache per document).
 * A statement's findings depend only on its own text, its start column, the file's imports and its
 * module-level statements: that is exactly what the cache keys on.
 *
 * Lookups go by tree-sitter node id first: an incremental re-parse reuses the subtrees of untouched statements,
 * so their ids stay the same and a hit costs one string comparison (no hashing of the whole file's text on
 * every keystroke). Statements that got new subtrees (moved, full re-parse) are looked up by text.
 */
export class AnalysisCache {
  /** Imports + module-level statements + selected rules of the last run. */
  contextKey = '';
  /** Node id of a top-level statement in the last full run's tree -> what is known of it. */
  byId = new Map<number, CachedSegment>();
  /** Statement text -> what is known of it (statements of earlier runs too, up to a limit). */
  readonly segments = new Map<string, CachedSegment>();
  /** What the rules derive from the imports of `contextKey` (kept: building the regex costs a compile). */
  derived: DerivedFromImports | undefined;
  /** The last run's tree, statements and findings: the base of the next incremental run (see analyzeEdit). */
  last: LastRun | undefined;
  /** How many runs took the incremental path (tests check that it is taken, the bench prints it). */
  incrementalRuns = 0;
}

/** One top-level child of the last analysed tree, with the final findings (noqa applied) inside it. */
export interface LastSegment {
  from: number;
  to: number;
  /** Comments and anonymous nodes: no statement, nothing analysed. */
  skip: boolean;
  /** A def/class (not module-level code) without imports in it: may be re-analysed on its own. */
  local: boolean;
  findings: readonly Finding[];
}

/** What `analyze` remembers of its last run on a document, for `analyzeEdit`. */
export interface LastRun {
  tree: Tree;
  source: string;
  selectKey: string;
  segments: LastSegment[];
  findings: Finding[];
  imports: ImportTable;
  moduleRanges: [number, number][];
}

export const MAX_CACHED_SEGMENTS = 20_000;

export function relative(f: Finding, baseIndex: number, baseRow: number): RelativeFinding {
  return moved(f, -baseIndex, -baseRow);
}

export function absolute(f: RelativeFinding, baseIndex: number, baseRow: number): Finding {
  return relative(f, -baseIndex, -baseRow);
}

export const DEFINITIONS = new Set(['function_definition', 'class_definition', 'decorated_definition']);

/** One top-level statement of the tree being analysed. */
export interface Segment {
  from: number;
  to: number;
  row: number;
  column: number;
  cached: CachedSegment | undefined;
  /** The statement itself. */
  node: Node;
}

/** Type name and namedness per node type id, per language (asking the node costs a wasm call each). */
const KINDS = new WeakMap<object, Map<number, { type: string; named: boolean }>>();

export function nodeKinds(tree: Tree): Map<number, { type: string; named: boolean }> {
  let kinds = KINDS.get(tree.language);
  if (!kinds) {
    kinds = new Map();
    KINDS.set(tree.language, kinds);
  }
  return kinds;
}

/** Whether `table` holds any import. */
export function hasImports(table: ImportTable): boolean {
  return table.names.size > 0 || table.starModules.length > 0 || (table.local?.size ?? 0) > 0;
}

/** Adds `part`'s bindings to `table` (later imports win, as in a single pass over the text). */
export function mergeImports(table: ImportTable, part: ImportTable): void {
  for (const [local, q] of part.names) table.names.set(local, q);
  table.starModules.push(...part.starModules);
  if (part.local)
    for (const [local, qs] of part.local) {
      table.local ??= new Map();
      const set = table.local.get(local);
      if (set) for (const q of qs) set.add(q);
      else table.local.set(local, new Set(qs));
    }
}

/** Findings without duplicates, sorted by position (then code). */
export function sortUnique(all: Finding[]): Finding[] {
  const seen = new Set<string>();
  const findings = all.filter((f) => {
    const key = `${f.code}:${f.startIndex}:${f.endIndex}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // Codes are ASCII: `<` orders them as localeCompare did, without its cost (thousands of findings per file).
  findings.sort(
    (a, b) =>
      a.startIndex - b.startIndex ||
      a.endIndex - b.endIndex ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
  return findings;
}

/** `f` moved by `delta` characters and `rows` lines (a statement after the edited lines: columns unchanged). */
export function shifted(f: Finding, delta: number, rows: number): Finding {
  return moved(f, delta, rows);
}

/**
 * `f` moved by `delta` characters and `rows` lines, built field by field in the order Evidence.report makes
 * findings, never by a spread: a spread copies each source object's layout, and the keystroke path, which
 * moves every finding below an edit, was deoptimised again every few keystrokes on findings of mixed layouts
 * (a 5-10 ms keystroke each time, on the bench's 12,000-line file).
 */
function moved(f: Finding, delta: number, rows: number): Finding {
  const g: Finding = {
    code: f.code,
    range: {
      start: { row: f.range.start.row + rows, column: f.range.start.column },
      end: { row: f.range.end.row + rows, column: f.range.end.column },
    },
    startIndex: f.startIndex + delta,
    endIndex: f.endIndex + delta,
    message: f.message,
    detail: f.detail,
    fixable: f.fixable,
    kind: f.kind,
  };
  if (f.related) g.related = f.related;
  return g;
}

function countLineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The keystroke path: `tree` was re-parsed (IncrementalParse) from the tree of the last run, so only the
 * top-level statements touching the edited lines or tree-sitter's changed ranges can have other findings.
 * Those are analysed again; every other statement keeps its findings, moved by the edit. Applies only when
 * the touched statements are defs/classes without imports, before and after the edit (module-level code and
 * imports feed every statement's analysis): anything else returns undefined and the caller runs the full pass.
 * Exactness is tested: after random edit sequences this equals a fresh analysis.
 */
export function analyzeEdit(
  tree: Tree,
  source: string,
  selectKey: string,
  select: ReadonlySet<RuleCode>,
  cache: AnalysisCache,
  last: LastRun,
): Finding[] | undefined {
  if (last.selectKey !== selectKey) return undefined;
  if (last.tree === tree) return last.source === source ? last.findings.slice() : undefined;
  const change = treeChangeOf(tree);
  if (change === undefined || change.previous !== last.tree) return undefined;
  const old = last.source;

  // The edits as one span: [start, oldEnd) of the old text became [start, newEnd) of the new one.
  const span = editSpan(change.edits);
  const start = span?.start ?? Infinity;
  const oldEnd = span?.oldEnd ?? -Infinity;
  const newEnd = span?.newEnd ?? -Infinity;
  const delta = start === Infinity ? 0 : newEnd - oldEnd;
  if (source.length - old.length !== delta) return undefined;
  const rows =
    start === Infinity ? 0 : countLineBreaks(source, start, newEnd) - countLineBreaks(old, start, oldEnd);

  // The zone to look at again (new coordinates): the edited lines, whole, and the changed ranges.
  let zoneFrom = Infinity;
  let zoneTo = -Infinity;
  if (start !== Infinity) {
    zoneFrom = source.lastIndexOf('\n', start - 1) + 1;
    const lineEnd = source.indexOf('\n', newEnd);
    zoneTo = lineEnd < 0 ? source.length : lineEnd;
  }
  for (const r of change.changedRanges) {
    zoneFrom = Math.min(zoneFrom, r.startIndex);
    zoneTo = Math.max(zoneTo, r.endIndex);
  }
  if (zoneFrom === Infinity) {
    // Nothing changed at all (e.g. an empty edit).
    last.tree = tree;
    last.source = source;
    return last.findings.slice();
  }
  if (zoneFrom > start || zoneTo < newEnd) return undefined; // cannot happen; be safe
  const zoneToOld = zoneTo - delta;

  // Old statements: [0, i0) before the zone, [i0, i1) touching it, [i1, ...) after it (touching counts).
  const segs = last.segments;
  let i0 = 0;
  while (i0 < segs.length && segs[i0]!.to < zoneFrom) i0++;
  let i1 = i0;
  while (i1 < segs.length && segs[i1]!.from <= zoneToOld) i1++;
  for (let i = i0; i < i1; i++) if (!segs[i]!.local) return undefined;

  // New top-level children touching the zone; the partition must line up with the old one at both ends.
  const root = tree.rootNode;
  let node = root.firstChildForIndex(Math.max(0, zoneFrom - 1));
  if (node !== null && node.endIndex < zoneFrom) node = node.nextSibling;
  const before = i0 > 0 ? segs[i0 - 1]! : undefined;
  const previous = node ? node.previousSibling : root.lastChild;
  if (before ? previous?.startIndex !== before.from || previous.endIndex !== before.to : previous !== null)
    return undefined;
  const kinds = nodeKinds(tree);
  const zone: { node: Node; from: number; to: number; skip: boolean }[] = [];
  while (node !== null && node.startIndex <= zoneTo) {
    let kind = kinds.get(node.typeId);
    if (kind === undefined) {
      kind = { type: node.type, named: node.isNamed };
      kinds.set(node.typeId, kind);
    }
    const skip = !kind.named || kind.type === 'comment';
    if (!skip && !DEFINITIONS.has(kind.type)) return undefined;
    zone.push({ node, from: node.startIndex, to: node.endIndex, skip });
    node = node.nextSibling;
  }
  const after = segs[i1];
  if (after ? node?.startIndex !== after.from + delta || node.endIndex !== after.to + delta : node !== null)
    return undefined;

  const moduleRanges = last.moduleRanges.map(([from, to]): [number, number] =>
    from > zoneToOld ? [from + delta, to + delta] : [from, to],
  );
  // hasSubmit only spares looking for `.result()` calls; true is always correct (each one still needs a
  // submitted future in reach), and it spares scanning the whole text on every keystroke.
  const ctx = makeContext(tree, source, select, moduleRanges, last.imports, cache.derived!, true);
  const zoneSegments: LastSegment[] = [];
  for (const z of zone) {
    if (z.skip) {
      zoneSegments.push({ from: z.from, to: z.to, skip: true, local: true, findings: [] });
      continue;
    }
    const part: ImportTable = { names: new Map(), starModules: [] };
    collectImportsIn(tree, source, z.from, z.to, part);
    if (hasImports(part)) return undefined;
    const analysis = new Analysis(ctx, z.from, z.to, z.node);
    analysis.run();
    const found = applyNoqa(tree, source, sortUnique(analysis.findings));
    zoneSegments.push({ from: z.from, to: z.to, skip: false, local: true, findings: found });
  }

  const segments: LastSegment[] = segs.slice(0, i0);
  const findings: Finding[] = [];
  for (const seg of segments) for (const f of seg.findings) findings.push(f);
  for (const seg of zoneSegments) {
    segments.push(seg);
    for (const f of seg.findings) findings.push(f);
  }
  for (let i = i1; i < segs.length; i++) {
    const seg = segs[i]!;
    const moved = seg.findings.length === 0 ? seg.findings : seg.findings.map((f) => shifted(f, delta, rows));
    segments.push({ ...seg, from: seg.from + delta, to: seg.to + delta, findings: moved });
    for (const f of moved) findings.push(f);
  }
  cache.last = { ...last, tree, source, segments, findings, moduleRanges };
  cache.incrementalRuns++;
  return findings.slice();
}

/**
 * The keystroke path on a bounded parse (IncrementalParse: only the edited top-level statement and the
 * module-level code were parsed): that statement is analysed on the bounded tree, every other statement keeps
 * the findings of the last full run, moved by the edits. `cache.last` stays the full run: each bounded run
 * is relative to it (the edits since accumulate). Undefined when that does not apply (the statement is not
 * one whole def/class of the last run without imports, or module-level code appeared in it): the caller then
 * analyses the whole re-parsed document.
 */
export function analyzeBounded(
  tree: Tree,
  source: string,
  selectKey: string,
  select: ReadonlySet<RuleCode>,
  cache: AnalysisCache,
  last: LastRun,
  change: TreeChange,
): Finding[] | undefined {
  const bounded = change.bounded;
  if (!bounded || last.selectKey !== selectKey || change.previous !== last.tree || !cache.derived)
    return undefined;
  const span = editSpan(change.edits);
  const start = span?.start ?? Infinity;
  const oldEnd = span?.oldEnd ?? -Infinity;
  const newEnd = span?.newEnd ?? -Infinity;
  if (start === Infinity) return undefined;
  const delta = newEnd - oldEnd;
  const old = last.source;
  if (source.length - old.length !== delta) return undefined;
  const rows = countLineBreaks(source, start, newEnd) - countLineBreaks(old, start, oldEnd);

  // The statement as the last run knew it: one whole, local segment.
  const segs = last.segments;
  let lo = 0;
  let hi = segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segs[mid]!.from <= bounded.from) lo = mid;
    else hi = mid - 1;
  }
  const seg = segs[lo];
  if (!seg || seg.skip || !seg.local || seg.from !== bounded.from || seg.to !== bounded.to - delta)
    return undefined;

  // Its nodes in the bounded tree: defs/classes, or what error recovery made of them; no module-level code.
  const kinds = nodeKinds(tree);
  const zone: { from: number; to: number; node: Node }[] = [];
  for (const node of tree.rootNode.children) {
    if (!node || node.endIndex <= bounded.from || node.startIndex >= bounded.to) continue;
    let kind = kinds.get(node.typeId);
    if (kind === undefined) {
      kind = { type: node.type, named: node.isNamed };
      kinds.set(node.typeId, kind);
    }
    if (!kind.named || kind.type === 'comment') continue;
    if (!DEFINITIONS.has(kind.type) && kind.type !== 'ERROR') return undefined;
    zone.push({
      from: Math.max(node.startIndex, bounded.from),
      to: Math.min(node.endIndex, bounded.to),
      node,
    });
  }
  const moduleRanges = last.moduleRanges.map(([from, to]): [number, number] =>
    from >= seg.to ? [from + delta, to + delta] : [from, to],
  );
  const ctx = makeContext(tree, source, select, moduleRanges, last.imports, cache.derived, true);
  const inside: Finding[] = [];
  for (const z of zone) {
    const part: ImportTable = { names: new Map(), starModules: [] };
    collectImportsIn(tree, source, z.from, z.to, part);
    if (hasImports(part)) return undefined;
    const analysis = new Analysis(ctx, z.from, z.to, z.node);
    analysis.run();
    inside.push(...analysis.findings);
  }
  const findings: Finding[] = [];
  for (const s of segs) {
    if (s === seg) findings.push(...applyNoqa(tree, source, sortUnique(inside)));
    else if (s.from < seg.from) findings.push(...s.findings);
    else for (const f of s.findings) findings.push(shifted(f, delta, rows));
  }
  cache.incrementalRuns++;
  return findings;
}
