/**
 * Factories in a module's text (pure, no parse): the defs whose block names a class (`def make_client() ->
 * httpx.Client:`, or `return httpx.Client()` in the body), for the text gates that must not miss what
 * ./factories finds in the tree (the planner in ./regions, BHD007's pre-filter through ./callGraph/clientText
 * and ./callGraph/blockingText). A superset: any word of the class in the def's block (./callGraph/defBlocks:
 * its header, its body), whatever it means there.
 */
import { type Block, defBlocks } from './callGraph/defBlocks';

const DEF_HEAD = /(?<![A-Za-z0-9_])def[ \t\\\r\n]+([A-Za-z_][A-Za-z0-9_]*)/g;

/** The def blocks of `code` (not the classes'), by name; undefined when the indentation is not trusted. */
function defsOf(code: string, lines: readonly number[] | undefined): Map<string, Block[]> | undefined {
  const blocks = lines && defBlocks(code, lines);
  if (!blocks) return undefined;
  const defs = new Map<string, Block[]>();
  for (const [name, list] of blocks) {
    const own = list.filter((b) => !b[2]);
    if (own.length > 0) defs.set(name, own);
  }
  return defs;
}

/**
 * The names of the defs of `code` (strings and comments blanked; `lines`: the logical lines' starts) whose
 * block matches `classWord` (a name of the class, non-global), or calls such a def (a factory returning
 * another's result), transitively. Without the lines or a trusted indentation, every def.
 */
export function factoryNames(
  code: string,
  lines: readonly number[] | undefined,
  classWord: RegExp,
): Set<string> {
  const defs = defsOf(code, lines);
  if (!defs) return new Set([...code.matchAll(DEF_HEAD)].map((m) => m[1]!));
  const names = new Set<string>();
  const rest: [string, string[]][] = [];
  for (const [name, list] of defs) {
    const texts = list.map(([from, to]) => code.slice(from, to));
    if (texts.some((t) => classWord.test(t))) names.add(name);
    else rest.push([name, texts]);
  }
  // (until nothing is added: each round reads the defs left once)
  for (let added = names.size > 0; added;) {
    added = false;
    for (let i = rest.length - 1; i >= 0; i--)
      if (rest[i]![1].some((t) => callsOneOf(t, names))) {
        names.add(rest[i]![0]);
        rest.splice(i, 1);
        added = true;
      }
  }
  return names;
}

/** Whether `text` calls one of `names` (`make()`, `self.make(`, `m.make (`): a factory's result may be there. */
export function callsOneOf(text: string, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  for (const m of text.matchAll(CALLED)) if (names.has(m[1]!)) return true;
  return false;
}

/** A call of a plain name (its name the group). */
export const CALLED = /(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)[ \t\\\r\n]*\(/g;

/**
 * The planner's view (../regions) of a module's factories, per evidence kind (`words`: a name of its classes,
 * non-global): the text of the defs that may be one, which calls are of one, which statements define one.
 */
export class FactoryText {
  private factoryText: string | undefined;
  private allNames: Set<string> | undefined;
  private readonly names = new Map<string, Set<string>>();
  /** Any kind's class word (undefined: no kind has one). */
  private readonly any: RegExp | undefined;

  constructor(
    private readonly code: string,
    private readonly lines: readonly number[] | undefined,
    private readonly words: Readonly<Record<string, RegExp | undefined>>,
  ) {
    const sources = Object.values(words).flatMap((w) => (w ? [w.source] : []));
    this.any = sources.length > 0 ? new RegExp(sources.join('|')) : undefined;
  }

  /** The blocks of the defs that may be factories of any kind, one after the other (all the code, not sure). */
  text(): string {
    if (this.factoryText !== undefined) return this.factoryText;
    const defs = this.any && defsOf(this.code, this.lines);
    if (!this.any) return (this.factoryText = '');
    if (!defs) return (this.factoryText = this.code);
    const all = this.all();
    const parts: string[] = [];
    for (const [name, list] of defs)
      if (all.has(name)) for (const [from, to] of list) parts.push(this.code.slice(from, to));
    return (this.factoryText = parts.join('\n'));
  }

  /** The defs that may be factories of any kind. */
  private all(): Set<string> {
    return (this.allNames ??= new Set(Object.keys(this.words).flatMap((kind) => [...this.namesOf(kind)])));
  }

  private namesOf(kind: string): Set<string> {
    let names = this.names.get(kind);
    if (names === undefined) {
      const word = this.words[kind];
      this.names.set(kind, (names = word ? factoryNames(this.code, this.lines, word) : new Set()));
    }
    return names;
  }

  /** Whether `text` calls a factory of `kind`'s classes (a receiver then carries the evidence). */
  called(text: string, kind: string): boolean {
    return callsOneOf(text, this.namesOf(kind));
  }

  /** Whether the statement `code[from, to)` (a def or class) may define a factory of any kind's class. */
  definedIn(from: number, to: number): boolean {
    if (this.any === undefined) return false;
    const text = this.code.slice(from, to);
    if (this.any.test(text)) return true;
    const all = this.all();
    for (const m of text.matchAll(DEF_HEAD)) if (all.has(m[1]!)) return true;
    return false;
  }
}
