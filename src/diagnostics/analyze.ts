/**
 * The analysis engine: tree-sitter tree + source -> findings (pure, no `vscode`).
 *
 * Strategy (speed matters: this runs on every keystroke on files of any size):
 * 1. `mightContainFindings` rejects files that contain none of the tokens any rule needs, without parsing.
 * 2. Candidate tokens are located with one regex pass over the text; only the nodes at those offsets are
 *    inspected (`descendantForIndex`), never the whole tree. Matches inside strings and comments land on
 *    string/comment nodes and are dropped, so text never matches.
 * 3. Names resolve through the file's imports (aliases, `import a.b as c`, star imports).
 */
import type { Parser, Tree } from '../python/treeSitter';
import { type ImportTable, collectImportsIn } from '../python/scope';
import { applyNoqa } from './noqa';
import { type CheckPlan, planCheck } from './regions';
import { Analysis } from './evidence';
import { type FileContext, deriveFromImports, makeContext } from './fileContext';
import {
  type CachedSegment,
  type LastSegment,
  type Segment,
  AnalysisCache,
  DEFINITIONS,
  MAX_CACHED_SEGMENTS,
  absolute,
  analyzeBounded,
  analyzeEdit,
  hasImports,
  mergeImports,
  nodeKinds,
  relative,
  shifted,
  sortUnique,
} from './incrementalAnalysis';

export { AnalysisCache } from './incrementalAnalysis';
import { treeChangeOf } from './treeChanges';
import { BLOCKING_RULES, RULES, mayHaveFindings } from './rules/registry';
import { RULE_CODES, type Finding, type RuleCode } from './types';

/** Options of `analyze` / `checkSource`. */
export interface AnalyzeOptions {
  /** Only these rules (default: all). */
  select?: readonly RuleCode[];
}

const FILE_RULES = RULES.filter((r) => !r.project);

/**
 * Cheap textual pre-filter (no parse): false means `analyze` cannot find anything in this source, so the file
 * is never parsed. The union of the rule modules' own pre-filters (./rules/bhd00N.ts `mayOccur`), those of
 * async-only rules together with `async def` in the text.
 */
export function mightContainFindings(source: string): boolean {
  return mayHaveFindings(source, FILE_RULES);
}

/**
 * Whether `source` can hold a BHD001/002/003/006 operation in any function (blockingOps), from its text: the
 * blocking rules' pre-filters without the `async def` condition.
 */
export function mightHaveBlockingOps(source: string): boolean {
  return mayHaveFindings(source, BLOCKING_RULES, false);
}

/**
 * Runs the rules on a parsed Python file. Findings are sorted by position (then code); `# noqa` comments on
 * the reported line are already applied. The tree is not modified or deleted.
 *
 * With `options.cache` (one per document, kept across edits), only top-level statements whose text changed
 * are analysed again: what makes a keystroke in a 12,000-line file cost milliseconds, not a full pass.
 */
export function analyze(
  tree: Tree,
  source: string,
  options: AnalyzeOptions & { cache?: AnalysisCache } = {},
): Finding[] {
  const cache = options.cache;
  if (!mightContainFindings(source)) {
    if (cache) cache.last = undefined;
    return [];
  }
  const select = new Set<RuleCode>(options.select ?? RULE_CODES);
  if (select.size === 0) return [];
  const selectKey = [...select].join(',');
  const change = treeChangeOf(tree);
  if (change?.bounded) {
    // A bounded parse (IncrementalParse): the edited statement alone, else the whole document after all.
    const found = cache?.last && analyzeBounded(tree, source, selectKey, select, cache, cache.last, change);
    if (found) return found;
    const full = change.bounded.full();
    return full ? analyze(full, source, options) : [];
  }
  if (cache?.last) {
    const findings = analyzeEdit(tree, source, selectKey, select, cache, cache.last);
    if (findings) return findings;
  }
  if (cache) cache.last = undefined;

  // Top-level statements. `rootNode.children` marshals all of them in one call (ids, start offsets and
  // positions come with it); a cursor walk costs several wasm round trips per statement, which on a
  // 12,000-line file is most of a keystroke's budget.
  const segments: Segment[] = [];
  const lastSegments: LastSegment[] = [];
  const moduleRanges: [number, number][] = [];
  const byId = new Map<number, CachedSegment>();
  const imports: ImportTable = { names: new Map(), starModules: [] };
  const kinds = nodeKinds(tree);
  for (const child of tree.rootNode.children) {
    if (!child) continue;
    const typeId = child.typeId;
    let kind = kinds.get(typeId);
    if (kind === undefined) {
      kind = { type: child.type, named: child.isNamed };
      kinds.set(typeId, kind);
    }
    const type = kind.type;
    const from = child.startIndex;
    const to = child.endIndex;
    if (!kind.named || type === 'comment') {
      lastSegments.push({ from, to, skip: true, local: true, findings: [] });
      continue;
    }
    const { row, column } = child.startPosition;
    let cached: CachedSegment | undefined;
    let ownImports: ImportTable | undefined;
    if (cache) {
      const id = child.id;
      const text = source.slice(from, to);
      cached = cache.byId.get(id);
      if (cached !== undefined && cached.text !== text) cached = undefined;
      cached ??= cache.segments.get(text);
      if (cached === undefined) {
        const part: ImportTable = { names: new Map(), starModules: [] };
        collectImportsIn(tree, source, from, to, part);
        cached = { text, imports: part, column, findings: undefined };
        // A statement with a syntax error may parse differently next time even with the same text:
        // analysed afresh on every run, never remembered.
        if (type !== 'ERROR' && !child.hasError) {
          cache.segments.set(text, cached);
          byId.set(id, cached);
        } else {
          mergeImports(imports, part);
          cached = undefined;
        }
        ownImports = part;
      } else {
        byId.set(id, cached);
        ownImports = cached.imports;
      }
      if (cached) mergeImports(imports, cached.imports);
    }
    segments.push({ from, to, row, column, cached, node: child });
    const definition = DEFINITIONS.has(type);
    if (!definition) moduleRanges.push([from, to]);
    const noImports = ownImports !== undefined && !hasImports(ownImports);
    lastSegments.push({ from, to, skip: false, local: definition && noImports, findings: [] });
  }
  if (!cache) collectImportsIn(tree, source, 0, source.length, imports);

  let ctx: FileContext;
  if (cache) {
    cache.byId = byId;
    const key = [
      selectKey,
      JSON.stringify([...imports.names].sort()),
      imports.starModules.join(','),
      JSON.stringify([...(imports.local ?? [])].map(([k, v]) => [k, [...v].sort()]).sort()),
      ...moduleRanges.map(([from, to]) => source.slice(from, to)),
    ].join('\u0000');
    if (cache.contextKey !== key || cache.derived === undefined) {
      cache.contextKey = key;
      cache.derived = deriveFromImports(imports);
      for (const entry of cache.segments.values()) entry.findings = undefined;
      for (const entry of byId.values()) entry.findings = undefined;
    }
    if (cache.segments.size > MAX_CACHED_SEGMENTS) {
      cache.segments.clear();
      for (const entry of byId.values()) cache.segments.set(entry.text, entry);
    }
    ctx = makeContext(tree, source, select, moduleRanges, imports, cache.derived);
  } else {
    ctx = makeContext(tree, source, select, moduleRanges, imports, deriveFromImports(imports));
  }

  const all: Finding[] = [];
  for (const seg of segments) {
    const cached = seg.cached;
    if (cached?.findings !== undefined && cached.column === seg.column) {
      for (const f of cached.findings) all.push(absolute(f, seg.from, seg.row));
      continue;
    }
    const analysis = new Analysis(ctx, seg.from, seg.to, seg.node);
    analysis.run();
    all.push(...analysis.findings);
    if (cached) {
      cached.column = seg.column;
      cached.findings = analysis.findings.map((f) => relative(f, seg.from, seg.row));
    }
  }

  const findings = applyNoqa(tree, source, sortUnique(all));
  if (cache) {
    // Hand each final finding to the top-level statement holding it (both lists are in text order).
    let k = 0;
    for (const seg of lastSegments) {
      if (seg.skip) continue;
      const inside: Finding[] = [];
      while (k < findings.length && findings[k]!.startIndex < seg.from) k++;
      while (k < findings.length && findings[k]!.startIndex < seg.to) inside.push(findings[k++]!);
      seg.findings = inside;
    }
    cache.last = {
      tree,
      source,
      selectKey,
      segments: lastSegments,
      findings,
      imports,
      moduleRanges,
    };
    return findings.slice();
  }
  return findings;
}

/** The rules whose operations block the thread that runs them (what BHD007 follows into sync helpers). */
export const BLOCKING_OP_CODES: readonly RuleCode[] = BLOCKING_RULES.map((r) => r.code);

/**
 * The BHD001/002/003/006 operations anywhere in a function body (sync or async; not at module level; code in
 * a nested def/lambda counts for that nested function): the same evidence as the rules, without the "async
 * code" condition. BHD007's index asks this once per file; noqa is not applied (the caller decides).
 */
export function blockingOps(tree: Tree, source: string): Finding[] {
  if (!mightHaveBlockingOps(source)) return [];
  const imports: ImportTable = { names: new Map(), starModules: [] };
  collectImportsIn(tree, source, 0, source.length, imports);
  const moduleRanges: [number, number][] = [];
  for (const child of tree.rootNode.namedChildren)
    if (!DEFINITIONS.has(child.type)) moduleRanges.push([child.startIndex, child.endIndex]);
  const select = new Set(BLOCKING_OP_CODES);
  const ctx = makeContext(
    tree,
    source,
    select,
    moduleRanges,
    imports,
    deriveFromImports(imports),
    undefined,
    'function',
  );
  const analysis = new Analysis(ctx, 0, source.length, tree.rootNode);
  analysis.run();
  return sortUnique(analysis.findings);
}

let sharedParser: Promise<Parser> | undefined;

/** The process-wide parser of `checkSource` (created on first use; a failed load is retried next time). */
function parserForChecks(): Promise<Parser> {
  // Loaded on first use: a check whose files need no parse never initialises web-tree-sitter.
  sharedParser ??= import('../python/treeSitter')
    .then((m) => m.createPythonParser())
    .catch((err: unknown) => {
      sharedParser = undefined;
      throw err;
    });
  return sharedParser;
}

/**
 * What checkSource needs of BHD007's project index (./callGraph/projectIndex implements it; declared here so
 * this module does not import the index, which imports this module).
 */
export interface ChainIndex {
  parser: Parser | undefined;
  mayHaveChains(file: string, source: string): boolean;
  findings(file: string, source: string, tree: Tree): Finding[];
}

/** Options of `checkSource`. */
export interface CheckSourceOptions extends AnalyzeOptions {
  /** BHD007: the project's index and this file's path (without them BHD007 finds nothing). */
  project?: ChainIndex;
  file?: string;
  /**
   * Parse only the top-level statements that can hold a finding (see ./regions; default true). Same
   * findings as a full parse; false forces the full parse (the bench compares the two).
   */
  regions?: boolean;
  /**
   * When given: a parse of the whole `source` made by the check is handed over in `keepTree.tree` (the caller
   * then owns and deletes it) instead of being deleted, so a caller that needs the whole file's tree anyway
   * (the CLI's fix status, E999 and noqa aliases) does not parse it again. Left undefined when the check
   * parsed only part of the file, or nothing.
   */
  keepTree?: { tree?: Tree };
}

/**
 * Parses `source` with a process-wide parser, analyzes it and deletes the tree. Files without any candidate
 * call are not parsed at all (./regions planCheck); of the others only the statements that can hold a
 * finding are parsed (the rest is blanked, positions unchanged), unless that partial text does not parse
 * cleanly. Safe to call concurrently: parsing is synchronous between awaits.
 */

/** A finding of a partial text (planCheck) moved to its place in the source. */
function placed(f: Finding, pieces: readonly { at: number; delta: number; rows: number }[]): Finding {
  let lo = 0;
  let hi = pieces.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (pieces[mid]!.at <= f.startIndex) lo = mid;
    else hi = mid - 1;
  }
  const { delta, rows } = pieces[lo]!;
  return shifted(f, delta, rows);
}

/** Starts loading the grammar now (e.g. while files are being listed and read); checkSource awaits it. */
export function preloadParser(): void {
  parserForChecks().catch(() => {
    // reported by the checkSource call that needs it
  });
}

export async function checkSource(source: string, options: CheckSourceOptions = {}): Promise<Finding[]> {
  const { project, file } = options;
  const chains =
    project !== undefined &&
    file !== undefined &&
    (!options.select || options.select.includes('BHD007')) &&
    // regions: false is the whole-file reference: no text pre-filter for BHD007 either.
    (options.regions === false || project.mayHaveChains(file, source));
  if (!chains) return checkOwnRules(source, options);
  // BHD007 needs the whole file's summary: one full parse serves the other rules too (same findings as
  // planned parsing, which the planning tests prove).
  const parser = await parserForChecks();
  project.parser ??= parser;
  const tree = parser.parse(source);
  if (!tree) return [];
  try {
    const select = (options.select ?? RULE_CODES).filter((c) => c !== 'BHD007');
    const own = select.length > 0 ? analyze(tree, source, { select }) : [];
    return sortUnique([...own, ...applyNoqa(tree, source, project.findings(file, source, tree))]);
  } finally {
    handOver(tree, options);
  }
}

/** Deletes a whole-file tree, or hands it to the caller who asked to keep it. */
function handOver(tree: Tree, options: CheckSourceOptions): void {
  if (options.keepTree && !options.keepTree.tree) options.keepTree.tree = tree;
  else tree.delete();
}

/** The share of a file a plan may keep and still be parsed alone when the caller keeps whole trees. */
const MOSTLY_KEPT = 0.5;

async function checkOwnRules(source: string, options: CheckSourceOptions): Promise<Finding[]> {
  const select = (options.select ?? RULE_CODES).filter((c) => c !== 'BHD007');
  // (`--select BHD007`: no other rule to look for, nothing to parse)
  if (select.length === 0 || !mightContainFindings(source)) return [];
  let plan: CheckPlan = { parse: true, text: source };
  if (options.regions !== false) {
    plan = planCheck(source);
    if (!plan.parse) return [];
  }
  const parser = await parserForChecks();
  const analyzeOptions: AnalyzeOptions = { select };
  // A plan that keeps most of the file saves little parsing; when the caller parses a file with findings
  // whole afterwards anyway (keepTree: the CLI's fix status and E999), such a file is parsed whole once.
  const pieces =
    plan.pieces && (!options.keepTree || plan.text.length <= MOSTLY_KEPT * source.length)
      ? plan.pieces
      : undefined;
  if (pieces) {
    const tree = parser.parse(plan.text);
    if (tree) {
      try {
        // A syntax error in the partial text: a boundary the lexer misjudged, or an error in a kept
        // statement whose recovery might depend on the left-out code. Only the full parse is trusted then.
        if (!tree.rootNode.hasError)
          return analyze(tree, plan.text, analyzeOptions).map((f) => placed(f, pieces));
      } finally {
        tree.delete();
      }
    }
  }
  const tree = parser.parse(source);
  if (!tree) return [];
  try {
    return analyze(tree, source, analyzeOptions);
  } finally {
    handOver(tree, options);
  }
}
