/**
 * Where a target process lives, read from /proc (Linux): its command line, interpreter, working directory,
 * environment and root. From that: the py-spy next to the server (its venv's bin/, the container's PATH) and
 * the host path under which its frame files are found when it runs in a chroot or container.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** What /proc tells about one process. */
export interface TargetInfo {
  pid: number;
  argv: string[];
  /** readlink of /proc/PID/exe (the real interpreter, symlinks resolved, as seen from this machine). */
  exe?: string;
  /** Its working directory as the process sees it (inside its root). */
  cwd?: string;
  /** Selected environment variables (VIRTUAL_ENV, PATH). */
  env: { VIRTUAL_ENV?: string; PATH?: string };
  /**
   * Host path of the process's root when it is not this machine's `/`: the chroot directory, or
   * `/proc/PID/root` itself for another mount namespace (a container), where the link reads `/`.
   */
  rootPrefix?: string;
}

/** Reads a process's facts; undefined when it does not exist or is not readable. */
export async function readTargetInfo(pid: number, procRoot = '/proc'): Promise<TargetInfo | undefined> {
  const dir = `${procRoot}/${pid}`;
  let cmdline: string;
  try {
    cmdline = await fs.readFile(`${dir}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  const [exe, cwd, environ, root, rootStat, selfRoot] = await Promise.all([
    fs.readlink(`${dir}/exe`).catch(() => undefined),
    fs.readlink(`${dir}/cwd`).catch(() => undefined),
    fs.readFile(`${dir}/environ`, 'utf8').catch(() => ''),
    fs.readlink(`${dir}/root`).catch(() => undefined),
    fs.stat(`${dir}/root`).catch(() => undefined),
    fs.stat('/').catch(() => undefined),
  ]);
  const env: TargetInfo['env'] = {};
  for (const kv of environ.split('\0')) {
    const eq = kv.indexOf('=');
    const k = kv.slice(0, eq);
    if (k === 'VIRTUAL_ENV' || k === 'PATH') env[k] = kv.slice(eq + 1);
  }
  let rootPrefix: string | undefined;
  if (root && root !== '/') rootPrefix = root;
  else if (rootStat && selfRoot && (rootStat.ino !== selfRoot.ino || rootStat.dev !== selfRoot.dev))
    rootPrefix = `${dir}/root`; // another mount namespace: only reachable through the magic link
  return {
    pid,
    argv: cmdline.replace(/\0$/, '').split('\0'),
    exe: exe?.replace(/ \(deleted\)$/, ''),
    cwd: cwd && rootPrefix && cwd.startsWith(rootPrefix) ? cwd.slice(rootPrefix.length) || '/' : cwd,
    env,
    rootPrefix,
  };
}

/** A path as the process sees it, made reachable from this machine (under its root prefix). */
export function onHost(info: Pick<TargetInfo, 'rootPrefix'>, p: string): string {
  return info.rootPrefix ? path.posix.join(info.rootPrefix, p) : p;
}

/**
 * Pure: py-spy paths beside the target, most specific first: the directory of the interpreter it was started
 * with (a venv's bin/), of a console script it runs (`/venv/bin/uvicorn`), $VIRTUAL_ENV/bin, the real
 * interpreter's directory, then the process's own PATH (inside a container: the image's PATH).
 */
export function pySpyNearTarget(info: TargetInfo): string[] {
  const out: string[] = [];
  const add = (dir: string | undefined, inRoot = true): void => {
    if (!dir) return;
    const p = inRoot ? onHost(info, path.posix.join(dir, 'py-spy')) : path.posix.join(dir, 'py-spy');
    if (!out.includes(p)) out.push(p);
  };
  const abs = (p: string): string | undefined =>
    p.startsWith('/') ? p : p.includes('/') && info.cwd ? path.posix.join(info.cwd, p) : undefined;
  const [argv0, ...rest] = info.argv;
  if (argv0) add(abs(argv0) && path.posix.dirname(abs(argv0)!));
  for (const a of rest.slice(0, 4)) {
    const p = abs(a);
    if (p && /\/bin\/[^/]+$/.test(p)) add(path.posix.dirname(p));
  }
  if (info.env.VIRTUAL_ENV) add(path.posix.join(info.env.VIRTUAL_ENV, 'bin'));
  // /proc/PID/exe already reads as a path on this machine (the chroot's directory included).
  if (info.exe) {
    const inRoot = !!info.rootPrefix && !info.exe.startsWith(`${info.rootPrefix}/`);
    add(path.posix.dirname(info.exe), inRoot);
  }
  for (const dir of (info.env.PATH ?? '').split(':').filter((d) => d.startsWith('/'))) add(dir);
  return out;
}
