/**
 * The rules, in code order, and everything derived from their modules (pure): code list, defaults, titles,
 * the text pre-filter, the analysis' dispatch tables and the planner's call sites. Nothing about a rule is
 * written down twice; test/unit/rulesRegistry.test.ts checks the rest of the repository against this list
 * (settings, docs pages, README rows, fixtures).
 */
import { hasAsyncDef } from '../../python/text';
import type { RuleCode, Severity } from '../types';
import { BHD001 } from './bhd001';
import { BHD002 } from './bhd002';
import { BHD003 } from './bhd003';
import { BHD005 } from './bhd005';
import { BHD006 } from './bhd006';
import { BHD007 } from './bhd007';
import type { CallNeed, CallSubscription, MethodNeed, MethodSubscription, RuleModule } from './rule';

export const RULES: readonly RuleModule[] = [BHD001, BHD002, BHD003, BHD005, BHD006, BHD007];

export const RULE_BY_CODE: ReadonlyMap<RuleCode, RuleModule> = new Map(RULES.map((r) => [r.code, r]));

export const DEFAULT_SEVERITY = Object.fromEntries(RULES.map((r) => [r.code, r.defaultSeverity])) as Readonly<
  Record<RuleCode, Severity>
>;

export const RULE_TITLES = Object.fromEntries(RULES.map((r) => [r.code, r.title])) as Readonly<
  Record<RuleCode, string>
>;

/**
 * Whether any of `rules` can have a finding in `source`, from its text (no parse). Rules that only report in
 * async code also need `async def` in the text (asked once, and only when such a rule's tokens are there).
 */
export function mayHaveFindings(
  source: string,
  rules: readonly RuleModule[] = RULES,
  requireAsync = true,
): boolean {
  let hasAsync: boolean | undefined;
  for (const rule of rules) {
    if (rule.asyncOnly && requireAsync) {
      if (hasAsync === false) continue;
      if (!rule.mayOccur(source)) continue;
      hasAsync ??= hasAsyncDef(source);
      if (hasAsync) return true;
    } else if (rule.mayOccur(source)) return true;
  }
  return false;
}

/** The rules whose operations BHD007 follows into sync helpers. */
export const BLOCKING_RULES: readonly RuleModule[] = RULES.filter((r) => r.blocking);

/** A call subscription with the rule that made it. */
export interface CallHandler {
  code: RuleCode;
  subscription: CallSubscription;
}
export interface MethodHandler {
  code: RuleCode;
  subscription: MethodSubscription;
}

/** key -> handlers, over every rule's subscriptions of one kind (`keys` of each subscription). */
function handlersBy<S>(
  of: (rule: RuleModule) => readonly S[] | undefined,
  keys: (s: S) => Iterable<string>,
): Map<string, { code: RuleCode; subscription: S }[]> {
  const map = new Map<string, { code: RuleCode; subscription: S }[]>();
  for (const rule of RULES)
    for (const subscription of of(rule) ?? [])
      for (const key of keys(subscription)) {
        let list = map.get(key);
        if (!list) map.set(key, (list = []));
        list.push({ code: rule.code, subscription });
      }
  return map;
}

/** Qualified callable -> the rules' handlers for its calls. */
export const CALL_HANDLERS: ReadonlyMap<string, readonly CallHandler[]> = handlersBy(
  (r) => r.calls,
  (s) => s.targets,
);

/** Method name -> the rules' handlers for `receiver.name(...)` calls. */
export const METHOD_HANDLERS: ReadonlyMap<string, readonly MethodHandler[]> = handlersBy(
  (r) => r.methods,
  (s) => s.names,
);

/** For the planner: the imported callables a rule reports calls of, by what their statement needs. */
export const PLANNER_CALL_SITES: readonly { need: CallNeed; targets: readonly string[] }[] = (() => {
  const byNeed = new Map<CallNeed, Set<string>>();
  // The weakest need of any rule on a target wins (requests calls: BHD005 needs nothing).
  const order: CallNeed[] = ['none', 'async', 'asyncWith'];
  const weakest = new Map<string, CallNeed>();
  for (const rule of RULES)
    for (const s of rule.calls ?? [])
      for (const t of s.targets) {
        const known = weakest.get(t);
        if (known === undefined || order.indexOf(s.need) < order.indexOf(known)) weakest.set(t, s.need);
      }
  for (const [t, need] of weakest) {
    let set = byNeed.get(need);
    if (!set) byNeed.set(need, (set = new Set()));
    set.add(t);
  }
  return [...byNeed].map(([need, targets]) => ({ need, targets: [...targets] }));
})();

/** For the planner: method names by what their receiver needs. */
export const PLANNER_METHOD_SITES: readonly { need: MethodNeed; names: readonly string[] }[] = (() => {
  const byNeed = new Map<MethodNeed, Set<string>>();
  for (const rule of RULES)
    for (const s of rule.methods ?? []) {
      let set = byNeed.get(s.need);
      if (!set) byNeed.set(s.need, (set = new Set()));
      for (const n of s.names) set.add(n);
    }
  return [...byNeed].map(([need, names]) => ({ need, names: [...names] }));
})();
