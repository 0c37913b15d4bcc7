/**
 * What a call in a summarised file resolves to (pure, no `vscode`): a def of the same file (also a method
 * through `self`/`cls` or its class, inherited ones included), a function of a project module it imports
 * (re-exports followed), a static/class method of an imported class; for a `with C():` item, the class's
 * `__enter__`/`__exit__`. Precision first: anything else (an instance of unknown type, a dynamic attribute) is
 * undefined. The index (./projectIndex) supplies summaries, module resolution and its text-level answers.
 */
import type { Receiver, Target } from './chainFinding';
import { consumedAt, enteredAt } from './callShape';
import type { CalleeSite, ImportBinding, ModuleSummary } from './summary';

export interface CallResolverHost {
  summary(file: string): ModuleSummary | undefined;
  resolveModule(module: string, from: string, level: number): string | undefined;
  /** Text-level: whether a def or class `name` of `file` may block (./nameReach): not worth a parse if not. */
  mayBlock(file: string, name: string): boolean;
  memberMayBlock(file: string, member: string, attr: string): boolean;
  /** Text-level: whether class `cls` of `file` calls back an override that may block (./overrides). */
  mayCallBack(file: string, cls: string): boolean;
}

/** Base classes followed for an inherited method (`class C(B)`: B's, then B's bases...). */
const MAX_BASES = 4;

export class CallResolver {
  /**
   * Per summary (a file's text: the same file may be asked about with another text), `C.attr\0depth` -> the
   * method a class inherits (null: none), asked again for every `self.attr()` of C.
   */
  private inherited = new WeakMap<ModuleSummary, Map<string, Target | null>>();

  constructor(private readonly host: CallResolverHost) {}

  /** Summaries changed: inherited methods are looked up again. */
  clear(): void {
    this.inherited = new WeakMap();
  }

  /**
   * Whether `name` (`f`, `C.f`) of `file` may block, from the text (./nameReach): a def or class that cannot,
   * nor anything it names, starts no chain, not worth a parse of its module. (A re-export is an import of the
   * module: followed there.)
   */
  private mayReach(file: string, name: string): boolean {
    const dot = name.indexOf('.');
    if (dot < 0) return this.host.mayBlock(file, name);
    return name.indexOf('.', dot + 1) < 0
      ? this.host.memberMayBlock(file, name.slice(0, dot), name.slice(dot + 1))
      : this.host.mayBlock(file, name.slice(0, dot));
  }

  /**
   * A function `name` of `file`, following up to 3 re-exports (`from .impl import f` in a package).
   * `overridden`: `name` is a method looked up for a subclass that may call back an override that blocks (see
   * fromBases): its `self.g()` may run the subclass's `g`, so the text of `file` alone does not decide.
   */
  private functionIn(file: string, name: string, depth = 0, overridden = false): Target | undefined {
    if (!overridden && !this.mayReach(file, name)) return undefined;
    const dot = name.indexOf('.');
    const summary = this.host.summary(file);
    if (!summary) return undefined;
    const fn = summary.functions.get(name);
    if (fn) return { file, fn };
    const head = dot < 0 ? name : name.slice(0, dot);
    // `C.f` of a class here that inherits `f`, run on an instance of C (a `self.g()` there runs C's `g`).
    if (dot >= 0 && summary.classes.has(head))
      return withReceiver(this.methodIn(file, summary, head, name.slice(dot + 1), depth, overridden), {
        file,
        cls: head,
      });
    // `x.f` of a module-level instance `x = C()` (`from m import x; x.f()`): `C.f` as seen from here.
    const instance = dot >= 0 && name.indexOf('.', dot + 1) < 0 ? summary.instances.get(head) : undefined;
    if (instance !== undefined) {
      const callee = { base: instance, attr: name.slice(dot + 1) };
      return depth < 3
        ? this.resolveCallee(file, summary, { callee, startIndex: 0 }, undefined, undefined, depth + 1)
        : undefined;
    }
    const bound = summary.imports.get(head);
    if (!bound) return this.throughStars(file, summary, name, depth);
    if (bound.name === undefined || depth >= 3) return undefined;
    const next = this.host.resolveModule(bound.module, file, bound.level);
    return next
      ? this.functionIn(next, bound.name + (dot < 0 ? '' : name.slice(dot)), depth + 1, overridden)
      : undefined;
  }

  /** `name` (`f`, `C.f`) as one of `file`'s star imports brings it (`from .files import *`), the first found. */
  private throughStars(
    file: string,
    summary: ModuleSummary,
    name: string,
    depth: number,
  ): Target | undefined {
    const head = name.split('.')[0]!;
    // A name assigned here is that value, not the star's; `_private` names and those `__all__` leaves out are
    // not brought by a star import.
    if (depth >= 3 || summary.stars.length === 0 || summary.assigned.has(head)) return undefined;
    for (const star of summary.stars) {
      const next = this.host.resolveModule(star.module, file, star.level);
      // (asked of the text first: most star modules do not have the name, and a summary means a parse)
      if (!next || next === file || !this.mayReach(next, name)) continue;
      const exports = this.host.summary(next)?.exports;
      if (exports ? !exports.has(head) : head.startsWith('_')) continue;
      const found = this.functionIn(next, name, depth + 1);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * What runs when the call `site` in `file` runs (in a method of `className`, in a def whose own imports
   * are `scope`): the function its callee resolves to (none for a generator not iterated there: its body
   * does not run); for a `with C():` item of a class `C`, its sync `__enter__` and `__exit__`.
   */
  targets(
    file: string,
    summary: ModuleSummary,
    site: CalleeSite,
    className: string | undefined,
    scope: Map<string, ImportBinding> | undefined,
    /** The text the summary is of (what the text before a call does with its result is read there). */
    textOf: () => string,
    /** The class `self` is when the calling method runs, when it is not `className` (Target.receiver). */
    receiver?: Receiver,
  ): Target[] {
    const target = this.resolveCallee(file, summary, site, className, scope, 0, receiver);
    // A function: its body runs unless it is a generator that is not iterated right there.
    if (target) return !target.fn.generator || consumedAt(textOf(), site.startIndex) ? [target] : [];
    // Not a function: a class entered by `with` runs its __enter__ and __exit__.
    const callee = site.callee;
    if (!('name' in callee) || !enteredAt(textOf(), site.startIndex)) return [];
    const found: Target[] = [];
    for (const attr of ['__enter__', '__exit__']) {
      const method = { callee: { base: callee.name, attr }, startIndex: site.startIndex };
      const t = this.resolveCallee(file, summary, method, className, scope);
      if (t && !t.fn.isAsync) found.push(t);
    }
    return found;
  }

  /**
   * The module-level def a decorator's name (`offload`, `utils.offload`) stands for in `file`: defined there,
   * imported by name (`from app.util import offload`) or through its module (`import app.util as utils`,
   * `from app import util`).
   * Not gated by the text pre-filter (a decorator need not block to matter), and no re-exports followed.
   */
  named(file: string, summary: ModuleSummary, name: string): Target | undefined {
    const dot = name.lastIndexOf('.');
    const head = dot < 0 ? name : name.slice(0, name.indexOf('.'));
    const local = dot < 0 ? summary.functions.get(name) : undefined;
    if (local) return { file, fn: local };
    const bound = summary.imports.get(head);
    if (!bound) return undefined;
    // (`from app import utils; utils.f`: `utils` a submodule)
    const [module, fnName] =
      dot < 0
        ? bound.name === undefined
          ? [undefined, name]
          : [bound.module, bound.name]
        : bound.name === undefined
          ? [bound.module + name.slice(head.length, dot), name.slice(dot + 1)]
          : [
              `${bound.module ? `${bound.module}.` : ''}${bound.name}${name.slice(head.length, dot)}`,
              name.slice(dot + 1),
            ];
    const holder = module === undefined ? undefined : this.host.resolveModule(module, file, bound.level);
    const fn = holder === undefined ? undefined : this.host.summary(holder)?.functions.get(fnName);
    return fn && holder ? { file: holder, fn } : undefined;
  }

  private resolveCallee(
    file: string,
    summary: ModuleSummary,
    site: CalleeSite,
    className: string | undefined,
    scope: Map<string, ImportBinding> | undefined,
    /** Lookups through instances so far (each may lead to another module's: bounded as re-exports are). */
    depth = 0,
    receiver?: Receiver,
  ): Target | undefined {
    if (site.factory !== undefined && 'base' in site.callee)
      return this.factoryMethod(file, summary, site.factory, site.callee.attr, depth);
    // `x.f(...)` on an instance of a known class (./instanceTypes): as `C.f(...)`.
    const callee =
      site.cls !== undefined && 'base' in site.callee
        ? { base: site.cls, attr: site.callee.attr }
        : site.callee;
    if ('name' in callee) {
      const inDef = scope?.get(callee.name);
      if (inDef) return this.imported(file, inDef);
      const local = summary.functions.get(callee.name);
      if (local) return { file, fn: local };
      const bound = summary.imports.get(callee.name);
      return bound ? this.imported(file, bound) : this.throughStars(file, summary, callee.name, depth);
    }
    const { base, attr } = callee;
    if (base === 'self' || base === 'cls')
      return className ? this.selfMethod(file, summary, className, attr, receiver) : undefined;
    // `super().f(...)`: `f` as the class's bases have it (not the class's own), run on this instance: a
    // `self.g()` there runs this class's override of `g` (Target.receiver).
    if (base === 'super()')
      return className
        ? withReceiver(
            this.fromBases(file, summary, summary.bases.get(className) ?? [], attr, 0, className),
            receiver ?? { file, cls: className },
          )
        : undefined;
    if (site.selfArg && className) {
      // `Base.f(self, ...)`: as `super().f(...)`, on this instance.
      const target = this.resolveCallee(
        file,
        summary,
        { callee, startIndex: site.startIndex },
        className,
        scope,
        depth,
      );
      return withReceiver(target, receiver ?? { file, cls: className });
    }
    const head = base.split('.')[0]!;
    const inDef = scope?.get(head);
    if (!inDef && !base.includes('.') && summary.classes.has(base))
      return withReceiver(this.methodIn(file, summary, base, attr, 0), { file, cls: base });
    const bound = inDef ?? summary.imports.get(head);
    // (`C.f()` of a class, or `x.f()` of an instance, that a star import brings: `from .models import *`)
    if (!bound)
      return base.includes('.') || summary.functions.has(base)
        ? undefined
        : this.throughStars(file, summary, `${base}.${attr}`, depth);
    const rest = base.slice(head.length); // `.b.c` of `a.b.c`
    if (bound.name === undefined) {
      // `import a.b as m; m.f()` or `import a; a.b.f()`: a module, then maybe submodules, then the function;
      // or `m.C.f()`, a method of a class `C` there.
      const module = this.host.resolveModule(bound.module + rest, file, bound.level);
      if (module) return this.functionIn(module, attr, depth);
      return this.classMethod(file, bound.module, rest, attr, bound.level, depth);
    }
    // `from a.b import C; C.f()` (a class there), or `from a import b; b.f()` (a submodule).
    const module = this.host.resolveModule(bound.module, file, bound.level);
    const viaClass = module && !rest ? this.functionIn(module, `${bound.name}.${attr}`, depth) : undefined;
    if (viaClass) return viaClass;
    const submodule = this.host.resolveModule(
      `${bound.module ? `${bound.module}.` : ''}${bound.name}${rest}`,
      file,
      bound.level,
    );
    if (submodule) return this.functionIn(submodule, attr, depth);
    // `from a import b; b.C.f()`: a method of a class `C` of the submodule `b`.
    return this.classMethod(
      file,
      `${bound.module ? `${bound.module}.` : ''}${bound.name}`,
      rest,
      attr,
      bound.level,
      depth,
    );
  }

  /**
   * `x.f(...)` with `x = get_service()`, or `get_service().f(...)` (CalleeSite.factory): `f` of the class that
   * `get_service`, a sync def of another module imported here, returns (FunctionSummary.returns), looked up
   * as that module writes the class.
   */
  private factoryMethod(
    file: string,
    summary: ModuleSummary,
    factory: string,
    attr: string,
    depth: number,
  ): Target | undefined {
    // (a lower-case first name, as the text pre-filter reads factories: ./factoryReturns factoryUses)
    const made = depth < 3 && /^[a-z_]/.test(factory) ? this.named(file, summary, factory) : undefined;
    if (!made || made.file === file || made.fn.isAsync || made.fn.returns === undefined) return undefined;
    const there = this.host.summary(made.file);
    const method = { callee: { base: made.fn.returns, attr }, startIndex: 0 };
    return there && this.resolveCallee(made.file, there, method, undefined, made.fn.imports, depth + 1);
  }

  /**
   * `self.attr(...)` in a method of `className`: that class's method (own or inherited). When `self` is known
   * to be a subclass's instance (`receiver`: an inherited method called through the subclass, `super().f()`,
   * `Base.f(self)`) and that subclass has another `attr` (an override), the override is what runs: followed
   * when sync, not when an `async def`. (The text gates find such overrides in another module through
   * ./overrides: a class whose own method may block and is called through `self.` in its bases' modules.)
   */
  private selfMethod(
    file: string,
    summary: ModuleSummary,
    className: string,
    attr: string,
    receiver: Receiver | undefined,
  ): Target | undefined {
    const found = this.methodIn(file, summary, className, attr, 0);
    if (!found) return undefined;
    if (!receiver || (receiver.file === file && receiver.cls === className))
      return withReceiver(found, { file, cls: className });
    const own = receiver.file === file ? summary : this.host.summary(receiver.file);
    const actual = own && this.methodIn(receiver.file, own, receiver.cls, attr, 0);
    // The subclass's override is what runs: followed (an `async def` one starts no chain).
    if (actual && (actual.file !== found.file || actual.fn.qualname !== found.fn.qualname))
      return actual.fn.isAsync ? undefined : withReceiver(actual, receiver);
    return withReceiver(found, receiver);
  }

  /** `module` + `rest` (`.sub.C`) as a class `C` of a module `module.sub`: its method `attr`. */
  private classMethod(
    file: string,
    module: string,
    rest: string,
    attr: string,
    level: number,
    depth: number,
  ): Target | undefined {
    const dot = rest.lastIndexOf('.');
    if (dot < 0) return undefined;
    const holder = this.host.resolveModule(module + rest.slice(0, dot), file, level);
    return holder ? this.functionIn(holder, `${rest.slice(dot + 1)}.${attr}`, depth) : undefined;
  }

  /**
   * The method `attr` of class `cls` of `file`: its own, else inherited (bases in order, depth first as in
   * Python's MRO for single inheritance): a class of the same file, one imported by name (`from m import
   * Base`), or one written with a module imported whole (`import app.base as m`: `m.Base`). A computed base is
   * not followed.
   */
  private methodIn(
    file: string,
    summary: ModuleSummary,
    cls: string,
    attr: string,
    depth: number,
    overridden = false,
  ): Target | undefined {
    const own = summary.functions.get(`${cls}.${attr}`);
    if (own) return { file, fn: own };
    const bases = summary.bases.get(cls);
    if (depth >= MAX_BASES || bases === undefined) return undefined;
    let memo = this.inherited.get(summary);
    if (!memo) this.inherited.set(summary, (memo = new Map()));
    const key = `${cls}.${attr}\u0000${depth}${overridden ? '!' : ''}`;
    let found = memo.get(key);
    if (found === undefined) {
      found = this.fromBases(file, summary, bases, attr, depth, cls, overridden) ?? null;
      memo.set(key, found);
    }
    return found ?? undefined;
  }

  /**
   * `attr` as the bases of class `sub` of `file` have it. When `sub` may call back an override that blocks (one
   * of its own methods may, and a base's module calls it through `self.`: ./overrides), a base's `attr` is
   * looked up whatever its module's text says (`overridden`, passed on to the bases' bases): its `self.g()` may
   * run `sub`'s override of `g` (Target.receiver), which the base's module does not show (the template method:
   * `Base.scrape()` calls `self.fetch()`, a subclass's `fetch` does the blocking request).
   */
  private fromBases(
    file: string,
    summary: ModuleSummary,
    bases: readonly string[],
    attr: string,
    depth: number,
    sub: string,
    overridden = false,
  ): Target | undefined {
    const ungated = overridden || this.host.mayCallBack(file, sub);
    for (const base of bases) {
      if (base.includes('.')) {
        // `m.Base` with `import app.base as m` (or `import app.base`): class Base of that module. Through a
        // from-import (`from app import base`) it is not followed, as the text pre-filter reads it.
        const [head, ...rest] = base.split('.');
        const bound = summary.imports.get(head!);
        if (!bound || bound.name !== undefined) continue;
        // (`import app.base` binds `app`, {module: 'app'}: `app.base.Base` is class Base of module app.base)
        const module = [bound.module, ...rest.slice(0, -1)].join('.');
        const holder = this.host.resolveModule(module, file, bound.level);
        const inherited =
          holder && this.functionIn(holder, `${rest[rest.length - 1]}.${attr}`, depth + 1, ungated);
        if (inherited) return inherited;
        continue;
      }
      if (summary.classes.has(base)) {
        const local = this.methodIn(file, summary, base, attr, depth + 1, ungated);
        if (local) return local;
        continue;
      }
      const bound = summary.imports.get(base);
      if (!bound || bound.name === undefined) continue;
      const module = this.host.resolveModule(bound.module, file, bound.level);
      const inherited = module && this.functionIn(module, `${bound.name}.${attr}`, depth + 1, ungated);
      if (inherited) return inherited;
    }
    return undefined;
  }

  /** The function a `from m import f` binding (`bound`, in `file`) names, or undefined (a module, not found). */
  private imported(file: string, bound: ImportBinding): Target | undefined {
    if (bound.name === undefined) return undefined;
    const module = this.host.resolveModule(bound.module, file, bound.level);
    return module ? this.functionIn(module, bound.name) : undefined;
  }
}

/** `target` as run on an instance of `receiver` (kept only when it is not the method's own class). */
function withReceiver(target: Target | undefined, receiver: Receiver): Target | undefined {
  if (!target) return undefined;
  return target.file === receiver.file && target.fn.className === receiver.cls
    ? target
    : { ...target, receiver };
}
