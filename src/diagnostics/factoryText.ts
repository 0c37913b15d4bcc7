/**
 * Factories in a module's text (pure, no parse): the defs whose header names a class (`def make_client() ->
 * httpx.Client:`), for the text gates that must not miss what ./factories finds in the tree (the planner in
 * ./regions, BHD007's pre-filter through ./callGraph/clientText and ./callGraph/blockingText). A superset: any
 * word of the class in the header's logical line (its parameters, its return annotation), whatever it means.
 */
import { lastAtOrBefore } from '../python/text';

const DEF_HEAD = /(?<![A-Za-z0-9_])def[ \t\\\r\n]+([A-Za-z_][A-Za-z0-9_]*)/g;
const DEF_HEAD_ONE = new RegExp(DEF_HEAD.source);

/**
 * The names of the defs of `code` (strings and comments blanked; `lines`: the logical lines' starts) whose
 * header's logical line matches `classWord` (a name of the class, non-global). Without the lines (the lexer
 * gave up), every def.
 */
export function factoryNames(
  code: string,
  lines: readonly number[] | undefined,
  classWord: RegExp,
): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(DEF_HEAD))
    if (!lines || classWord.test(logicalLine(code, lines, m.index))) names.add(m[1]!);
  return names;
}

/** The logical line of `code` holding `at` (`lines`: the logical lines' starts; without them, all of it). */
function logicalLine(code: string, lines: readonly number[] | undefined, at: number): string {
  if (!lines) return code;
  const k = Math.max(0, lastAtOrBefore(lines, at));
  return code.slice(lines[k] ?? 0, k + 1 < lines.length ? lines[k + 1] : code.length);
}

/**
 * The planner's view (../regions) of a module's factories, per evidence kind (`words`: a name of its classes,
 * non-global): where their headers are, which calls are of one, which statements define one.
 */
export class FactoryText {
  private headerText: string | undefined;
  private readonly names = new Map<string, Set<string>>();
  private readonly any: RegExp;

  constructor(
    private readonly code: string,
    private readonly lines: readonly number[] | undefined,
    private readonly words: Readonly<Record<string, RegExp | undefined>>,
  ) {
    const sources = Object.values(words).flatMap((w) => (w ? [w.source] : []));
    this.any = new RegExp(sources.join('|'), 'i');
  }

  /** Every def header's logical line, one after the other: where a factory's declared type can be. */
  headers(): string {
    if (!this.lines) return this.code;
    const lines = this.lines;
    return (this.headerText ??= [...this.code.matchAll(DEF_HEAD)]
      .map((m) => logicalLine(this.code, lines, m.index))
      .join('\n'));
  }

  /** Whether `text` calls a factory of `kind`'s classes (a receiver then carries the evidence). */
  called(text: string, kind: string): boolean {
    let names = this.names.get(kind);
    if (names === undefined) {
      const word = this.words[kind];
      this.names.set(kind, (names = word ? factoryNames(this.code, this.lines, word) : new Set()));
    }
    return callsOneOf(text, names);
  }

  /** Whether the first def in `code[from, to)` (a statement) has a header naming a class of any kind. */
  definedIn(from: number, to: number): boolean {
    const m = DEF_HEAD_ONE.exec(this.code.slice(from, to));
    return m !== null && this.any.test(logicalLine(this.code, this.lines, from + m.index));
  }
}

/** Whether `text` calls one of `names` (`make()`, `self.make(`, `m.make (`): a factory's result may be there. */
export function callsOneOf(text: string, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  for (const m of text.matchAll(CALLED)) if (names.has(m[1]!)) return true;
  return false;
}

const CALLED = /(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)[ \t\\\r\n]*\(/g;
