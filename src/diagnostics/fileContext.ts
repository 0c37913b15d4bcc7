/**
 * What every segment's analysis of one parsed file shares (pure, no `vscode`): the tree and text, the rules
 * selected, the import table and what derives from it, where module-level names are bound, and which code
 * counts as async. Made once per file (./analyze) or kept across keystrokes (./incrementalAnalysis).
 */
import type { Node, Tree } from '../python/treeSitter';
import { type Binding, type ImportTable, enclosingScope, isInAsyncCode, wordsRegExp } from '../python/scope';
import { hasMethodCall, lastPart } from '../python/text';
import { TARGETS, topModule } from './targets';
import type { RuleCode } from './types';

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
  /**
   * Whether "session" occurs anywhere, in any case: every Session class (../targets SESSION_CLASSES) has it in
   * its name, and evidence of a Session names one in this text (a call, an annotation, an import, an alias's
   * import). Else no receiver is a Session, and no `.get(`/`.post(` needs looking at.
   */
  readonly sessionWord: boolean;
  /** Whether httpx is imported at all (httpx.Client method calls are only looked for then). */
  httpxImported: boolean;
  /** Whether "Client" occurs anywhere (every httpx.Client evidence names the class). */
  readonly clientWord: boolean;
  /** Whether "Popen" occurs anywhere (every subprocess.Popen evidence names the class). */
  readonly popenWord: boolean;
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

const SESSION_WORD = /session/i;
const CLIENT_WORD = /Client/;

/** What counts as "async code": an `async def` body (the rules), or any function body (blockingOps). */
export type ScopeRule = 'async' | 'function';

/** What the rules need from the import table (depends on the imports only). */
export interface DerivedFromImports {
  roots: RegExp | undefined;
  requestsImported: boolean;
  httpxImported: boolean;
}

export function deriveFromImports(imports: ImportTable): DerivedFromImports {
  const roots = new Set<string>();
  let requestsImported = false;
  let httpxImported = false;
  const bound: [string, string][] = [...imports.names];
  // (a def's own imports bind there only: their names are candidates, resolved where they are used)
  for (const [local, qs] of imports.local ?? []) for (const q of qs) bound.push([local, q]);
  for (const [local, q] of bound) {
    if (topModule(q) === 'requests') requestsImported = true;
    if (topModule(q) === 'httpx') httpxImported = true;
    for (const target of TARGETS) {
      if (target === q || target.startsWith(`${q}.`)) {
        roots.add(local);
        break;
      }
    }
  }
  for (const module of imports.starModules) {
    if (module === 'requests') requestsImported = true;
    if (module === 'httpx') httpxImported = true;
    for (const target of TARGETS) if (target.startsWith(`${module}.`)) roots.add(lastPart(target));
  }
  return { roots: wordsRegExp(roots), requestsImported, httpxImported };
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
  // (the callers that pass knownHasSubmit true, on a keystroke, take every text gate as open: always correct)
  let sessionWord: boolean | undefined = knownHasSubmit === true ? true : undefined;
  let clientWord: boolean | undefined = sessionWord;
  let popenWord: boolean | undefined = sessionWord;
  return {
    tree,
    source,
    select,
    imports,
    roots: derived.roots,
    requestsImported: derived.requestsImported,
    httpxImported: derived.httpxImported,
    // Only needed when a statement is analysed: not computed on a keystroke where everything is cached.
    get hasSubmit(): boolean {
      hasSubmit ??= hasMethodCall(source, 'submit');
      return hasSubmit;
    },
    get sessionWord(): boolean {
      sessionWord ??= SESSION_WORD.test(source);
      return sessionWord;
    },
    get clientWord(): boolean {
      clientWord ??= CLIENT_WORD.test(source);
      return clientWord;
    },
    get popenWord(): boolean {
      popenWord ??= source.includes('Popen');
      return popenWord;
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
