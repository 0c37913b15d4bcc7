/**
 * What an expression is, from the evidence in one parsed file (pure, no `vscode`): a concurrent.futures
 * executor, a requests Session, an executor future or a collection of them. Constructed right there (or by a
 * factory of the file declared to return one), bound from a constructor (followed through a few bindings),
 * annotated as one, or (executors) named like one. The
 * bindings come from the caller (./evidence Analysis, which finds them per segment and caches them).
 */
import type { Node } from '../python/treeSitter';
import { type Binding, callArguments, callee } from '../python/scope';
import { factoryDef, returnedValues } from './factories';
import { CF_WAITS, EXECUTOR_CLASSES, HTTPX_CLIENT_CLASSES, POPEN_CLASSES, SESSION_CLASSES } from './targets';

/** Names that mark a receiver as an executor without other evidence: `executor`, `self._executor`, `io_executor`. */
const EXECUTOR_NAME = /^(?:executor|.*_executor)$/i;

/** A class that is not an executor by its name (CapWords, no `Executor`/`Pool` in it): `JobRunner`. */
const OTHER_CLASS = /^(?:[A-Za-z_][A-Za-z0-9_]*\.)*(?!.*(?:Executor|Pool))[A-Z][A-Za-z0-9_]*$/;

/**
 * A binding that says its name holds something other than an executor: constructed from another class
 * (`JobRunner()`), annotated as one (`executor: JobRunner`), or read from an object by `getattr()`. A factory's result (`get_executor()`), an
 * annotation with `Executor`/`Pool`/`Any` in it, or a value of unknown kind say nothing.
 */
function otherThanExecutor(b: Binding): boolean {
  if (b.kind === 'value') {
    if (b.annotation && OTHER_CLASS.test(b.annotation.text.replace(/^Optional\[(.*)\]$/, '$1'))) return true;
    const fn = b.value.type === 'call' ? callee(b.value) : undefined;
    // `getattr(engine, "model_executor", None)`: some library object's attribute, looked up by duck typing
    // (vLLM's model executor has a `shutdown()` without `wait`).
    return fn !== undefined && (OTHER_CLASS.test(fn.text) || fn.text === 'getattr');
  }
  return b.kind === 'annotation' && OTHER_CLASS.test(b.type.text.replace(/^Optional\[(.*)\]$/, '$1'));
}

/** How ValueKinds finds names and bindings (./evidence Analysis). */
export interface BindingLookup {
  /** The qualified name of a name or attribute through the imports (`cf.ThreadPoolExecutor`). */
  qualify(expr: Node): string | undefined;
  /** Bindings of the plain name `name` visible at `at`. */
  bindingsOf(name: string, at: Node): Binding[];
  /** Bindings of a receiver expression (a name or `self.attr`). */
  receiverBindings(expr: Node): Binding[];
}

export class ValueKinds {
  /** isSession per receiver node (BHD005 and BHD006 both ask it of every requests method call). */
  private readonly sessionCache = new Map<number, boolean>();
  private readonly httpxClientCache = new Map<number, boolean>();
  private readonly popenCache = new Map<number, boolean>();
  /** The factories whose returns are being read (./factories): one met again (recursion) is no evidence. */
  private readonly reading = new Set<number>();

  constructor(private readonly lookup: BindingLookup) {}

  /**
   * Whether an annotation says the value may be an instance of one of `classes`: the class itself, or one of
   * the types of an `Optional[...]`, `Union[...]`, `X | Y` or `Annotated[X, ...]`. A container of them
   * (`dict[str, Client]`, `list[Session]`) or `type[C]` is not one.
   */
  private annotationNames(type: Node, classes: ReadonlySet<string>): boolean {
    const stack: Node[] = [type];
    while (stack.length > 0) {
      const n = stack.pop()!;
      switch (n.type) {
        case 'identifier':
        case 'attribute': {
          const q = this.lookup.qualify(n);
          if (q !== undefined && classes.has(q)) return true;
          break;
        }
        case 'type':
        case 'type_parameter':
        case 'parenthesized_expression':
        case 'union_type': // `Optional[X] | None` in a type context
          for (const c of n.namedChildren) if (c) stack.push(c);
          break;
        case 'binary_operator':
          for (const f of ['left', 'right']) {
            const side = n.childForFieldName(f);
            if (side) stack.push(side);
          }
          break;
        case 'generic_type':
        case 'subscript': {
          const [head, ...args] = n.namedChildren.filter((c): c is Node => c !== null);
          const name = head?.text.replace(/^.*\./, '');
          if (args.length === 1 && args[0]!.type === 'type_parameter')
            args.splice(0, 1, ...args[0]!.namedChildren.filter((c): c is Node => c !== null));
          if (name === 'Optional' || name === 'Union') stack.push(...args);
          else if (name === 'Annotated' && args[0]) stack.push(args[0]);
          // A generic of the class itself (`subprocess.Popen[bytes]`), not a container of it.
          else if (head && (head.type === 'identifier' || head.type === 'attribute')) stack.push(head);
          break;
        }
      }
    }
    return false;
  }

  /**
   * Constructed right there (`httpx.Client(...)`), or made by a factory of this file (./factories): one
   * declared to return the class (`make_client()` with `def make_client() -> httpx.Client:`, `self._client()`
   * with such a method of the class around the call), or declaring nothing and returning one from every
   * `return` (a construction, a local name assigned one, another factory's call).
   */
  private constructs(expr: Node, classes: ReadonlySet<string>, inFactory = false): boolean {
    if (expr.type !== 'call') return false;
    const fn = callee(expr);
    if (!fn) return false;
    const q = this.lookup.qualify(fn);
    if (q !== undefined && classes.has(q)) return true;
    // (in a factory's body, which may lie outside the part of the file being checked: its own parameters only)
    const bound = inFactory ? () => false : (name: string) => this.lookup.bindingsOf(name, expr).length > 0;
    const def = factoryDef(expr, fn, bound);
    if (!def) return false;
    const declared = def.childForFieldName('return_type');
    if (declared) return this.annotationNames(declared, classes);
    // What it returns: constructions, or calls of factories (one returning its own result, directly or not,
    // is read once per question and says nothing).
    if (this.reading.has(def.id)) return false;
    this.reading.add(def.id);
    try {
      return returnedValues(def)?.every((v) => this.constructs(v, classes, true)) ?? false;
    } finally {
      this.reading.delete(def.id);
    }
  }

  /**
   * Evidence that `expr` is a concurrent.futures executor: constructed right there, bound from a constructor
   * (in the function, an enclosing one or the module; `self.attr` anywhere in the class), annotated as one,
   * or named like one.
   */
  isExecutor(expr: Node, depth = 0): boolean {
    // (what a factory returns: with bindings of its own to follow, as deep as a receiver's)
    if (this.constructs(expr, EXECUTOR_CLASSES)) return true;
    const name =
      expr.type === 'identifier'
        ? expr.text
        : expr.type === 'attribute'
          ? expr.childForFieldName('attribute')?.text
          : undefined;
    const named = name !== undefined && EXECUTOR_NAME.test(name);
    if (depth > 2) return named;
    const bindings = this.lookup.receiverBindings(expr);
    if (
      bindings.some((b) =>
        b.kind === 'value'
          ? this.isExecutor(b.value, depth + 1) ||
            (b.annotation !== undefined && this.annotationNames(b.annotation, EXECUTOR_CLASSES))
          : b.kind === 'annotation' && this.annotationNames(b.type, EXECUTOR_CLASSES),
      )
    )
      return true;
    // The name alone, unless a binding says it is something else: `executor = JobRunner()`, `executor: JobRunner`.
    return named && !bindings.some(otherThanExecutor);
  }

  /** Evidence that `expr` is a requests Session instance (asked once per receiver). */
  isSession(expr: Node): boolean {
    return this.instanceOf(expr, SESSION_CLASSES, this.sessionCache);
  }

  /** Evidence that `expr` is an httpx.Client (the synchronous client; asked once per receiver). */
  isHttpxClient(expr: Node): boolean {
    return this.instanceOf(expr, HTTPX_CLIENT_CLASSES, this.httpxClientCache);
  }

  /** Evidence that `expr` is a subprocess.Popen (asked once per receiver). */
  isPopen(expr: Node): boolean {
    return this.instanceOf(expr, POPEN_CLASSES, this.popenCache);
  }

  private instanceOf(expr: Node, classes: ReadonlySet<string>, cache: Map<number, boolean>): boolean {
    let known = cache.get(expr.id);
    if (known === undefined) cache.set(expr.id, (known = this.instanceEvidence(expr, classes, 0)));
    return known;
  }

  /** Constructed from one of `classes`, or bound (through up to 3 bindings) to such a construction or annotation. */
  private instanceEvidence(expr: Node, classes: ReadonlySet<string>, depth: number): boolean {
    if (this.constructs(expr, classes)) return true;
    if (depth > 2) return false;
    return this.lookup
      .receiverBindings(expr)
      .some((b) =>
        b.kind === 'value'
          ? this.instanceEvidence(b.value, classes, depth + 1) ||
            (b.annotation !== undefined && this.annotationNames(b.annotation, classes))
          : b.kind === 'annotation' && this.annotationNames(b.type, classes),
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
    return this.lookup
      .bindingsOf(expr.text, expr)
      .some((b) =>
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
        const q = fn && this.lookup.qualify(fn);
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
        return this.lookup
          .bindingsOf(expr.text, expr)
          .some((b) => b.kind === 'value' && this.isFutureCollection(b.value, depth + 1));
      default:
        return false;
    }
  }
}
