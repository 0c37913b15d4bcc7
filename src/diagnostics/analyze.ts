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
import type { Node, Parser, Tree } from '../python/treeSitter';
import { MESSAGES } from './rules';
import { applyNoqa } from './noqa';
import { type CheckPlan, planCheck } from './regions';
import { treeChangeOf } from './treeChanges';
import {
  type Binding,
  type ImportTable,
  bindingOfTarget,
  callArguments,
  callOf,
  callee,
  collectImportsIn,
  enclosingClass,
  identifierNodesMatching,
  isField,
  enclosingScope,
  isInAsyncCode,
  qualify,
  sameNode,
  visibleScopes,
  wordsRegExp,
} from './pythonScope';
import { RULE_CODES, type Finding, type RuleCode } from './types';
import {
  CF_WAITS,
  EXECUTOR_CLASSES,
  HTTP_METHODS,
  REQUESTS_FUNCTIONS,
  SESSION_CLASSES,
  TARGETS,
  TIME_SLEEP,
} from './targets';

/** Options of `analyze` / `checkSource`. */
export interface AnalyzeOptions {
  /** Only these rules (default: all). */
  select?: readonly RuleCode[];
}

const isTarget = (q: string): boolean => TARGETS.has(q);

/** Names that mark a receiver as an executor without other evidence: `executor`, `self._executor`, `io_executor`. */
const EXECUTOR_NAME = /^(?:executor|.*_executor)$/i;

/** What may precede `requests` on its logical line in an import (after a `:` or `;`, or from the line start). */
const IMPORT_BEFORE_REQUESTS = /^[ \t]*(?:[^\n#'"]*[:;][ \t]*)?(?:import[ \t\\][^#]*|from[\s\\]+)$/;
/** pip's vendored copy: `pip._vendor.requests`, `from pip._vendor import (..., requests)`. */
const VENDORED_REQUESTS = /_vendor\.requests|_vendor[\s\\]+import[\s\\]*\(?[^)#]*requests/;

/**
 * Whether an import can bind the requests package (`import requests`, `from requests...`, pip's vendored
 * copy). An import statement starts a logical line (after indentation) or follows a `:` or `;` on it, which
 * rules out doctest lines (`>>> import requests`) in docstrings. Each occurrence of "requests" is checked
 * against the start of its logical line (one regex over the whole text was ten times slower).
 */
function importsRequests(source: string): boolean {
  for (let i = source.indexOf('requests'); i >= 0; i = source.indexOf('requests', i + 8)) {
    let lineStart = source.lastIndexOf('\n', i - 1) + 1;
    // a line continued from the previous one (`import os, \` + newline + `requests`)
    while (lineStart >= 2 && (source[lineStart - 2] === '\\' || source.startsWith('\\\r', lineStart - 3)))
      lineStart = source.lastIndexOf('\n', lineStart - 2) + 1;
    if (IMPORT_BEFORE_REQUESTS.test(source.slice(lineStart, i))) return true;
  }
  return VENDORED_REQUESTS.test(source);
}

const ASYNC_DEF = /\basync\s+def\b/;
const CONCURRENT_FUTURES = /\bconcurrent\s*\.\s*futures\b|\bfrom\s+concurrent\s+import\b/;
const SHUTDOWN_CALL = /\.\s*shutdown\s*\(/;
const TIME_IMPORT = /(?<![\w.])import\s[^\n#]*(?<![\w.])time\b|\bfrom\s+time\s+import\b/;
const SLEEP = /\bsleep\b/;
const SUBMIT_CALL = /\.\s*submit\s*\(/;
const RESULT_CALL = /\.\s*result\s*\(/;

/**
 * Cheap textual pre-filter (no parse): false means `analyze` cannot find anything in this source, so the file
 * is never parsed. BHD005 needs an import of requests; every other rule needs `async def` plus its own token:
 * a concurrent.futures import (BHD001, BHD003 wait), a `.shutdown(` call (BHD002), a time import and `sleep`
 * (BHD006), or `.submit(` and `.result(` (BHD003); requests calls in async code need the requests import too.
 */
export function mightContainFindings(source: string): boolean {
  // `includes` (a plain substring search) gates each regex: most files fail it and never run the regex.
  if (source.includes('requests') && importsRequests(source)) return true;
  if (!source.includes('async') || !ASYNC_DEF.test(source)) return false;
  return mightHaveBlockingOps(source);
}

/**
 * Whether `source` can hold a BHD001/002/003/006 operation in any function (blockingOps), from its text: the
 * same tokens as mightContainFindings without the `async def` condition.
 */
export function mightHaveBlockingOps(source: string): boolean {
  if (source.includes('requests') && importsRequests(source)) return true;
  return (
    (source.includes('concurrent') && CONCURRENT_FUTURES.test(source)) ||
    (source.includes('shutdown') && SHUTDOWN_CALL.test(source)) ||
    (source.includes('sleep') && SLEEP.test(source) && TIME_IMPORT.test(source)) ||
    (source.includes('submit') && SUBMIT_CALL.test(source) && RESULT_CALL.test(source))
  );
}

/** Final identifier of a dotted name. */
function lastPart(qualified: string): string {
  return qualified.slice(qualified.lastIndexOf('.') + 1);
}

function compact(text: string): string {
  return text.replace(/\s+/g, '');
}

/** What every segment's analysis shares: the import table and where module-level bindings may live. */
interface FileContext {
  tree: Tree;
  source: string;
  select: ReadonlySet<RuleCode>;
  imports: ImportTable;
  /** Matches the local names that can start a call of a TARGETS callable (`requests`, `cf`, `TPE`...). */
  roots: RegExp | undefined;
  /** Whether requests is imported at all (Session method calls are only looked for then). */
  requestsImported: boolean;
  /** Whether `.submit(` occurs anywhere (else no `.result()` can be on a submitted future). */
  readonly hasSubmit: boolean;
  /** Ranges of the top-level statements that are not def/class: where module-level names are bound. */
  moduleRanges: readonly (readonly [number, number])[];
  /** Where a blocking operation counts: async code (the rules), or any function body (blockingOps). */
  inAsync: (node: Node) => boolean;
}

/** What the rules need from the import table (depends on the imports only). */
interface DerivedFromImports {
  roots: RegExp | undefined;
  requestsImported: boolean;
}

function deriveFromImports(imports: ImportTable): DerivedFromImports {
  const roots = new Set<string>();
  let requestsImported = false;
  for (const [local, q] of imports.names) {
    if (q === 'requests' || q.startsWith('requests.')) requestsImported = true;
    for (const target of TARGETS) {
      if (target === q || target.startsWith(`${q}.`)) {
        roots.add(local);
        break;
      }
    }
  }
  for (const module of imports.starModules) {
    if (module === 'requests') requestsImported = true;
    for (const target of TARGETS) if (target.startsWith(`${module}.`)) roots.add(lastPart(target));
  }
  return { roots: wordsRegExp(roots), requestsImported };
}

function makeContext(
  tree: Tree,
  source: string,
  select: ReadonlySet<RuleCode>,
  moduleRanges: [number, number][],
  imports: ImportTable,
  derived: DerivedFromImports,
  knownHasSubmit?: boolean,
  inAsync: (node: Node) => boolean = isInAsyncCode,
): FileContext {
  let hasSubmit: boolean | undefined = knownHasSubmit;
  return {
    tree,
    source,
    select,
    imports,
    roots: derived.roots,
    requestsImported: derived.requestsImported,
    // Only needed when a statement is analysed: not computed on a keystroke where everything is cached.
    get hasSubmit(): boolean {
      hasSubmit ??= source.includes('submit') && SUBMIT_CALL.test(source);
      return hasSubmit;
    },
    moduleRanges,
    inAsync,
  };
}

/**
 * The rules over one segment (one top-level statement) of a file: candidates are looked for inside
 * [from, to); bindings inside it and in the module-level statements. Caches per-name lookups for this run.
 */
class Analysis {
  readonly findings: Finding[] = [];
  private readonly tokenCache = new Map<string, Node[]>();
  private readonly bindingCache = new Map<string, Binding[]>();
  private readonly tree: Tree;
  private readonly source: string;
  private readonly select: ReadonlySet<RuleCode>;
  private readonly imports: ImportTable;

  constructor(
    readonly ctx: FileContext,
    private readonly from: number,
    private readonly to: number,
  ) {
    this.tree = ctx.tree;
    this.source = ctx.source;
    this.select = ctx.select;
    this.imports = ctx.imports;
  }

  run(): void {
    if (this.ctx.roots) this.moduleCalls(this.ctx.roots);
    if (this.select.has('BHD002')) this.shutdownCalls();
    if (this.select.has('BHD003') && this.ctx.hasSubmit) this.resultCalls();
    if (this.ctx.requestsImported && (this.select.has('BHD005') || this.select.has('BHD006')))
      this.sessionCalls();
  }

  /** Identifier nodes matching `re` inside this segment. */
  private candidates(re: RegExp): Node[] {
    return identifierNodesMatching(this.tree, this.source, re, this.from, this.to);
  }

  private report(
    code: RuleCode,
    node: Node,
    text: { message: string; detail: string },
    fixable: boolean,
  ): void {
    if (!this.select.has(code)) return;
    this.findings.push({
      code,
      range: {
        start: { row: node.startPosition.row, column: node.startPosition.column },
        end: { row: node.endPosition.row, column: node.endPosition.column },
      },
      startIndex: node.startIndex,
      endIndex: node.endIndex,
      message: text.message,
      detail: text.detail,
      fixable,
    });
  }

  private qualify(expr: Node): string | undefined {
    return qualify(expr, this.imports, isTarget);
  }

  /** Identifier nodes named `name` in this segment and in the module-level statements (cached for this run). */
  private tokens(name: string): Node[] {
    let nodes = this.tokenCache.get(name);
    if (!nodes) {
      const re = wordsRegExp([name]);
      // An empty name: a MISSING identifier that error recovery inserted (zero width). Nothing binds it.
      if (!re) return [];
      nodes = identifierNodesMatching(this.tree, this.source, re, this.from, this.to);
      for (const [from, to] of this.ctx.moduleRanges) {
        if (from >= this.from && to <= this.to) continue; // this segment itself
        nodes.push(...identifierNodesMatching(this.tree, this.source, re, from, to));
      }
      this.tokenCache.set(name, nodes);
    }
    return nodes;
  }

  /** Every binding of the plain name `name` in the file (computed once per name for this run). */
  private allBindings(name: string): Binding[] {
    let bindings = this.bindingCache.get(name);
    if (!bindings) {
      bindings = [];
      for (const token of this.tokens(name)) {
        const binding = bindingOfTarget(token);
        if (binding) bindings.push(binding);
      }
      this.bindingCache.set(name, bindings);
    }
    return bindings;
  }

  /** Bindings of the plain name `name` visible at `at` (its function scopes and the module). */
  private bindingsOf(name: string, at: Node): Binding[] {
    const all = this.allBindings(name);
    if (all.length === 0) return all;
    const scopes = visibleScopes(at);
    return all.filter((b) => scopes.some((s) => sameNode(s, b.scope)));
  }

  /** Bindings of `self.attr` / `cls.attr` anywhere in the class enclosing `at`. */
  private attributeBindings(attr: string, at: Node): Binding[] {
    const cls = enclosingClass(at);
    if (!cls) return [];
    const result: Binding[] = [];
    for (const token of this.tokens(attr)) {
      if (token.startIndex < cls.startIndex || token.endIndex > cls.endIndex) continue;
      const attribute = token.parent;
      if (!attribute || attribute.type !== 'attribute' || !isField(attribute, 'attribute', token)) continue;
      const object = attribute.childForFieldName('object');
      if (object?.type !== 'identifier' || (object.text !== 'self' && object.text !== 'cls')) continue;
      const binding = bindingOfTarget(attribute);
      if (binding) result.push(binding);
    }
    return result;
  }

  /** Bindings of a receiver expression (a name or `self.attr`). */
  private receiverBindings(expr: Node): Binding[] {
    if (expr.type === 'identifier') return this.bindingsOf(expr.text, expr);
    if (expr.type === 'attribute') {
      const object = expr.childForFieldName('object');
      const attr = expr.childForFieldName('attribute');
      if (object?.type === 'identifier' && (object.text === 'self' || object.text === 'cls') && attr) {
        return this.attributeBindings(attr.text, expr);
      }
    }
    return [];
  }

  /** Whether an annotation mentions one of `classes` (e.g. `Optional[ThreadPoolExecutor]`). */
  private annotationNames(type: Node, classes: ReadonlySet<string>): boolean {
    const stack: Node[] = [type];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.type === 'identifier' || n.type === 'attribute') {
        const q = this.qualify(n);
        if (q !== undefined && classes.has(q)) return true;
        if (n.type === 'identifier') continue;
      }
      for (const c of n.namedChildren) if (c) stack.push(c);
    }
    return false;
  }

  private constructs(expr: Node, classes: ReadonlySet<string>): boolean {
    if (expr.type !== 'call') return false;
    const fn = callee(expr);
    const q = fn && this.qualify(fn);
    return q !== undefined && classes.has(q);
  }

  /**
   * Evidence that `expr` is a concurrent.futures executor: constructed right there, bound from a constructor
   * (in the function, an enclosing one or the module; `self.attr` anywhere in the class), annotated as one,
   * or named like one.
   */
  private isExecutor(expr: Node, depth = 0): boolean {
    if (this.constructs(expr, EXECUTOR_CLASSES)) return true;
    const name =
      expr.type === 'identifier'
        ? expr.text
        : expr.type === 'attribute'
          ? expr.childForFieldName('attribute')?.text
          : undefined;
    if (name !== undefined && EXECUTOR_NAME.test(name)) return true;
    if (depth > 2) return false;
    return this.receiverBindings(expr).some((b) =>
      b.kind === 'value'
        ? this.isExecutor(b.value, depth + 1)
        : b.kind === 'annotation' && this.annotationNames(b.type, EXECUTOR_CLASSES),
    );
  }

  /** Evidence that `expr` is a requests Session instance. */
  private isSession(expr: Node, depth = 0): boolean {
    if (this.constructs(expr, SESSION_CLASSES)) return true;
    if (depth > 2) return false;
    return this.receiverBindings(expr).some((b) =>
      b.kind === 'value'
        ? this.isSession(b.value, depth + 1)
        : b.kind === 'annotation' && this.annotationNames(b.type, SESSION_CLASSES),
    );
  }

  /** Evidence that `expr` is a concurrent.futures Future: `executor.submit(...)`, directly or through a name. */
  private isFuture(expr: Node, depth = 0): boolean {
    if (expr.type === 'call') {
      const fn = callee(expr);
      if (fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'submit') {
        const receiver = fn.childForFieldName('object');
        return receiver !== null && this.isExecutor(receiver);
      }
      return false;
    }
    if (depth > 2 || expr.type !== 'identifier') return false;
    return this.bindingsOf(expr.text, expr).some((b) =>
      b.kind === 'value'
        ? this.isFuture(b.value, depth + 1)
        : b.kind === 'iteration' && this.isFutureCollection(b.iterable, depth + 1),
    );
  }

  /** Evidence that iterating `expr` yields executor futures (a comprehension of submits, `as_completed(...)`). */
  private isFutureCollection(expr: Node, depth: number): boolean {
    if (depth > 3) return false;
    switch (expr.type) {
      case 'call': {
        const fn = callee(expr);
        const q = fn && this.qualify(fn);
        if (q !== undefined && CF_WAITS.get(q) === 'as_completed') return true;
        // list(futures), sorted(futures), set(...): look through the first argument
        if (
          fn?.type === 'identifier' &&
          ['list', 'set', 'tuple', 'sorted', 'iter', 'reversed'].includes(fn.text)
        ) {
          const first = callArguments(expr).positional[0];
          return first !== undefined && this.isFutureCollection(first, depth + 1);
        }
        return false;
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression': {
        const body = expr.childForFieldName('body');
        return body !== null && this.isFuture(body, depth + 1);
      }
      case 'dictionary_comprehension': {
        const key = expr.childForFieldName('body')?.childForFieldName('key');
        return key != null && this.isFuture(key, depth + 1);
      }
      case 'list':
      case 'set':
      case 'tuple':
        return expr.namedChildren.some((c) => c !== null && this.isFuture(c, depth + 1));
      case 'identifier':
        return this.bindingsOf(expr.text, expr).some(
          (b) => b.kind === 'value' && this.isFutureCollection(b.value, depth + 1),
        );
      default:
        return false;
    }
  }

  /** Calls of imported callables: executor constructors, concurrent.futures.wait/as_completed, requests.*, time.sleep. */
  private moduleCalls(roots: RegExp): void {
    for (const token of this.candidates(roots)) {
      // Climb `a.b.c` (token is the root `a`), trying each prefix that is called.
      let expr: Node = token;
      for (;;) {
        const call = callOf(expr);
        if (call) {
          const q = this.qualify(expr);
          if (q !== undefined && TARGETS.has(q) && !SESSION_CLASSES.has(q)) this.moduleCall(call, expr, q);
        }
        const parent = expr.parent;
        if (parent?.type !== 'attribute' || !isField(parent, 'object', expr)) break;
        expr = parent;
      }
    }
  }

  private moduleCall(call: Node, fn: Node, q: string): void {
    if (EXECUTOR_CLASSES.has(q)) {
      if (this.select.has('BHD001') && this.isWithItemValue(call) && this.ctx.inAsync(call)) {
        this.report('BHD001', call, MESSAGES.BHD001(lastPart(q)), true);
      }
      return;
    }
    const wait = CF_WAITS.get(q);
    if (wait !== undefined) {
      if (this.select.has('BHD003') && this.ctx.inAsync(call))
        this.report('BHD003', call, MESSAGES.BHD003Wait(wait), false);
      return;
    }
    if (REQUESTS_FUNCTIONS.has(q)) {
      this.httpCall(call, compact(fn.text));
      return;
    }
    if (q === TIME_SLEEP && this.select.has('BHD006') && this.ctx.inAsync(call)) {
      this.report('BHD006', call, MESSAGES.BHD006Sleep(compact(fn.text)), true);
    }
  }

  /** BHD005 (no timeout, anywhere) and BHD006 (in async code) for one requests call. */
  private httpCall(call: Node, shownName: string): void {
    if (this.select.has('BHD005')) {
      const args = callArguments(call);
      if (!args.keywords.has('timeout') && !args.dictSplat)
        this.report('BHD005', call, MESSAGES.BHD005(shownName), true);
    }
    if (this.select.has('BHD006') && this.ctx.inAsync(call)) {
      this.report('BHD006', call, MESSAGES.BHD006Requests(shownName), false);
    }
  }

  /** `with X(...)` or `with X(...) as name` (not `async with`). */
  private isWithItemValue(call: Node): boolean {
    let item = call.parent;
    if (item?.type === 'as_pattern' && sameNode(item.firstNamedChild ?? undefined, call)) item = item.parent;
    if (item?.type !== 'with_item') return false;
    const statement = item.parent?.parent;
    return statement?.type === 'with_statement' && statement.firstChild?.type !== 'async';
  }

  /** `receiver.method(...)` calls: the receiver and the call, for an identifier token naming the method. */
  private methodCalls(method: string | readonly string[]): { receiver: Node; call: Node; method: string }[] {
    const re = wordsRegExp(typeof method === 'string' ? [method] : method);
    if (!re) return [];
    const result: { receiver: Node; call: Node; method: string }[] = [];
    for (const token of this.candidates(re)) {
      const attribute = token.parent;
      if (attribute?.type !== 'attribute' || !isField(attribute, 'attribute', token)) continue;
      const call = callOf(attribute);
      const receiver = attribute.childForFieldName('object');
      if (call && receiver) result.push({ receiver, call, method: token.text });
    }
    return result;
  }

  /** BHD002: `executor.shutdown()` in async code unless `wait=False` / a literal False first argument. */
  private shutdownCalls(): void {
    for (const { receiver, call } of this.methodCalls('shutdown')) {
      if (!this.ctx.inAsync(call)) continue;
      const args = callArguments(call);
      const wait = args.keywords.get('wait') ?? args.positional[0];
      if (wait?.type === 'false') continue;
      // `**options` may well carry wait=False: no evidence either way, stay quiet (precision first).
      if (wait === undefined && (args.dictSplat || args.listSplat)) continue;
      if (!this.isExecutor(receiver)) continue;
      const shown = receiver.text.length <= 40 ? compact(receiver.text) : 'executor';
      this.report('BHD002', call, MESSAGES.BHD002(shown), true);
    }
  }

  /** BHD003: `.result()` on a future from `executor.submit(...)`, in async code. */
  private resultCalls(): void {
    for (const { receiver, call } of this.methodCalls('result')) {
      if (!this.ctx.inAsync(call) || !this.isFuture(receiver)) continue;
      this.report('BHD003', call, MESSAGES.BHD003Result(), true);
    }
  }

  /** BHD005/BHD006 on `session.get(...)` etc. where `session` is a requests Session. */
  private sessionCalls(): void {
    for (const { receiver, call, method } of this.methodCalls(HTTP_METHODS)) {
      if (!this.isSession(receiver)) continue;
      const shown = receiver.text.length <= 40 ? `${compact(receiver.text)}.${method}` : `Session.${method}`;
      this.httpCall(call, shown);
    }
  }
}

/** A finding relative to the start of its segment (row offset, index offset; columns as they are). */
type RelativeFinding = Finding;

/** What is remembered of one top-level statement between runs. */
interface CachedSegment {
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
interface LastSegment {
  from: number;
  to: number;
  /** Comments and anonymous nodes: no statement, nothing analysed. */
  skip: boolean;
  /** A def/class (not module-level code) without imports in it: may be re-analysed on its own. */
  local: boolean;
  findings: readonly Finding[];
}

/** What `analyze` remembers of its last run on a document, for `analyzeEdit`. */
interface LastRun {
  tree: Tree;
  source: string;
  selectKey: string;
  segments: LastSegment[];
  findings: Finding[];
  imports: ImportTable;
  moduleRanges: [number, number][];
}

const MAX_CACHED_SEGMENTS = 20_000;

function relative(f: Finding, baseIndex: number, baseRow: number): RelativeFinding {
  return {
    ...f,
    range: {
      start: { row: f.range.start.row - baseRow, column: f.range.start.column },
      end: { row: f.range.end.row - baseRow, column: f.range.end.column },
    },
    startIndex: f.startIndex - baseIndex,
    endIndex: f.endIndex - baseIndex,
  };
}

function absolute(f: RelativeFinding, baseIndex: number, baseRow: number): Finding {
  return relative(f, -baseIndex, -baseRow);
}

const DEFINITIONS = new Set(['function_definition', 'class_definition', 'decorated_definition']);

/** One top-level statement of the tree being analysed. */
interface Segment {
  from: number;
  to: number;
  row: number;
  column: number;
  cached: CachedSegment | undefined;
}

/** Type name and namedness per node type id, per language (asking the node costs a wasm call each). */
const KINDS = new WeakMap<object, Map<number, { type: string; named: boolean }>>();

function nodeKinds(tree: Tree): Map<number, { type: string; named: boolean }> {
  let kinds = KINDS.get(tree.language);
  if (!kinds) {
    kinds = new Map();
    KINDS.set(tree.language, kinds);
  }
  return kinds;
}

/** Adds `part`'s bindings to `table` (later imports win, as in a single pass over the text). */
function mergeImports(table: ImportTable, part: ImportTable): void {
  for (const [local, q] of part.names) table.names.set(local, q);
  table.starModules.push(...part.starModules);
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
    segments.push({ from, to, row, column, cached });
    const definition = DEFINITIONS.has(type);
    if (!definition) moduleRanges.push([from, to]);
    const noImports =
      ownImports !== undefined && ownImports.names.size === 0 && ownImports.starModules.length === 0;
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
    const analysis = new Analysis(ctx, seg.from, seg.to);
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

/** Findings without duplicates, sorted by position (then code). */
function sortUnique(all: Finding[]): Finding[] {
  const seen = new Set<string>();
  const findings = all.filter((f) => {
    const key = `${f.code}:${f.startIndex}:${f.endIndex}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  findings.sort(
    (a, b) => a.startIndex - b.startIndex || a.endIndex - b.endIndex || a.code.localeCompare(b.code),
  );
  return findings;
}

/** `f` moved by `delta` characters and `rows` lines (a statement after the edited lines: columns unchanged). */
function shifted(f: Finding, delta: number, rows: number): Finding {
  return {
    ...f,
    range: {
      start: { row: f.range.start.row + rows, column: f.range.start.column },
      end: { row: f.range.end.row + rows, column: f.range.end.column },
    },
    startIndex: f.startIndex + delta,
    endIndex: f.endIndex + delta,
  };
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
function analyzeEdit(
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
  let start = Infinity;
  let oldEnd = -Infinity;
  let newEnd = -Infinity;
  for (const e of change.edits) {
    if (start === Infinity) {
      start = e.startIndex;
      oldEnd = e.oldEndIndex;
      newEnd = e.newEndIndex;
      continue;
    }
    const delta = newEnd - oldEnd; // current text = old text shifted by delta after newEnd
    const right = Math.max(newEnd, e.oldEndIndex);
    start = Math.min(start, e.startIndex);
    oldEnd = right - delta;
    newEnd = right + (e.newEndIndex - e.oldEndIndex);
  }
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
    if (part.names.size > 0 || part.starModules.length > 0) return undefined;
    const analysis = new Analysis(ctx, z.from, z.to);
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

/** The rules whose operations block the thread that runs them (what BHD007 follows into sync helpers). */
export const BLOCKING_OP_CODES: readonly RuleCode[] = ['BHD001', 'BHD002', 'BHD003', 'BHD006'];

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
  const inFunction = (n: Node): boolean => enclosingScope(n)?.type === 'function_definition';
  const select = new Set(BLOCKING_OP_CODES);
  const ctx = makeContext(
    tree,
    source,
    select,
    moduleRanges,
    imports,
    deriveFromImports(imports),
    undefined,
    inFunction,
  );
  const analysis = new Analysis(ctx, 0, source.length);
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
    tree.delete();
  }
}

async function checkOwnRules(source: string, options: CheckSourceOptions): Promise<Finding[]> {
  if (!mightContainFindings(source)) return [];
  let plan: CheckPlan = { parse: true, text: source };
  if (options.regions !== false) {
    plan = planCheck(source);
    if (!plan.parse) return [];
  }
  const parser = await parserForChecks();
  const select = (options.select ?? RULE_CODES).filter((c) => c !== 'BHD007');
  const analyzeOptions: AnalyzeOptions = { select };
  const pieces = plan.pieces;
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
    tree.delete();
  }
}
