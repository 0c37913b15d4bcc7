/**
 * BHD007's index over a project (pure, no `vscode`): per-file summaries (./summary), cached by content and
 * built on demand for the modules that async code reaches; module resolution from the roots (and their `src/`
 * layouts); and the search for a chain of sync calls that ends in a blocking operation.
 *
 * Precision first: a call that does not resolve to a `def` of a file under the roots is silent; so is a call to
 * an `async def`, a cycle, or a chain longer than MAX_DEPTH.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Parser, Tree } from '../../python/treeSitter';
import type { Finding } from '../types';
import { mightHaveBlockingOps } from '../analyze';
import { mayHaveChains } from './prefilter';
import { namesSync } from './syncNames';
import { importedModules } from './textImports';
import { NameReach } from './nameReach';
import { ModuleResolver, installedPackage } from './moduleResolver';
import { type ModuleSummary, summarize } from './summary';
import { passer } from './guards';
import { type ChainHost, chainFrom } from './chainSearch';
import { type ShowFile, chainFinding, rootRelative } from './chainFinding';
import { CallResolver } from './callResolver';

export { MAX_DEPTH } from './chainSearch';

/** Reads a file's current text (an open editor's buffer first, then disk); undefined when unreadable. */
export type ReadText = (file: string) => string | undefined;

/** Reads a file from disk as UTF-8 (undefined when it cannot be read). */
export const readDisk: ReadText = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

export interface ProjectIndexOptions {
  /** Directories modules resolve from (each also with its `src/`). */
  roots: readonly string[];
  readText?: ReadText;
  /**
   * The files do not change while the index lives (one `check` run): a summary once built is kept without
   * reading and comparing its file again at each question (a reached module is asked about many times).
   */
  stable?: boolean;
  /**
   * The files being checked. Given, an installed package (under `site-packages`/`dist-packages`) is a
   * project module only when one of them is in it: checking `site-packages/gradio` follows gradio's own
   * calls, not those into every package installed beside it (third-party, as for Ruff's first-party).
   */
  checked?: Iterable<string>;
  /** How files are named in messages (the CLI: as it shows paths); default: from the roots (rootRelative). */
  show?: ShowFile;
  /**
   * Whether text-level answers (./nameReach) may spare a module its parse (default: yes). Off, the call
   * graph reads every module a call leads to: the reference the pre-filter's tests compare with.
   */
  textGate?: boolean;
}

/**
 * Summaries by file, each kept with the text it was built from: a file that changed is summarised again on
 * the next question about it, one that did not costs a string comparison (none when the caller passes the
 * same string again).
 */
export class ProjectIndex {
  private readonly roots: string[];
  private readonly readText: ReadText;
  private readonly stable: boolean;
  private readonly textGate: boolean;
  private readonly show: ShowFile;
  /**
   * File -> its summary and the text it was built from. Compared as strings: the same string object costs
   * nothing, another one a comparison of its characters (a SHA-1 per question was 2.3 s of a 7.7 s `--fix`
   * of a file with 8,000 chains).
   */
  private readonly summaries = new Map<string, { source: string; summary: ModuleSummary | undefined }>();
  /** Where imports lead (./moduleResolver). */
  private readonly resolver: ModuleResolver;
  /** File -> whether it may block (text-level, transitive; see mayBlock). Cleared with the summaries. */
  private readonly blocking = new Map<string, boolean>();
  /** File -> its text (read once for names, mayBlock and, when stable, summary), file + name -> names(). */
  private readonly codes = new Map<string, string | undefined>();
  private readonly named = new Map<string, boolean>();
  /** Which defs and classes may block, from the text (what the pre-filter and lookups ask first). */
  private readonly reach = new NameReach({
    textOf: (file) => this.textOf(file),
    resolveModule: (module, from, level) => this.resolveModule(module, from, level),
    names: (file, name) => this.names(file, name),
    blocksDirectly: mightHaveBlockingOps,
    moduleMayBlock: (file) => this.mayBlock(file),
  });
  /** Files summarised (tests and the status bar read it). */
  builds = 0;

  /** Parses the files summarised (set by the caller before the first question: loading it is async). */
  parser: Parser | undefined;

  constructor(options: ProjectIndexOptions & { parser?: Parser }) {
    this.parser = options.parser;
    const roots: string[] = [];
    for (const r of options.roots) {
      const root = path.resolve(r);
      roots.push(root, path.join(root, 'src'));
    }
    // Longest first: a file is shown relative to the innermost root holding it.
    this.roots = [...new Set(roots)].sort((a, b) => b.length - a.length);
    this.show = options.show ?? ((file) => rootRelative(this.roots, file));
    this.readText = options.readText ?? readDisk;
    this.stable = options.stable ?? false;
    this.textGate = options.textGate ?? true;
    let installed: Set<string> | undefined;
    if (options.checked) {
      installed = new Set();
      for (const file of options.checked) {
        const top = installedPackage(path.resolve(file));
        if (top !== undefined) installed.add(top);
      }
    }
    this.resolver = new ModuleResolver(this.roots, installed);
  }

  /** `file`'s text changed (an edit, a save): its summary and every "may block" answer are stale. */
  changed(file: string): void {
    this.summaries.delete(path.resolve(file));
    this.calls.clear();
    this.blocking.clear();
    this.reach.clear();
    this.codes.clear();
    this.named.clear();
    this.consults.clear();
  }

  /** Files were created, deleted or renamed: module lookups are stale too. */
  invalidate(file: string): void {
    this.changed(file);
    this.resolver.clear();
  }

  /**
   * The file of module `name` (`a.b`), relative to `from` when `level` > 0; undefined outside the roots. Every
   * question that reads another module starts here, from the module whose text names it: `from` -> the file
   * is kept as a consult edge (see consultedFrom).
   */
  resolveModule(name: string, from: string, level: number): string | undefined {
    const file = this.resolver.resolveModule(name, from, level);
    if (file !== undefined && file !== from) {
      const edges = this.consults.get(from);
      if (edges === undefined) this.consults.set(from, new Set([file]));
      else edges.add(file);
    }
    return file;
  }

  /**
   * Module -> the modules a question about it resolved (its imports that an answer, a summary lookup or a
   * chain followed). Each answer about a module is computed from its text and from the modules it resolves,
   * whose answers are computed the same way: so whatever a file's BHD007 result read, kept answers included,
   * is among the modules reachable from it along these edges.
   */
  private readonly consults = new Map<string, Set<string>>();

  /**
   * The modules `file`'s BHD007 answers so far may depend on (sorted, `file` excluded): those reachable from it
   * along the consult edges (resolveModule). A subset of its import closure: an import no question followed
   * is not there. What the CLI cache watches for a file (src/cli/checkCache).
   */
  consultedFrom(file: string): string[] {
    const start = path.resolve(file);
    const seen = new Set([start]);
    const queue = [start];
    for (let f = queue.pop(); f !== undefined; f = queue.pop())
      for (const d of this.consults.get(f) ?? [])
        if (!seen.has(d)) {
          seen.add(d);
          queue.push(d);
        }
    seen.delete(start);
    return [...seen].sort();
  }

  /** The summary of `file` (from `text` when given, else read), or undefined when it cannot be read. */
  summary(file: string, text?: string, tree?: Tree): ModuleSummary | undefined {
    if (text === undefined && this.stable) {
      // Resolved module paths are absolute and normalised already: no path.resolve on this hot path.
      const kept = this.summaries.get(file) ?? this.summaries.get(path.resolve(file));
      if (kept) return kept.summary;
    }
    const key = path.resolve(file);
    const source = text ?? (this.stable ? this.textOf(key) : this.readText(key));
    if (source === undefined) return undefined;
    const cached = this.summaries.get(key);
    if (cached?.source === source) return cached.summary;
    let summary: ModuleSummary | undefined;
    const parsed = tree ?? this.parser?.parse(source);
    if (parsed) {
      try {
        summary = summarize(parsed, source);
        this.builds++;
      } finally {
        if (!tree) parsed.delete();
      }
    }
    this.summaries.set(key, { source, summary });
    return summary;
  }

  /** What a call resolves to (./callResolver): asked by the chain search, one resolver per index. */
  private readonly calls = new CallResolver({
    summary: (file) => this.summary(file),
    resolveModule: (module, from, level) => this.resolveModule(module, from, level),
    mayBlock: (file, name) => !this.textGate || this.reach.mayBlock(file, name),
    memberMayBlock: (file, member, attr) => !this.textGate || this.reach.memberMayBlock(file, member, attr),
    mayCallBack: (file, cls) => !this.textGate || this.reach.overrides.mayCallBack(file, cls),
  });

  /** What the chain search (./chainSearch) reads of this index. */
  private readonly chainHost: ChainHost = {
    summary: (file) => this.summary(file),
    textOf: (file) => this.textOf(file),
    calls: this.calls,
  };

  /** Whether `file` (with `source`) can have a BHD007 finding at all, from its text (./prefilter). */
  mayHaveChains(file: string, source: string): boolean {
    const key = path.resolve(file);
    return mayHaveChains(
      source,
      () => mightHaveBlockingOps(source),
      (module, level, name, call, tail) =>
        this.reach.sourceMayBlock(key, [module, level, name], call ?? false, tail),
      (source, rest, attr) => this.reach.factoryMayBlock(key, source, rest, attr),
      (text, bases, names) => this.reach.overrides.calledBack(key, text, bases, names),
    );
  }

  /**
   * `file`'s text as the caller read it (stable indexes only: a `check` run reads each checked file once; the
   * modules BHD007 follows are mostly checked files too). Kept unless the file was read already.
   */
  seed(file: string, text: string): void {
    if (!this.stable) return;
    const key = path.resolve(file);
    if (!this.codes.has(key)) this.codes.set(key, text);
  }

  /** `file`'s text, read once until the next change (undefined: unreadable). */
  textOf(file: string): string | undefined {
    if (this.codes.has(file)) return this.codes.get(file);
    const text = this.readText(file);
    this.codes.set(file, text);
    return text;
  }

  /**
   * Whether `file`'s text has the word `name` other than as an `async def`'s name: a sync function (or class,
   * or re-export) `name` there needs its def or its import, so without such a word the call graph finds
   * nothing to follow (an async def never starts a chain). Asked before mayBlock, which reads the imports
   * transitively.
   */
  private names(file: string, name: string): boolean {
    const key = `${file}\u0000${name}`;
    let yes = this.named.get(key);
    if (yes === undefined) {
      const code = this.textOf(file) ?? '';
      yes = code.includes(name) && namesSync(code, name);
      this.named.set(key, yes);
    }
    return yes;
  }

  /**
   * Whether `file` may block anywhere, from text only: it has a blocking operation's tokens, or a project
   * module it imports, transitively, has them (import cycles included).
   */
  private mayBlock(file: string, text?: string): boolean {
    const known = this.blocking.get(file);
    if (known !== undefined) return known;
    // Reachability: one depth-first search per question. A "no" holds for every module the search visited
    // (each reaches a subset of what this one reaches); a "yes" for the modules on the path to the blocking one.
    // (A module met again inside an import cycle answers "not yet" without that answer being kept.)
    const visited = new Set<string>();
    const found = this.reachesBlocking(file, text, visited);
    if (!found) for (const f of visited) this.blocking.set(f, false);
    return found;
  }

  private reachesBlocking(file: string, text: string | undefined, visited: Set<string>): boolean {
    const known = this.blocking.get(file);
    if (known !== undefined) return known;
    if (visited.has(file)) return false;
    visited.add(file);
    const source = text ?? this.textOf(file);
    if (source === undefined) return false;
    let result = mightHaveBlockingOps(source);
    if (!result) {
      for (const [module, level] of importedModules(source)) {
        const dep = this.resolveModule(module, file, level);
        if (dep !== undefined && dep !== file && this.reachesBlocking(dep, undefined, visited)) {
          result = true;
          break;
        }
      }
    }
    if (result) this.blocking.set(file, true);
    return result;
  }

  /**
   * BHD007 findings of `file` (noqa not applied): each call in async code to a sync def that blocks, through
   * at most MAX_DEPTH calls. `text`/`tree` are the file's current content when the caller has them.
   */
  findings(file: string, text?: string, tree?: Tree): Finding[] {
    const key = path.resolve(file);
    const summary = this.summary(key, text, tree);
    if (!summary) return [];
    // The text the summary is of: what the resolver reads around a call (the editor's buffer, not the disk).
    const fileText = (): string => text ?? this.textOf(key) ?? '';
    const findings: Finding[] = [];
    summary.asyncCalls.forEach((site, i) => {
      for (const target of this.calls.targets(
        key,
        summary,
        site,
        summary.asyncCallOwners[i],
        summary.asyncCallImports[i],
        fileText,
      )) {
        const chain = chainFrom(
          this.chainHost,
          target,
          1,
          new Set(),
          passer(() => site.argsText, target.fn.className !== undefined),
        );
        if (chain) {
          findings.push(chainFinding(site, chain, this.show));
          return;
        }
      }
    });
    return findings;
  }
}
