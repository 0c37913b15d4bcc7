/**
 * Names bound to an instance of a known class (pure, text only): `svc = NewsService(...)`, `svc: NewsService`,
 * `svc: Annotated[NewsService, Depends(get)]`, `svc: NewsService | None = None`, and attributes of `self`
 * (`self.client = Client(...)`, `self.client = client` of a parameter `client: Client`, a class-body field
 * `client: Client`). A call `svc.fetch(...)` then runs the method `fetch` of that class, as
 * `NewsService.fetch(...)` would: BHD007 follows it like that. Only a CapWords name is taken for a class.
 *
 * The same finder serves both sides, so they agree: the call graph (./summary) keeps a binding only when the
 * tree confirms it and it is the name's only binding in its scope; the pre-filter (./prefilter, ./nameReach)
 * takes every binding the text shows, in any scope (a superset, so its "no" stays sound).
 */
import { type Lexed, derived } from '../../python/lexer';
import { isWordChar } from './callShape';
import type { Use } from './defBlocks';
import { bindingCounts, isNameStart, nameBefore } from './bindingCounts';

/** One binding the text shows: `name` at `at` is an instance of the class written `cls` (`C`, `m.C`). */
export interface TypeBinding {
  name: string;
  cls: string;
  at: number;
  /** `name = C(...)` (`at` its name); false: an annotation (`name: C`, a parameter or a variable). */
  constructed: boolean;
  /** An annotation at a statement's start (a variable's, or a class body's field), not a parameter's. */
  field?: boolean;
  /** `self.name = <from>`: an attribute set to a parameter `from` annotated with `cls`. */
  from?: string;
}

/** Wrappers an annotation's class is read through: `Annotated[C, ...]`, `Optional[C]` (also `typing.`-qualified). */
/** Names never taken for an instance (a method's receiver is resolved as such). */
const RECEIVERS = new Set(['self', 'cls']);
/** Builtins, typing and keyword-like heads: an annotation or call of these names no class of the project. */
const NOT_CLASSES = new Set([
  'None',
  'True',
  'False',
  'int',
  'str',
  'bytes',
  'float',
  'bool',
  'list',
  'dict',
  'set',
  'tuple',
  'frozenset',
  'object',
  'type',
  'Any',
  'Union',
  'Callable',
  'Dict',
  'List',
  'Set',
  'Tuple',
  'Type',
  'Iterable',
  'Iterator',
  'Sequence',
  'Mapping',
  'Generator',
  'Awaitable',
  'Coroutine',
  'AsyncIterator',
  'AsyncGenerator',
  'Literal',
  'ClassVar',
  'Final',
  'lambda',
  'not',
  'and',
  'or',
  'in',
  'is',
]);

/**
 * The class an annotation's text starts with (`C`, `m.C`; through `Annotated[`/`Optional[`), or undefined:
 * a builtin, a string, a union (`Union[...]`, `C | D`). `C | None`, `C[int]` are a C.
 */
export function annotationClass(text: string): string | undefined {
  return annotationClassAt(text, 0, text.length);
}

/** Space or tab. */
const isBlank = (c: number): boolean => c === 32 || c === 9;

/**
 * annotationClass of `code[at, end)`, read in place (no slice, no regex: the pre-filter reads every
 * annotation of every module it follows): wrappers `Annotated[`/`Optional[` (also `typing.`/`t.`-qualified),
 * then a dotted name.
 */
function annotationClassAt(code: string, at: number, end: number): string | undefined {
  let i = at;
  while (i < end && (isBlank(code.charCodeAt(i)) || (code.charCodeAt(i) >= 10 && code.charCodeAt(i) <= 13)))
    i++;
  for (;;) {
    let k = i;
    if (code.startsWith('typing.', k)) k += 7;
    else if (code.startsWith('t.', k)) k += 2;
    const wrapper = code.startsWith('Annotated', k) ? 9 : code.startsWith('Optional', k) ? 8 : 0;
    if (wrapper === 0) break;
    for (k += wrapper; k < end && isBlank(code.charCodeAt(k)); k++);
    if (k >= end || code.charCodeAt(k) !== 91 /* [ */) break;
    for (k++; k < end && isBlank(code.charCodeAt(k)); k++);
    i = k;
  }
  const start = i;
  if (i >= end || !isNameStart(code.charCodeAt(i))) return undefined;
  let head = -1;
  for (;;) {
    while (i < end && isWordChar(code.charCodeAt(i))) i++;
    if (i + 1 < end && code.charCodeAt(i) === 46 /* . */ && isNameStart(code.charCodeAt(i + 1))) {
      if (head < 0) head = i;
      i++;
      continue;
    }
    break;
  }
  if (NOT_CLASSES.has(code.slice(start, head < 0 ? i : head))) return undefined;
  const cls = code.slice(start, i);
  if (!classLike(cls)) return undefined;
  // `C | None` is a C; `C | D` may be either (the first is not what runs): no class.
  let j = i;
  if (code.charCodeAt(j) === 91 /* [ */) j = closingBracket(code, j, end);
  for (;;) {
    while (j < end && isBlank(code.charCodeAt(j))) j++;
    if (code.charCodeAt(j) !== 124 /* | */) return cls;
    for (j++; j < end && isBlank(code.charCodeAt(j)); j++);
    if (!code.startsWith('None', j) || isWordChar(code.charCodeAt(j + 4))) return undefined;
    j += 4;
  }
}

/** Just past the `]` matching the `[` at `open` (or `end`). */
function closingBracket(code: string, open: number, end: number): number {
  let depth = 0;
  for (let k = open; k < end; k++) {
    const c = code.charCodeAt(k);
    if (c === 91) depth++;
    else if (c === 93 && --depth === 0) return k + 1;
  }
  return end;
}

/**
 * Whether a dotted name names a class by Python's naming convention: its last part in CapWords (`NewsService`,
 * `m.Client`; not `make_service`, `logging.getLogger`). A lowercase class is not typed (a missed finding);
 * most bindings `x = f(...)` are not instances of a project class, and reading them costs.
 */
export function classLike(dotted: string): boolean {
  const c = dotted.charCodeAt(dotted.lastIndexOf('.') + 1);
  return c >= 65 && c <= 90;
}

/** Whether the char code `c` can start an identifier (ASCII). */

/** What precedes position `at` on its line, spaces and tabs skipped: its char code (10 at a line start). */
function charBefore(code: string, at: number): number {
  let i = at - 1;
  while (i >= 0 && (code.charCodeAt(i) === 32 || code.charCodeAt(i) === 9)) i--;
  return i < 0 ? 10 : code.charCodeAt(i);
}

/** The dotted name (`C`, `m.C`, spaces around dots allowed) at `from` followed by `(`: its text, no spaces. */
function calleeAt(code: string, from: number): string | undefined {
  let j = from;
  while (isBlank(code.charCodeAt(j))) j++;
  const start = j;
  let spaced = false; // blanks around a dot: removed from the name
  for (;;) {
    if (!isNameStart(code.charCodeAt(j))) return undefined;
    while (isWordChar(code.charCodeAt(j))) j++;
    if (code.charCodeAt(j) > 127) return undefined;
    const end = j;
    while (isBlank(code.charCodeAt(j))) j++;
    if (code.charCodeAt(j) === 40 /* ( */) {
      const name = code.slice(start, end);
      return spaced ? name.replace(/[ \t]/g, '') : name;
    }
    if (code.charCodeAt(j) !== 46 /* . */) return undefined;
    if (j !== end) spaced = true;
    for (j++; isBlank(code.charCodeAt(j)); j++) spaced = true;
  }
}

/**
 * Every binding of `code` (see TypeBinding), in text order: `name = C(` (not a keyword argument, `f(name=C())`,
 * nor a comparison), and `name: <annotation>` at a statement's or a parameter's start (not a lambda's
 * `lambda x: ...`; a dict's `{k: V}` is taken too: the pre-filter's superset, the call graph confirms).
 */
export function typeBindings(code: string): TypeBinding[] {
  const found: TypeBinding[] = [];
  for (let i = code.indexOf('='); i >= 0; i = code.indexOf('=', i + 1)) {
    const next = code.charCodeAt(i + 1);
    const prev = code.charCodeAt(i - 1);
    if (next === 61 || prev === 61 || prev === 33 || prev === 60 || prev === 62 || prev === 58) continue;
    // The right side first: most assignments make no instance of a CapWords class (nothing else to read).
    const cls = calleeAt(code, i + 1);
    if (cls === undefined || !classLike(cls) || NOT_CLASSES.has(cls.split('.')[0]!)) continue;
    const name = nameBefore(code, i);
    if (!name) continue;
    const before = charBefore(code, name[0]);
    // A keyword argument or default (`f(x=C())`), or an annotation's last word (`x: T = C()`: x's, read below).
    if (before === 40 /* ( */ || before === 44 /* , */ || before === 58 /* : */) continue;
    const word = code.slice(name[0], name[1]);
    if (RECEIVERS.has(word) || NOT_CLASSES.has(word)) continue;
    found.push({ name: word, cls, at: name[0], constructed: true });
  }
  for (let i = code.indexOf(':'); i >= 0; i = code.indexOf(':', i + 1)) {
    if (code.charCodeAt(i + 1) === 61 /* := */) continue;
    let j = i + 1;
    while (code.charCodeAt(j) === 32 || code.charCodeAt(j) === 9) j++;
    if (!isNameStart(code.charCodeAt(j))) continue;
    const name = nameBefore(code, i);
    if (!name) continue;
    const before = charBefore(code, name[0]);
    // At a statement's start (`x: C = ...`), or a parameter's (`(x: C`, `, x: C`, `*x: C`).
    if (before !== 10 && before !== 13 && before !== 59 && before !== 40 && before !== 44 && before !== 42)
      continue;
    const word = code.slice(name[0], name[1]);
    if (RECEIVERS.has(word) || NOT_CLASSES.has(word)) continue;
    let end = code.indexOf('\n', j);
    if (end < 0 || end > j + 200) end = Math.min(code.length, j + 200);
    const cls = annotationClassAt(code, j, end);
    if (cls === undefined) continue;
    // At a statement's start: a variable's annotation, or a field's in a class body.
    const field = before === 10 || before === 13 || before === 59;
    found.push({ name: word, cls, at: name[0], constructed: false, ...(field ? { field } : {}) });
  }
  return found.sort((a, b) => a.at - b.at);
}

/**
 * Every binding of an attribute of `self` the text shows (`self.client = Client(...)`, `self.client: Client =
 * ...`), as TypeBindings named by the attribute (`at`: where the attribute's name is). With `names` (the
 * text's typeBindings), also `self.client = client` of a name annotated as a parameter somewhere
 * (`def __init__(self, client: Client)`): one binding per class it is annotated with (`from`: the name).
 */
export function selfBindings(code: string, names?: readonly TypeBinding[]): TypeBinding[] {
  const found: TypeBinding[] = [];
  let parameters: Map<string, string[]> | undefined;
  for (let i = code.indexOf('self'); i >= 0; i = code.indexOf('self', i + 4)) {
    if (isWordChar(code.charCodeAt(i - 1)) || code.charCodeAt(i - 1) === 46 /* . */) continue;
    let j = i + 4;
    while (code.charCodeAt(j) === 32 || code.charCodeAt(j) === 9) j++;
    if (code.charCodeAt(j) !== 46 /* . */) continue;
    for (j++; code.charCodeAt(j) === 32 || code.charCodeAt(j) === 9; j++);
    const at = j;
    if (!isNameStart(code.charCodeAt(j))) continue;
    while (isWordChar(code.charCodeAt(j))) j++;
    const name = code.slice(at, j);
    while (code.charCodeAt(j) === 32 || code.charCodeAt(j) === 9) j++;
    const c = code.charCodeAt(j);
    if (c === 61 /* = */ && code.charCodeAt(j + 1) !== 61) {
      const cls = calleeAt(code, j + 1);
      if (cls !== undefined && !NOT_CLASSES.has(cls.split('.')[0]!) && classLike(cls))
        found.push({ name, cls, at, constructed: true });
      else if (cls === undefined && names) {
        const from = plainNameAt(code, j + 1);
        if (from === undefined) continue;
        parameters ??= parameterClasses(names);
        for (const p of parameters.get(from) ?? [])
          found.push({ name, cls: p, at, constructed: false, from });
      }
    } else if (c === 58 /* : */ && code.charCodeAt(j + 1) !== 61) {
      let end = code.indexOf('\n', j);
      if (end < 0 || end > j + 201) end = Math.min(code.length, j + 201);
      const cls = annotationClassAt(code, j + 1, end);
      if (cls !== undefined) found.push({ name, cls, at, constructed: false });
    }
  }
  return found;
}

/** Name -> the classes the parameters of that name are annotated with, anywhere in the text. */
function parameterClasses(names: readonly TypeBinding[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const b of names) {
    if (b.constructed || b.field) continue;
    const list = map.get(b.name);
    if (!list) map.set(b.name, [b.cls]);
    else if (!list.includes(b.cls)) list.push(b.cls);
  }
  return map;
}

/** The plain name at `from` (blanks before it) that ends its statement (a line end or `;` after it). */
function plainNameAt(code: string, from: number): string | undefined {
  let j = from;
  while (isBlank(code.charCodeAt(j))) j++;
  const start = j;
  if (!isNameStart(code.charCodeAt(j))) return undefined;
  while (isWordChar(code.charCodeAt(j))) j++;
  const end = j;
  while (isBlank(code.charCodeAt(j))) j++;
  const c = code.charCodeAt(j);
  return Number.isNaN(c) || c === 10 || c === 13 || c === 59 ? code.slice(start, end) : undefined;
}

/** How many statements of `text` assign `self.<attr>` (`=`, augmented, annotated): an over-count is safe. */
export function selfAssignments(text: string, attr: string): number {
  const assign = new RegExp(
    `(?<![A-Za-z0-9_.])self[ \\t]*\\.[ \\t]*${attr}(?![A-Za-z0-9_])[ \\t]*(?::[^=\\n]*)?(?:[-+*/%@&|^]|//|\\*\\*|>>|<<)?=(?!=)`,
    'g',
  );
  let count = 0;
  for (const _ of text.matchAll(assign)) count++;
  return count;
}

/**
 * Attribute of `self` -> every class the text binds it to an instance of (`self.x = C()`, `self.x: C`,
 * `self.x = x` of a parameter `x: C`), and
 * names annotated at a statement's start (a class body's fields among them).
 */
export function attributeMap(bindings: TextBindings): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { name, cls } of [...bindings.names.filter((b) => b.field), ...bindings.self]) {
    const list = map.get(name);
    if (!list) map.set(name, [cls]);
    else if (!list.includes(cls)) list.push(cls);
  }
  return map;
}

/** What typeBindings and selfBindings find in one text. */
export interface TextBindings {
  names: TypeBinding[];
  self: TypeBinding[];
}

/**
 * The bindings of `code` (strings and comments blanked), found once per lexed text: the pre-filter, the
 * text-level reach and the summaries (which confirm them in the tree) read the same list.
 */
export function textBindings(lexed: Lexed | undefined, code: string): TextBindings {
  const scan = (): TextBindings => {
    const names = typeBindings(code);
    return { names, self: selfBindings(code, names) };
  };
  return lexed ? derived(lexed, 'bindings', scan) : scan();
}

/** Name -> every class the text binds it to an instance of (see the file comment: a superset for the pre-filter). */
export function instanceMap(code: string): Map<string, string[]> {
  return instanceMapOf(typeBindings(code));
}

/** instanceMap from the bindings typeBindings found. */
export function instanceMapOf(bindings: readonly TypeBinding[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { name, cls } of bindings) {
    const list = map.get(name);
    if (!list) map.set(name, [cls]);
    else if (!list.includes(cls)) list.push(cls);
  }
  return map;
}

/**
 * The instances another module sees (`from m import svc`, `m.svc`), as the call graph types them
 * (./instanceTypes moduleInstances): bound at the start of a line, and bound once in the whole text. A module
 * whose `svc = None` is set later by `global svc` has none.
 */
export function moduleInstanceMap(
  bindings: readonly TypeBinding[],
  code: string,
  lines: readonly number[] | undefined,
): Map<string, string[]> {
  const atStart = bindings.filter((b) => b.at === 0 || code.charCodeAt(b.at - 1) === 10);
  if (atStart.length === 0) return new Map();
  const counts = bindingCounts(code, lines);
  return instanceMapOf(atStart.filter((b) => counts.get(b.name) === 1));
}

/**
 * The uses a use of an instance name stands for: `svc.fetch(` as `NewsService.fetch(` for each class `svc`
 * may be an instance of (`m.C`: `m` with `C` first in the tail). A call of the instance itself (`svc(...)`),
 * a longer chain (`svc.a.f(...)`) or `self.svc` stands for nothing more.
 */
export function instanceUses(use: Use, instances: ReadonlyMap<string, readonly string[]>): Use[] {
  // Only `svc.f(...)` (or a shape not read for sure): the call graph types no longer chain (`svc.a.f()`).
  if (use.self || use.call || (use.tail !== undefined && use.tail.length !== 1)) return [];
  const classes = instances.get(use.word);
  if (classes === undefined) return [];
  return classes.map((cls) => {
    const parts = cls.split('.');
    return {
      word: parts[0]!,
      call: false,
      self: false,
      tail: use.tail === undefined ? undefined : [...parts.slice(1), ...use.tail],
      instance: true,
    };
  });
}

/**
 * The uses a use stands for besides itself in a def or class block: `svc.f(` as `C.f(` (instanceUses), and
 * `self.client.f(` as `C.f(` for each class `self.client` may be an instance of (`attributes`: read lazily).
 */
export function usesOfInstances(
  use: Use,
  names: ReadonlyMap<string, readonly string[]>,
  attributes: () => ReadonlyMap<string, readonly string[]>,
): Use[] {
  if (!use.self) return instanceUses(use, names);
  if (use.call || use.tail?.length === 0) return [];
  return instanceUses({ word: use.word, call: false, self: false, tail: use.tail }, attributes());
}
