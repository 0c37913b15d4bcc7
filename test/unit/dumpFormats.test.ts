/**
 * Dumps taken elsewhere (src/dumpFormats + src/captureSources/dumpFile): real recordings of the hung demo
 * (scripts/record-foreign-dumps.sh: faulthandler on 3.9/3.12/3.14, py-spy text of every version, uvloop; the
 * runtime matrix's --json of every version) read through one entry point, diagnosed and linked to the BHD001
 * `with` line like a live capture, with the recording machine's paths mapped to this checkout.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { capturesJson, staticCheck } from '../../src/cli/dumpCommand';
import { captureFromText, listPythonFiles, suggestedMappingsFor } from '../../src/captureSources/dumpFile';
import { detectFormat, FORMATS, parseAnyDump, parseAnyDumps } from '../../src/dumpFormats';
import { captureMarkdown } from '../../src/pyspyView/captureMarkdown';
import { UnparseableDumpError } from '../../src/pyspyView/dumpParser';
import { suggestMappings } from '../../src/pyspyView/pathMapping';

const root = path.resolve(__dirname, '../../..');
const foreign = path.join(root, 'test/fixtures/dumps/foreign');
const matrix = path.join(root, 'test/fixtures/dumps/matrix');
const backend = path.join(root, 'examples/news-backend/backend');
const RECORDED = '/work/main';
const withLine =
  readFileSync(path.join(backend, 'app/api/routes/stream.py'), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('with ThreadPoolExecutor')) + 1;
// The recording machine's checkout and the chroot's app copy, as a user would pass them with --path-map.
const mappings = [
  { remote: `${RECORDED}/examples/news-backend/backend`, local: backend },
  { remote: '/app-rec', local: backend },
];
const read = (name: string): string => readFileSync(path.join(foreign, name), 'utf8');
const opts = (label: string) => ({
  origin: { kind: 'file' as const, label },
  mappings,
  workspaceFolders: [backend],
  check: staticCheck,
});

const EXPECT: Record<string, string> = {
  'faulthandler-py3.9.txt': 'faulthandler',
  'faulthandler-py3.12.txt': 'faulthandler',
  'faulthandler-py3.14.txt': 'faulthandler',
  'pyspy0.3.14-py3.9.txt': 'py-spy-text',
  'pyspy0.4.0-py3.9.txt': 'py-spy-text',
  'pyspy0.4.0-py3.12.txt': 'py-spy-text',
  'pyspy0.4.2-py3.9.txt': 'py-spy-text',
  'pyspy0.4.2-py3.12.txt': 'py-spy-text',
  'pyspy0.4.3-py3.9.txt': 'py-spy-text',
  'pyspy0.4.3-py3.12.txt': 'py-spy-text',
  'pyspy0.4.3-py3.12-uvloop.txt': 'py-spy-text',
};

test('every recorded dump is recognised, diagnosed as the executor shutdown and linked to the with line', async () => {
  assert.deepEqual(
    readdirSync(foreign)
      .filter((f) => f.endsWith('.txt'))
      .sort(),
    Object.keys(EXPECT).sort(),
  );
  for (const [name, format] of Object.entries(EXPECT)) {
    assert.equal(detectFormat(read(name))?.id, format, name);
    const [c] = await captureFromText(read(name), opts(name));
    assert.equal(c.dump.format, format, name);
    const f = c.diagnosis.findings[0];
    assert.ok(f, `${name}: not blocked`);
    assert.match(f.blockingCall, /shutdown/, name);
    assert.equal(f.static?.[0]?.code, 'BHD001', name);
    assert.equal(f.static?.[0]?.line, withLine, name);
    assert.equal(f.static?.[0]?.file, path.join(backend, 'app/api/routes/stream.py'), name);
    assert.ok(f.waitsFor.length >= 1, `${name}: waited workers`);
  }
});

test('faulthandler: threads by pthread id, the writing thread marked current; 3.14 adds the OS thread name', () => {
  const d = parseAnyDump(read('faulthandler-py3.14.txt'));
  const current = d.threads.filter((t) => t.name.startsWith('Current thread'));
  assert.equal(current.length, 1);
  assert.match(current[0].name, /^Current thread 0x[0-9a-f]+ \[python\]$/);
  assert.ok(d.threads.length >= 5);
  assert.ok(d.threads.every((t) => t.frames.every((f) => f.line > 0)));
  const fr = current[0].frames.find((f) => !f.library);
  assert.equal(fr?.file, '/app-rec/app/api/routes/stream.py');
});

test('py-spy --json of every version (runtime matrix recordings) goes through the same entry point', () => {
  const files = readdirSync(matrix).filter((f) => f.startsWith('py') && f.endsWith('.json'));
  assert.ok(files.length >= 20);
  for (const f of files) {
    const text = readFileSync(path.join(matrix, f), 'utf8');
    assert.equal(detectFormat(text)?.id, 'py-spy-json', f);
    assert.ok(parseAnyDump(text).threads.length > 0, f);
  }
});

test("py-spy --asyncio --json's object ({threads, asyncio_tasks}) keeps the threads and reads the tasks", () => {
  // py-spy PR #868 (not released): the shape it documents, built around a real --json thread list.
  const threads = JSON.parse(
    readFileSync(path.join(matrix, 'py3.12-asyncio-uvicorn-pyspy0.4.3.json'), 'utf8'),
  ) as unknown[];
  const text = JSON.stringify({
    threads,
    asyncio_tasks: [
      {
        id: 140001,
        name: 'Task-7',
        state: 'pending',
        frames: [{ name: 'settle', filename: '/app/app.py', line: 26 }],
      },
    ],
  });
  const d = parseAnyDump(text);
  assert.equal(d.format, 'py-spy-asyncio-json');
  assert.equal(d.threads.length, threads.length);
  assert.deepEqual(d.tasks, [
    {
      id: '140001',
      name: 'Task-7',
      state: 'pending',
      frames: [{ function: 'settle', file: '/app/app.py', line: 26 }],
      awaitedBy: [],
    },
  ]);
});

test('a saved capture (dump --format json) opens again with the same verdict', async () => {
  const first = await captureFromText(read('pyspy0.4.3-py3.12.txt'), opts('a'));
  const saved = JSON.stringify(capturesJson(first[0].pid, first));
  assert.equal(detectFormat(saved)?.id, 'backend-hang-json');
  const again = await captureFromText(saved, opts('saved.json'));
  assert.equal(again[0].diagnosis.findings[0]?.blockingCall, first[0].diagnosis.findings[0]?.blockingCall);
  assert.equal(again[0].diagnosis.findings[0]?.static?.[0]?.line, withLine);
  // A manager's capture holds several processes: each comes back.
  const two = JSON.stringify(capturesJson(1, [...first, ...first.map((c) => ({ ...c, pid: c.pid + 1 }))]));
  assert.equal(parseAnyDumps(two).length, 2);
});

test('pasted with the shell prompt and command before it, CRLF line ends: still recognised', async () => {
  const json = readFileSync(path.join(matrix, 'py3.12-asyncio-uvicorn-pyspy0.4.3.json'), 'utf8');
  const pasted = `ana@prod-1:~$ sudo py-spy dump --pid 4242 --json\r\n${json.replace(/\n/g, '\r\n')}\r\nana@prod-1:~$ \r\n`;
  assert.equal(detectFormat(pasted)?.id, 'py-spy-json');
  assert.ok(parseAnyDump(pasted).threads.length > 1);
  const fh = `INFO:     Started server process [7]\r\n${read('faulthandler-py3.9.txt').replace(/\n/g, '\r\n')}`;
  const [c] = await captureFromText(fh, opts('log.txt'));
  assert.equal(c.dump.format, 'faulthandler');
  assert.equal(c.diagnosis.findings[0]?.static?.[0]?.line, withLine);
});

test('py-spy text dumps of several processes pasted together are split per process', () => {
  const both = `${read('pyspy0.4.3-py3.12.txt')}\n${read('pyspy0.4.3-py3.9.txt')}`;
  const dumps = parseAnyDumps(both);
  assert.equal(dumps.length, 2);
  assert.notEqual(dumps[0].pid, dumps[1].pid);
});

test('text that is no dump: an error naming every format and how to capture one', () => {
  for (const bad of [
    '',
    'hello world',
    '{"a": 1}',
    'Traceback (most recent call last):\n  File "x.py", line 1',
  ]) {
    assert.throws(
      () => parseAnyDump(bad),
      (err: unknown) =>
        err instanceof UnparseableDumpError &&
        FORMATS.every((f) => err.message.includes(f.label)) &&
        /py-spy dump --pid/.test(err.message),
      JSON.stringify(bad),
    );
  }
});

test('frames that resolve nowhere get a suggested mapping from the workspace files', async () => {
  const c = await captureFromText(read('pyspy0.4.3-py3.12.txt'), {
    origin: { kind: 'file', label: 'x' },
    workspaceFolders: ['/nonexistent-root'],
  });
  // py-spy's text form has short names (app/api/routes/stream.py): relative, not mappable by prefix.
  assert.equal(c[0].diagnosis.findings.length, 1);
  const fh = await captureFromText(read('faulthandler-py3.12.txt'), { origin: { kind: 'file', label: 'x' } });
  // As on a laptop where the repository is checked out elsewhere: the recorded paths exist nowhere.
  const userFiles = fh[0].dump.threads.flatMap((t) => t.frames.filter((f) => !f.library).map((f) => f.file));
  const files = listPythonFiles(backend).map((f) => f.replace(backend, '/home/me/proj/backend'));
  const suggested = suggestMappings(userFiles, files);
  // Through the capture: on this machine the recorded paths may exist, so only check it runs.
  assert.ok(
    Array.isArray(suggestedMappingsFor(fh, { origin: { kind: 'file', label: 'x' }, workspaceFiles: files })),
  );
  assert.deepEqual(suggested[0], {
    // The longest shared suffix wins: `backend/app/...` is common to both sides.
    remote: `${RECORDED}/examples/news-backend`,
    local: '/home/me/proj',
    resolves: suggested[0].resolves,
  });
  assert.ok(suggested[0].resolves >= 2);
  // One shared segment (a bare file name) proves nothing.
  assert.deepEqual(suggestMappings(['/srv/main.py'], ['/home/me/main.py']), []);
});

test('Markdown: verdict, marked stack, the source around the line to fix and the rule', async () => {
  const [c] = await captureFromText(read('faulthandler-py3.12.txt'), opts('incident.txt'));
  const md = captureMarkdown({ dump: c.dump, diagnosis: c.diagnosis, source: 'incident.txt' }, (f) => {
    const local = f.startsWith(`${RECORDED}/examples/news-backend/backend`)
      ? f.replace(`${RECORDED}/examples/news-backend/backend`, backend)
      : f;
    try {
      return { path: local, text: readFileSync(local, 'utf8') };
    } catch {
      return undefined;
    }
  });
  assert.match(md, /^## Event loop blocked \(incident\.txt\)/);
  assert.match(md, /Captured as: faulthandler/);
  assert.match(md, /\*\*Fix here:\*\* `.*stream\.py:18:\d+` BHD001/);
  assert.match(md, />> event_generator \(\/.*stream\.py:18\)\s+<- your code/);
  assert.match(md, /```python\n[\s\S]*> 18 \| +with ThreadPoolExecutor\(max_workers=5\) as executor:/);
  assert.match(md, /Waits for 5 threads/);
});
