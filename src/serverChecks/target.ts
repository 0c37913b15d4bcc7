/**
 * Pure: which server a check talks to. Normalises what people type (`8000`, `localhost:8000`,
 * `http://127.0.0.1:8000/`) and tells loopback URLs from other hosts: only loopback is probed without an
 * explicit setting (see README, "Server checks").
 */

/** A URL that cannot be used (reported as a usage error). */
export class BadUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadUrlError';
  }
}

/**
 * `8000` → `http://127.0.0.1:8000`; `localhost:8000` → `http://localhost:8000`; keeps http(s) URLs; drops a
 * trailing slash. @throws BadUrlError
 */
export function normalizeUrl(input: string): string {
  const s = input.trim();
  if (!s) throw new BadUrlError('empty URL');
  let candidate = s;
  if (/^\d{1,5}$/.test(s)) candidate = `http://127.0.0.1:${s}`;
  else if (/^:\d{1,5}$/.test(s)) candidate = `http://127.0.0.1${s}`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) candidate = `http://${s}`;
  let u: URL;
  try {
    u = new URL(candidate);
  } catch {
    throw new BadUrlError(`not a URL: '${input}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new BadUrlError(`only http and https URLs can be probed, got '${u.protocol}'`);
  }
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '');
}

/** True for 127.0.0.0/8, ::1, `localhost` and `*.localhost`: this machine. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '::1' ||
    host === '::ffff:127.0.0.1'
  );
}

/** The port a URL connects to (default 80/443). */
export function portOf(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/** Pure: a path as probes use it: leading slash, no surrounding spaces. */
export function normalizePath(p: string): string {
  const s = p.trim();
  return s.startsWith('/') ? s : `/${s}`;
}
