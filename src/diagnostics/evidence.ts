/**
 * The evidence the rules look at, over one segment (a top-level statement) of a parsed file (pure, no
 * `vscode`): candidate calls found by a regex over the text and the node at each match (never a walk of the
 * whole tree), names resolved through the imports, and bindings of names and `self.attr` in reach, which
 * ./valueKinds reads to tell an executor, a Session or an executor future (./fileContext: what the segments
 * of a file share). Calls are dispatched to the rule modules that subscribe to them (./rules/registry); the
 * rules report through `report`.
 */
import { deadBranch, moduleFlags } from '../python/moduleFlags';
import type { Node, Tree } from '../python/treeSitter';
import {
  type Binding,
  type ImportTable,
  bindingOfTarget,
  enclosingClass,
  identifierNodesMatching,
  isField,
  qualify,
  sameNode,
  visibleScopes,
  wordsRegExp,
} from '../python/scope';
import { LocalNames } from '../python/localBindings';
import { perTree } from '../python/treeIndex';
import { CALL_HANDLERS, METHOD_HANDLERS } from './rules/registry';
import type { MethodNeed, RuleContext, RuleText } from './rules/rule';
import { TARGETS } from './targets';
import type { FileContext } from './fileContext';
import { ValueKinds } from './valueKinds';
import { type ScopeBody, countsAt, scopeBodies } from './scopeBodies';
import type { Finding, RuleCode } from './types';

const isTarget = (q: string): boolean => TARGETS.has(q);

/** `isField` (../python/scope), deciding by node id first: the same node needs no range and type compared. */
function inField(parent: Node, field: string, child: Node): boolean {
  const f = parent.childForFieldName(field);
  return (
    f !== null &&
    (f.id === child.id ||
      (f.startIndex === child.startIndex && f.endIndex === child.endIndex && f.type === child.type))
  );
}

/**
 * The rules over one segment (one top-level statement) of a file: candidates are looked for inside
 * [from, to); bindings inside it and in the module-level statements. Caches per-name lookups for this run.
 */
export class Analysis implements RuleContext {
  readonly findings: Finding[] = [];
  private readonly tokenCache = new Map<string, { nodes: Node[]; re: RegExp | undefined }>();
  private readonly bindingCache = new Map<string, Binding[]>();
  private scopes: ScopeBody[] | undefined;
  /** Local bindings that shadow an imported name (read only for calls a rule subscribes to). */
  private locals: LocalNames | undefined;
  private readonly tree: Tree;
  private readonly source: string;
  private readonly select: ReadonlySet<RuleCode>;
  private readonly imports: ImportTable;
  /** What an expression is (an executor, a Session, a future), from the bindings this analysis finds. */
  private readonly kinds: ValueKinds;

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
    this.kinds = new ValueKinds({
      qualify: (expr) => this.qualify(expr),
      bindingsOf: (name, at) => this.bindingsOf(name, at),
      receiverBindings: (expr) => this.receiverBindings(expr),
    });
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
    const bodies = (this.scopes ??= scopeBodies(this.statement, this.ctx.scopeRule, this.source));
    return countsAt(bodies, start, end);
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
    // (`if _IS_SYNC:` with a module-level `_IS_SYNC = False`: never runs)
    if (deadBranch(node, () => perTree(this.tree, 'moduleFlags', () => moduleFlags(this.source)))) return;
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
      // (always set, undefined or not: every finding keeps one layout, see incrementalAnalysis moved())
      kind: text.kind,
    });
  }

  private qualify(expr: Node): string | undefined {
    return qualify(expr, this.imports, isTarget);
  }

  resolve(expr: Node): string | undefined {
    let root: Node | null = expr;
    while (root?.type === 'attribute') root = root.childForFieldName('object');
    if (root?.type !== 'identifier' || this.shadowed(root)) return undefined;
    return this.qualify(expr);
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

  /**
   * Bindings of the plain name `name` that `at` sees: those of the innermost function around it that binds the
   * name (a parameter, an assignment, a `with`/`for` target: Python makes it that function's own), else the
   * module's. A module-level `session = requests.Session()` says nothing about `async with ... as session:`.
   */
  private bindingsOf(name: string, at: Node): Binding[] {
    const all = this.allBindings(name);
    if (all.length === 0) return all;
    const functions = visibleScopes(at).filter((s): s is Node => s !== undefined);
    this.locals ??= perTree(this.tree, 'localNames', () => new LocalNames(this.tree, this.source));
    let owner: Node | undefined;
    if (functions.length > 0) {
      const found = this.locals.bindingScope(name, functions, at.startIndex, at.endIndex);
      // (a comprehension's variable: its `for` clause's binding, kept with the function's)
      if (found === 'comprehension')
        return all.filter((b) => b.scope === undefined || functions.some((s) => sameNode(s, b.scope)));
      owner = found ?? undefined;
    }
    // An assignment in a def declaring the name `global` binds the module's (`global _session; _session =
    // requests.Session()`); one declaring it `nonlocal`, the enclosing def's.
    const declared = all.some((b) => b.scope !== undefined && !sameNode(owner, b.scope))
      ? this.locals.declaring(name, this.tree.rootNode)
      : undefined;
    return all.filter(
      (b) =>
        sameNode(owner, b.scope) ||
        (declared !== undefined &&
          b.scope !== undefined &&
          (owner === undefined
            ? declared.global.has(b.scope.id)
            : declared.nonlocal.has(b.scope.id) &&
              b.scope.startIndex >= owner.startIndex &&
              b.scope.endIndex <= owner.endIndex)),
    );
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

  isExecutor(expr: Node): boolean {
    return this.kinds.isExecutor(expr);
  }

  isSession(expr: Node): boolean {
    return this.kinds.isSession(expr);
  }

  isHttpxClient(expr: Node): boolean {
    return this.kinds.isHttpxClient(expr);
  }

  isPopen(expr: Node): boolean {
    return this.kinds.isPopen(expr);
  }

  /**
   * Whether a receiver in this file can carry the evidence `need` asks for: futures only when the text has a
   * `.submit(`, Sessions only when requests is imported and "session" is written, httpx clients only when
   * httpx is imported and "Client" is written, Popen objects only when "Popen" is written (every evidence of
   * one names the class: a construction, an annotation, an import).
   */
  private canCarry(need: MethodNeed): boolean {
    switch (need) {
      case 'future':
        return this.ctx.hasSubmit;
      case 'session':
        return this.ctx.requestsImported && this.ctx.sessionWord;
      case 'httpxClient':
        return this.ctx.httpxImported && this.ctx.clientWord;
      case 'popen':
        return this.ctx.popenWord;
      case 'executor':
        return true;
    }
  }

  isFuture(expr: Node): boolean {
    return this.kinds.isFuture(expr);
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
            if (handlers && !this.shadowed(token))
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

  /**
   * Whether the root name of a call (`requests` of `requests.get(...)`, `sleep` of `sleep(1)`) is bound in a
   * function holding it (a parameter `time: Clock`, a local `requests = {}`): then it is not the import the
   * table resolved it to (../python/localBindings). Module-level rebindings are not read: `requests = None`
   * in an `except ImportError:` is the usual one, and leaves the import what the calls run.
   */
  private shadowed(token: Node): boolean {
    // (one per tree: the segments of a file share what they read)
    this.locals ??= perTree(this.tree, 'localNames', () => new LocalNames(this.tree, this.source));
    // The statement's text first (once per name): a name never bound in it needs no scope walk per call.
    const holder = this.statement ?? this.tree.rootNode;
    if (!this.locals.bindsIn(token.text, holder)) return false;
    const scopes = visibleScopes(token).filter((s): s is Node => s !== undefined);
    return scopes.length > 0 && this.locals.shadowed(token.text, scopes, token.startIndex, token.endIndex);
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
   * `receiver.method(...)` calls of the subscribed method names, dispatched to the rules, when a receiver
   * can carry the evidence their rule needs (canCarry).
   */
  private methodCalls(): void {
    const names: string[] = [];
    for (const [name, handlers] of METHOD_HANDLERS) {
      const wanted = handlers.some(
        ({ code, subscription }) => this.select.has(code) && this.canCarry(subscription.need),
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
        if (!this.select.has(code) || !this.canCarry(subscription.need)) continue;
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
