/**
 * The dumps the runtime matrix recorded (test/fixtures/dumps/matrix, written by
 * `BACKEND_HANG_RECORD_MATRIX=1 node --test out/test/live/runtimeMatrix.test.js`): CPython 3.9–3.14, py-spy
 * 0.3.14–0.4.3, asyncio and uvloop, uvicorn/gunicorn/hypercorn, a chrooted server. Each is parsed, diagnosed
 * and linked to its static finding exactly as a live capture is, with the recording machine's paths mapped to
 * this checkout (and the chroot's /app-N to the demo's backend folder).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { checkSource } from '../../src/diagnostics/analyze';
import { parseDump } from '../../src/pyspyView/dumpParser';
import { diagnose } from '../../src/pyspyView/diagnosis';
import { resolveFramePath } from '../../src/pyspyView/pathMapping';
import { linkStatic } from '../../src/pyspyView/staticLink';

const root = path.resolve(__dirname, '../../..');
const dir = path.join(root, 'test/fixtures/dumps/matrix');
interface Cell {
  file: string;
  python: string;
  loop: string;
  server: string;
  pyspy: string;
  blocked: boolean;
  blockingCall: string | null;
  frameLine: number | null;
}
const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
  repoRoot: string;
  withLine: number;
  cells: Cell[];
};
const backend = path.join(root, 'examples/news-backend/backend');

/** Recorded paths → this checkout: the recording repo root, and the chroot's /app-PORT copies of the backend. */
function local(file: string): { path: string; text: string } | undefined {
  const mapped = file.replace(/^\/app-\d+(?=\/)/, backend);
  const r = resolveFramePath(mapped, {
    exists: existsSync,
    mappings: [{ remote: index.repoRoot, local: root }],
  });
  return r.kind === 'absolute' || r.kind === 'mapped'
    ? { path: r.path, text: readFileSync(r.path, 'utf8') }
    : undefined;
}

test('every recorded matrix dump is in the index', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'index.json');
  assert.deepEqual(files.sort(), index.cells.map((c) => c.file).sort());
  assert.ok(index.cells.length >= 25, `only ${index.cells.length} cells`);
});

for (const cell of index.cells) {
  test(`matrix ${cell.file}: ${cell.blocked ? 'ThreadPoolExecutor.shutdown, linked to the with line' : 'not blocked'}`, async () => {
    const dump = parseDump(readFileSync(path.join(dir, cell.file), 'utf8'));
    const diagnosis = diagnose(dump, { sourceText: (f) => local(f)?.text });
    assert.ok(diagnosis.eventLoopThreadIds.length >= 1, 'an event-loop thread is found');
    assert.equal(diagnosis.findings.length > 0, cell.blocked);
    if (!cell.blocked) return;
    const f = diagnosis.findings[0];
    assert.equal(f.blockingCall, 'ThreadPoolExecutor.shutdown');
    assert.match(f.frame!.function, /event_generator$/);
    assert.equal(f.frame!.line, cell.frameLine);
    // Names stay readable: qualified on 3.11+ with py-spy 0.4.3, never mangled.
    if (cell.pyspy === '0.4.3' && Number(cell.python.split('.')[1]) >= 11)
      assert.equal(f.frame!.function, 'news_stream.<locals>.event_generator');
    await linkStatic(diagnosis.findings, local, (s) => checkSource(s));
    assert.equal(f.static?.[0]?.code, 'BHD001');
    assert.equal(
      f.static?.[0]?.line,
      index.withLine,
      'the with statement, also when 3.9 reports the block end',
    );
    assert.equal(f.waitsForGroups?.length, 1, 'the workers are one group');
    assert.match(f.waitsForGroups![0].where, /process_source \(.*rss_ingestion\.py:\d+\)/);
  });
}
