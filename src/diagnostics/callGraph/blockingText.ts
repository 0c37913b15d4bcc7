/**
 * Where a blocking operation (BHD001/002/003/006, what BHD007 follows) can be in a module's text, block by
 * block (pure, no parse): the call graph needs one in the body of a function it reaches, not anywhere in the
 * file. Derived from the blocking rules' subscriptions (../rules/registry), as the analysis matches them:
 * - a call whose head name is bound by an import (any in the file) to one of their targets or to a module on
 *   the way (`time`, `sleep`, `cf.ThreadPoolExecutor`, `requests.get`), or by a star import of such a module
 *   to a target's last name;
 * - a method call the rules subscribe to (`.shutdown(`, `.result(`; a Session's `.get(`... when the file
 *   imports requests), whatever the receiver: its evidence may live anywhere.
 */
import { BLOCKING_RULES } from '../rules/registry';
import { lastPart } from '../../python/text';
import { textImports } from './textImports';

const TARGETS: readonly string[] = [
  ...new Set(BLOCKING_RULES.flatMap((r) => (r.calls ?? []).flatMap((c) => [...c.targets]))),
];
const methods = (needs: (need: string) => boolean): RegExp =>
  new RegExp(
    `\\.\\s*(?:${[
      ...new Set(
        BLOCKING_RULES.flatMap((r) => (r.methods ?? []).filter((m) => needs(m.need)).flatMap((m) => m.names)),
      ),
    ].join('|')})\\s*\\(`,
  );
const TARGET_SET = new Set(TARGETS);
/** Methods of executors and futures (any receiver may carry the evidence). */
const METHODS = methods((need) => need !== 'session');
/** With a Session's too (when the file imports requests). */
const METHODS_WITH_SESSION = methods(() => true);

export interface BlockingText {
  /**
   * Whether `word`, the head of a call or dotted callee, may name a blocking operation's target; with `tail`
   * (the attributes up to the call, [] for `word(`), whether that call is one.
   */
  root(word: string, tail?: readonly string[]): boolean;
  /** Whether `code[from, to)` has a method call a blocking rule subscribes to. */
  methodCall(code: string, from: number, to: number): boolean;
}

/** The blocking-operation names of a module's code (strings and comments blanked). */
export function blockingText(code: string): BlockingText {
  /** Local name -> what imports bind it to (a target or a module on the way to one); '*': star-import names. */
  const roots = new Map<string, string[]>();
  const bind = (local: string, q: string): void => {
    const list = roots.get(local);
    if (list) list.push(q);
    else roots.set(local, [q]);
  };
  let requests = false;
  for (const { local, modules } of textImports(code)) {
    for (const [module, level, member] of modules) {
      if (level > 0) continue;
      const q = member === undefined ? module : `${module}.${member}`;
      if (q === 'requests' || q.startsWith('requests.')) requests = true;
      if (local === '*') {
        for (const t of TARGETS) if (t.startsWith(`${q}.`)) bind(lastPart(t), t);
      } else if (TARGETS.some((t) => t === q || t.startsWith(`${q}.`))) bind(local, q);
    }
  }
  const re = requests ? METHODS_WITH_SESSION : METHODS;
  return {
    root: (word, tail) => {
      const bound = roots.get(word);
      if (!bound) return false;
      if (tail === undefined) return true;
      const rest = tail.length > 0 ? `.${tail.join('.')}` : '';
      return bound.some((q) => TARGET_SET.has(`${q}${rest}`));
    },
    methodCall: (text, from, to) => re.test(text.slice(from, to)),
  };
}
