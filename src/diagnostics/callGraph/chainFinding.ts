/**
 * A BHD007 chain as a finding (pure): the message naming each hop and where the blocking operation is, and
 * each hop as related information (a link in the editor, a `= note:` line of `check`).
 */
import * as path from 'node:path';
import { MESSAGES } from '../rules';
import { enteredMessage } from '../rules/bhd007';
import type { Finding, RelatedLocation } from '../types';
import type { CallSite, FunctionSummary } from './summary';

/** A resolved function: the file holding it and its summary. */
export interface Target {
  file: string;
  fn: FunctionSummary;
  /**
   * For a method: the class `self` is an instance of when it runs, when known and other than its own (an
   * inherited method called through a subclass): its `self.f()` may run that class's override.
   */
  receiver?: Receiver;
}

/** A class by its file and name. */
export interface Receiver {
  file: string;
  cls: string;
}

/** The chain under a function: the hops (caller to callee) and the blocking operation at the end. */
export interface Chain {
  hops: Target[];
  file: string;
  what: string;
  range: FunctionSummary['nameRange'];
  /** A hop or the operation runs only on a platform servers rarely are (another chain is preferred). */
  platform?: true;
}

/** How a file is named in a chain's message. */
export type ShowFile = (absolute: string) => string;

/**
 * A file named from `roots` (innermost first): relative to the innermost root holding it in a directory (its
 * import path: `pkg/db/m.py`). A file directly in a root (a script directory, a folder without `__init__.py`,
 * each a root of its own) is named from the outermost root holding it: a bare `client.py` names one of many.
 */
export function rootRelative(roots: readonly string[], file: string): string {
  let outer: string | undefined;
  for (const root of roots) {
    const rel = path.relative(root, file);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    if (rel.includes(path.sep)) return rel.split(path.sep).join('/');
    outer = rel;
  }
  return outer ?? path.basename(file);
}

/** The finding of the call `site` in async code, whose callee leads down `chain`. */
export function chainFinding(site: CallSite, chain: Chain, show: ShowFile): Finding {
  const hops = chain.hops.map((h) => `${h.fn.qualname}()`);
  const where = `${show(chain.file)}:${chain.range.start.row + 1}`;
  // The called function is the call itself, not shown again; a `with C():` item's `C.__enter__()` is, and so
  // is a method the call does not name (`svc.fetch()` on an instance: `NewsService.fetch()`; `Api.get()`
  // inherited: `BaseClient.get()`), unless it is `self.f()`/`cls.f()` (the method of the class at hand).
  const first = chain.hops[0]?.fn.qualname ?? '';
  const entered = /\.__(?:enter|exit)__$/.test(first);
  const unnamed =
    first.includes('.') &&
    !site.calleeText.endsWith(first) &&
    !/^(?:self|cls)\s*\.\s*\w+$/.test(site.calleeText);
  const text = `→ ${[...hops.slice(entered || unnamed ? 0 : 1), chain.what].join(' → ')}`;
  const related: RelatedLocation[] = chain.hops.map((h) => ({
    file: h.file,
    range: h.fn.nameRange,
    message: `${h.fn.qualname}() (${show(h.file)}:${h.fn.nameRange.start.row + 1})`,
  }));
  related.push({ file: chain.file, range: chain.range, message: `${chain.what} blocks (${where})` });
  // The call as the message shows it, on one line: `Svc(...).run` for an instance made there, no line breaks,
  // continuations or spacing (`helper \⏎ (x)`, `m . f`).
  const shown =
    'made' in site.callee && site.callee.made
      ? `${site.callee.base}(...).${site.callee.attr}`
      : site.calleeText.replace(/\\\r?\n|\s+/g, '');
  return {
    code: 'BHD007',
    range: site.range,
    startIndex: site.startIndex,
    endIndex: site.endIndex,
    ...(entered ? enteredMessage(shown, `${text} (${where})`) : MESSAGES.BHD007(shown, `${text} (${where})`)),
    fixable: site.statement,
    related,
  };
}
