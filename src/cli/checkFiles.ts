/**
 * Checking files for `backend-hang check`: one thread's loop over the files it is handed (./parallelCheck
 * shares them between threads), and the fix status, E999 and noqa-alias pass on the files with findings.
 */
import { keepLexed } from '../python/lexer';
import { closeSync, openSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { checkSource } from '../diagnostics/analyze';
import { ProjectIndex } from '../diagnostics/callGraph/projectIndex';
import { rootsForFiles } from '../diagnostics/callGraph/roots';
import type { Finding } from '../diagnostics/types';
import { isStub } from '../diagnostics/pythonFiles';
import type { Parser, Tree } from '../python/treeSitter';
import type { CheckedFinding } from '../codeActions/fixStatus';
import type { ConfigResolver, ResolvedConfig } from '../config/discovery';
import type { FileReport, SyntaxProblem } from './checkOutput';
import { decodeForCheck, NotUtf8Error } from './sourceText';

/** How a path is shown: relative to the working directory when inside it, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const absolute = path.resolve(cwd, file);
  const relative = path.relative(cwd, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

/**
 * The configured import roots (`src`/`roots`, like Ruff's `src`) of the projects the files belong to: where
 * BHD007 resolves `from app.services import x` besides the roots found from the files themselves.
 */
export function srcRoots(files: readonly string[], resolver: ConfigResolver): string[] {
  const roots = new Set<string>();
  // The configuration is a directory's: asked once per directory, not per file.
  const dirs = new Set<string>();
  for (const file of files) dirs.add(path.dirname(path.resolve(file)));
  for (const dir of dirs) {
    const config = resolver.forDirectory(dir);
    if (config.file) for (const s of config.src) roots.add(path.resolve(config.root, s));
  }
  return [...roots];
}

/** Where BHD007 resolves the imports of `files`: their project roots, `cwd` and the configured `src` roots. */
export function checkRoots(files: readonly string[], resolver: ConfigResolver, cwd: string): string[] {
  return rootsForFiles(files, [cwd, ...srcRoots(files, resolver)]);
}

/** Reads a file into a reused buffer (synchronous on purpose: see checkFiles). */
function readBytes(file: string, state: { buffer: Buffer }): Buffer {
  const fd = openSync(file, 'r');
  try {
    let length = 0;
    for (let n; (n = readSync(fd, state.buffer, length, state.buffer.length - length, null)) > 0;) {
      length += n;
      if (length === state.buffer.length)
        state.buffer = Buffer.concat([state.buffer, Buffer.allocUnsafe(state.buffer.length)]);
    }
    return state.buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** What checking one file gave: nothing (most files), a report, a syntax error and/or an error message. */
export interface FileOutcome {
  index: number;
  /** With `deps` asked: the modules BHD007 read for a file with async code, transitively (ProjectIndex.consultedFrom). */
  deps?: string[];
  report?: FileReport;
  syntax?: SyntaxProblem;
  error?: string;
}

/**
 * Checks the files whose indices `next` hands out (one thread's share: see ./parallelCheck), one after the
 * other. Reads are synchronous on purpose: for a thousand small files they beat promise-based reads.
 * A file whose bytes hold neither "requests" nor "async" cannot have a finding and is not even decoded (so
 * neither its encoding nor its syntax is looked at). A file with findings needs a whole-file tree (shared by the
 * fix check, the E999 check and the noqa aliases): the check's own when it parsed the whole file, else a new
 * parse. Every handed-out index gets an outcome.
 */
export async function checkClaimed(
  files: readonly string[],
  roots: readonly string[],
  resolver: ConfigResolver,
  cwd: string,
  next: () => number | undefined,
  options: { deps?: boolean } = {},
): Promise<FileOutcome[]> {
  const outcomes: FileOutcome[] = [];
  // A module BHD007 follows is often a checked file too: lexed once (up to 32 M characters of sources per
  // thread: the agno repository's 21 M fit, and cost 40 MB of memory more).
  keepLexed(32 << 20);
  // BACKEND_HANG_FULL_PARSE=1: parse whole files (the bench checks that planned parsing finds the same).
  const regions = process.env.BACKEND_HANG_FULL_PARSE !== '1';
  const state = { buffer: Buffer.allocUnsafe(1 << 20) };
  // BHD007 (src/diagnostics/callGraph): modules resolve from `roots` (checkRoots: all files', whichever share
  // this thread checks, so every thread finds the same chains).
  // The files do not change during a check: summaries are kept without re-reading (stable). Installed
  // packages count only when checked (checked: the site-packages beside a checked package is third-party).
  // A chain's files are named in its message as the output shows paths (relative to the working directory).
  const project = new ProjectIndex({
    roots: [...roots],
    stable: true,
    checked: files,
    show: (f) => displayPath(f, cwd),
  });
  for (let index = next(); index !== undefined; index = next()) {
    const outcome: FileOutcome = { index };
    outcomes.push(outcome);
    const file = files[index]!;
    if (isStub(file)) continue;
    let bytes: Buffer;
    try {
      bytes = readBytes(file, state);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      outcome.error = `${file}: ${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code === 'ENOENT' ? 'no such file or directory' : String(err)}`;
      continue;
    }
    const hasAsync = bytes.includes('async');
    if (!hasAsync && !bytes.includes('requests')) continue;
    let source: string;
    try {
      const decoded = decodeForCheck(file, bytes);
      source = decoded.text;
      // A module BHD007 follows later is then not read again (the same text: not when a BOM was dropped, nor
      // a file in another declared encoding).
      if (!decoded.bom && decoded.encoding === undefined) project.seed(file, source);
    } catch (err) {
      if (!(err instanceof NotUtf8Error)) throw err;
      outcome.error = err.message.replace(/; left untouched$/, '; not checked');
      continue;
    }
    const config = resolver.forFile(file);
    if (config.select.size === 0) continue;
    // A whole-file tree the check made is kept for the fix status below (no second parse of the file).
    const keepTree: { tree?: Tree } = {};
    const findings = await checkSource(source, {
      select: [...config.select],
      regions,
      project,
      file,
      keepTree,
    });
    // BHD007 (async code only) may have read other modules for this file's answer: a change to one of them
    // (or to a module one of those read, transitively) must reach the cache. Only the modules read count,
    // not every module imported: an edit to a module no question about this file reached keeps its entry.
    if (options.deps && hasAsync && config.select.has('BHD007')) outcome.deps = project.consultedFrom(file);
    // Syntax errors are looked for in files with findings only: a full parse of every file would cost about
    // half the check again, and tree-sitter's grammar misreads a few valid constructs (a false E999 on a file
    // that has nothing to report would be noise). Files with findings are parsed in full anyway (fixes).
    if (findings.length === 0) {
      keepTree.tree?.delete();
      continue;
    }
    const shown = displayPath(file, cwd);
    const { confirmed, kept } = await withTree(source, keepTree.tree, async (tree, parser) => {
      const confirmed = await confirmFixable(findings, source, file, config, tree, parser);
      return { confirmed, kept: await applyAliases(confirmed.findings, source, config, tree) };
    });
    if (confirmed.syntax) outcome.syntax = { file: shown, ...confirmed.syntax };
    if (kept.length > 0) outcome.report = { file: shown, findings: kept, source };
  }
  return outcomes;
}

/** One parser for the files with findings, created on the first (the fix engine's, not the planner's). */
let reportParser: Promise<Parser> | undefined;

/**
 * Runs `use` on a whole-file tree of `source`: `given` (the check's own, when it parsed the whole file) or a new
 * parse; deleted afterwards (undefined when it could not parse).
 */
async function withTree<T>(
  source: string,
  given: Tree | undefined,
  use: (tree: Tree | undefined, parser: Parser) => Promise<T>,
): Promise<T> {
  reportParser ??= import('../python/treeSitter').then((m) => m.createPythonParser());
  const parser = await reportParser;
  const tree = given ?? parser.parse(source) ?? undefined;
  try {
    return await use(tree, parser);
  } finally {
    tree?.delete();
  }
}

/**
 * Each finding's fix status as `--fix` would find it on this file (same target Python, http-timeout, test-file
 * rule), and the file's first syntax error, on the caller's `tree` of `source`. The fix engine is loaded only
 * for files with findings.
 */
async function confirmFixable(
  findings: Finding[],
  source: string,
  file: string,
  config: ResolvedConfig,
  tree: Tree | undefined,
  parser: Parser,
): Promise<{ findings: CheckedFinding[]; syntax?: { line: number; column: number; message: string } }> {
  const [fixes, status, versions, applicability, text] = await Promise.all([
    import('../codeActions/fixes'),
    import('../codeActions/fixStatus'),
    import('../codeActions/pythonVersion'),
    import('../codeActions/applicability'),
    import('./sourceText'),
  ]);
  const syntax = tree ? text.syntaxProblem(tree) : undefined;
  if (syntax) {
    // A file that does not parse is never fixed.
    return {
      findings: findings.map((f) => ({ ...f, fixable: false, noFixReason: 'the file has a syntax error' })),
      syntax,
    };
  }
  const pythonVersion = config.targetVersion ?? versions.pythonVersionForFile(path.resolve(file));
  const options = fixes.fixOptionsFor(source, {
    pythonVersion,
    httpTimeoutSeconds: config.httpTimeout,
    testFile: applicability.isTestFile(path.resolve(file), config.root),
  });
  return { findings: status.confirmFixable(findings, source, parser, options, tree) };
}

/** Drops findings suppressed by other tools' codes configured in `noqa-aliases` (the defaults apply already). */
async function applyAliases(
  findings: CheckedFinding[],
  source: string,
  config: ResolvedConfig,
  tree: Tree | undefined,
): Promise<CheckedFinding[]> {
  const noqa = await import('../diagnostics/noqa');
  if (JSON.stringify(config.noqaAliases) === JSON.stringify(noqa.DEFAULT_NOQA_ALIASES)) return findings;
  if (!tree) return findings;
  const kept = new Set(noqa.applyNoqa(tree, source, findings, config.noqaAliases));
  return findings.filter((f) => kept.has(f));
}
