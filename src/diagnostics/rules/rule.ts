/**
 * What a rule module declares (pure, no `vscode`): one file per rule under ./ (bhd00N.ts), collected by
 * ./registry, from which the code list, setting defaults, SARIF metadata, the text pre-filter, the planner's
 * call sites and the analysis' dispatch are derived. Adding a rule: one module, its fixture
 * (test/fixtures/rules/BHD00N.py), its doc page, its setting and README row (a test checks all of them).
 */
import type { Node } from '../../python/treeSitter';
import type { FindingKind, RuleCode, Severity } from '../types';

/** The first line of a diagnostic and what follows it. */
export interface RuleText {
  message: string;
  detail: string;
  /** What the reported operation is, when a fix or BHD007 needs to know (../types FindingKind). */
  kind?: FindingKind;
}

/** What a check is given: the evidence the analysis gathers over one file, and a way to report. */
export interface RuleContext {
  /** "Async code" as the rules define it (or any function body, when BHD007 collects blocking operations). */
  inAsync(node: Node): boolean;
  report(code: RuleCode, node: Node, text: RuleText, fixable: boolean): void;
  /** Evidence that an expression is a concurrent.futures executor / a requests Session / an executor future. */
  isExecutor(expr: Node): boolean;
  isSession(expr: Node): boolean;
  /** Evidence that an expression is an httpx.Client (the synchronous one). */
  isHttpxClient(expr: Node): boolean;
  /** Evidence that an expression is a subprocess.Popen. */
  isPopen(expr: Node): boolean;
  isFuture(expr: Node): boolean;
  /** What a name or dotted attribute names through the imports (a target's qualified name), unless shadowed. */
  resolve(expr: Node): string | undefined;
  /** `with X(...)` or `with X(...) as name` (not `async with`). */
  isWithItemValue(call: Node): boolean;
}

/**
 * What the planner requires of the top-level statement holding a call before it parses it: nothing,
 * `async` in it, or `async` and `with` in it (see ../regions planCheck).
 */
export type CallNeed = 'none' | 'async' | 'asyncWith';
/**
 * What a method call's receiver needs as evidence (for the analysis' and the planner's text gates): an
 * executor, a future, a requests Session, an httpx.Client, a subprocess.Popen.
 */
export type MethodNeed = 'executor' | 'future' | 'session' | 'httpxClient' | 'popen';

/** Calls of imported callables, by qualified name (`time.sleep`, `requests.get`). */
export interface CallSubscription {
  targets: ReadonlySet<string>;
  need: CallNeed;
  /** `fn` is the callee expression, `qualified` what it resolves to through the imports. */
  check(ctx: RuleContext, call: Node, fn: Node, qualified: string): void;
}

/** `receiver.method(...)` calls, by method name. */
export interface MethodSubscription {
  names: readonly string[];
  need: MethodNeed;
  check(ctx: RuleContext, receiver: Node, call: Node, method: string): void;
}

export interface RuleModule {
  code: RuleCode;
  /** A few words (SARIF shortDescription, CLI statistics). */
  title: string;
  defaultSeverity: Severity;
  /** Whether its findings can only be in async code (the pre-filter then also needs `async def`). */
  asyncOnly: boolean;
  /** Text pre-filter: false means no finding of this rule can be in `source` (no parse needed). */
  mayOccur(source: string): boolean;
  calls?: readonly CallSubscription[];
  methods?: readonly MethodSubscription[];
  /** BHD007 follows this rule's operations into sync helpers (they block the thread that runs them). */
  blocking: boolean;
  /** Found over the whole project (BHD007, ../callGraph), not by the per-file dispatch. */
  project?: true;
  /** Its automatic fix (in src/codeActions), or undefined: none. */
  fix: { title: string; applicability: 'safe' | 'unsafe' } | undefined;
}
