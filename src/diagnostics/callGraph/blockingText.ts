/**
 * Where a blocking operation (BHD001/002/003/006, what BHD007 follows) can be in a module's text, block by
 * block (pure, no parse): the call graph needs one in the body of a function it reaches, not anywhere in the
 * file. Derived from the blocking rules' subscriptions (../rules/registry), as the analysis matches them:
 * - a call whose head name is bound by an import (any in the file) to one of their targets or to a module on
 *   the way (`time`, `sleep`, `cf.ThreadPoolExecutor`, `requests.get`), or by a star import of such a module
 *   to a target's last name;
 * - a method call the rules subscribe to (`.shutdown(`, `.result(`, a Session's `.get(`...), whatever the
 *   receiver, when the module can carry the evidence the rule needs of a receiver (see blockingText).
 */
import { BLOCKING_RULES } from '../rules/registry';
import type { MethodNeed } from '../rules/rule';
import { hasMethodCall, lastPart } from '../../python/text';
import { type TextImport, textImports } from './textImports';
import { SESSION_CLASSES } from '../targets';

const TARGETS: readonly string[] = [
  ...new Set(BLOCKING_RULES.flatMap((r) => (r.calls ?? []).flatMap((c) => [...c.targets]))),
];
const TARGET_SET = new Set(TARGETS);
/** A word that can name a Session class through a star import of requests (`Session()`, `session()`). */
const SESSION_WORD = /(?<![A-Za-z0-9_])[Ss]ession(?![A-Za-z0-9_])/;

/**
 * The method calls the blocking rules subscribe to, for the receiver evidence a module's text can carry
 * (`executor`, `future`, `session`: see blockingText): one regex per combination, made once.
 */
const METHOD_REGEXPS = new Map<string, RegExp | undefined>();
function methodsFor(evident: ReadonlySet<MethodNeed>): RegExp | undefined {
  const key = [...evident].sort().join(',');
  if (!METHOD_REGEXPS.has(key)) {
    const names = new Set(
      BLOCKING_RULES.flatMap((r) =>
        (r.methods ?? []).filter((m) => evident.has(m.need)).flatMap((m) => m.names),
      ),
    );
    METHOD_REGEXPS.set(
      key,
      names.size === 0 ? undefined : new RegExp(`\\.\\s*(?:${[...names].join('|')})\\s*\\(`),
    );
  }
  return METHOD_REGEXPS.get(key);
}

export interface BlockingText {
  /**
   * Whether `word`, the head of a call or dotted callee, may name a blocking operation's target; with `tail`
   * (the attributes up to the call, [] for `word(`), whether that call is one.
   */
  root(word: string, tail?: readonly string[]): boolean;
  /** Whether `code[from, to)` has a method call a blocking rule subscribes to. */
  methodCall(code: string, from: number, to: number): boolean;
}

/**
 * The blocking-operation names of a module's code (strings and comments blanked; `source`: its text, when the
 * code was blanked from it; `imports`: textImports of the code, when known). A method call counts only when
 * the module can carry the evidence its rule needs of the receiver (../evidence, ../valueKinds: all of it in
 * the same file): an executor's method when the code says "executor" (the classes' names, the
 * `executor`/`*_executor` names); a future's when the text has a `.submit(` (as the analysis asks); a
 * Session's when requests is imported and a Session class can be named (imported as one, `requests.Session`,
 * `rq.sessions.session`, a star import's `Session`).
 */
export function blockingText(
  code: string,
  source = code,
  imports: readonly TextImport[] = textImports(code),
): BlockingText {
  /** Local name -> what imports bind it to (a target or a module on the way to one); '*': star-import names. */
  const roots = new Map<string, string[]>();
  const bind = (local: string, q: string): void => {
    const list = roots.get(local);
    if (list) list.push(q);
    else roots.set(local, [q]);
  };
  let requests = false;
  let session = false;
  /** Locals naming requests or requests.sessions: `local.Session(`, `local.sessions.session(`. */
  const sessionPrefixes: string[] = [];
  for (const { local, modules } of imports) {
    for (const [module, level, member] of modules) {
      if (level > 0) continue;
      const q = member === undefined ? module : `${module}.${member}`;
      if (q === 'requests' || q.startsWith('requests.')) requests = true;
      if (SESSION_CLASSES.has(q)) session = true;
      else if (q === 'requests' || q === 'requests.sessions') {
        if (local === '*') session ||= SESSION_WORD.test(code);
        else sessionPrefixes.push(local);
      }
      if (local === '*') {
        for (const t of TARGETS) if (t.startsWith(`${q}.`)) bind(lastPart(t), t);
      } else if (TARGETS.some((t) => t === q || t.startsWith(`${q}.`))) bind(local, q);
    }
  }
  if (requests && !session && sessionPrefixes.length > 0)
    session = new RegExp(
      `(?<![A-Za-z0-9_.])(?:${sessionPrefixes.join('|')})[\\s\\\\]*\\.[\\s\\\\]*(?:sessions[\\s\\\\]*\\.[\\s\\\\]*)?[Ss]ession(?![A-Za-z0-9_])`,
    ).test(code);
  const evident = new Set<MethodNeed>();
  if (/executor/i.test(code)) evident.add('executor');
  if (hasMethodCall(source, 'submit')) evident.add('future'); // the analysis's hasSubmit
  if (requests && session) evident.add('session');
  const re = methodsFor(evident);
  return {
    root: (word, tail) => {
      const bound = roots.get(word);
      if (!bound) return false;
      if (tail === undefined) return true;
      const rest = tail.length > 0 ? `.${tail.join('.')}` : '';
      return bound.some((q) => TARGET_SET.has(`${q}${rest}`));
    },
    methodCall: (text, from, to) => re !== undefined && re.test(text.slice(from, to)),
  };
}
