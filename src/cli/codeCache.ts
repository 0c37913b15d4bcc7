/**
 * Where the CLI keeps V8's code cache of its bundle (pure: paths from plain data). A short `check` spends a
 * fifth of its time compiling the bundle's JavaScript (66 files of chainlit: ~50 ms of ~250 ms); the loader
 * (../cliLoader) starts the bundle from bytecode kept by the last run instead. Per user, beside other tools'
 * caches, never in a shared temp dir: the bytes are code V8 runs.
 */
import * as path from 'node:path';

export interface CodeCacheEnv {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
}

/**
 * The folder for the cache, or undefined when there is none to use: BACKEND_HANG_CODE_CACHE=0 turns it off,
 * BACKEND_HANG_CODE_CACHE=DIR puts it in DIR; else the platform's per-user cache folder (XDG_CACHE_HOME or
 * ~/.cache, ~/Library/Caches, %LOCALAPPDATA%), in `backend-hang/`.
 */
export function codeCacheDir({ platform, env, home }: CodeCacheEnv): string | undefined {
  const asked = env.BACKEND_HANG_CODE_CACHE;
  if (asked !== undefined && /^(?:0|off|false|no)$/i.test(asked.trim())) return undefined;
  if (asked !== undefined && asked.trim() !== '') return path.resolve(asked);
  const base =
    platform === 'win32'
      ? env.LOCALAPPDATA
      : platform === 'darwin'
        ? home && path.join(home, 'Library', 'Caches')
        : env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
          ? env.XDG_CACHE_HOME
          : home && path.join(home, '.cache');
  return base ? path.join(base, 'backend-hang') : undefined;
}

/** Names of the cache files, all `code-*.bin`: one per bundle content, V8 version and CPU. */
export const CODE_CACHE_FILE = /^code-[0-9a-f]+-v8-[\w.-]+\.bin$/;

/**
 * The cache file's name for a bundle whose SHA-256 is `bundleHash`. V8 itself rejects a cache made by another
 * V8 or with other flags, but checks the source only by its length: the content hash in the name is what keeps
 * one build's bytecode from ever running another's.
 */
export function codeCacheName(bundleHash: string, v8: string, arch: string): string {
  return `code-${bundleHash.slice(0, 24)}-v8-${v8.replace(/[^\w.-]/g, '_')}-${arch.replace(/[^\w]/g, '_')}.bin`;
}

/**
 * The files of `listing` that an earlier build left for this V8 and CPU (`current` is this build's): removed
 * when this build writes its own, so the folder holds one file per Node installed, not one per upgrade.
 */
export function staleCodeCaches(listing: readonly string[], current: string): string[] {
  const tail = current.slice(current.indexOf('-v8-'));
  return listing.filter((f) => f !== current && CODE_CACHE_FILE.test(f) && f.endsWith(tail));
}

/** How this run started, as the loader saw it: `-v` says so (a slow start is easier to tell apart). */
export interface CodeCacheState {
  /** used: V8 took the cache; written: none yet, or V8 rejected it (written at exit); off: no cache. */
  state: 'used' | 'written' | 'off';
  file?: string;
}

const STATE = Symbol.for('backend-hang.codeCache');

/** Set by the loader (dist/cli.js) before the bundle runs. */
export function setCodeCacheState(state: CodeCacheState): void {
  (globalThis as Record<symbol, unknown>)[STATE] = state;
}

/** `-v`'s line about the code cache; undefined when the bundle was not started by the loader (a check worker). */
export function describeCodeCache(): string | undefined {
  const s = (globalThis as Record<symbol, unknown>)[STATE] as CodeCacheState | undefined;
  if (!s) return undefined;
  if (s.state === 'off') return 'code cache: off (compiled the CLI)';
  return s.state === 'used'
    ? `code cache: started from ${s.file}`
    : `code cache: compiled the CLI, keeping its bytecode in ${s.file}`;
}
