/**
 * Live: async routes of test/fixtures/apps/blocking that block the event loop with time.sleep, requests.get,
 * a raw socket read, lock.acquire, Future.result and Thread.join. Real uvicorn, real py-spy through the
 * project's runner; the diagnosis (with the source reader the CLI uses) names the call and the route's line,
 * and `backend-hang dump --format json` says the same.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { readSourceLine } from '../../src/cli/dumpCommand';
import { diagnose } from '../../src/pyspyView/diagnosis';
import { captureDump } from '../../src/pyspyView/runner';
import { probeHealth, runCli, startNewsBackend, venvBin, type NewsBackend } from './liveBackend';
import {
  BLOCKING_APP,
  BLOCKING_MAIN,
  BLOCKING_ROUTES,
  startBlockingRequest,
  type BlockingRoute,
} from './pyspyBlockingApp';

const HOLD_SECONDS = 5;
const LINES = readFileSync(BLOCKING_MAIN, 'utf8').split('\n');
/** The `# BLOCK: <call>` marker inside `<route>_route`: the expected call and 1-based line. */
function expected(route: BlockingRoute): { call: string; line: number } {
  const start = LINES.findIndex((l) => l.includes(`async def ${route}_route(`));
  const i = LINES.findIndex((l, j) => j > start && l.includes('# BLOCK: '));
  return { call: LINES[i].split('# BLOCK: ')[1].trim(), line: i + 1 };
}

describe('py-spy on async routes that block the loop directly', () => {
  let backend: NewsBackend;
  before(async () => {
    process.env.BLOCKING_HOLD_SECONDS = String(HOLD_SECONDS);
    // The feed answers after 20 s: requests.get and the socket read wait on it for the whole hold.
    backend = await startNewsBackend({ appDir: BLOCKING_APP, feedDelaySeconds: 20 });
  });
  after(async () => {
    await backend?.stop();
  });

  for (const route of BLOCKING_ROUTES) {
    test(`/${route}: blocked in ${expected(route).call} at app/main.py:${expected(route).line}`, async () => {
      const { call, line } = expected(route);
      const done = startBlockingRequest(backend.baseUrl, route);
      try {
        await new Promise((r) => setTimeout(r, 700));
        assert.equal((await probeHealth(backend.baseUrl, 1000)).ok, false, '/health hangs');
        const { dump } = await captureDump(venvBin('py-spy'), backend.pid, { timeoutMs: 30_000 });
        const d = diagnose(dump, { sourceLine: readSourceLine });
        assert.equal(d.findings.length, 1, JSON.stringify(d.findings));
        const f = d.findings[0];
        assert.equal(f.thread, 'MainThread');
        assert.equal(f.blockingCall, call);
        assert.deepEqual(f.frame, {
          function: `${route}_route`,
          file: BLOCKING_MAIN,
          shortFile: 'app/main.py',
          line,
        });
        if (route === 'sleep' || route === 'requests') {
          // The CLI: the same diagnosis in the JSON shape, absolute path, exit 0.
          const r = await runCli([
            'dump',
            '--pid',
            String(backend.pid),
            '--format',
            'json',
            '--pyspy',
            venvBin('py-spy'),
          ]);
          assert.equal(r.code, 0, r.stderr);
          const json = JSON.parse(r.stdout) as {
            findings: {
              kind: string;
              blockingCall: string;
              frame: { function: string; file: string; line: number };
            }[];
          };
          assert.deepEqual(
            json.findings.map((x) => [x.kind, x.blockingCall, x.frame]),
            [['event-loop-blocked', call, { function: `${route}_route`, file: BLOCKING_MAIN, line }]],
          );
        }
      } finally {
        await done;
        // The hold is over when /health answers again; the next route needs a free loop.
        const deadline = Date.now() + 30_000;
        while (!(await probeHealth(backend.baseUrl, 1000)).ok && Date.now() < deadline) {
          /* still parked */
        }
      }
    });
  }
});
