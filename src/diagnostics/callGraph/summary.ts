/**
 * Per-file summary for BHD007 (pure, no `vscode`): which functions block directly, what each one calls, and
 * what the file imports. Plain data (no tree-sitter nodes): summaries outlive their tree and are cached by
 * content hash in the project index (./projectIndex).
 */
import { deadBranch, moduleFlags } from '../../python/moduleFlags';
import { mayTestPlatform, platformOnly } from '../../python/platformBranch';
import { loopBranches, loopProbes, mayProbeLoop } from '../../python/loopBranch';
import type { Node, Tree } from '../../python/treeSitter';
import { qualifiedName, readImports } from '../../python/imports';
import { isAsyncDef, underTypeChecking } from '../../python/scope';
import { LocalNames, reboundAtModuleLevel } from '../../python/localBindings';
import {
  decoratorNames,
  importFallback,
  inImportFallback,
  offloaded,
  offloadedByRebinding,
  returnsAsyncWrapper,
} from './defTraits';
import {
  type CallSite,
  type CalleeSite,
  calleeSite,
  callSite,
  dotted,
  mayBeInstance,
  rangeOf,
} from './callSites';

export type { Callee, CallSite, CalleeSite } from './callSites';
export type { BlockingOp, FunctionSummary, ImportBinding, ModuleSummary } from './summaryTypes';
import type { FunctionSummary, ImportBinding, ModuleSummary } from './summaryTypes';
import { attachBlockingOps } from './blockingOwners';
import { returnedClass } from './returnTypes';
import { moduleNames } from './moduleNames';
import { type Guard, defFlags, mayHaveFlags } from './guards';
import { type DefScope, InstanceTypes } from './instanceTypes';

function importsOf(statements: readonly Node[]): Map<string, ImportBinding> {
  const imports = new Map<string, ImportBinding>();
  for (const statement of readImports(statements))
    for (const n of statement.names)
      imports.set(
        n.local,
        // `import a.b` binds `a` (the package a); `a.b.f()` is resolved through the dotted base.
        n.member === undefined
          ? { module: qualifiedName(n), level: 0 }
          : { module: n.module, name: n.member, level: n.level },
      );
  return imports;
}

/** A def/lambda/class open during the sweep in text order, with where its body starts. */
interface OpenScope {
  node: Node;
  end: number;
  bodyStart: number;
  /** Depth in def/lambda/class nesting (0: at module level). */
  depth: number;
  /** For a def directly in a class body: that class (open scope below it). */
  cls?: OpenScope;
}

/**
 * Summarises a parsed file (the tree is read, not kept). One `descendantsOfType` walk hands over every def,
 * class, lambda, call and import in text order; a stack sweep then finds each node's scope from offsets
 * alone (walking up `parent`s costs wasm calls per level per call, most of a summary's time).
 */
export function summarize(tree: Tree, source: string): ModuleSummary {
  const functions = new Map<string, FunctionSummary>();
  const byId = new Map<number, FunctionSummary>();
  const classes = new Set<string>();
  const bases = new Map<string, string[]>();
  const asyncCalls: CallSite[] = [];
  const asyncCallOwners: (string | undefined)[] = [];
  /** For each async call, the id of the async def holding it (its own imports are known after the sweep). */
  const asyncCallScopes: number[] = [];
  const asyncIds = new Map<number, string | undefined>();
  const imports: Node[] = [];
  /** Module-level imports under `if TYPE_CHECKING:` (they name classes for annotations; nothing runs them). */
  const typeOnlyImports: Node[] = [];
  /** Module-level imports in an `except ImportError:` clause: what runs only when the `try`'s import failed. */
  const fallbackImports: Node[] = [];
  /** Module-level classes by name, with where each starts (a class rebinds a def's name before it). */
  const classStarts: [string, number][] = [];
  /** Imports inside a def's body, by the def's node id. */
  const localImports = new Map<number, Node[]>();
  /** Sync defs whose header has a falsy default (`=False`, `=None`, `=0`): they may have flags (./guards). */
  const flagDefs = new Map<number, { def: Node; bodyStart: number }>();
  /** Calls in those defs, checked once the defs' flags are known. */
  const flagCalls: { site: CalleeSite; id: number; at: number }[] = [];
  /** Defs by node id, and the calls `x.f(...)` in them whose `x` may be an instance (./instanceTypes). */
  const defScopes = new Map<number, DefScope>();
  const instanceCalls: { site: CalleeSite | CallSite; id: number }[] = [];
  const nodes = tree.rootNode.descendantsOfType([
    'function_definition',
    'class_definition',
    'lambda',
    'call',
    'import_statement',
    'import_from_statement',
    'yield',
  ]);
  const stack: OpenScope[] = [];
  /** The innermost open scope whose body holds [start, end) (defaults and decorators belong outside). */
  const scopeAt = (start: number): OpenScope | undefined => {
    for (let k = stack.length - 1; k >= 0; k--) if (start >= stack[k]!.bodyStart) return stack[k];
    return undefined;
  };
  // Module-level flags (`_IS_SYNC = False`): a call in a branch one keeps off never runs (../../python/moduleFlags).
  // Read first (most modules have none): then no call's ancestors are walked for them.
  const switches = moduleFlags(source);
  // (the tree is asked only when the text can test the platform)
  const platforms = mayTestPlatform(source);
  // Defs asking whether an event loop runs (../../python/loopBranch): what runs without one never runs here.
  // (a call or operation under another module's def that may be a probe is kept with its name: ./chainSearch)
  const noLoop = loopBranches(tree.rootNode, source);
  for (const node of nodes) {
    const start = node.startIndex;
    while (stack.length > 0 && stack[stack.length - 1]!.end <= start) stack.pop();
    const type = node.type;
    if (type === 'call') {
      const scope = scopeAt(start);
      if (!scope || scope.node.type !== 'function_definition') continue;
      if (switches.size > 0 && deadBranch(node, () => switches)) continue;
      const owner = byId.get(scope.node.id);
      const isAsync = asyncIds.has(scope.node.id);
      if (!owner && !isAsync) continue;
      if (node.parent?.type === 'await') continue; // awaited: it returns an awaitable, not a plain helper
      if (isAsync) {
        const site = callSite(node);
        if (!site) continue;
        asyncCalls.push(site);
        asyncCallOwners.push(asyncIds.get(scope.node.id));
        asyncCallScopes.push(scope.node.id);
        if (mayBeInstance(site.callee)) instanceCalls.push({ site, id: scope.node.id });
      } else if (owner && !owner.isAsync) {
        const off = noLoop?.(node, scope.node);
        if (off === true) continue;
        const site = calleeSite(node);
        if (site && off) site.noLoop = off;
        if (site && platforms && platformOnly(node, scope.node)) site.platform = true;
        if (site) owner.calls.push(site);
        if (site && mayBeInstance(site.callee)) instanceCalls.push({ site, id: scope.node.id });
        if (site && flagDefs.has(scope.node.id)) flagCalls.push({ site, id: scope.node.id, at: start });
      }
      continue;
    }
    if (type === 'yield') {
      const scope = scopeAt(start);
      const owner = scope?.node.type === 'function_definition' ? byId.get(scope.node.id) : undefined;
      if (owner) owner.generator = true;
      continue;
    }
    if (type === 'import_statement' || type === 'import_from_statement') {
      if (stack.every((s) => start < s.bodyStart)) {
        // (an indented one may be under `if TYPE_CHECKING:`: it never runs, and must not hide a real import)
        const indented = source.charCodeAt(start - 1) === 32 || source.charCodeAt(start - 1) === 9;
        (indented && underTypeChecking(node)
          ? typeOnlyImports
          : indented && inImportFallback(node)
            ? fallbackImports
            : imports
        ).push(node);
      } else {
        // Inside a def (a lazy import, often to break an import cycle): it binds names in that def only.
        const scope = scopeAt(start);
        if (scope?.node.type === 'function_definition') {
          const list = localImports.get(scope.node.id);
          if (list) list.push(node);
          else localImports.set(scope.node.id, [node]);
        }
      }
      continue;
    }
    const body = node.childForFieldName('body');
    const outer = scopeAt(start);
    const open: OpenScope = {
      node,
      end: node.endIndex,
      bodyStart: body?.startIndex ?? node.endIndex,
      depth: outer ? outer.depth + 1 : 0,
    };
    if (type === 'class_definition') {
      const name = node.childForFieldName('name');
      if (name && !outer) {
        classes.add(name.text);
        classStarts.push([name.text, start]);
        const list: string[] = [];
        for (const b of node.childForFieldName('superclasses')?.namedChildren ?? []) {
          const d = b && dotted(b); // a keyword (`metaclass=M`) is not a base
          if (d !== undefined) list.push(d);
        }
        if (list.length > 0) bases.set(name.text, list);
      }
    } else if (type === 'function_definition') {
      const name = node.childForFieldName('name');
      const isAsync = isAsyncDef(node);
      const cls = outer?.node.type === 'class_definition' ? outer : undefined;
      defScopes.set(node.id, {
        node,
        bodyStart: open.bodyStart,
        nested: cls ? cls.depth > 0 : !!outer,
        ...(cls && cls.depth === 0 ? { cls: cls.node } : {}),
      });
      // Addressable: a module-level def, or a method of a module-level class.
      const addressable = cls ? cls.depth === 0 : !outer;
      const className = cls ? cls.node.childForFieldName('name')?.text : undefined;
      if (isAsync) asyncIds.set(node.id, addressable ? className : undefined);
      if (name && addressable && !(outer === undefined && importFallback(node, source))) {
        const qualname = className ? `${className}.${name.text}` : name.text;
        const summary: FunctionSummary = {
          qualname,
          ...(className ? { className } : {}),
          // (a sync def made awaitable by its decorator runs in a worker thread: no chain starts there)
          isAsync: isAsync || offloaded(node, source),
          nameRange: rangeOf(name),
          calls: [],
        };
        if (!summary.isAsync) {
          const decorators = decoratorNames(node, source);
          if (decorators) summary.decorators = decorators;
          if (!className && returnsAsyncWrapper(node, source)) summary.wrapsAsync = true;
        }
        // A redefinition wins, as at run time (the later def).
        functions.set(qualname, summary);
        byId.set(node.id, summary);
        if (!isAsync && mayHaveFlags(source, start, open.bodyStart, node.endIndex))
          flagDefs.set(node.id, { def: node, bodyStart: open.bodyStart });
      }
    }
    stack.push(open);
  }
  // Its own probes: another module's call of one keeps a branch off (./chainSearch).
  if (mayProbeLoop(source))
    for (const [name, kind] of loopProbes(tree.rootNode)) {
      const fn = functions.get(name);
      if (fn && !fn.className) fn.loopProbe = kind;
    }
  const flags = new Map<number, { from: number; to: number; guard: Guard }[]>();
  for (const [id, { def, bodyStart }] of flagDefs) {
    const { branches, params } = defFlags(tree, source, def, bodyStart);
    if (branches.length > 0) flags.set(id, branches);
    if (params.size > 0) byId.get(id)!.flags = params;
  }
  const guardAt = (id: number, at: number): Guard | undefined =>
    flags.get(id)?.find((r) => r.from <= at && at < r.to)?.guard;
  for (const { site, id, at } of flagCalls) site.guard = guardAt(id, at);
  if (byId.size > 0)
    attachBlockingOps(tree, source, byId, {
      guardAt,
      ...(noLoop ? { noLoop } : {}),
      ...(platforms ? { platformOnly } : {}),
    });
  const scopeImports = new Map<number, Map<string, ImportBinding>>();
  for (const [id, list] of localImports) {
    const table = importsOf(list);
    scopeImports.set(id, table);
    const owner = byId.get(id);
    if (owner) owner.imports = table;
  }
  // The defs (and lambdas) around a nested def, innermost first: their names are the nested def's closure
  // variables (Python looks them up before the module's).
  const enclosingCache = new Map<number, Node[]>();
  const enclosing = (id: number): Node[] => {
    let found = enclosingCache.get(id);
    if (found === undefined) {
      found = [];
      const scope = defScopes.get(id);
      if (scope?.nested)
        for (let p = scope.node.parent; p; p = p.parent)
          if (p.type === 'function_definition' || p.type === 'lambda') found.push(p);
      enclosingCache.set(id, found);
    }
    return found;
  };
  /** A def's own imports over those of the defs around it (a lazy import in the enclosing def binds there). */
  const visibleCache = new Map<number, Map<string, ImportBinding> | undefined>();
  const visibleImports = (id: number): Map<string, ImportBinding> | undefined => {
    if (visibleCache.has(id)) return visibleCache.get(id);
    const around = enclosing(id).filter((n) => scopeImports.has(n.id));
    let merged = scopeImports.get(id);
    if (around.length > 0) {
      merged = new Map<string, ImportBinding>();
      for (const n of around.reverse()) for (const [k, v] of scopeImports.get(n.id)!) merged.set(k, v);
      for (const [k, v] of scopeImports.get(id) ?? []) merged.set(k, v);
    }
    visibleCache.set(id, merged);
    return merged;
  };
  const asyncCallImports = asyncCallScopes.map((id) => visibleImports(id));
  const moduleImports = importsOf(imports);
  // (the `try`'s import is what normally runs; a fallback or type-only import names what nothing else binds)
  for (const [local, binding] of importsOf([...fallbackImports, ...typeOnlyImports]))
    if (!moduleImports.has(local)) moduleImports.set(local, binding);
  const types = new InstanceTypes(
    tree,
    source,
    (n) => moduleImports.has(n) || classes.has(n) || functions.has(n),
  );
  for (const { site, id } of instanceCalls) {
    const def = defScopes.get(id);
    const base = (site.callee as { base: string }).base;
    const cls = !def
      ? undefined
      : base.startsWith('self.')
        ? types.attributeIn(def, base.slice(5))
        : types.typeIn(def, base, scopeImports.get(id));
    if (cls !== undefined) site.cls = cls;
    else if (def && 'statement' in site && !base.includes('.')) {
      // In async code, `x = get_service(); x.f()`: `f` of the class an imported def returns (./returnTypes).
      const factory = types.factoryIn(def, base, scopeImports.get(id));
      // (a lower-case head, as the pre-filter reads them: ./factoryReturns factoryUses)
      const head = factory?.split('.')[0];
      if (head !== undefined && /^[a-z_]/.test(head) && moduleImports.has(head)) site.factory = factory;
    }
  }
  // A name bound in the calling def itself (a parameter, `helper = lambda: 1`, a nested `def helper`, a loop
  // or `with` target) is not the module's def or import of that name: such a call is not followed.
  const locals = new LocalNames(tree, source, true);
  const moduleInstances = types.moduleInstances();
  // What module-level sync defs return (another module's `x = f(); x.g()` looks `g` up there).
  for (const [id, fn] of byId)
    if (!fn.className && !fn.isAsync) {
      const returns = returnedClass(defScopes.get(id)!.node, source, moduleInstances);
      if (returns !== undefined) fn.returns = returns;
    }
  const starred = imports.some((n) => readImports([n])[0]?.star);
  const resolvable = (root: string): boolean =>
    starred ||
    functions.has(root) ||
    classes.has(root) ||
    moduleImports.has(root) ||
    moduleInstances.has(root);
  const shadowed = (site: CalleeSite, id: number): boolean => {
    // An instance of a known class: its binding was read (one made right there: its class may be shadowed).
    if (site.cls !== undefined && !('made' in site.callee)) return false;
    const root = 'name' in site.callee ? site.callee.name : site.callee.base.split('.')[0]!;
    if (root === 'self' || root === 'cls' || root === 'super()') return false;
    // Only a name the resolver would look up here can be shadowed into a wrong hop: a module-level def,
    // class, import or instance, or any name when a star import may bring it (`len(`, `rows.append(`: none).
    if (!resolvable(root) && !visibleImports(id)?.has(root)) return false;
    const def = defScopes.get(id)?.node;
    // (also by the defs around a nested one: `def run(resolve): async def main(): resolve(1)`)
    return (
      def !== undefined &&
      locals.shadowed(root, [def, ...enclosing(id)], site.startIndex, site.startIndex + 1)
    );
  };
  for (const [id, owner] of byId)
    if (owner.calls.length > 0) owner.calls = owner.calls.filter((site) => !shadowed(site, id));
  const kept = asyncCalls.flatMap((site, i) => (shadowed(site, asyncCallScopes[i]!) ? [] : [i]));
  // A module-level def that a later module-level assignment rebinds (`helper = print`) is not what a call runs.
  const lastDefEnds = new Map<string, number>();
  for (const [id, summary] of byId)
    if (!summary.className && functions.get(summary.qualname) === summary)
      lastDefEnds.set(summary.qualname, defScopes.get(id)!.node.endIndex);
  for (const name of reboundAtModuleLevel(tree, source, lastDefEnds)) functions.delete(name);
  // `load = sync_to_async(load)`: calling `load` returns an awaitable, as with the decorator.
  for (const name of offloadedByRebinding(source, lastDefEnds)) {
    const fn = functions.get(name);
    if (fn) fn.isAsync = true;
  }
  // A later module-level class or import of the name rebinds it too (`from fastlib import helper` in a `try`).
  const laterThanDef = (name: string, at: number): boolean => (lastDefEnds.get(name) ?? Infinity) <= at;
  for (const [name, at] of classStarts) if (laterThanDef(name, at)) functions.delete(name);
  for (const statement of readImports(imports))
    for (const n of statement.names)
      if (laterThanDef(n.local, statement.node.startIndex)) functions.delete(n.local);
  return {
    functions,
    classes,
    bases,
    imports: moduleImports,
    ...moduleNames(
      source,
      functions,
      Math.max(
        -1,
        ...readImports(imports)
          .filter((st) => st.star)
          .map((st) => st.node.startIndex),
      ),
    ),
    stars: readImports(imports)
      .filter((statement) => statement.star)
      .map((statement) => ({ module: statement.module, level: statement.level })),
    instances: moduleInstances,
    asyncCalls: kept.map((i) => asyncCalls[i]!),
    asyncCallOwners: kept.map((i) => asyncCallOwners[i]),
    asyncCallImports: kept.map((i) => asyncCallImports[i]),
  };
}
