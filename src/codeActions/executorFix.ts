/**
 * The BHD001 rewrites: a `with ThreadPoolExecutor(...) as ex:` in async code becomes the non-blocking pattern of
 * MISSION.md (executor bound before a `try`, `finally` cancelling futures and shutting down without waiting), or,
 * as the alternative, one long-lived module-level executor. Pure text edits computed from the tree.
 */
import type { Node, Tree } from '../python/treeSitter';
import type { Finding } from '../diagnostics/types';
import type { Rewrite, TextEdit } from './fixTypes';
import {
  enclosingFunction,
  freshName,
  identifiersUnder,
  moduleImportedNames,
  statementStartRows,
  stringInteriorRows,
} from './pythonTree';
import { importEdit } from './imports';
import { boundBefore, planFutures, type FuturesKind } from './executorFutures';
import { lineEnd, lineStart, nextLineStart } from './textStyle';

/** What the executor fixes need from FixOptions. */
export interface ExecutorFixOptions {
  cancelFutures: boolean;
  eol: string;
  indent: string;
}

interface WithParts {
  call: Node;
  stmt: Node;
  item: Node;
  otherItems: Node[];
  /** Text of the `as` target (`executor`, `self.pool`), or undefined when the item has no `as`. */
  target: string | undefined;
  indent: string;
  colon: Node;
  body: Node;
  inline: boolean;
  /** Indentation unit of the block relative to the `with` line. */
  unit: string;
}

/** Finds the `with` around the finding's executor call and checks the shape is one we can rewrite. */
function locate(finding: Finding, tree: Tree, source: string, opts: ExecutorFixOptions): WithParts | string {
  let call = tree.rootNode.descendantForIndex(finding.startIndex, finding.endIndex);
  while (call && call.type !== 'call') call = call.parent;
  if (!call) return 'no call node at the finding';
  let item: Node | null = call.parent;
  let target: string | undefined;
  while (item && item.type === 'parenthesized_expression') item = item.parent;
  if (item?.type === 'as_pattern') {
    const alias = item.childForFieldName('alias');
    const t = alias?.namedChildren[0] ?? alias;
    if (!t || (t.type !== 'identifier' && t.type !== 'attribute'))
      return 'the `as` target is not a plain name';
    target = t.text;
    item = item.parent;
  }
  if (item?.type !== 'with_item') return 'the executor is not a `with` item';
  const clause = item.parent;
  const stmt = clause?.parent;
  if (!clause || clause.type !== 'with_clause' || !stmt || stmt.type !== 'with_statement')
    return 'no with statement';
  if (stmt.children.some((c) => c.type === 'async')) return '`async with` on an executor';
  const indent = source.slice(lineStart(source, stmt.startIndex), stmt.startIndex);
  if (!/^[ \t]*$/.test(indent)) return 'the `with` shares its line with other code';
  const colon = stmt.children.find((c) => c.type === ':');
  const body = stmt.childForFieldName('body');
  if (!colon || !body) return 'incomplete with statement';
  const otherItems = clause.namedChildren.filter((c) => c.type === 'with_item' && c.id !== item.id);
  // Comments between items would be lost when the items are re-joined.
  if (otherItems.length && clause.descendantsOfType('comment').length)
    return 'comments inside a multi-item `with`';
  const inline = body.startPosition.row === colon.endPosition.row;
  let unit = opts.indent;
  if (inline) {
    // `with ...: stmt` shows no block indentation: take the step from the statement that holds the `with`
    // (the file-wide guess can be fooled by continuation lines and string contents).
    const owner = stmt.parent?.type === 'block' ? stmt.parent.parent : null;
    if (owner) {
      const ownerIndent = source.slice(lineStart(source, owner.startIndex), owner.startIndex);
      if (
        /^[ \t]*$/.test(ownerIndent) &&
        indent.startsWith(ownerIndent) &&
        indent.length > ownerIndent.length
      )
        unit = indent.slice(ownerIndent.length);
    }
  } else {
    const bodyIndent = source.slice(lineStart(source, body.startIndex), body.startIndex);
    if (!bodyIndent.startsWith(indent) || bodyIndent.length <= indent.length)
      return 'unexpected block indentation';
    unit = bodyIndent.slice(indent.length);
  }
  // An item before the executor may bind a name its constructor uses: moving the executor out would break that.
  const earlier = clause.namedChildren.filter(
    (c) => c.type === 'with_item' && c.startIndex < item.startIndex,
  );
  const bound = new Set(earlier.flatMap((c) => c.descendantsOfType('as_pattern_target').map((t) => t.text)));
  if (call.descendantsOfType('identifier').some((id) => bound.has(id.text))) {
    return 'the executor depends on an earlier `with` item';
  }
  return { call, stmt, item, otherItems, target, indent, colon, body, inline, unit };
}

/** Lines that bind futures names before the `try`, so the `finally` cannot raise NameError. */
function prebindLines(parts: WithParts, futures: Map<string, FuturesKind>, ex: string): string[] {
  const fn = enclosingFunction(parts.stmt);
  const lines: string[] = [];
  for (const [name, kind] of futures) {
    if (boundBefore(fn, name, parts.stmt.startIndex, ex)) continue; // already bound: keep its value
    lines.push(`${name} = ${kind === 'single' ? 'None' : kind === 'mapping' ? '{}' : '[]'}`);
  }
  return lines;
}

/** The `finally:` clause (without a trailing line break) cancelling futures and optionally shutting down. */
function finallyLines(
  parts: WithParts,
  futures: Map<string, FuturesKind>,
  exName: string,
  shutdown: string | undefined,
): string[] {
  const { indent, unit } = parts;
  const taken = identifiersUnder(enclosingFunction(parts.stmt) ?? parts.stmt);
  const v = freshName(taken, 'f', 'future', 'pending');
  const lines = [`${indent}finally:`];
  for (const [name, kind] of futures) {
    if (kind === 'single')
      lines.push(`${indent}${unit}if ${name} is not None:`, `${indent}${unit}${unit}${name}.cancel()`);
    else {
      lines.push(
        `${indent}${unit}for ${v} in ${name}${kind === 'mapping' ? '.values()' : ''}:`,
        `${indent}${unit}${unit}${v}.cancel()`,
      );
    }
  }
  if (shutdown) lines.push(`${indent}${unit}${exName}.shutdown(${shutdown})`);
  return lines;
}

/** Re-indents the block's lines by `delta` (a unit added, or removed when `remove`). Undefined: cannot. */
function reindentBody(parts: WithParts, source: string, remove: boolean): TextEdit[] | undefined {
  const { stmt, indent, unit } = parts;
  const strings = stringInteriorRows(stmt);
  const starts = statementStartRows(parts.body);
  const edits: TextEdit[] = [];
  const firstRow = parts.colon.endPosition.row + 1;
  let offset = nextLineStart(source, parts.colon.endIndex);
  for (let row = firstRow; row <= stmt.endPosition.row; row++) {
    const end = lineEnd(source, offset);
    const line = source.slice(offset, end);
    if (line.trim() !== '' && !strings.has(row)) {
      if (!remove) edits.push({ start: offset, end: offset, newText: unit });
      else if (line.startsWith(indent + unit)) {
        edits.push({ start: offset + indent.length, end: offset + indent.length + unit.length, newText: '' });
      } else if (starts.has(row)) return undefined;
    }
    offset = nextLineStart(source, end);
  }
  return edits;
}

/** The preferred BHD001 fix: executor before a `try`, body inside, non-blocking `finally`. */
export function executorTryFinally(
  finding: Finding,
  tree: Tree,
  source: string,
  opts: ExecutorFixOptions,
): Rewrite {
  const parts = locate(finding, tree, source, opts);
  if (typeof parts === 'string') return { reason: parts };
  const { stmt, call, colon, indent, unit, eol, inline } = { ...parts, eol: opts.eol };
  const fn = enclosingFunction(stmt);
  const exName = parts.target ?? freshName(identifiersUnder(fn ?? stmt), 'executor');
  const futures = planFutures(parts.stmt, parts.body, exName);
  if (!(futures instanceof Map)) return futures;
  const kept = futures.keptAfter ?? [];
  const shutdown = opts.cancelFutures && kept.length === 0 ? 'wait=False, cancel_futures=True' : 'wait=False';
  const head = [
    `${exName} = ${call.text}`,
    ...prebindLines(parts, futures, exName).map((l) => indent + l),
    `${indent}try:`,
  ];
  const edits: TextEdit[] = [];
  if (parts.otherItems.length === 0) {
    // Only the executor: the block's lines stay exactly as they are, under `try:`.
    if (inline) {
      edits.push({
        start: stmt.startIndex,
        end: parts.body.startIndex,
        newText: head.join(eol) + eol + indent + unit,
      });
    } else {
      // A comment after the colon was about the executor: it moves to the line that now creates it.
      const trailing = source.slice(colon.endIndex, lineEnd(source, colon.endIndex));
      head[0] += trailing;
      edits.push({ start: stmt.startIndex, end: colon.endIndex + trailing.length, newText: head.join(eol) });
    }
  } else {
    // Other items stay in a `with` inside the `try`, one level deeper.
    const others = parts.otherItems.map((c) => c.text).join(', ');
    head.push(`${indent}${unit}with ${others}:`);
    edits.push({ start: stmt.startIndex, end: colon.endIndex, newText: head.join(eol) });
    if (!inline) {
      const more = reindentBody(parts, source, false);
      if (!more) return { reason: 'cannot re-indent the block' };
      edits.push(...more);
    } else {
      edits.push({ start: colon.endIndex, end: parts.body.startIndex, newText: ' ' });
    }
  }
  const end = lineEnd(source, stmt.endIndex);
  edits.push({ start: end, end, newText: eol + finallyLines(parts, futures, exName, shutdown).join(eol) });
  if (kept.length === 0) return { edits, name: exName };
  return {
    edits,
    name: exName,
    applicability: 'unsafe',
    unsafeBecause: `${kept.map((k) => `\`${k}\``).join(', ')} ${kept.length === 1 ? 'is' : 'are'} read after the block: their work keeps running (no cancel_futures) but may not have finished when read`,
  };
}

/**
 * The alternative BHD001 fix: one executor created at module level (shut down without waiting at exit), used by
 * every request instead of a new one per request. Only for a lone `with` item whose constructor arguments are
 * literals and whose class is imported at module level (else it cannot move there).
 */
export function executorModuleLevel(
  finding: Finding,
  tree: Tree,
  source: string,
  opts: ExecutorFixOptions,
): Rewrite {
  const parts = locate(finding, tree, source, opts);
  if (typeof parts === 'string') return { reason: parts };
  const { stmt, call, colon, indent, unit, inline } = parts;
  const eol = opts.eol;
  if (parts.otherItems.length) return { reason: 'module-level executor: the `with` has other items' };
  if (!enclosingFunction(stmt)) return { reason: 'module-level executor: not inside a function' };
  const args = call.childForFieldName('arguments');
  const nonLiteral = (args?.descendantsOfType('identifier') ?? []).some(
    (id) =>
      !(id.parent?.type === 'keyword_argument' && id.parent.childForFieldName('name')?.id === id.id) &&
      !['True', 'False', 'None'].includes(id.text),
  );
  if (nonLiteral) return { reason: 'module-level executor: constructor arguments use local names' };
  const fnNode = call.childForFieldName('function');
  let root = fnNode;
  while (root?.type === 'attribute') root = root.childForFieldName('object');
  const imported = moduleImportedNames(tree.rootNode);
  if (root?.type !== 'identifier' || !imported.has(root.text)) {
    return { reason: 'module-level executor: the executor class is not imported at module level' };
  }
  const moduleImports = tree.rootNode.namedChildren.filter(
    (n) =>
      n.type === 'import_statement' ||
      n.type === 'import_from_statement' ||
      n.type === 'future_import_statement',
  );
  const lastImport = moduleImports[moduleImports.length - 1]!;
  const allNames = identifiersUnder(tree.rootNode);
  const base =
    parts.target && /^[A-Za-z_]\w*$/.test(parts.target) ? `_${parts.target.toUpperCase()}` : '_EXECUTOR';
  const globalName = freshName(allNames, base);
  const exName = parts.target ?? freshName(identifiersUnder(enclosingFunction(stmt)!), 'executor');
  const edits: TextEdit[] = [];
  const atexit = importEdit(tree, source, 'atexit', eol);
  if (atexit.edit) edits.push(atexit.edit);
  const cf = opts.cancelFutures ? ', cancel_futures=True' : '';
  const at = lineEnd(source, lastImport.endIndex);
  edits.push({
    start: at,
    end: at,
    newText: `${eol}${eol}${globalName} = ${call.text}${eol}${atexit.name}.register(${globalName}.shutdown, wait=False${cf})`,
  });
  const futures = planFutures(parts.stmt, parts.body, exName);
  if (!(futures instanceof Map)) return { reason: `module-level executor: ${futures.reason}` };
  const assign = `${exName} = ${globalName}`;
  if (futures.size) {
    // Still cancel this request's futures when it ends (client gone): the shared executor stays up.
    const head = [assign, ...prebindLines(parts, futures, exName).map((l) => indent + l), `${indent}try:`];
    if (inline)
      edits.push({
        start: stmt.startIndex,
        end: parts.body.startIndex,
        newText: head.join(eol) + eol + indent + unit,
      });
    else {
      const trailing = source.slice(colon.endIndex, lineEnd(source, colon.endIndex));
      head[0] += trailing;
      edits.push({ start: stmt.startIndex, end: colon.endIndex + trailing.length, newText: head.join(eol) });
    }
    const end = lineEnd(source, stmt.endIndex);
    edits.push({ start: end, end, newText: eol + finallyLines(parts, futures, exName, undefined).join(eol) });
  } else if (inline) {
    edits.push({ start: stmt.startIndex, end: parts.body.startIndex, newText: assign + eol + indent });
  } else {
    edits.push({ start: stmt.startIndex, end: colon.endIndex, newText: assign });
    const dedent = reindentBody(parts, source, true);
    if (!dedent) return { reason: 'module-level executor: cannot dedent the block' };
    edits.push(...dedent);
  }
  return { edits, name: globalName };
}
