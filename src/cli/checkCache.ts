/**
 * `backend-hang check`'s cache, like Ruff's `.ruff_cache`: what each file gave last time, reused while the file
 * (modification time and size), its resolved settings and the tool itself are unchanged. A file with async code
 * may get BHD007 findings through other modules: its entry also lists the modules its answer read, transitively
 * (ProjectIndex.consultedFrom: a subset of its imports, those a question followed), and is reused only while
 * none of them changed. (A module that did not exist then and shadows nothing is not watched for appearing.)
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
  /** The modules the outcome may depend on (indices into CacheFile.paths) and a key of their stamps then. */
  deps?: number[];
  depsKey?: string;
  outcome: StoredOutcome;
}

interface CacheFile {
  /** Paths of the modules entries depend on (interned: a module is listed once, however many import it). */
  paths: string[];
  entries: Record<string, Entry>;
}

export type Stamp = { mtimeMs: number; size: number };

const hash = (text: string): string => createHash('sha1').update(text).digest('hex').slice(0, 16);

/** The file's modification time and size, or undefined when it cannot be stat'ed. */
export function fileStamp(file: string): Stamp | undefined {
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

/** A key of the stamps of `files` now (`stampOf` memoised by the caller; a missing file counts too). */
function stampsKey(files: readonly string[], stampOf: (file: string) => Stamp | undefined): string {
  const h = createHash('sha1');
  for (const f of files) {
    const s = stampOf(f);
    h.update(`${f}\0${s?.mtimeMs ?? -1}\0${s?.size ?? -1}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

export class CheckCache {
  private dirty = false;
  private readonly pathIndex = new Map<string, number>();

  private constructor(
    private readonly file: string,
    private readonly data: CacheFile,
  ) {
    data.paths.forEach((p, i) => this.pathIndex.set(p, i));
  }

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
    let data: CacheFile = { paths: [], entries: {} };
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
      if (parsed && typeof parsed.entries === 'object' && Array.isArray(parsed.paths)) data = parsed;
    } catch {
      // missing or unreadable: start empty
    }
    return new CheckCache(file, data);
  }

  /** The stored outcome of `file` when still valid (`stampOf`: the stamps now, memoised by the caller). */
  lookup(
    file: string,
    stamp: Stamp,
    config: string,
    stampOf: (file: string) => Stamp | undefined,
  ): StoredOutcome | undefined {
    const e = this.data.entries[file];
    if (!e || e.mtimeMs !== stamp.mtimeMs || e.size !== stamp.size || e.config !== config) return undefined;
    if (e.deps) {
      const deps = e.deps.map((i) => this.data.paths[i]);
      if (deps.some((d) => d === undefined) || stampsKey(deps as string[], stampOf) !== e.depsKey)
        return undefined;
    }
    return e.outcome;
  }

  /** Stores what `file` gave; `deps`: the modules it depends on (their stamps are taken now). */
  store(
    file: string,
    stamp: Stamp,
    config: string,
    deps: readonly string[] | undefined,
    stampOf: (file: string) => Stamp | undefined,
    outcome: StoredOutcome,
  ): void {
    const entry: Entry = { mtimeMs: stamp.mtimeMs, size: stamp.size, config, outcome };
    if (deps) {
      entry.deps = deps.map((d) => {
        let i = this.pathIndex.get(d);
        if (i === undefined) {
          this.pathIndex.set(d, (i = this.data.paths.length));
          this.data.paths.push(d);
        }
        return i;
      });
      entry.depsKey = stampsKey(deps, stampOf);
    }
    this.data.entries[file] = entry;
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
