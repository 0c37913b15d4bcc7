/**
 * Where code counts as "async code" inside one top-level statement (pure; tree-sitter nodes): the bodies of its
 * defs, lambdas and classes in text order, so that ./evidence answers `inAsync` for each call by a binary search
 * instead of a walk up the tree per call.
 */
import type { Node } from '../python/treeSitter';
import type { ScopeRule } from './fileContext';

/** The body of one def/lambda/class of a statement: code in [from, to) belongs to that scope. */
export interface ScopeBody {
  from: number;
  to: number;
  /** The answer of `inAsync` for code directly in this body. */
  counts: boolean;
}

const SCOPE_TYPES = ['function_definition', 'lambda', 'class_definition'];

/** Statement -> its scopes' bodies in text order, for `inAsync` without walking up from every call. */
export function scopeBodies(statement: Node, rule: ScopeRule, source: string): ScopeBody[] {
  const bodies: ScopeBody[] = [];
  // Most statements are one def holding no other scope: its text has `def` once and no `lambda` or `class`
  // (a string holding one of these words only takes the walk below). No walk then: a file of thousands of
  // small handlers paid one for each.
  if (statement.type === 'function_definition') {
    const text = source.slice(statement.startIndex, statement.endIndex);
    const def = text.indexOf('def');
    if (def >= 0 && text.indexOf('def', def + 3) < 0 && !text.includes('lambda') && !text.includes('class')) {
      const body = statement.childForFieldName('body');
      if (body) {
        const counts = rule === 'function' || statement.firstChild?.type === 'async';
        bodies.push({ from: body.startIndex, to: body.endIndex, counts });
      }
      return bodies;
    }
  }
  // One walk in wasm; includes `statement` itself when it is a def.
  for (const scope of statement.descendantsOfType(SCOPE_TYPES)) {
    const body = scope.childForFieldName('body');
    if (!body) continue;
    const type = scope.type;
    const counts =
      type === 'function_definition' && (rule === 'function' || scope.firstChild?.type === 'async');
    bodies.push({ from: body.startIndex, to: body.endIndex, counts });
  }
  return bodies;
}

/**
 * The answer for code in [start, end): the innermost body holding it (bodies nest; the last one starting at or
 * before `start`, then back to the first that holds the code), false outside every body.
 */
export function countsAt(bodies: readonly ScopeBody[], start: number, end: number): boolean {
  let lo = 0;
  let hi = bodies.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bodies[mid]!.from <= start) lo = mid + 1;
    else hi = mid - 1;
  }
  for (let i = hi; i >= 0; i--) {
    const body = bodies[i]!;
    if (body.to >= end) return body.counts;
  }
  return false;
}
