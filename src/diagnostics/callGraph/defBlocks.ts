/**
 * The text of every def and class block, by the name it defines, from the indentation of the logical lines
 * (pure, no parse): for the BHD007 pre-filter (./prefilter), which asks what a local function's body can call.
 * A block runs from its header to the next logical line indented no deeper than the header (nested blocks
 * included, decorators not): a superset of what the function body holds. blocksReach reads a def's block
 * without the bodies nested in it (ownCode): the call graph follows no nested def.
 */
import { BLANK_LINE, UNREAD_INDENT, indentLength, indentWidth } from '../../python/lexer';
import { lastAtOrBefore } from '../../python/text';
import { entersWhole, isGap, isWordChar, madeUse, useShape } from './callShape';

/**
 * Where a def or class is, as the call graph can reach it (../summary: only a module-level def or class and a
 * def directly in a module-level class are looked up; a def nested in a def, or in a nested class, never is).
 */
export const enum Level {
  Module = 0,
  Method = 1,
  Nested = 2,
}

/** A def or class block: [start, end) of the code, whether it is a class, and its Level. */
export type Block = readonly [start: number, end: number, isClass: boolean, level: Level];

const HEAD = /^(?:async[\s\\]+)?(?:def|class)[\s\\]+([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)/;

/**
 * Name -> the blocks of `code` (strings and comments blanked) of the defs and classes of that name, at any
 * depth (tabs count as tree-sitter counts them: ../../python/lexer indentWidth). Undefined when the
 * indentation cannot be trusted (a form feed at a line start).
 */
export function defBlocks(code: string, lines: readonly number[]): Map<string, Block[]> | undefined {
  const indent: number[] = []; // -1: blank line
  for (const from of lines) {
    const width = indentWidth(code, from);
    if (width === UNREAD_INDENT) return undefined;
    indent.push(width);
  }
  const blocks = new Map<string, Block[]>();
  /** The blocks open at the current line, outermost first (what the next header is nested in). */
  const open: Block[] = [];
  for (let j = 0; j < lines.length; j++) {
    const width = indent[j]!;
    if (width === BLANK_LINE) continue;
    const at = lines[j]! + indentLength(code, lines[j]!);
    const c = code.charCodeAt(at);
    if (c !== 97 /* a */ && c !== 99 /* c */ && c !== 100 /* d */) continue;
    const head = HEAD.exec(code.slice(at, at + 200));
    if (!head) continue;
    const name = head[1]!;
    let k = j + 1;
    while (k < lines.length && (indent[k]! < 0 || indent[k]! > width)) k++;
    while (open.length > 0 && open[open.length - 1]![1] <= at) open.pop();
    const level =
      open.length === 0
        ? Level.Module
        : open.length === 1 && open[0]![2] && c !== 99
          ? Level.Method
          : Level.Nested;
    const range: Block = [at, k < lines.length ? lines[k]! : code.length, c === 99, level];
    open.push(range);
    const list = blocks.get(name);
    if (list) list.push(range);
    else blocks.set(name, [range]);
  }
  return blocks;
}

/**
 * A word of code followed by `(` or `.` (spaces, tabs, line breaks and continuations between: ./callShape
 * isGap): where a call or a dotted callee starts.
 */
const USE =
  /(?<![A-Za-z0-9_\u0080-\uffff])[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*(?=[ \t\r\n\\]*[(.])/g;

/**
 * How a call graph can use a word of a block: the head of a call or of a dotted callee (`f(`, `m.f(`, `C.f(`;
 * `call`: followed by `(`), or a method through `self.`/`cls.` (`self.f(`). Other words (attributes of
 * other receivers, names not called) cannot start a hop.
 */
export type Use = {
  word: string;
  call: boolean;
  self: boolean;
  /** The attributes after the word up to the call (`m.a.f(`: ['a', 'f']; [] for `f(`); undefined: not sure. */
  tail?: readonly string[];
  /** Stands for a call on an instance of the class `word` (./instances instanceUses): `tail` is its method. */
  instance?: boolean;
};

/** The uses (see Use) in `code[from, to)`. */
function* usesIn(code: string, from: number, to: number): Generator<Use> {
  const text = code.slice(from, to);
  for (const m of text.matchAll(USE)) {
    const word = m[0];
    let after = m.index + word.length;
    while (isGap(text.charCodeAt(after))) after++;
    const call = text.charCodeAt(after) === 40; /* ( */
    let i = m.index - 1;
    while (i >= 0 && isGap(text.charCodeAt(i))) i--;
    if (text.charCodeAt(i) !== 46 /* . */) {
      // Not a def's or class's own name, nor `self`/`cls` (their methods are the `self: true` uses).
      if (
        word === 'self' ||
        word === 'cls' ||
        keywordEndsAt(text, i + 1, 'def') ||
        keywordEndsAt(text, i + 1, 'class')
      )
        continue;
      // A chain that is not called starts nothing (`t = time.sleep`: the call graph follows calls only, as a
      // plain name that is not called is no use); one not read for sure has no tail (nothing assumed).
      const shape = useShape(text, false, m.index + word.length);
      if (shape === null) continue;
      // `with C():` enters what it makes (a class's __enter__/__exit__): the whole of `word` may matter.
      if (entersWhole(text, m.index, shape.tail, false)) yield { word, call: false, self: false };
      else yield { word, call, self: false, tail: shape.tail };
      // `C(...).f(`: also the method f of the instance made there, as `C.f(` (../callSites).
      const made = madeUse(text, word, shape.tail, m.index + word.length);
      if (made) yield { word, call: false, self: false, tail: made.tail };
      continue;
    }
    // An attribute: only `self.word` / `cls.word` names something of this module (a method).
    let k = i - 1;
    while (k >= 0 && isGap(text.charCodeAt(k))) k--;
    const end = k + 1;
    while (k >= 0 && /[A-Za-z0-9_]/.test(text[k]!)) k--;
    const receiver = text.slice(k + 1, end);
    if ((receiver === 'self' || receiver === 'cls') && text.charCodeAt(k) !== 46) {
      if (call) yield { word, call, self: true };
      else {
        // `self.word.f(`: the attributes up to the call (an instance's method: ./instances); [] when none is
        // called (`self.word.x = 1`).
        const shape = useShape(text, false, m.index + word.length);
        yield { word, call, self: true, tail: shape === null ? [] : shape.tail };
      }
    }
  }
}

/** Whether `text` has the word `keyword` ending at `end` (not the tail of a longer name). */
function keywordEndsAt(text: string, end: number, keyword: string): boolean {
  const start = end - keyword.length;
  if (start < 0 || !text.startsWith(keyword, start)) return false;
  return !isWordChar(text.charCodeAt(start - 1));
}

/**
 * The local def or class whose blocks a use of a name (not through `self.`) may lead the call graph into, as
 * ProjectIndex.resolve resolves a callee of this module: `f(...)` a def `f` (a class is only constructed);
 * `C.f(...)` the method `f` of a class `C` (looked for in every block named `f`: a superset); nothing for a
 * longer chain or a def's attribute (`f.cache_clear()`, `C.attr.items()`: no callee of this module). Not
 * sure of the chain (no tail): the blocks of the name itself.
 */
export function localTarget(
  blocks: ReadonlyMap<string, readonly Block[]>,
  { word, call, tail }: Pick<Use, 'word' | 'call' | 'tail'>,
): string | undefined {
  const own = blocks.get(word);
  if (own === undefined) return undefined;
  // Called (`tail` [] also when the `(` comes after a line continuation).
  if (call || tail?.length === 0) return own.every((b) => b[2]) ? undefined : word;
  if (tail === undefined) return word;
  if (tail.length === 1 && own.some((b) => b[2]) && blocks.has(tail[0]!)) return tail[0];
  return undefined;
}

/** Which blocks of a name a use leads to: bits of 1 << Level (module-level defs and classes, methods). */
const MODULE = 1 << Level.Module;
const METHOD = 1 << Level.Method;
const REACHABLE = MODULE | METHOD;

/**
 * Which of the blocks named `local` a use leads the call graph into: `self.f(` and `C.f(` a method, a plain
 * `f(` a module-level def (../callResolver looks a plain name up among the module's functions only), a chain
 * not read for sure either.
 */
function levelsOf(use: Use, local: string): number {
  if (use.self || local !== use.word) return METHOD;
  return use.call || use.tail?.length === 0 ? MODULE : REACHABLE;
}

/**
 * Whether `hit` holds for a use (see Use) in the blocks named `name` (a module-level def or class, or a
 * method: never a def nested in a def or in a nested class, see Level), or in the blocks of the local defs and
 * classes those uses lead to (localTarget, levelsOf; `self.f` the methods named `f`), transitively (each use
 * asked once), or `blockHit` for one of those blocks: true, or the local names whose blocks were all read
 * (`name`'s and those reached by a chain not read for sure) when none hit.
 */
export function blocksReach(
  code: string,
  blocks: ReadonlyMap<string, readonly Block[]>,
  name: string,
  hit: (use: Use) => boolean,
  blockHit?: (from: number, to: number) => boolean,
  /** `self.f` with no `f` here: whether an inherited `f` (a base class imported from elsewhere) may block. */
  inheritedHit?: (word: string) => boolean,
  /** The uses a use stands for besides itself (`svc.f(` of an instance: `C.f(`; ./instances instanceUses). */
  alsoAs?: (use: Use) => readonly Use[],
): true | Set<string> {
  /** Names read, with the levels read (a name read at another level is read again for those). */
  const seen = new Map([[name, REACHABLE]]);
  const asked = new Set<string>();
  const stack: [string, number][] = [[name, REACHABLE]];
  while (stack.length > 0) {
    const [next, levels] = stack.pop()!;
    for (const block of blocks.get(next) ?? []) {
      if (((1 << block[3]) & levels) === 0) continue;
      for (const [from, to] of ownCode(code, blocks, block)) {
        if (blockHit?.(from, to)) return true;
        for (const written of usesIn(code, from, to)) {
          const key = `${written.self ? 's' : written.call ? 'c' : 'd'}${written.word}${written.tail ? `.${written.tail.join('.')}` : '?'}`;
          if (asked.has(key)) continue;
          asked.add(key);
          const more = alsoAs?.(written);
          for (const use of more === undefined || more.length === 0 ? [written] : [written, ...more]) {
            if (!use.self && hit(use)) return true;
            if (use.self && use.call && inheritedHit && !blocks.has(use.word) && inheritedHit(use.word))
              return true;
            const local = use.self ? (blocks.has(use.word) ? use.word : undefined) : localTarget(blocks, use);
            if (local === undefined) continue;
            const wanted = levelsOf(use, local);
            const before = seen.get(local) ?? 0;
            const added = wanted & ~before;
            // Calling an `async def` runs none of its body (the call graph never follows one).
            if (added !== 0 && syncAt(blocks, code, local, added)) {
              seen.set(local, before | added);
              stack.push([local, added]);
            }
          }
        }
      }
    }
  }
  const read = new Set<string>();
  for (const [n, levels] of seen) if (levels === REACHABLE) read.add(n);
  return read;
}

/** Whether a block named `name` at one of `levels` is a sync def or a class. */
const syncAt = (
  blocks: ReadonlyMap<string, readonly Block[]>,
  code: string,
  name: string,
  levels: number,
): boolean =>
  blocks.get(name)?.some((b) => ((1 << b[3]) & levels) !== 0 && code.charCodeAt(b[0]) !== 97 /* a(sync) */) ??
  false;

/** Per blocks map: every block, by start, and those starts (see ownCode). */
const SORTED = new WeakMap<
  ReadonlyMap<string, readonly Block[]>,
  { blocks: readonly Block[]; starts: readonly number[] }
>();

/**
 * The parts of `block`'s code that run when it runs: a class's whole block (its body runs; its methods are
 * what a use of the class may lead to), a def's block without the bodies of the defs and classes nested in it
 * (the call graph follows no nested def: their calls and blocking operations are theirs). A nested header
 * (its defaults, evaluated where it is written) stays, and so does a body on the header's line.
 */
function ownCode(
  code: string,
  blocks: ReadonlyMap<string, readonly Block[]>,
  block: Block,
): (readonly [number, number])[] {
  const [from, to, isClass] = block;
  if (isClass) return [[from, to]];
  let index = SORTED.get(blocks);
  if (!index) {
    const all = [...blocks.values()].flat().sort((a, b) => a[0] - b[0]);
    SORTED.set(blocks, (index = { blocks: all, starts: all.map((b) => b[0]) }));
  }
  const sorted = index.blocks;
  const parts: (readonly [number, number])[] = [];
  let at = from;
  // The first block starting after `from`, then each nested one not inside the last cut.
  for (let k = lastAtOrBefore(index.starts, from) + 1; k < sorted.length && sorted[k]![0] < to; k++) {
    const [start, end] = sorted[k]!;
    if (start < at) continue; // inside a part already cut
    const body = headerEnd(code, start);
    if (body >= end) continue; // a body on the header's line: kept
    parts.push([at, body]);
    at = Math.min(end, to);
  }
  if (at < to) parts.push([at, to]);
  return parts;
}

/** Where the header starting at `start` ends: the line break after it outside brackets (its logical line's end). */
function headerEnd(code: string, start: number): number {
  let depth = 0;
  for (let i = start; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
    else if (c === 10 && depth === 0) {
      const before = code.charCodeAt(i - 1) === 13 ? i - 2 : i - 1;
      if (code.charCodeAt(before) !== 92 /* \\: continued */) return i + 1;
    }
  }
  return code.length;
}

/** Whether some block named `name` is a sync def or a class (not only `async def`s: calling one starts no chain). */
export const syncNamed = (
  blocks: ReadonlyMap<string, readonly Block[]>,
  code: string,
  name: string,
): boolean => blocks.get(name)?.some((b) => code.charCodeAt(b[0]) !== 97 /* a(sync) */) ?? false;

/** Whether `name` has blocks and all of them are `async def`s (calling one runs none of its body). */
export const onlyAsync = (
  blocks: ReadonlyMap<string, readonly Block[]>,
  code: string,
  name: string,
): boolean => blocks.get(name)?.every((b) => code.charCodeAt(b[0]) === 97 /* a(sync) */) ?? false;

/** Whether a module-level class `cls` has a method `attr` of its own (a block of that name directly in it). */
export function ownMethod(blocks: ReadonlyMap<string, readonly Block[]>, cls: string, attr: string): boolean {
  const classes = blocks.get(cls)?.filter((b) => b[2] && b[3] === Level.Module);
  if (!classes?.length) return false;
  return (
    blocks
      .get(attr)
      ?.some((b) => b[3] === Level.Method && classes.some((c) => c[0] < b[0] && b[1] <= c[1])) ?? false
  );
}

/** Whether `name` has blocks and all of them are classes (a call `name(...)` then constructs one). */
export const onlyClasses = (blocks: ReadonlyMap<string, readonly Block[]>, name: string): boolean =>
  blocks.get(name)?.every((b) => b[2]) ?? false;

const CLASS_BASES = /(?<![A-Za-z0-9_])class[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\(([^)]*)\)/g;

/**
 * The bases written as a name or a dotted name in the class headers of `code` (`class C(Base, m.Other,
 * metaclass=M)`: `Base`, `m.Other`), the ones the call graph may follow an inherited method into (ProjectIndex's
 * CallResolver.methodIn: a dotted one through a module imported whole, `import app.base as m`).
 */
export function plainBases(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(CLASS_BASES))
    for (const part of m[1]!.split(',')) {
      const name = part.replace(/[ \t]+/g, '');
      if (/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) found.add(name);
    }
  return [...found];
}

/** The bases written in the headers of the module-level classes `cls` of `code` (as plainBases reads them). */
export function classBases(
  blocks: ReadonlyMap<string, readonly Block[]>,
  code: string,
  cls: string,
): string[] {
  const found: string[] = [];
  for (const b of blocks.get(cls) ?? []) {
    if (!b[2] || b[3] !== Level.Module) continue;
    CLASS_HEAD.lastIndex = b[0];
    const m = CLASS_HEAD.exec(code);
    if (m) for (const base of plainBases(m[0])) if (!found.includes(base)) found.push(base);
  }
  return found;
}

const CLASS_HEAD = /class[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\([^)]*\)/y;

/** How an inherited `attr` of base `base` is asked of its import: the base's first name, the rest then `attr`. */
export function baseUse(base: string, attr: string): [head: string, tail: string[]] {
  const [head, ...rest] = base.split('.');
  return [head!, [...rest, attr]];
}

/**
 * Whether the method `attr` that a class `cls` of `code` ends up with is an `async def` (calling it starts no
 * chain): the last block named `attr` inside the classes named `cls` is an `async def`, at the shallowest
 * indentation of those blocks (a method of the class body, not a def nested in one). A sync `@overload`
 * before the implementation does not count, as in the call graph, where the last def of a name wins.
 */
export function asyncMethod(
  blocks: ReadonlyMap<string, readonly Block[]>,
  code: string,
  cls: string,
  attr: string,
): boolean {
  const classes = blocks.get(cls)?.filter((b) => b[2]);
  if (!classes || classes.length === 0) return false;
  const inside = (blocks.get(attr) ?? []).filter((b) => classes.some((c) => b[0] > c[0] && b[1] <= c[1]));
  const last = inside[inside.length - 1];
  if (!last || code.charCodeAt(last[0]) !== 97 /* a(sync) */) return false;
  const indent = (b: Block): number => b[0] - code.lastIndexOf('\n', b[0] - 1) - 1;
  return inside.every((b) => indent(b) >= indent(last));
}
