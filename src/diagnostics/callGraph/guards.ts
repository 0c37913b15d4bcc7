/**
 * Blocking code behind a flag that is off unless the caller turns it on (pure; text, and the tree a summary
 * confirms branches in): in
 * `def f(items, parallel=False): ... if parallel: with ThreadPoolExecutor() ...`, a call `f(items)` never
 * enters the `if`. BHD007 follows such a guarded operation (or call) only when the call into the function
 * may pass the flag: by keyword, by position, or through `*args`/`**kwargs`. Only a plain flag counts: a
 * parameter with a `False`/`None`/`0`/`True` default, or one without a default (what the call passes then
 * always decides), tested as `if p:`, `if p is not None:` or `if p is True:`
 * (also as an `elif`; the `else:` of an `if` without `elif` as the other way round), and never assigned in the
 * body; or the rest of the body after `if not p: return` (or
 * `if p is None: return`/`raise`) directly in it. A literal that keeps the branch off (`None`, and
 * `False`/`0` unless the test is `is not None`) passes nothing.
 */
import type { Node, Tree } from '../../python/treeSitter';

/** A parameter whose literal default decides a branch (`parallel=False`: off; `blocking=True`: on). */
export interface Guard {
  param: string;
  /** Its position among the parameters (`self` included); -1 for keyword-only ones. */
  index: number;
  /** Its default: `None`, `False`, `0` or `True` (what decides when a call does not pass it). */
  default?: string;
  /**
   * When the guarded code runs: `p` truthy (undefined: `if p:`, `if p is True:`, after `if not p: return`),
   * `notNone` (`if p is not None:`, after `if p is None: return`), `falsy` (`if not p:`, after `if p: return`)
   * or `isNone` (`if p is None:`, after `if p is not None: return`).
   */
  test?: 'notNone' | 'falsy' | 'isNone';
}

/** `text` split at its top-level commas (brackets and strings respected). */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Inside the outer brackets of `(a, b)`, else the text itself. */
const inner = (text: string): string => {
  const t = text.trim();
  return t.startsWith('(') && t.endsWith(')') ? t.slice(1, -1) : t;
};

/** The literal defaults a flag can have: what decides when a call does not pass it. */
const FLAG_DEFAULT = /^(?:False|None|0|True)$/;

/**
 * The parameters of a def's parameter list text (`(self, x, parallel: bool = False, *, y=None)`) with a flag's
 * literal default (`False`/`None`/`0`/`True`), and those without a default that `required` accepts (a call
 * always passes one: what it passes decides, `_create(s, body, wait)` with `def _create(s, body, wait: bool)`).
 */
export function falsyParams(
  parameters: string,
  required: (name: string) => boolean = () => false,
): Map<string, Guard> {
  const found = new Map<string, Guard>();
  let keywordOnly = false;
  topLevelParts(inner(parameters)).forEach((part, index) => {
    if (part === '*' || part.startsWith('*')) {
      keywordOnly = true; // `*` or `*args`: what follows is keyword-only (`**kwargs` ends the list)
      return;
    }
    if (part === '/') return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?(?:=\s*(.+))?$/s.exec(part);
    if (!m) return;
    const at = keywordOnly ? -1 : index;
    if (m[2] === undefined) {
      if (required(m[1]!)) found.set(m[1]!, { param: m[1]!, index: at });
    } else if (FLAG_DEFAULT.test(m[2].trim()))
      found.set(m[1]!, { param: m[1]!, index: at, default: m[2].trim() });
  });
  return found;
}

/**
 * Whether `body` may test the plain name `name` (`if name:`, `if not name`, `if name is None`; not
 * `if name.x` nor `if name_2`: FLAG_BRANCH reads which).
 */
function mayTest(body: string, name: string): boolean {
  for (const head of [`if ${name}`, `if not ${name}`])
    for (let at = body.indexOf(head); at >= 0; at = body.indexOf(head, at + 1)) {
      const next = body.charCodeAt(at + head.length);
      if (next === 58 /* : */ || next === 32 || next === 9) return true;
    }
  return false;
}

/** Whether `body` assigns `name` (`name = ...`, `name: T = ...`, `name += ...`, `for name in`, `as name`). */
export function assigns(body: string, name: string): boolean {
  const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `(?:^|[\\n;])[ \\t]*${n}[ \\t]*(?::[^=\\n]*)?(?:[-+*/%&|^@]|//|\\*\\*|>>|<<)?=(?!=)|\\bfor[ \\t]+(?:[^\\n]*[ ,(])?${n}\\b[^\\n]*\\bin\\b|\\bas[ \\t]+${n}\\b|\\bglobal\\b|\\bnonlocal\\b`,
  ).test(body);
}

/** What a call's argument list text passes: how many positional arguments, which keywords, any `*`/`**`. */
export interface ArgumentShape {
  positional: number;
  keywords: Set<string>;
  spread: boolean;
  /** The positional arguments' text, in order, and the keyword arguments' (trimmed). */
  values: string[];
  keywordValues: Map<string, string>;
}

export function argumentShape(args: string): ArgumentShape {
  const shape: ArgumentShape = {
    positional: 0,
    keywords: new Set(),
    spread: false,
    values: [],
    keywordValues: new Map(),
  };
  for (const part of topLevelParts(inner(args))) {
    if (part.startsWith('*')) shape.spread = true;
    else {
      const kw = /^([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)/.exec(part);
      if (kw) {
        shape.keywords.add(kw[1]!);
        shape.keywordValues.set(kw[1]!, part.slice(kw[0].length).trim());
      } else {
        shape.positional++;
        shape.values.push(part);
      }
    }
  }
  return shape;
}

/**
 * What a value passed on by name means for a flag's test: `forward(name, test)` answers for a parameter of the
 * calling def that is a flag itself (its caller decides), undefined for any other value.
 */
export type Forward = (value: string, test: Guard['test']) => boolean | undefined;

/**
 * Whether a call with `shape` may pass the flag `guard` of the function it calls (`method`: a method, whose
 * first parameter may be bound: its positional arguments may start at the second). Errs towards "passed".
 */
export function passes(shape: ArgumentShape, guard: Guard, method: boolean, forward?: Forward): boolean {
  const keyword = shape.keywordValues.get(guard.param);
  // `*args`/`**kwargs` may pass the flag, unless the call names it (passing it twice is a TypeError).
  if (shape.spread && keyword === undefined) return true;
  // A method's first parameter may be bound (`self.f(a, True)`) or not (`C.f(obj, a, True)`): either place.
  const places = guard.index < 0 ? [] : method ? [guard.index - 1, guard.index] : [guard.index];
  const passed =
    keyword !== undefined
      ? [keyword]
      : places.filter((i) => i >= 0 && i < shape.positional).map((i) => shape.values[i]!);
  // Not passed: the default decides (`if not p:` runs, `if p:` does not); a parameter without one is passed
  // somewhere not read (a method's first parameter bound another way): anything.
  if (passed.length === 0) return guard.default === undefined || mayRun(guard.default, guard.test);
  // A literal decides (`f(items, parallel=False)`, `f(items, None)`, `create_app(ephemeral=True)`); other
  // values may be anything.
  // (`_call(f, wait)` in `def run(f, wait=False)`: what run's caller passed as `wait`)
  return passed.some((value) => forward?.(value, guard.test) ?? mayRun(value, guard.test));
}

/** What a literal argument is, for a flag's test: undefined when it is not a literal (a name, a call...). */
function literal(value: string): 'None' | 'falsy' | 'truthy' | undefined {
  if (value === 'None') return 'None';
  if (/^(?:False|0|0\.0|''|"")$/.test(value)) return 'falsy';
  if (/^(?:True|-?[1-9][0-9]*(?:\.[0-9]*)?|'[^']+'|"[^"]+")$/.test(value)) return 'truthy';
  return undefined;
}

/** Whether code under `test` of a flag may run when the flag's value is `value` (as written). */
function mayRun(value: string, test: Guard['test']): boolean {
  const lit = literal(value);
  switch (test) {
    case 'notNone':
      return lit !== 'None';
    case 'falsy':
      return lit !== 'truthy';
    case 'isNone':
      return lit === undefined || lit === 'None';
    default:
      return lit === undefined || lit === 'truthy';
  }
}

/**
 * `passes` for the call whose argument list text `args` gives (read on the first question: most defs have no
 * flag) into a def (`method`: a method).
 */
export function passer(args: () => string, method: boolean, forward?: Forward): (guard: Guard) => boolean {
  let shape: ArgumentShape | undefined;
  return (guard) => passes((shape ??= argumentShape(args())), guard, method, forward);
}

/**
 * Whether the def whose header is `source[start, bodyStart)` and body `[bodyStart, end)` may have a flag (see
 * defFlags): a parameter with a falsy default, or an `if` in the body (the next one is searched: a def is
 * rarely far from one).
 */
export function mayHaveFlags(source: string, start: number, bodyStart: number, end: number): boolean {
  const at = source.indexOf('if ', bodyStart);
  return (at >= 0 && at < end) || source.slice(start, bodyStart).search(FALSY_NAME) >= 0;
}

/** A parameter with a falsy default in a def's header (`parallel=False`, `wait: int | None = None`): its name. */
const FALSY_NAME = /([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=,()]*)?=[ \t]*(?:False|None|0|True)[ \t]*[,)\n]/g;
/**
 * A branch line testing a plain name (`if p:`, `elif p is not None:`, `if p is True:`, `if not p:`,
 * `if p is None:`): the indentation, the keyword, `not `, the name and the comparison.
 */
const FLAG_BRANCH =
  /(?:^|\n)([ \t]*)((?:el)?if)[ \t]+(not[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)([ \t]+is[ \t]+not[ \t]+None|[ \t]+is[ \t]+None|[ \t]+is[ \t]+True)?[ \t]*:/g;

/** The test of a FLAG_BRANCH match (`not` and a comparison together are not read: undefined), as Guard['test']. */
function testOf(
  negated: boolean,
  comparison: string | undefined,
): Guard['test'] | 'truthy' | 'isTrue' | undefined {
  const c = comparison?.replace(/\s+/g, ' ').trim();
  if (negated) return c === undefined ? 'falsy' : undefined;
  return c === 'is not None' ? 'notNone' : c === 'is None' ? 'isNone' : c === 'is True' ? 'isTrue' : 'truthy';
}

/** The test the rest of a body has after an early exit on `test` (`if not p: return`: p truthy). */
const AFTER_EXIT = { truthy: 'falsy', falsy: 'truthy', notNone: 'isNone', isNone: 'notNone' } as const;

/** Guard['test'] as stored (truthy is the default, left out). */
const withTest = (guard: Guard, test: Guard['test'] | 'truthy' | 'isTrue'): Guard =>
  test === 'truthy' || test === 'isTrue' || test === undefined ? guard : { ...guard, test };

const EXITS = new Set(['return_statement', 'raise_statement']);

/** What the flags of a def are (./guards): the branches under them, and the ones it may pass on by name. */
export interface DefFlags {
  /** The code that runs only as a flag says (`if p:`'s body, the rest after `if not p: return`). */
  branches: { from: number; to: number; guard: Guard }[];
  /** Its flags (never assigned in the body): a call in it passing one on by name passes what its caller did. */
  params: Map<string, Guard>;
}

/**
 * The flags of `def` (body from `bodyStart`): its parameters with a falsy default, or without a default but
 * tested plainly, that the body never assigns; and the branches under them. Found in the text, confirmed in
 * the tree (a line in a string is no branch).
 */
export function defFlags(tree: Tree, source: string, def: Node, bodyStart: number): DefFlags {
  const body = source.slice(bodyStart, def.endIndex);
  const branches: DefFlags['branches'] = [];
  const params = falsyParams(def.childForFieldName('parameters')?.text ?? '', (name) => mayTest(body, name));
  for (const name of [...params.keys()]) if (assigns(body, name)) params.delete(name);
  // Most defs never test a parameter as a plain flag: look for `if <name>` before any regex.
  if (![...params.keys()].some((name) => mayTest(body, name))) return { branches, params };
  for (const m of body.matchAll(FLAG_BRANCH)) {
    const test = testOf(m[3] !== undefined, m[5]);
    const guard = test && params.get(m[4]!);
    if (!guard) continue;
    const at = bodyStart + m.index + (m[0].startsWith('\n') ? 1 : 0) + m[1]!.length;
    const keyword = tree.rootNode.descendantForIndex(at, at + m[2]!.length);
    const branch = keyword?.type === m[2] ? keyword.parent : keyword;
    if (branch?.type !== 'if_statement' && branch?.type !== 'elif_clause') continue;
    if (branch.startIndex !== at) continue;
    const consequence = branch.childForFieldName('consequence');
    if (consequence)
      branches.push({ from: consequence.startIndex, to: consequence.endIndex, guard: withTest(guard, test) });
    // `if p: ... else: <here>` (no `elif`): the `else` runs when the test fails (after `if p is True:` any
    // other value, `1` included: not read).
    const alternatives = branch.type === 'if_statement' ? branch.childrenForFieldName('alternative') : [];
    const otherwise =
      alternatives.length === 1 && alternatives[0]?.type === 'else_clause' ? alternatives[0] : null;
    const elseBody = otherwise?.childForFieldName('body');
    if (elseBody && test !== 'isTrue')
      branches.push({
        from: elseBody.startIndex,
        to: elseBody.endIndex,
        guard: withTest(guard, AFTER_EXIT[test]),
      });
  }
  // `if not p: return` (or `if p is None: return`) directly in the body: the rest of the body runs only when the
  // caller passed the flag.
  for (const m of body.matchAll(FLAG_BRANCH)) {
    if (m[2] !== 'if') continue;
    const exitTest = testOf(m[3] !== undefined, m[5]);
    // (after `if p is True: return` the rest runs for any other value, `1` included: not read)
    const guard = exitTest && exitTest !== 'isTrue' && params.get(m[4]!);
    if (!guard) continue;
    const at = bodyStart + m.index + (m[0].startsWith('\n') ? 1 : 0) + m[1]!.length;
    const keyword = tree.rootNode.descendantForIndex(at, at + 2);
    const branch = keyword?.type === 'if' ? keyword.parent : keyword;
    if (branch?.type !== 'if_statement' || branch.startIndex !== at) continue;
    if (branch.childForFieldName('alternative') || branch.parent?.parent?.id !== def.id) continue;
    const exits = branch.childForFieldName('consequence')?.namedChildren.filter((c) => c?.type !== 'comment');
    if (exits?.length !== 1 || !EXITS.has(exits[0]!.type)) continue;
    branches.push({ from: branch.endIndex, to: def.endIndex, guard: withTest(guard, AFTER_EXIT[exitTest]) });
  }
  return { branches, params };
}
