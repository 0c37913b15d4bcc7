/**
 * Which calls of a parsed file are on an instance of a known class (pure, no `vscode`): the call graph's side
 * of ./instances. A name is an instance of `C` in a def when it is bound there once, by `x = C(...)`,
 * `x: C = ...` or a parameter `x: C` (`Annotated[C, Depends(...)]`, `C | None`); or, not bound in a top-level
 * def or method at all, when the module binds it once, at module level, the same way. An attribute `self.x`
 * of a method of a top-level class is an instance of `C` when the class's methods assign it once, by
 * `self.x = C(...)` or `self.x = x` of a parameter `x: C` (an injected dependency), or never and the class
 * body annotates a field `x: C`. Any other binding (a second assignment, `for x in`, `with ... as x`,
 * `global x`...) leaves it unknown: precision first. Bindings are read from the blanked code the pre-filter
 * reads (./instances textBindings) and confirmed in the tree.
 */
import type { Node, Tree } from '../../python/treeSitter';
import { enclosingScope } from '../../python/scope';
import { type Lexed, lexTopLevel } from '../../python/lexer';
import { bindingCounts } from './bindingCounts';
import { callBindings } from './factoryReturns';
import {
  type TextBindings,
  type TypeBinding,
  annotationClass,
  classLike,
  selfAssignments,
  textBindings,
} from './instances';

/** A def as the summary's sweep met it. */
export interface DefScope {
  node: Node;
  bodyStart: number;
  /** Inside another def, lambda or class body (a method of a top-level class is not). */
  nested: boolean;
  /** For a method of a top-level class: that class. */
  cls?: Node;
}

/** Names that already resolve as they are (imports, the module's defs and classes): never typed here. */
export type Known = (name: string) => boolean;

export class InstanceTypes {
  private bindings: TextBindings | undefined;
  private module: Map<string, string> | undefined;
  private readonly typed = new Map<string, string | undefined>();
  /** Def node id -> bindingCounts of its body. */
  private readonly counts = new Map<number, Map<string, number>>();

  /** The text with strings and comments blanked (what the pre-filter reads; the same positions). */
  private readonly source: string;
  private readonly lexed: Lexed | undefined;

  constructor(
    private readonly tree: Tree,
    source: string,
    private readonly known: Known,
  ) {
    this.lexed = lexTopLevel(source);
    this.source = this.lexed?.code ?? source;
  }

  /** Module-level names bound once to an instance of a class (ModuleSummary.instances). */
  moduleInstances(): Map<string, string> {
    if (this.module) return this.module;
    const classes = new Map<string, string | null>();
    for (const b of this.all()) {
      if (b.at > 0 && this.source.charCodeAt(b.at - 1) !== 10) continue; // not at a line start: indented
      if (this.known(b.name) || !this.bindsAt(b, undefined)) continue;
      const seen = classes.get(b.name);
      classes.set(b.name, seen === undefined || seen === b.cls ? b.cls : null);
    }
    this.module = new Map();
    for (const [name, cls] of classes)
      if (cls !== null && this.moduleCounts().get(name) === 1) this.module.set(name, cls);
    return this.module;
  }

  /** The class `name` is an instance of in `def` (see the file comment), or undefined. */
  typeIn(
    def: DefScope,
    name: string,
    localImports: ReadonlyMap<string, unknown> | undefined,
  ): string | undefined {
    if (name === 'self' || name === 'cls' || localImports?.has(name)) return undefined;
    // A name the text never binds to an instance (most receivers: `result.append()`) is not looked at
    // further; this also keeps the call graph's types within what the pre-filter reads (./instances).
    if (!this.names().has(name)) return undefined;
    const key = `${def.node.id}\u0000${name}`;
    if (this.typed.has(key)) return this.typed.get(key);
    const cls = this.find(def, name);
    this.typed.set(key, cls);
    return cls;
  }

  /**
   * The class the attribute `attr` of `self` is an instance of in a method `def` of a top-level class: bound
   * once in the class's methods (`self.attr = C(...)`, `self.attr: C = ...`), or never and annotated in the
   * class body (`attr: C`, a dataclass's or a model's field). Undefined when unknown.
   */
  attributeIn(def: DefScope, attr: string): string | undefined {
    const cls = def.cls;
    if (!cls || !this.attributeNames().has(attr)) return undefined;
    const key = `${cls.id}\u0000self.${attr}`;
    if (this.typed.has(key)) return this.typed.get(key);
    let found: string | undefined;
    const assigned = this.all(true).filter(
      (b) => b.name === attr && b.at >= cls.startIndex && b.at < cls.endIndex,
    );
    const text = this.source.slice(cls.startIndex, cls.endIndex);
    const count = selfAssignments(text, attr);
    const first = assigned[0];
    if (count === 1 && first && assigned.every((b) => b.at === first.at)) {
      const method = this.selfAssignedIn(first, cls);
      if (method && first.from === undefined) found = assigned.length === 1 ? first.cls : undefined;
      else if (method) {
        // `self.attr = param`: the class the method's parameter is annotated with (one of the text's).
        const param = this.parameter(method, first.from!);
        if (typeof param === 'string' && assigned.some((b) => b.cls === param)) found = param;
      }
    }
    if (count === 0) {
      // A field annotated in the class body.
      for (const b of this.all()) {
        if (b.name !== attr || !b.field || b.at < cls.startIndex || b.at >= cls.endIndex) continue;
        if (!this.bindsAt(b, cls)) continue;
        if (found !== undefined && found !== b.cls) {
          found = undefined;
          break;
        }
        found = b.cls;
      }
    }
    this.typed.set(key, found);
    return found;
  }

  /** How often each name is bound in the body of `def` (./bindingCounts). */
  private countsIn(def: DefScope): Map<string, number> {
    let counts = this.counts.get(def.node.id);
    if (!counts) {
      counts = bindingCounts(
        this.source.slice(def.bodyStart, def.node.endIndex),
        this.lexed && linesWithin(this.lexed.lines, def.bodyStart, def.node.endIndex),
      );
      this.counts.set(def.node.id, counts);
    }
    return counts;
  }

  /**
   * The def (not a class: CapWords) whose result `name` holds in `def`, as written (`get_service`, `m.get`): bound
   * once there by `name = f(...)`, not a parameter; or, not bound in a top-level def or method at all, bound
   * once in the module, at module level, the same way. Undefined otherwise (CalleeSite.factory).
   */
  factoryIn(
    def: DefScope,
    name: string,
    localImports: ReadonlyMap<string, unknown> | undefined,
  ): string | undefined {
    if (name === 'self' || name === 'cls' || localImports?.has(name)) return undefined;
    // (most receivers are bound to no call of a lower-case name anywhere: `result.append()`)
    this.callBound ??= new Set(
      [...callBindings(this.lexed, this.source)]
        .filter(([, c]) => c.some((x) => !classLike(x.head + x.rest)))
        .map(([n]) => n),
    );
    if (!this.callBound.has(name)) return undefined;
    // (one answer per def and name, as typeIn's: a def calls methods on the same receiver again and again)
    const key = `f${def.node.id}\u0000${name}`;
    if (this.typed.has(key)) return this.typed.get(key);
    let factory: string | undefined;
    if (this.parameter(def.node, name) === null) {
      const count = this.countsIn(def).get(name) ?? 0;
      if (count === 1) factory = this.factoryBinding(name, def.bodyStart, def.node.endIndex, def.node);
      else if (count === 0 && !def.nested && !this.known(name) && this.moduleCounts().get(name) === 1)
        factory = this.factoryBinding(name, 0, this.source.length, undefined);
    }
    this.typed.set(key, factory);
    return factory;
  }

  private moduleCountsRead: Map<string, number> | undefined;
  private callBound: Set<string> | undefined;

  /** How often each name is bound in the whole text (./bindingCounts). */
  private moduleCounts(): Map<string, number> {
    return (this.moduleCountsRead ??= bindingCounts(this.source, this.lexed?.lines));
  }

  /** The callee of the one `name = f(...)` statement in [from, to) directly in `scope` (undefined: the module). */
  private factoryBinding(
    name: string,
    from: number,
    to: number,
    scope: Node | undefined,
  ): string | undefined {
    const pattern = new RegExp(
      String.raw`(?<![A-Za-z0-9_.])${name}[ \t]*(?::[^=\n]*)?=[ \t]*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)[ \t]*\(`,
      'g',
    );
    pattern.lastIndex = from;
    for (let m = pattern.exec(this.source); m && m.index < to; m = pattern.exec(this.source)) {
      const callee = m[1]!;
      if (classLike(callee) || /^(?:self|cls|super)\b/.test(callee)) continue;
      const binding: TypeBinding = { name, at: m.index, cls: callee, constructed: true };
      if (!this.bindsAt(binding, scope)) continue;
      const id = this.tree.rootNode.descendantForIndex(m.index, m.index + name.length);
      const right = id?.parent?.childForFieldName('right');
      if (right?.type === 'call' && right.childForFieldName('function')?.text === callee) return callee;
    }
    return undefined;
  }

  private find(def: DefScope, name: string): string | undefined {
    const param = this.parameter(def.node, name);
    const counts = this.countsIn(def);
    const count = (param === null ? 0 : 1) + (counts.get(name) ?? 0);
    if (count === 0) return def.nested || this.known(name) ? undefined : this.moduleInstances().get(name);
    if (count !== 1) return undefined;
    if (param !== null) return param;
    let cls: string | undefined;
    for (const b of this.all()) {
      if (b.name !== name || b.at < def.bodyStart || b.at >= def.node.endIndex) continue;
      if (!this.bindsAt(b, def.node)) continue;
      if (cls !== undefined && cls !== b.cls) return undefined;
      cls = b.cls;
    }
    return cls;
  }

  /**
   * A parameter `name` of `def`: the class of its annotation (undefined: none or not a class); null when
   * `name` is not a parameter.
   */
  private parameter(def: Node, name: string): string | undefined | null {
    const params = def.childForFieldName('parameters');
    if (!params || !params.text.includes(name)) return null;
    for (const p of params.namedChildren) {
      if (!p) continue;
      const type = p.type;
      const id =
        type === 'identifier'
          ? p
          : type === 'typed_parameter'
            ? p.namedChildren[0]
            : (p.childForFieldName('name') ?? p.namedChildren[0]);
      if (id?.type !== 'identifier' || id.text !== name) continue;
      const annotation = p.childForFieldName('type');
      if (!annotation) return undefined;
      // Read as the pre-filter reads it: the annotation's first line (./instances annotationClass).
      const from = annotation.startIndex;
      return annotationClass(this.source.slice(from, from + 200).split('\n', 1)[0]!);
    }
    return null;
  }

  /**
   * The method of class `cls` where `self.<attr>` binding `b` is an assignment statement's target (of a call
   * when constructed, of the plain name `b.from` when forwarded), or undefined.
   */
  private selfAssignedIn(b: TypeBinding, cls: Node): Node | undefined {
    const id = this.tree.rootNode.descendantForIndex(b.at, b.at + b.name.length);
    const attribute = id?.parent;
    if (id?.type !== 'identifier' || attribute?.type !== 'attribute') return undefined;
    if (attribute.childForFieldName('object')?.text !== 'self') return undefined;
    const assignment = attribute.parent;
    if (assignment?.type !== 'assignment') return undefined;
    if (assignment.childForFieldName('left')?.startIndex !== attribute.startIndex) return undefined;
    const right = assignment.childForFieldName('right');
    if (b.constructed && right?.type !== 'call') return undefined;
    if (b.from !== undefined && (right?.type !== 'identifier' || right.text !== b.from)) return undefined;
    const method = enclosingScope(assignment);
    return method?.type === 'function_definition' && enclosingScope(method)?.id === cls.id
      ? method
      : undefined;
  }

  /** Whether binding `b` is an assignment statement's target in the body of `scope` (undefined: the module). */
  private bindsAt(b: TypeBinding, scope: Node | undefined): boolean {
    const id = this.tree.rootNode.descendantForIndex(b.at, b.at + b.name.length);
    if (id?.type !== 'identifier' || id.startIndex !== b.at) return false;
    const assignment = id.parent;
    if (assignment?.type !== 'assignment') return false;
    const left = assignment.childForFieldName('left');
    if (left?.startIndex !== b.at || left.type !== 'identifier') return false;
    if (b.constructed && assignment.childForFieldName('right')?.type !== 'call') return false;
    const statement = assignment.parent;
    if (statement?.type !== 'expression_statement') return false;
    const owner = enclosingScope(statement);
    return scope === undefined ? owner === undefined : owner?.id === scope.id;
  }

  private typedNames: Set<string> | undefined;
  private typedAttributes: Set<string> | undefined;

  private names(): Set<string> {
    return (this.typedNames ??= new Set(this.all().map((b) => b.name)));
  }

  /** Attributes of `self` the text binds to an instance, and names annotated (a class body's fields). */
  private attributeNames(): Set<string> {
    return (this.typedAttributes ??= new Set([...this.names(), ...this.all(true).map((b) => b.name)]));
  }

  /** Bindings of names, or (`self`) of attributes of `self` (./instances textBindings: the pre-filter's list). */
  private all(self = false): TypeBinding[] {
    const found = (this.bindings ??= textBindings(this.lexed, this.source));
    return self ? found.self : found.names;
  }
}

/** The logical lines of [from, to) (`lines` sorted), relative to `from`, `from` itself first. */
function linesWithin(lines: readonly number[], from: number, to: number): number[] {
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  const starts = [0];
  for (let k = lo; k < lines.length && lines[k]! < to; k++)
    if (lines[k]! > from) starts.push(lines[k]! - from);
  return starts;
}
