/**
 * The evidence the rules look at, over one segment (a top-level statement) of a parsed file (pure, no
 * `vscode`): candidate calls found by a regex over the text and the node at each match (never a walk of the
 * whole tree), names resolved through the imports, bindings of names and `self.attr` in reach, and whether an
 * expression is an executor, a Session or an executor future. Calls are dispatched to the rule modules that
 * subscribe to them (./rules/registry); the rules report through `report`.
 */
import type { Node, Tree } from '../python/treeSitter';
import {
  type Binding,
  type ImportTable,
  bindingOfTarget,
  callArguments,
  enclosingScope,
  callee,
  enclosingClass,
  identifierNodesMatching,
  isField,
  isInAsyncCode,
  qualify,
  sameNode,
  visibleScopes,
  wordsRegExp,
} from '../python/scope';
import { lastPart } from '../python/text';
import { CALL_HANDLERS, METHOD_HANDLERS } from './rules/registry';
import type { RuleContext, RuleText } from './rules/rule';
import { CF_WAITS, EXECUTOR_CLASSES, SESSION_CLASSES, TARGETS } from './targets';
import type { Finding, RuleCode } from './types';

const isTarget = (q: string): boolean => TARGETS.has(q);

/** Names that mark a receiver as an executor without other evidence: `executor`, `self._executor`, `io_executor`. */
const EXECUTOR_NAME = /^(?:executor|.*_executor)$/i;
const SUBMIT_CALL = /\.\s*submit\s*\(/;

/** What every segment's analysis shares: the import table and where module-level bindings may live. */
export interface FileContext {
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
  /** Which of the two `inAsync` is (what a statement's scope table answers instead of walking up the tree). */
  scopeRule: ScopeRule;
  /** Per name: its tokens and their bindings in each module range (index as in moduleRanges), once asked. */
  moduleNames: Map<string, ({ tokens: Node[]; bindings: Binding[] } | undefined)[]>;
  /** Per name: the regex finding it as a whole identifier (compiled once per file, not per segment). */
  nameRegExps: Map<string, RegExp | undefined>;
}

/** What counts as "async code": an `async def` body (the rules), or any function body (blockingOps). */
export type ScopeRule = 'async' | 'function';

/** The body of one def/lambda/class of a statement: code in [from, to) belongs to that scope. */
interface ScopeBody {
  from: number;
  to: number;
  /** The answer of `inAsync` for code directly in this body. */
  counts: boolean;
}

const SCOPE_TYPES = ['function_definition', 'lambda', 'class_definition'];

/** Statement -> its scopes' bodies in text order, for `inAsync` without walking up from every call. */
function scopeBodies(statement: Node, rule: ScopeRule): ScopeBody[] {
  const bodies: ScopeBody[] = [];
  // One walk in wasm; includes `statement` itself when it is a def.
  for (const scope of statement.descendantsOfType(SCOPE_TYPES)) {
    const body = scope.childForFieldName('body');
    if (!body) continue;
    const type = scope.type;
    const counts =
      type === 'function_definition' && (rule === 'function' || scope.firstChild?.type === 'async');
    bodies.push({ from: body.startIndex, to: body.endIndex, counts });
  }
  return bodies;
}

/** `isField` (../python/scope), deciding by node id first: the same node needs no range and type compared. */
function inField(parent: Node, field: string, child: Node): boolean {
  const f = parent.childForFieldName(field);
  return (
    f !== null &&
    (f.id === child.id ||
      (f.startIndex === child.startIndex && f.endIndex === child.endIndex && f.type === child.type))
  );
}

/** What the rules need from the import table (depends on the imports only). */
export interface DerivedFromImports {
  roots: RegExp | undefined;
  requestsImported: boolean;
}

export function deriveFromImports(imports: ImportTable): DerivedFromImports {
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

export function makeContext(
  tree: Tree,
  source: string,
  select: ReadonlySet<RuleCode>,
  moduleRanges: [number, number][],
  imports: ImportTable,
  derived: DerivedFromImports,
  knownHasSubmit?: boolean,
  scopeRule: ScopeRule = 'async',
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
    inAsync: scopeRule === 'async' ? isInAsyncCode : inFunctionBody,
    scopeRule,
    moduleNames: new Map(),
    nameRegExps: new Map(),
  };
}

function inFunctionBody(node: Node): boolean {
  return enclosingScope(node)?.type === 'function_definition';
}

/**
 * The rules over one segment (one top-level statement) of a file: candidates are looked for inside
 * [from, to); bindings inside it and in the module-level statements. Caches per-name lookups for this run.
 */
export class Analysis implements RuleContext {
  readonly findings: Finding[] = [];
  private readonly tokenCache = new Map<string, { nodes: Node[]; re: RegExp | undefined }>();
  private readonly bindingCache = new Map<string, Binding[]>();
  /** isSession per receiver node (BHD005 and BHD006 both ask it of every requests method call). */
  private readonly sessionCache = new Map<number, boolean>();
  private scopes: ScopeBody[] | undefined;
  private readonly tree: Tree;
  private readonly source: string;
  private readonly select: ReadonlySet<RuleCode>;
  private readonly imports: ImportTable;

  constructor(
    readonly ctx: FileContext,
    private readonly from: number,
    private readonly to: number,
    /** The node holding [from, to) (its top-level statement, or the root): enables the scope table. */
    private readonly statement?: Node,
  ) {
    this.tree = ctx.tree;
    this.source = ctx.source;
    this.select = ctx.select;
    this.imports = ctx.imports;
  }

  /**
   * `ctx.inAsync(node)`, answered from the statement's scope bodies (one query per statement) instead of a
   * walk up the tree per call: the innermost def/lambda/class whose body holds the node is the scope
   * `enclosingScope` finds (bodies nest; a node in a def's parameters or decorators is outside its body).
   */
  inAsync(node: Node): boolean {
    const start = node.startIndex;
    const end = node.endIndex;
    if (!this.statement || start === end) return this.ctx.inAsync(node);
    const bodies = (this.scopes ??= scopeBodies(this.statement, this.ctx.scopeRule));
    // The last body starting at or before the node, then back to the first that holds it.
    let lo = 0;
    let hi = bodies.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (bodies[mid]!.from <= start) lo = mid + 1;
      else hi = mid - 1;
    }
    for (let i = hi; i >= 0; i--) {
      const body = bodies[i]!;
      if (body.to >= end) return body.counts;
    }
    return false;
  }

  run(): void {
    if (this.ctx.roots) this.moduleCalls(this.ctx.roots);
    this.methodCalls();
  }

  /** Identifier nodes matching `re` inside this segment. */
  private candidates(re: RegExp): Node[] {
    return identifierNodesMatching(this.tree, this.source, re, this.from, this.to);
  }

  report(code: RuleCode, node: Node, text: RuleText, fixable: boolean): void {
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

  /**
   * The tokens and bindings of `name` in module range `i`: the same for every segment of the file, so looked
   * for once per file, name and range.
   */
  private moduleRange(name: string, re: RegExp, i: number): { tokens: Node[]; bindings: Binding[] } {
    let found = this.ctx.moduleNames.get(name);
    if (!found) this.ctx.moduleNames.set(name, (found = []));
    let range = found[i];
    if (!range) {
      const [from, to] = this.ctx.moduleRanges[i]!;
      const tokens = identifierNodesMatching(this.tree, this.source, re, from, to);
      const bindings: Binding[] = [];
      for (const token of tokens) {
        const binding = bindingOfTarget(token);
        if (binding) bindings.push(binding);
      }
      found[i] = range = { tokens, bindings };
    }
    return range;
  }

  /** Whether module range `i` is (inside) this segment: its tokens are then among the segment's own. */
  private ownRange(i: number): boolean {
    const [from, to] = this.ctx.moduleRanges[i]!;
    return from >= this.from && to <= this.to;
  }

  /** Identifier nodes named `name` in this segment (cached for this run), and the regex that found them. */
  private segmentTokens(name: string): { nodes: Node[]; re: RegExp | undefined } {
    let found = this.tokenCache.get(name);
    if (!found) {
      let re = this.ctx.nameRegExps.get(name);
      if (re === undefined && !this.ctx.nameRegExps.has(name))
        this.ctx.nameRegExps.set(name, (re = wordsRegExp([name])));
      // An empty name: a MISSING identifier that error recovery inserted (zero width). Nothing binds it.
      found = {
        nodes: re ? identifierNodesMatching(this.tree, this.source, re, this.from, this.to) : [],
        re,
      };
      this.tokenCache.set(name, found);
    }
    return found;
  }

  /** Identifier nodes named `name` in this segment and in the module-level statements. */
  private tokens(name: string): Node[] {
    const { nodes, re } = this.segmentTokens(name);
    if (!re) return [];
    const all = nodes.slice();
    for (let i = 0; i < this.ctx.moduleRanges.length; i++)
      if (!this.ownRange(i)) all.push(...this.moduleRange(name, re, i).tokens);
    return all;
  }

  /** Every binding of the plain name `name` in the file (computed once per name for this run). */
  private allBindings(name: string): Binding[] {
    let bindings = this.bindingCache.get(name);
    if (!bindings) {
      bindings = [];
      const { nodes, re } = this.segmentTokens(name);
      if (re) {
        for (const token of nodes) {
          const binding = bindingOfTarget(token);
          if (binding) bindings.push(binding);
        }
        for (let i = 0; i < this.ctx.moduleRanges.length; i++)
          if (!this.ownRange(i)) bindings.push(...this.moduleRange(name, re, i).bindings);
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
  isExecutor(expr: Node, depth = 0): boolean {
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

  /** Evidence that `expr` is a requests Session instance (asked once per receiver). */
  isSession(expr: Node): boolean {
    let known = this.sessionCache.get(expr.id);
    if (known === undefined) this.sessionCache.set(expr.id, (known = this.sessionEvidence(expr, 0)));
    return known;
  }

  private sessionEvidence(expr: Node, depth: number): boolean {
    if (this.constructs(expr, SESSION_CLASSES)) return true;
    if (depth > 2) return false;
    return this.receiverBindings(expr).some((b) =>
      b.kind === 'value'
        ? this.sessionEvidence(b.value, depth + 1)
        : b.kind === 'annotation' && this.annotationNames(b.type, SESSION_CLASSES),
    );
  }

  /** Evidence that `expr` is a concurrent.futures Future: `executor.submit(...)`, directly or through a name. */
  isFuture(expr: Node, depth = 0): boolean {
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

  /** Calls of imported callables, dispatched to the rules that subscribe to their qualified names. */
  private moduleCalls(roots: RegExp): void {
    for (const token of this.candidates(roots)) {
      // Climb `a.b.c` (token is the root `a`), trying each prefix that is called (a call ends the climb).
      let expr: Node = token;
      for (;;) {
        const parent = expr.parent;
        if (!parent) break;
        const type = parent.type;
        if (type === 'call') {
          if (inField(parent, 'function', expr)) {
            const q = this.qualify(expr);
            const handlers = q === undefined ? undefined : CALL_HANDLERS.get(q);
            if (handlers)
              for (const { code, subscription } of handlers)
                if (this.select.has(code)) subscription.check(this, parent, expr, q!);
          }
          break;
        }
        if (type !== 'attribute' || !inField(parent, 'object', expr)) break;
        expr = parent;
      }
    }
  }

  /** `with X(...)` or `with X(...) as name` (not `async with`). */
  isWithItemValue(call: Node): boolean {
    let item = call.parent;
    if (item?.type === 'as_pattern' && sameNode(item.firstNamedChild ?? undefined, call)) item = item.parent;
    if (item?.type !== 'with_item') return false;
    const statement = item.parent?.parent;
    return statement?.type === 'with_statement' && statement.firstChild?.type !== 'async';
  }

  /**
   * `receiver.method(...)` calls of the subscribed method names, dispatched to the rules. Futures' `.result()`
   * only when the text has a `.submit(`, Session methods only when requests is imported (else no receiver
   * can carry the evidence those rules need).
   */
  private methodCalls(): void {
    const names: string[] = [];
    for (const [name, handlers] of METHOD_HANDLERS) {
      const wanted = handlers.some(
        ({ code, subscription }) =>
          this.select.has(code) &&
          (subscription.need !== 'future' || this.ctx.hasSubmit) &&
          (subscription.need !== 'session' || this.ctx.requestsImported),
      );
      if (wanted) names.push(name);
    }
    const re = methodNamesRegExp(names);
    if (!re) return;
    for (const token of this.candidates(re)) {
      const attribute = token.parent;
      if (attribute?.type !== 'attribute' || !inField(attribute, 'attribute', token)) continue;
      const parent = attribute.parent;
      const call = parent?.type === 'call' && inField(parent, 'function', attribute) ? parent : undefined;
      const receiver = call && attribute.childForFieldName('object');
      if (!call || !receiver) continue;
      const method = token.text;
      for (const { code, subscription } of METHOD_HANDLERS.get(method) ?? []) {
        if (!this.select.has(code)) continue;
        if (subscription.need === 'future' && !this.ctx.hasSubmit) continue;
        if (subscription.need === 'session' && !this.ctx.requestsImported) continue;
        subscription.check(this, receiver, call, method);
      }
    }
  }
}

/** One compiled regex per set of method names (the same few sets come back file after file). */
const METHOD_REGEXPS = new Map<string, RegExp | undefined>();
function methodNamesRegExp(names: readonly string[]): RegExp | undefined {
  const key = names.join(',');
  if (!METHOD_REGEXPS.has(key)) METHOD_REGEXPS.set(key, wordsRegExp(names));
  return METHOD_REGEXPS.get(key);
}
