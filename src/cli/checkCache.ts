/**
 * `backend-hang check`'s cache, like Ruff's `.ruff_cache`: what each file gave last time, reused while the file
 * (modification time and size), its resolved settings and the tool itself are unchanged. A file with async code
 * may get BHD007 findings through other modules, so its entry also needs the same project: the same checked
 * files with the same times and sizes. (A change to a module outside the checked files is not seen: run with
 * --no-cache after changing only those.)
 *
 * One JSON file per working directory under `<cache dir>/<tool stamp>/`, written whole through a temporary
 * file and a rename (a concurrent run loses its additions, never the file). A cache that cannot be read or
 * written is not an error: the check runs without it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckedFinding } from '../codeActions/fixStatus';
import type { ResolvedConfig } from '../config/discovery';

/** What a file gave, without what is recomputed on the way out (its shown path, its text). */
export interface StoredOutcome {
  findings?: CheckedFinding[];
  syntax?: { line: number; column: number; message: string };
  error?: string;
}

interface Entry {
  mtimeMs: number;
  size: number;
  config: string;
  /** The project key the outcome was computed in, when the file's outcome may depend on other files. */
  project?: string;
  outcome: StoredOutcome;
}

interface CacheFile {
  entries: Record<string, Entry>;
}

const hash = (text: string): string => createHash('sha1').update(text).digest('hex').slice(0, 16);

/** The file's modification time and size, or undefined when it cannot be stat'ed. */
export function fileStamp(file: string): { mtimeMs: number; size: number } | undefined {
  try {
    const s = fs.statSync(file);
    return { mtimeMs: s.mtimeMs, size: s.size };
  } catch {
    return undefined;
  }
}

/** What of a file's settings its outcome depends on, as a short key. */
export function configKey(config: ResolvedConfig): string {
  return hash(
    JSON.stringify([
      config.root,
      [...config.select].sort(),
      config.perFileIgnores,
      config.httpTimeout,
      config.targetVersion ?? null,
      config.explicitTarget,
      config.src,
      config.noqaAliases,
    ]),
  );
}

/** The key of a set of checked files: their paths, times and sizes (any change, addition or removal changes it). */
export function projectKey(
  files: readonly string[],
  stamps: readonly ({ mtimeMs: number; size: number } | undefined)[],
): string {
  const h = createHash('sha1');
  files.forEach((f, i) => h.update(`${f}\0${stamps[i]?.mtimeMs ?? -1}\0${stamps[i]?.size ?? -1}\n`));
  return h.digest('hex').slice(0, 16);
}

export class CheckCache {
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly data: CacheFile,
  ) {}

  /**
   * The cache of `cwd` in `dir`, for the tool whose bundle is `script` (its size and time stamp the entries, so
   * a rebuilt or upgraded tool never reads another build's results).
   */
  static open(dir: string, cwd: string, script: string): CheckCache | undefined {
    const tool = fileStamp(script);
    if (!tool) return undefined;
    const file = path.join(
      path.resolve(cwd, dir),
      `v1-${hash(`${tool.size}:${tool.mtimeMs}`)}`,
      `${hash(cwd)}.json`,
    );
    let data: CacheFile = { entries: {} };
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
      if (parsed && typeof parsed.entries === 'object') data = parsed;
    } catch {
      // missing or unreadable: start empty
    }
    return new CheckCache(file, data);
  }

  /** The stored outcome of `file` when still valid. */
  lookup(
    file: string,
    stamp: { mtimeMs: number; size: number },
    config: string,
    project: string,
  ): StoredOutcome | undefined {
    const e = this.data.entries[file];
    if (!e || e.mtimeMs !== stamp.mtimeMs || e.size !== stamp.size || e.config !== config) return undefined;
    if (e.project !== undefined && e.project !== project) return undefined;
    return e.outcome;
  }

  store(
    file: string,
    stamp: { mtimeMs: number; size: number },
    config: string,
    project: string | undefined,
    outcome: StoredOutcome,
  ): void {
    this.data.entries[file] = { mtimeMs: stamp.mtimeMs, size: stamp.size, config, project, outcome };
    this.dirty = true;
  }

  /** Writes the cache when it changed (best effort); the cache folder gets a `.gitignore` of `*`, like Ruff's. */
  save(): void {
    if (!this.dirty) return;
    try {
      const root = path.dirname(path.dirname(this.file));
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const ignore = path.join(root, '.gitignore');
      if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '# Automatically created by backend-hang.\n*\n');
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(this.data));
      fs.renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // a read-only tree: no cache
    }
  }
}
