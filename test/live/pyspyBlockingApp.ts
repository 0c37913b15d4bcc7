/**
 * The blocking-routes fixture app (test/fixtures/apps/blocking): async routes that call time.sleep,
 * requests.get, a raw socket read, lock.acquire, Future.result and Thread.join straight on the event loop.
 * Shared by the live py-spy test and the fixture recorder. Not a test file.
 */
import * as http from 'node:http';
import * as path from 'node:path';
import { repoRoot } from './liveBackend';

/** uvicorn's working directory for `app.main:app` of the fixture. */
export const BLOCKING_APP = path.join(repoRoot(), 'test', 'fixtures', 'apps', 'blocking');

/** The fixture's source file (absolute: py-spy's --json paths). */
export const BLOCKING_MAIN = path.join(BLOCKING_APP, 'app', 'main.py');

/** Route names; each line that blocks carries a `# BLOCK: <blockingCall>` marker in main.py. */
export const BLOCKING_ROUTES = ['sleep', 'requests', 'socket', 'lock', 'future', 'join'] as const;

/** One blocking route. */
export type BlockingRoute = (typeof BLOCKING_ROUTES)[number];

/**
 * Sends GET /<route> and resolves when the response (or an error) arrives; the route holds the loop for
 * $BLOCKING_HOLD_SECONDS (set before the backend starts). Never rejects.
 */
export function startBlockingRequest(baseUrl: string, route: BlockingRoute): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(new URL(`/${route}`, baseUrl), { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', () => resolve());
    req.setTimeout(120_000, () => req.destroy());
  });
}
