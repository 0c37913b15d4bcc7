/**
 * `backend-hang check --fix`: applies the preferred fix of every fixable finding to files on disk, only the safe
 * ones unless `unsafeFixes` (see src/codeActions/applicability.ts). Each changed file is written atomically
 * (temporary file in the same directory + rename), keeping its mode, owner (when permitted), UTF-8 BOM and line
 * endings; files that do not change are not touched at all. A file that cannot be read, is binary or not UTF-8,
 * or does not parse (a syntax error) is reported and left exactly as it was. `dryRun` (`--diff`) computes the
 * fixed text without writing.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createPythonParser, type Tree } from '../python/treeSitter';
import { mightContainFindings } from '../diagnostics/analyze';
import type { RuleCode } from '../diagnostics/types';
import { fixOptionsFor } from '../codeActions/fixes';
import { fixAll } from '../codeActions/fixAll';
import { isTestFile } from '../codeActions/applicability';
import { parseVersionSetting, pythonVersionForFile, type PythonVersion } from '../codeActions/pythonVersion';
import { decodeForCheck, decodeUtf8, NotUtf8Error, syntaxProblem } from './sourceText';
import { applyNoqa } from '../diagnostics/noqa';
import { ProjectIndex, readDisk } from '../diagnostics/callGraph/projectIndex';
import { rootsForFiles } from '../diagnostics/callGraph/roots';
import { isStub } from '../diagnostics/pythonFiles';

export { decodeUtf8, NotUtf8Error } from './sourceText';

/**
 * decodeUtf8, saying why a file `check` reads in its declared encoding (decodeForCheck) is not fixed: fixes
 * write UTF-8, and rewriting a latin-1 file's bytes is not theirs to do.
 */
function decodeToFix(file: string, bytes: Buffer): { text: string; bom: boolean } {
  try {
    return decodeUtf8(file, bytes);
  } catch (err) {
    let encoding: string | undefined;
    try {
      encoding = decodeForCheck(file, bytes).encoding;
    } catch {
      // not even that: the UTF-8 error stands
    }
    if (encoding === undefined) throw err;
    throw new NotUtf8Error(
      file,
      `encoded as ${encoding} (its coding line), not UTF-8: checked, but fixes rewrite UTF-8 files only`,
    );
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** What happened to one file. */
export interface FixFileReport {
  file: string;
  status: 'fixed' | 'unchanged' | 'error';
  /** The fixes applied: rule and 1-based line where the finding was. */
  applied: { code: RuleCode; line: number }[];
  /** Fixable findings left as they were because their fix does not apply to the shape, and why. */
  declined: { code: RuleCode; line: number; reason: string }[];
  /** Findings whose fix is unsafe and was not applied (no `unsafeFixes`), and why it is unsafe. */
  unsafe?: { code: RuleCode; line: number; reason: string }[];
  /** The file does not parse: nothing was fixed (1-based position and words, like Ruff's E999). */
  syntaxError?: { line: number; column: number; message: string };
  /** With `dryRun`: the text before and after the fixes (only when they differ). */
  before?: string;
  after?: string;
  /** Set when status is 'error': why the file was left untouched. */
  error?: string;
}

/** Options of `fixFiles`. */
export interface FixFilesOptions {
  /** "3.8" etc.; empty/undefined: the nearest pyproject.toml's requires-python, else 3.9. */
  pythonVersion?: string;
  httpTimeoutSeconds?: number;
  select?: readonly RuleCode[];
  /** Configured import roots (`src`) for BHD007's module resolution, besides those found from the files. */
  srcRoots?: readonly string[];
  /** Apply unsafe fixes too (`--unsafe-fixes`). */
  unsafeFixes?: boolean;
  /** Compute the fixed text, write nothing (`--diff`). */
  dryRun?: boolean;
  /** Per-file settings from the configuration (select, http-timeout, target-version), when there is one. */
  configFor?: (file: string) => {
    /** The project directory (test directories are looked for below it). */
    root?: string;
    select: ReadonlySet<RuleCode>;
    httpTimeout: number;
    targetVersion?: PythonVersion;
  };
  log?: (message: string) => void;
}

/** A file whose permissions say it must not be written (rename would replace it anyway, even as non-root). */
export class ReadOnlyError extends Error {
  constructor(file: string) {
    super(`${file}: read-only; left untouched`);
    this.name = 'ReadOnlyError';
  }
}

/** Writes `data` over `file` atomically: same directory temp file, same mode/owner, then rename. */
export async function writeFileAtomic(file: string, data: Buffer): Promise<void> {
  // Rename replaces a symlink itself, so write to what it points at.
  const target = await fs.realpath(file);
  const stat = await fs.stat(target);
  // Replacing by rename needs only the directory to be writable: honour the file's own permissions here
  // (no write bit at all, or not writable by us) as an in-place write would.
  if ((stat.mode & 0o222) === 0) throw new ReadOnlyError(file);
  await fs.access(target, fs.constants.W_OK).catch(() => {
    throw new ReadOnlyError(file);
  });
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await fs.open(tmp, 'wx', stat.mode & 0o7777);
  try {
    try {
      await handle.writeFile(data);
      await handle.chmod(stat.mode & 0o7777); // the umask may have narrowed the mode given to open
      await handle.chown(stat.uid, stat.gid).catch(() => undefined); // only root may give files away
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Applies fix-all to each file; never throws for one bad file (it gets status 'error'). */
export async function fixFiles(
  paths: readonly string[],
  options: FixFilesOptions = {},
): Promise<FixFileReport[]> {
  const parser = await createPythonParser();
  const reports: FixFileReport[] = [];
  // BHD007 (a sync def that blocks, called from async code) needs the other modules: one index for the run,
  // as `check` builds it, so --fix applies what check reports as fixable.
  let project: ProjectIndex | undefined;
  // The file being fixed is read as its current round's text (the same string the round analyses: its
  // summary is compared for free), the others from disk.
  const inRound = new Map<string, string>();
  const projectFindings = (file: string) => (tree: Tree, text: string) => {
    project ??= new ProjectIndex({
      roots: rootsForFiles(paths, [process.cwd(), ...(options.srcRoots ?? [])]),
      checked: paths,
      parser,
      readText: (f) => inRound.get(f) ?? readDisk(f),
    });
    const key = path.resolve(file);
    if (inRound.has(key) && inRound.get(key) !== text) project.changed(key);
    inRound.set(key, text);
    return applyNoqa(tree, text, project.findings(file, text, tree));
  };
  try {
    for (const file of paths) {
      // (a stub is never run: no findings, nothing to fix; ../diagnostics/pythonFiles isStub)
      if (isStub(file)) {
        reports.push({ file, status: 'unchanged', applied: [], declined: [] });
        continue;
      }
      try {
        const bytes = await fs.readFile(file);
        const { text, bom } = decodeToFix(file, bytes);
        // BHD007 (calls into other modules from async code) is not in the file-local pre-filter.
        if (!mightContainFindings(text) && !text.includes('async')) {
          reports.push({ file, status: 'unchanged', applied: [], declined: [] });
          continue;
        }
        // Like Ruff: a file that does not parse is never fixed (the fixes could not be checked on it).
        // The same tree is fixAll's first round (one parse per file, not two).
        const tree = parser.parse(text);
        const problem = tree ? syntaxProblem(tree) : { line: 1, column: 1, message: 'could not be parsed' };
        if (problem || !tree) {
          tree?.delete();
          reports.push({ file, status: 'unchanged', applied: [], declined: [], syntaxError: problem });
          continue;
        }
        const config = options.configFor?.(file);
        const select = config ? (options.select ?? [...config.select]) : options.select;
        const pythonVersion =
          parseVersionSetting(options.pythonVersion) ??
          config?.targetVersion ??
          pythonVersionForFile(path.resolve(file));
        let result: ReturnType<typeof fixAll>;
        try {
          result = fixAll(text, parser, {
            ...fixOptionsFor(text, {
              pythonVersion,
              httpTimeoutSeconds: options.httpTimeoutSeconds ?? config?.httpTimeout,
              log: options.log,
              testFile: isTestFile(path.resolve(file), config?.root ?? process.cwd()),
            }),
            select,
            unsafeFixes: options.unsafeFixes,
            extraFindings: !select || select.includes('BHD007') ? projectFindings(file) : undefined,
            parsed: tree,
          });
        } finally {
          tree.delete();
        }
        const applied = result.applied.map((f) => ({ code: f.code, line: f.range.start.row + 1 }));
        const declined = result.declined.map((d) => ({
          code: d.finding.code,
          line: d.finding.range.start.row + 1,
          reason: d.reason,
        }));
        const unsafe = result.unsafe.map((d) => ({
          code: d.finding.code,
          line: d.finding.range.start.row + 1,
          reason: d.reason,
        }));
        if (result.text === text) {
          reports.push({ file, status: 'unchanged', applied: [], declined, unsafe });
          continue;
        }
        if (options.dryRun) {
          reports.push({
            file,
            status: 'fixed',
            applied,
            declined,
            unsafe,
            before: text,
            after: result.text,
          });
          continue;
        }
        const out = Buffer.from(result.text, 'utf8');
        await writeFileAtomic(file, bom ? Buffer.concat([BOM, out]) : out);
        reports.push({ file, status: 'fixed', applied, declined, unsafe });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const message =
          err instanceof NotUtf8Error || err instanceof ReadOnlyError
            ? err.message
            : e.code === 'EACCES' || e.code === 'EPERM'
              ? `${file}: permission denied; left untouched`
              : e.code === 'ENOENT'
                ? `${file}: no such file`
                : `${file}: ${e.message}; left untouched`;
        reports.push({ file, status: 'error', applied: [], declined: [], error: message });
      } finally {
        // Done with this file: the index reads it from disk again, as fixed (its caches hold a round's text).
        const key = path.resolve(file);
        const last = inRound.get(key);
        inRound.delete(key);
        if (project && last !== undefined && reports.at(-1)?.status === 'fixed') project.changed(key);
      }
    }
  } finally {
    parser.delete();
  }
  return reports;
}

/**
 * Human-readable lines: one per changed file ("Fixed 2 in a.py: BHD001 (line 18), BHD005 (line 30)"; past ten
 * fixes, "..., 790 more BHD006"), then one per fixable finding left alone ("Not fixed: a.py:14 BHD001: <why>").
 */
export function describeFixes(
  reports: readonly FixFileReport[],
  display: (file: string) => string = (f) => f,
): string[] {
  const fixed = reports
    .filter((r) => r.status === 'fixed')
    .map((r) => {
      // A file with hundreds of fixes stays one readable line: the first ten, then a count per rule.
      const shown = r.applied.slice(0, 10).map((a) => `${a.code} (line ${a.line})`);
      const rest = new Map<string, number>();
      for (const a of r.applied.slice(10)) rest.set(a.code, (rest.get(a.code) ?? 0) + 1);
      const more = [...rest].map(([code, n]) => `${n} more ${code}`);
      return `Fixed ${r.applied.length} in ${display(r.file)}: ${[...shown, ...more].join(', ')}`;
    });
  const declined = reports.flatMap((r) => [
    ...(r.syntaxError
      ? [
          `Not fixed: ${display(r.file)}:${r.syntaxError.line}:${r.syntaxError.column}: E999 SyntaxError: ${r.syntaxError.message} (a file that does not parse is never fixed)`,
        ]
      : []),
    ...r.declined.map((d) => `Not fixed: ${display(r.file)}:${d.line} ${d.code}: ${d.reason}`),
  ]);
  return [...fixed, ...declined];
}
