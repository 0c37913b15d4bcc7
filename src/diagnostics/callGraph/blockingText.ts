/**
 * Where a blocking operation (BHD001/002/003/006, what BHD007 follows) can be in a module's text, block by
 * block (pure, no parse): the call graph needs one in the body of a function it reaches, not anywhere in the
 * file. Derived from the blocking rules' subscriptions (../rules/registry), as the analysis matches them:
 * - a call whose head name is bound by an import (any in the file) to one of their targets or to a module on
 *   the way (`time`, `sleep`, `cf.ThreadPoolExecutor`, `requests.get`), or by a star import of such a module
 *   to a target's last name;
 * - a method call the rules subscribe to (`.shutdown(`, `.result(`, a Session's or httpx.Client's `.get(`...), whatever the
 *   receiver, when the module can carry the evidence the rule needs of a receiver (see blockingText); a
 *   Session's only where one can be in reach (sessionNear: `d.get(` of a dict far from any Session is none).
 */
import { factoryNames } from '../factoryText';
import { BLOCKING_RULES } from '../rules/registry';
import type { MethodNeed } from '../rules/rule';
import { hasMethodCall, lastAtOrBefore, lastPart } from '../../python/text';
import { type TextImport, textImports } from './textImports';
import { HTTPX_CLIENT_CLASSES, SESSION_CLASSES, topModule } from '../targets';
import { httpxClientCalls } from './clientText';

const TARGETS: readonly string[] = [
  ...new Set(BLOCKING_RULES.flatMap((r) => (r.calls ?? []).flatMap((c) => [...c.targets]))),
];
const TARGET_SET = new Set(TARGETS);
/** A word that can name a Session class through a star import of requests (`Session()`, `session()`). */
const SESSION_WORD = /(?<![A-Za-z0-9_])[Ss]ession(?![A-Za-z0-9_])/;
const CLIENT_WORD = /Client/;

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
      // (spaces, line breaks and continuations around the name: `s.get \` + newline + `("u")`)
      names.size === 0 ? undefined : new RegExp(`\\.[\\s\\\\]*(?:${[...names].join('|')})[\\s\\\\]*\\(`),
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
  /** Whether `code[from, to)` has a method call a blocking rule subscribes to (`code`: the text this was made of). */
  methodCall(code: string, from: number, to: number): boolean;
}

/**
 * The blocking-operation names of a module's code (strings and comments blanked; `source`: its text, when the
 * code was blanked from it; `imports`: textImports of the code, when known). A method call counts only when
 * the module can carry the evidence its rule needs of the receiver (../evidence, ../valueKinds: all of it in
 * the same file): an executor's method when the code says "executor" (the classes' names, the
 * `executor`/`*_executor` names); a future's when the text has a `.submit(` (as the analysis asks); a
 * Session's when requests is imported and a Session class can be named (imported as one, `requests.Session`,
 * `rq.sessions.session`, a star import's `Session`); a Popen's when the text says "Popen".
 */
export function blockingText(
  code: string,
  source = code,
  imports: readonly TextImport[] = textImports(code),
  /** The logical lines' starts (../../python/lexer): given, a Session's methods count only near a Session. */
  lines?: readonly number[],
): BlockingText {
  /** Local name -> what imports bind it to (a target or a module on the way to one); '*': star-import names. */
  const roots = new Map<string, string[]>();
  const bind = (local: string, q: string): void => {
    const list = roots.get(local);
    if (list) list.push(q);
    else roots.set(local, [q]);
  };
  let requests = false;
  let httpx = false;
  let session = false;
  /** Locals naming requests or requests.sessions: `local.Session(`, `local.sessions.session(`. */
  const sessionPrefixes: string[] = [];
  /** Local names of the Session classes (`from requests import Session as S`), beside the words themselves. */
  const sessionNames = new Set(['Session', 'session']);
  /** Local names of httpx.Client (`from httpx import Client as HC`), beside the word itself. */
  const clientNames = new Set(['Client']);
  for (const { local, modules } of imports) {
    for (const [module, level, member] of modules) {
      if (level > 0) continue;
      const q = member === undefined ? module : `${module}.${member}`;
      if (topModule(q) === 'requests') requests = true;
      if (topModule(q) === 'httpx') httpx = true;
      if (HTTPX_CLIENT_CLASSES.has(q) && local !== '*') clientNames.add(local);
      if (SESSION_CLASSES.has(q)) {
        session = true;
        if (local !== '*') sessionNames.add(local);
      } else if (q === 'requests' || q === 'requests.sessions') {
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
  // A Popen's `.wait()`/`.communicate()`: every evidence of one names the class (../evidence canCarry).
  if (code.includes('Popen')) evident.add('popen');
  // An httpx.Client's methods (the analysis' text gate: httpx imported and "Client" written), each where its
  // receiver may be bound to one (./clientText: most `.get(` calls in such modules are dicts').
  const clientCall = httpx && CLIENT_WORD.test(code) ? httpxClientCalls(code, lines, clientNames) : undefined;
  const re = methodsFor(evident);
  // (with the factories of a Session, declared or returning one: `s = make_session()` is near one, ../factories)
  const near =
    evident.has('session') && lines
      ? sessionNear(
          code,
          lines,
          new Set([...sessionNames, ...factoryNames(code, lines, wordsOf(sessionNames))]),
        )
      : undefined;
  const withoutSession = near && methodsFor(new Set([...evident].filter((e) => e !== 'session')));
  return {
    root: (word, tail) => {
      const bound = roots.get(word);
      if (!bound) return false;
      if (tail === undefined) return true;
      const rest = tail.length > 0 ? `.${tail.join('.')}` : '';
      return bound.some((q) => TARGET_SET.has(`${q}${rest}`));
    },
    methodCall: (text, from, to) => {
      const methods = near === undefined || near(from) ? re : withoutSession;
      return (
        (methods !== undefined && methods.test(text.slice(from, to))) ||
        (clientCall?.within(from, to) ?? false)
      );
    },
  };
}

/**
 * Whether a Session can be in reach of code at a position: the analysis (../evidence) takes a receiver for a
 * Session from its bindings in the scopes visible there (the function, the functions around it, the module)
 * or, for `self.x`, anywhere in its class, each followed to a Session class named in that text. All of that
 * lies in the top-level def or class holding the position, or in the module-level code: a Session word
 * (`Session`, `session`, a local name of a Session class) in neither, and no Session method call there counts.
 */
function sessionNear(
  code: string,
  lines: readonly number[],
  names: ReadonlySet<string>,
): (at: number) => boolean {
  const word = new RegExp(`(?<![A-Za-z0-9_])(?:${[...names].join('|')})(?![A-Za-z0-9_])`);
  // Statements at column 0, in order: top-level defs and classes, and the module-level code between them.
  const starts: number[] = [];
  const isBlock: boolean[] = [];
  for (const at of lines) {
    const c = code.charCodeAt(at);
    if (Number.isNaN(c) || c === 32 || c === 9 || c === 10 || c === 13 || c === 12) continue;
    starts.push(at);
    isBlock.push(TOP_BLOCK.test(code.slice(at, at + 12)));
  }
  let moduleLevel: boolean | undefined;
  const segments = new Map<number, boolean>();
  const text = (k: number): string =>
    code.slice(starts[k], k + 1 < starts.length ? starts[k + 1] : code.length);
  return (at) => {
    const hi = lastAtOrBefore(starts, at);
    moduleLevel ??= starts.some((_, k) => !isBlock[k] && word.test(text(k)));
    if (moduleLevel || hi < 0 || !isBlock[hi]) return moduleLevel;
    let yes = segments.get(hi);
    if (yes === undefined) segments.set(hi, (yes = word.test(text(hi))));
    return yes;
  };
}

/** A regex of any of `names` as a whole word. */
const wordsOf = (names: ReadonlySet<string>): RegExp =>
  new RegExp(`(?<![A-Za-z0-9_])(?:${[...names].join('|')})(?![A-Za-z0-9_])`);

/** A top-level def or class statement's start (a decorator is module-level code: it runs there). */
const TOP_BLOCK = /^(?:async[ \t]+def|def|class)(?![A-Za-z0-9_])/;
