/**
 * The text side of ./loopBranch (pure, no parse): which names of a module may ask whether an event loop runs,
 * so that its tree is read for them only. Supersets: the tree confirms each answer.
 */

/**
 * A def (lower-case: not a class) called with no arguments in a condition (`if not running():`) or bound
 * (`x = loop()`, marked by group 1).
 */
const ASKED = /(?:\b(?:el)?if[ \t]+(?:not[ \t]+)?\(?|(=)[ \t]*)([a-z_][A-Za-z0-9_]*)\(\)/g;

/** What a `from … import` statement imports (the names after `import`, parenthesised ones too). */
const FROM_IMPORT = /\bfrom[ \t]+[\w.]+[ \t]+import[ \t]*(\([^)]*\)|[^\n]*)/g;

/** Names tested in the text (`if not name`, `elif name`, `name is None`, `x if name else y`). */
const TESTED =
  /\b(?:el)?if[ \t]+(?:not[ \t]+)?\(?([A-Za-z_]\w*)|\b([A-Za-z_]\w*)[ \t]+is[ \t]+(?:not[ \t]+)?None\b/g;

function testedNames(source: string): Set<string> {
  const tested = new Set<string>();
  for (const m of source.matchAll(TESTED)) tested.add(m[1] ?? m[2]!);
  return tested;
}

/** The names bound to a call of one of `callees` (a regex alternation) on its line: `x = f()`, `x: T = m.f()`. */
function boundTo(source: string, callees: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of source.matchAll(new RegExp(String.raw`(?<![A-Za-z0-9_])(?:${callees})\(\)`, 'g'))) {
    const line = source.slice(source.lastIndexOf('\n', m.index) + 1, m.index);
    const bound = /([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*(?:[\w.]*\.)?$/.exec(line);
    if (bound) names.set(bound[1]!, m[0]);
  }
  return names;
}

/**
 * The names of `source` that may call another module's probe: named by a `from … import` and called with no
 * arguments in a condition, or bound to a name tested in one (text only: the tree confirms the import).
 */
export function importedAskers(source: string): Set<string> {
  const names = new Set<string>();
  if (!source.includes('import')) return names;
  let imported: Set<string> | undefined;
  const bound = new Set<string>();
  for (const m of source.matchAll(ASKED)) {
    const name = m[2]!;
    if (names.has(name)) continue;
    imported ??= new Set(
      [...source.matchAll(FROM_IMPORT)].flatMap((i) => i[1]!.match(/[A-Za-z_]\w*/g) ?? []),
    );
    if (!imported.has(name)) continue;
    if (m[1]) bound.add(name);
    else names.add(name);
  }
  for (const name of names) bound.delete(name);
  if (bound.size > 0) {
    const tested = testedNames(source);
    for (const [variable, call] of boundTo(source, [...bound].join('|')))
      if (tested.has(variable)) names.add(call.slice(0, -2));
  }
  return names;
}

/**
 * The names a def may bind to a probe's answer (see boundProbe), from the text: `x = probe()`,
 * `x = asyncio.get_running_loop()`, `x = True` on the lines after `asyncio.get_running_loop()`; those tested in
 * a condition.
 */
export function answerNames(source: string, probes: ReadonlyMap<string, unknown>, own: boolean): string[] {
  const callees = [...probes.keys(), ...(own ? ['_?get_running_loop'] : [])];
  if (callees.length === 0) return [];
  const names = new Set(boundTo(source, callees.join('|')).keys());
  if (own)
    for (const m of source.matchAll(/(?<![A-Za-z0-9_])get_running_loop\(\)[^\n]*((?:\n[^\n]*){1,3})/g))
      for (const t of m[1]!.matchAll(/\n[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*True\b/g)) names.add(t[1]!);
  if (names.size === 0) return [];
  const tested = testedNames(source);
  return [...names].filter((n) => tested.has(n));
}
