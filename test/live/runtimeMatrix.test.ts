/**
 * The runtime matrix (issue 8): the demo's executor hang, for real, on CPython 3.9–3.14, py-spy 0.3.14–0.4.3,
 * asyncio and uvloop, uvicorn plain / --reload / --workers 2, gunicorn + UvicornWorker, hypercorn, and a
 * chrooted 3.14 server. Every cell must name ThreadPoolExecutor.shutdown on the loop thread and link the
 * `with` line of stream.py; where a py-spy cannot read that Python, it must say which py-spy is needed.
 * Set BACKEND_HANG_RECORD_MATRIX=1 to write every cell's dump to test/fixtures/dumps/matrix/ (unit fixtures).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './liveBackend';
import {
  TARGETS,
  demoWithLine,
  expectUnsupported,
  runMatrix,
  runtimesDir,
  type CellResult,
} from './runtimeMatrix';

const ready = fs.existsSync(path.join(runtimesDir(), 'sid.ready'));
const only = process.env.BACKEND_HANG_MATRIX_ONLY; // e.g. "3.9" or "uvloop" to run a subset by hand

test(
  'runtime matrix: every cell names the blocked loop and the with line',
  { timeout: 15 * 60_000 },
  async (t) => {
    assert.ok(ready, `runtimes missing: run bash scripts/ensure-runtimes.sh (looked in ${runtimesDir()})`);
    const targets = TARGETS.filter((x) => !only || `${x.python} ${x.loop} ${x.server}`.includes(only));
    const started = Date.now();
    const results = await runMatrix(targets, Number(process.env.BACKEND_HANG_MATRIX_PARALLEL ?? 3), (rs) => {
      for (const r of rs)
        t.diagnostic(
          `${r.ok ? 'ok  ' : 'FAIL'} py${r.python} ${r.loop.padEnd(7)} ${r.server.padEnd(20)} py-spy ${r.pyspy.padEnd(6)} ` +
            `${r.blockingCall ?? '-'} frame:${r.frameLine ?? '-'} with:${r.withLine ?? '-'} ${r.staticCode ?? ''} ` +
            `[${r.loopSignal ?? '-'}] ${r.ms} ms${r.error ? ` ${r.error.slice(0, 160)}` : ''}`,
        );
    });
    t.diagnostic(`matrix: ${results.length} cells in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (process.env.BACKEND_HANG_RECORD_MATRIX === '1') record(results);
    const bad: string[] = [];
    for (const r of results) {
      const name = `py${r.python} ${r.loop} ${r.server} py-spy ${r.pyspy}`;
      if (expectUnsupported(r.python, r.pyspy)) {
        // The actionable message: which py-spy is needed and how to upgrade.
        if (
          !/too old to read Python 3\.\d+.*needs py-spy 0\.4\.\d+ or newer.*pip install --upgrade py-spy/s.test(
            r.error ?? '',
          )
        )
          bad.push(`${name}: expected the upgrade message, got ${r.error ?? r.blockingCall}`);
      } else if (!r.ok) {
        bad.push(
          `${name}: ${r.error ?? `${r.blockingCall} frame ${r.frameLine} with ${r.withLine} (want ${demoWithLine()})`}`,
        );
      }
    }
    assert.deepEqual(bad, []);
  },
);

/** Writes each cell's raw py-spy JSON (one file per serving process) and an index for the unit tests. */
function record(results: CellResult[]): void {
  const dir = path.join(repoRoot(), 'test', 'fixtures', 'dumps', 'matrix');
  fs.mkdirSync(dir, { recursive: true });
  const index: object[] = [];
  for (const r of results) {
    for (const [i, c] of (r.captures ?? []).entries()) {
      const name = `py${r.python}-${r.loop}-${r.server.replace(/[^a-z0-9]+/gi, '')}-pyspy${r.pyspy}${i ? `-${i}` : ''}.json`;
      fs.writeFileSync(path.join(dir, name), c.raw);
      index.push({
        file: name,
        python: r.python,
        loop: r.loop,
        server: r.server,
        pyspy: r.pyspy,
        pid: c.pid,
        role: c.role ?? null,
        rootPrefix: c.rootPrefix ?? null,
        blocked: c.diagnosis.findings.length > 0,
        blockingCall: c.diagnosis.findings[0]?.blockingCall ?? null,
        frameLine: c.diagnosis.findings[0]?.frame?.line ?? null,
      });
    }
  }
  fs.writeFileSync(
    path.join(dir, 'index.json'),
    `${JSON.stringify({ recordedAt: new Date().toISOString(), repoRoot: repoRoot(), withLine: demoWithLine(), cells: index }, null, 2)}\n`,
  );
}
