/**
 * Planning of whole-file checks (CLI, Check Workspace), without parsing. Pure, no `vscode`, no tree-sitter:
 * a small Python lexer (../python/lexer) finds where the top-level statements and logical lines start and
 * blanks strings and comments; `planCheck` then looks for the calls a rule can report (through the file's
 * import-like text), and what each needs (async code by indentation, executor/Session evidence where the
 * analysis looks for it). Files with no such call are not parsed at all; of the others only the statements
 * that can matter are parsed (whole lines, columns unchanged, positions mapped back). The planning only ever
 * errs towards parsing more; tests check planned == full parse on fixtures, glued pairs and systematic variants.
 */

import { PLANNER_CALL_SITES, PLANNER_METHOD_SITES } from './rules/registry';
import type { MethodNeed } from './rules/rule';
import { asyncLocator, definitionAt, lexTopLevel } from '../python/lexer';
import { importBindings } from '../python/importText';
import { type ClientCalls, httpxClientCalls } from './callGraph/clientText';
import { FactoryText } from './factoryText';
import {
  CF_WAITS,
  EXECUTOR_CLASSES,
  HTTPX_CLIENT_CLASSES,
  POPEN_CLASSES,
  SESSION_CLASSES,
  TARGET_MODULES,
  topModule,
} from './targets';

// ---------------------------------------------------------------------------------------------------------
// Check planning: which statements of a file can hold a finding, decided on the code-only text (no parse).

/**
 * What a whole-file check has to parse: nothing at all, or `text`: the source, or only the statements that
 * can matter, one after the other (whole lines, so columns are unchanged). `pieces` maps positions in `text`
 * back to the source: the piece starting at `text` index `at` is shifted by `delta` characters and `rows`
 * lines (absent when `text` is the source).
 */
export type CheckPlan =
  | { parse: false }
  | { parse: true; text: string; pieces?: readonly { at: number; delta: number; rows: number }[] };

const lastPart = (q: string): string => q.slice(q.lastIndexOf('.') + 1);
const escape = (w: string): string => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const GAP = '[\\s\\\\]*'; // whitespace, line breaks and line continuations
const CHAIN = `(?:${GAP}\\.${GAP}[A-Za-z_][A-Za-z0-9_]*)*?`;
const ASYNC = /(?<![A-Za-z0-9_])async(?![A-Za-z0-9_])/g;

/**
 * Compiled regexes by source and flags: files of one tree import the same names, so the same patterns come
 * back file after file, and compiling them again each time costs more than running them. Global ones are
 * always run to exhaustion (lastIndex back at 0) or reset before use.
 */
const REGEXPS = new Map<string, RegExp>();
function regExp(source: string, flags = ''): RegExp {
  const key = `${flags}/${source}`;
  let re = REGEXPS.get(key);
  if (re === undefined) {
    if (REGEXPS.size > 2000) REGEXPS.clear();
    re = new RegExp(source, flags);
    REGEXPS.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

function wordsAlternation(words: Iterable<string>): string | undefined {
  const list = [...new Set(words)];
  if (list.length === 0) return undefined;
  return `(?<![A-Za-z0-9_.])(?:${list.map(escape).join('|')})(?![A-Za-z0-9_])`;
}

/** The receiver expression's text before the `.` at `dot` (`self._pool`, `requests.Session()`, `a[0]`). */
function receiverBefore(code: string, dot: number): string {
  const isIdent = (c: number): boolean =>
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
  const isGap = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 92;
  let i = dot;
  for (;;) {
    while (i > 0 && isGap(code.charCodeAt(i - 1))) i--;
    const c = code.charCodeAt(i - 1);
    if (c === 41 || c === 93 || c === 125) {
      // a bracket group: jump to its opening bracket (strings and comments are blank in `code`)
      let depth = 0;
      let j = i - 1;
      for (; j >= 0; j--) {
        const d = code.charCodeAt(j);
        if (d === 41 || d === 93 || d === 125) depth++;
        else if (d === 40 || d === 91 || d === 123) {
          depth--;
          if (depth === 0) break;
        }
      }
      if (j < 0) return code.slice(0, dot);
      i = j;
      const before = code.charCodeAt(i - 1);
      if (i > 0 && (isIdent(before) || before === 41 || before === 93)) continue; // a call or subscript
    } else if (i > 0 && isIdent(c)) {
      while (i > 0 && isIdent(code.charCodeAt(i - 1))) i--;
    } else return code.slice(i, dot);
    let k = i;
    while (k > 0 && isGap(code.charCodeAt(k - 1))) k--;
    if (k > 0 && code.charCodeAt(k - 1) === 46 /* . */) {
      i = k - 1;
      continue;
    }
    return code.slice(i, dot);
  }
}

/** How a receiver can be bound: a plain name, `self.x`/`cls.x`, or neither (then only its own text counts). */
function receiverShape(text: string): { name?: string; attribute?: string } {
  const compact = text.replace(/[\s\\]+/g, '');
  // Identifiers may hold non-ASCII letters (`café`): anything above U+007F counts as one.
  if (/^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*$/.test(compact)) return { name: compact };
  const m = /^(?:self|cls)\.([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)$/.exec(compact);
  return m ? { attribute: m[1]! } : {};
}

/** Text that can bind `name` (assignment, annotation, `as`, `for`, parameter): a superset. */
function nameBinding(name: string): RegExp {
  const n = escape(name);
  return regExp(
    `(?<![A-Za-z0-9_.])${n}${GAP}(?:=(?!=)|:)|(?<![A-Za-z0-9_])(?:as|for)${GAP}${n}(?![A-Za-z0-9_])`,
  );
}

/** Text that can bind `self.attr` / `cls.attr`. */
function attributeBinding(attr: string): RegExp {
  const a = `(?:self|cls)${GAP}\\.${GAP}${escape(attr)}(?![A-Za-z0-9_])`;
  return regExp(`${a}${GAP}(?:=(?!=)|:(?!=))|(?<![A-Za-z0-9_])(?:as|for)${GAP}${a}`);
}

/**
 * Call sites by what their statement needs, from the rule modules' subscriptions (./rules/registry), and the
 * evidence classes (executors, concurrent.futures waits, Sessions) receivers are recognised by.
 */
const SITE_KINDS: readonly {
  kind: string;
  need: 'none' | 'async' | 'asyncWith';
  targets: readonly string[];
}[] = PLANNER_CALL_SITES.map(({ need, targets }) => ({ kind: `site:${need}`, need, targets }));
const EVIDENCE_KINDS: readonly { kind: string; targets: readonly string[] }[] = [
  { kind: 'executor', targets: [...EXECUTOR_CLASSES] },
  { kind: 'wait', targets: [...CF_WAITS.keys()] },
  { kind: 'session', targets: [...SESSION_CLASSES] },
  { kind: 'httpxClient', targets: [...HTTPX_CLIENT_CLASSES] },
  { kind: 'popen', targets: [...POPEN_CLASSES] },
];
/** Qualified target name -> its kinds (a site kind and/or an evidence kind). */
const TARGET_KINDS = new Map<string, string[]>();
for (const { kind, targets } of [...SITE_KINDS, ...EVIDENCE_KINDS])
  for (const t of targets) {
    let kinds = TARGET_KINDS.get(t);
    if (!kinds) TARGET_KINDS.set(t, (kinds = []));
    kinds.push(kind);
  }
/** Module path (`requests`, `concurrent.futures`) -> the [kind, target] pairs below it. */
const TARGETS_UNDER = new Map<string, [string, string][]>();
for (const [target, kinds] of TARGET_KINDS) {
  const parts = target.split('.');
  for (let n = 1; n < parts.length; n++) {
    const module = parts.slice(0, n).join('.');
    let list = TARGETS_UNDER.get(module);
    if (!list) TARGETS_UNDER.set(module, (list = []));
    for (const kind of kinds) list.push([kind, target]);
  }
}
const WITH = /(?<![A-Za-z0-9_])with(?![A-Za-z0-9_])/;
/** The analysis looks for `.result()` calls only when the text has this (strings included). */
const SUBMIT_CALL = /\.\s*submit\s*\(/;

/**
 * Decides, without parsing, what a whole-file check must parse. Sound by construction: every finding is a
 * call the planner looks for, on the code with strings and comments blanked, with what its rule needs in
 * the same top-level statement (S) or in the module-level statements (M), where all the evidence a rule
 * uses lives (bindings: the function scopes of S, `self.attr` in its class, M; imports: anywhere):
 * - a call of an imported target through a name bound by any import-like text: an executor class (BHD001:
 *   `async` and `with` in S), a concurrent.futures wait (BHD003) or time.sleep (BHD006) (`async` in S), a
 *   requests function (BHD005, anywhere);
 * - `.shutdown(` (BHD002) or `.result(` (BHD003, with a `.submit(` in S or M): `async` in S and executor
 *   evidence in S or M (a name reaching an executor class, or "executor" in any case: `self._executor`);
 * - an HTTP method call (BHD005) when requests is imported and a name reaching a Session class is in S or M;
 *   an httpx.Client's (BHD006) when httpx is imported, `async` is in S and a name reaching the class in S or M.
 * No such call: nothing to parse. Else the statements holding one are kept, with all module-level statements
 * and every statement with an import binding a relevant name; the others are left out. The caller parses the
 * full text when the partial one has a syntax error.
 */
export function planCheck(source: string): CheckPlan {
  const lexed = lexTopLevel(source);
  const code = lexed?.code ?? source;
  const bindings = importBindings(code);
  let requestsImported = false;
  let httpxImported = false;
  /** Per kind: locals naming a target itself (`TPE`, `sleep`) and locals naming a module on the way. */
  const full = new Map<string, Set<string>>();
  const prefix = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, kind: string, local: string): void => {
    let set = map.get(kind);
    if (!set) map.set(kind, (set = new Set()));
    set.add(local);
  };
  const relevant = (q: string): boolean => TARGET_MODULES.has(topModule(q));
  for (const b of bindings) {
    const q = b.qualified;
    if (topModule(q) === 'requests') requestsImported = true;
    if (topModule(q) === 'httpx') httpxImported = true;
    const under = TARGETS_UNDER.get(q);
    if (b.local === '*') {
      if (under) for (const [kind, t] of under) add(full, kind, lastPart(t));
      continue;
    }
    for (const kind of TARGET_KINDS.get(q) ?? []) add(full, kind, b.local);
    if (under) for (const [k] of under) add(prefix, k, b.local);
  }
  /** A name reaching one of `kind`'s targets, optionally followed by `.attr` chains ending in `last`. */
  const reach = (kind: string, lasts: readonly string[], call: boolean): RegExp | undefined => {
    const alternatives: string[] = [];
    const f = full.get(kind);
    if (f) alternatives.push(`${wordsAlternation(f)!}`);
    const p = prefix.get(kind);
    if (p)
      alternatives.push(
        `${wordsAlternation(p)!}${CHAIN}${GAP}\\.${GAP}(?:${lasts.join('|')})(?![A-Za-z0-9_])`,
      );
    if (alternatives.length === 0) return undefined;
    return regExp(`(?:${alternatives.join('|')})${call ? `${GAP}\\(` : ''}`, 'g');
  };

  // Candidate calls: [regex, what the statement holding one needs]
  type Need = 'none' | 'async' | 'asyncWith' | MethodNeed;
  const sites: [RegExp, Need][] = [];
  for (const { kind, need, targets } of SITE_KINDS) {
    const re = reach(kind, [...new Set(targets.map(lastPart))], true);
    if (re) sites.push([re, need]);
  }
  const executorNames = reach('executor', ['ThreadPoolExecutor', 'ProcessPoolExecutor'], false);
  const executorEvidence = (text: string): boolean =>
    /executor/i.test(text) || (executorNames !== undefined && regExp(executorNames.source).test(text));

  // A future: from `executor.submit(...)` (executor evidence) or iterating `as_completed(...)`.
  const submit = SUBMIT_CALL.exec(source);
  const waitNames = reach('wait', ['wait', 'as_completed'], false);
  const futureEvidence = (text: string): boolean =>
    executorEvidence(text) || (waitNames !== undefined && regExp(waitNames.source).test(text));
  const sessionNames = reach('session', ['Session', 'session'], false);
  const clientNames = reach('httpxClient', ['Client'], false);
  const popenNames = reach('popen', ['Popen'], false);
  // (an httpx.Client's receiver: bound to the class somewhere in the text, see ./callGraph/clientText)
  let clientCalls: ClientCalls | undefined;
  const clientReceiver = (dot: number): boolean =>
    (clientCalls ??= httpxClientCalls(
      code,
      lexed?.lines,
      new Set(['Client', ...(full.get('httpxClient') ?? [])]),
    )).receiverAt(dot);
  // Method calls the rules subscribe to, by what their receiver needs (futures need a `.submit(` in the
  // text, Sessions an import of requests, as in the analysis).
  for (const { need, names } of PLANNER_METHOD_SITES) {
    if (need === 'future' && !submit) continue;
    if (need === 'session' && !(requestsImported && sessionNames)) continue;
    if (need === 'httpxClient' && !(httpxImported && clientNames)) continue;
    if (need === 'popen' && !popenNames) continue;
    sites.push([regExp(`\\.${GAP}(?:${names.map(escape).join('|')})${GAP}\\(`, 'g'), need]);
  }

  const starts = lexed && lexed.starts.length > 0 ? lexed.starts : [0];
  const count = starts.length;
  const statementAt = (index: number): number => {
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const statementCode = (k: number): string =>
    lexed ? code.slice(k === 0 ? 0 : starts[k]!, k + 1 < count ? starts[k + 1]! : code.length) : code;
  const definition = (k: number): boolean => lexed !== undefined && definitionAt(source, starts[k]!);
  let moduleCode: string | undefined;
  const moduleLevel = (): string => {
    if (moduleCode === undefined) {
      const parts: string[] = [];
      for (let k = 0; k < count; k++) if (!definition(k)) parts.push(statementCode(k));
      moduleCode = parts.join('\n');
    }
    return moduleCode;
  };
  const hasAsync = new Uint8Array(count);
  ASYNC.lastIndex = 0;
  for (let m = ASYNC.exec(code); m; m = ASYNC.exec(code)) hasAsync[statementAt(m.index)] = 1;
  // Factories of a class (`def make_client() -> httpx.Client:`, or returning `httpx.Client()`) are evidence
  // wherever they are defined (./factories): their blocks are in reach of every statement, a call of one carries
  // evidence, and the statements defining one are kept.
  const factories = new FactoryText(code, lexed?.lines, {
    executor: executorNames && regExp(executorNames.source),
    session: sessionNames && regExp(sessionNames.source),
    httpxClient: clientNames && regExp(clientNames.source),
    popen: popenNames && regExp(popenNames.source),
  });
  const inReach = (k: number, test: (text: string) => boolean): boolean =>
    test(statementCode(k)) || test(moduleLevel()) || test(factories.text());
  const satisfied = (k: number, need: Need): boolean => {
    switch (need) {
      case 'none':
        return true;
      case 'async':
        return hasAsync[k] === 1;
      case 'asyncWith':
        return hasAsync[k] === 1 && WITH.test(statementCode(k));
      case 'executor':
        return hasAsync[k] === 1 && inReach(k, executorEvidence);
      case 'future':
        return hasAsync[k] === 1 && inReach(k, futureEvidence);
      case 'session':
        return inReach(k, (t) => regExp(sessionNames!.source).test(t));
      case 'httpxClient':
        return hasAsync[k] === 1 && inReach(k, (t) => regExp(clientNames!.source).test(t));
      case 'popen':
        return hasAsync[k] === 1 && inReach(k, (t) => regExp(popenNames!.source).test(t));
    }
  };
  // Whether a call is lexically in async code, from the indentation (undefined: unknown, assume it can be).
  let locate: ((index: number) => boolean) | undefined | null = null;
  const mayBeAsync = (index: number): boolean => {
    if (locate === null) locate = lexed ? asyncLocator(code, lexed.lines) : undefined;
    return locate === undefined || locate(index);
  };
  const keep = new Uint8Array(count);
  const checked = new Map<number, Set<Need>>();
  let any = false;
  for (const [re, need] of sites) {
    for (let m = re.exec(code); m; m = re.exec(code)) {
      const k = statementAt(m.index);
      if (keep[k]) continue;
      if (need !== 'none' && need !== 'session' && (hasAsync[k] !== 1 || !mayBeAsync(m.index))) continue;
      if (need === 'httpxClient' && !clientReceiver(m.index)) continue;
      if (need !== 'none' && need !== 'async' && need !== 'asyncWith') {
        // Method calls: the receiver must carry evidence itself or be a name/attribute bound somewhere the
        // rule looks (its statement; plain names also at module level).
        const receiver = receiverBefore(code, m.index);
        const own =
          factories.called(receiver, need) ||
          (need === 'executor'
            ? executorEvidence(receiver)
            : need === 'future'
              ? /submit/.test(receiver) && executorEvidence(receiver)
              : regExp(
                  (need === 'session' ? sessionNames : need === 'popen' ? popenNames : clientNames)!.source,
                ).test(receiver));
        if (!own) {
          const shape = receiverShape(receiver);
          if (shape.name !== undefined) {
            const binding = nameBinding(shape.name);
            if (!inReach(k, (t) => binding.test(t))) continue;
          } else if (shape.attribute !== undefined) {
            if (!attributeBinding(shape.attribute).test(statementCode(k))) continue;
          } else continue;
        }
      }
      let seen = checked.get(k);
      if (!seen) checked.set(k, (seen = new Set()));
      if (seen.has(need)) continue; // the statement's other conditions do not depend on the call
      seen.add(need);
      if (satisfied(k, need)) {
        keep[k] = 1;
        any = true;
      }
    }
  }
  if (!any) return { parse: false };
  if (!lexed || count < 2) return { parse: true, text: source };
  // The analysis only looks at `.result()` calls when the text has a `.submit(`: keep the one it would see.
  // (Kept whenever anything is: a `.result(` call may be in a statement kept for another call.)
  if (submit) keep[statementAt(submit.index)] = 1;
  const roots = new Set<string>();
  for (const map of [full, prefix]) for (const set of map.values()) for (const local of set) roots.add(local);
  for (const b of bindings) {
    if (b.local === '*' || roots.has(b.local) || relevant(b.qualified)) keep[statementAt(b.at)] = 1;
  }
  let dropped = false;
  for (let k = 0; k < count; k++) {
    if (!keep[k] && !definition(k)) keep[k] = 1;
    // (a def whose header names an evidence class: the analysis reads its return annotation)
    const from = k === 0 ? 0 : starts[k]!;
    if (!keep[k] && factories.definedIn(from, from + statementCode(k).length)) keep[k] = 1;
    if (!keep[k]) dropped = true;
  }
  if (!dropped) return { parse: true, text: source };
  const parts: string[] = [];
  const pieces: { at: number; delta: number; rows: number }[] = [];
  let length = 0;
  let rows = 0; // line breaks left out so far
  let at = 0; // source[0, at) has been handled
  for (let k = 0; k < count; k++) {
    if (!keep[k]) continue;
    const from = k === 0 ? 0 : starts[k]!;
    let to = k + 1 < count ? starts[k + 1]! : source.length;
    while (k + 1 < count && keep[k + 1]) {
      k++;
      to = k + 1 < count ? starts[k + 1]! : source.length;
    }
    rows += lineBreaks(source, at, from);
    pieces.push({ at: length, delta: from - length, rows });
    parts.push(source.slice(from, to));
    length += to - from;
    at = to;
  }
  return { parse: true, text: parts.join(''), pieces };
}

function lineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
