// The listener lookup on this very process (real /proc) and on recorded /proc rows, the roles of uvicorn's
// process shapes, argument parsing and frame paths for people.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { ProcInfo } from '../../src/pyspyView/processes';
import { parseTriageArgs, parseVerifyArgs, ChecksUsageError } from '../../src/serverChecks/cliArgs';
import { displayPath } from '../../src/serverChecks/format';
import {
  decodeAddress,
  describeListener,
  findListener,
  listeningInodes,
  listeningPorts,
  parseOpenFilesLimit,
  parseProcNet,
  parseStatus,
} from '../../src/serverChecks/listener';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F40 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 51240 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51300 1 0000000000000000 100 0 0 10 0
   3: 0A00000A:1F42 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51400 1 0000000000000000 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61234 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:1F43 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61300 1 0000000000000000 100 0 0 10 0
`;

describe('/proc parsing', () => {
  test('tcp and tcp6 rows: address, port, state, inode', () => {
    const rows = [...parseProcNet(TCP), ...parseProcNet(TCP6)];
    assert.deepEqual(rows[0], { address: '127.0.0.1', port: 8000, state: 0x0a, inode: 51234 });
    assert.equal(rows[3].address, '10.0.0.10');
    assert.equal(rows[4].address, '::1');
    assert.equal(rows[5].address, '::');
    assert.equal(decodeAddress('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
    // LISTEN only (not the established row), loopback or wildcard only (not 10.0.0.10), v4 and v6.
    assert.deepEqual(listeningInodes(rows, 8000), [51234, 61234]);
    assert.deepEqual(listeningInodes(rows, 8001), [51300]);
    assert.deepEqual(listeningInodes(rows, 8002), []);
    assert.deepEqual(listeningInodes(rows, 8003), [61300]);
  });

  test('status and limits', () => {
    assert.deepEqual(parseStatus('Name:\tpython\nThreads:\t7\nVmRSS:\t   53212 kB\n'), {
      threads: 7,
      rssBytes: 53212 * 1024,
    });
    assert.deepEqual(parseStatus(''), { threads: null, rssBytes: null });
    assert.equal(
      parseOpenFilesLimit('Max open files            1024                 524288               files\n'),
      1024,
    );
    assert.equal(
      parseOpenFilesLimit('Max open files            unlimited            unlimited            files\n'),
      null,
    );
  });
});

describe('listener roles', () => {
  const py = '/venv/bin/python';
  const spawn = [
    '-c',
    'from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)',
    '--multiprocessing-fork',
  ];
  const proc = (pid: number, ppid: number, argv: string[]): ProcInfo => ({
    pid,
    ppid,
    argv,
    uptimeSeconds: 12.4,
  });

  test('plain uvicorn serves itself', () => {
    const l = describeListener(8000, [10], [proc(10, 1, [py, '/venv/bin/uvicorn', 'app.main:app'])]);
    assert.equal(l?.role, 'server');
    assert.deepEqual(
      l?.serving.map((s) => s.pid),
      [10],
    );
    assert.equal(l?.uptimeSeconds, 12);
  });

  test('--workers: the manager owns the socket with its workers; the workers serve', () => {
    const table = [
      proc(10, 1, [py, '/venv/bin/uvicorn', 'app.main:app', '--workers', '2']),
      proc(11, 10, [py, ...spawn]),
      proc(12, 10, [py, ...spawn]),
    ];
    const l = describeListener(8000, [12, 10, 11], table);
    assert.equal(l?.pid, 10);
    assert.equal(l?.role, 'manager');
    assert.deepEqual(
      l?.serving.map((s) => [s.pid, s.role, s.workerIndex]),
      [
        [11, 'worker', 1],
        [12, 'worker', 2],
      ],
    );
  });

  test('--reload: the reloader listens, its spawned child serves', () => {
    const table = [
      proc(20, 1, [py, '/venv/bin/uvicorn', 'app.main:app', '--reload']),
      proc(21, 20, [py, ...spawn]),
    ];
    const l = describeListener(8000, [20, 21], table);
    assert.equal(l?.role, 'reloader');
    assert.deepEqual(
      l?.serving.map((s) => [s.pid, s.role]),
      [[21, 'server']],
    );
  });

  test('an unknown program (python main.py with uvicorn.run) is "other" and serves itself', () => {
    const l = describeListener(8000, [30], [proc(30, 1, [py, 'main.py'])]);
    assert.deepEqual([l?.role, l?.serving.map((s) => s.pid)], ['other', [30]]);
    assert.equal(describeListener(8000, [], []), undefined);
  });

  test('the real /proc: this test process listening on 127.0.0.1', async () => {
    const server = http.createServer((_q, s) => s.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const l = await findListener(port);
      assert.ok(l, 'found');
      assert.equal(l.pid, process.pid);
      assert.equal(l.role, 'other');
      assert.ok((l.fds ?? 0) > 3 && (l.threads ?? 0) >= 1 && (l.rssBytes ?? 0) > 1e6, JSON.stringify(l));
      assert.ok((l.fdLimit ?? 0) > 0);
      assert.deepEqual(
        l.serving.map((s) => s.pid),
        [process.pid],
      );
      assert.ok((await listeningPorts(process.pid)).includes(port));
    } finally {
      await new Promise((r) => server.close(r));
    }
    assert.equal(await findListener(port), undefined, 'nothing listens after close');
  });
});

describe('arguments', () => {
  test('triage', () => {
    assert.deepEqual(parseTriageArgs(['8000']), {
      help: false,
      healthPaths: ['/health'],
      timeoutMs: 5000,
      format: 'text',
      url: 'http://127.0.0.1:8000',
    });
    const a = parseTriageArgs([
      'http://localhost:8000/',
      '--health',
      'ready',
      '--health=/live',
      '--timeout',
      '2.5',
      '--format=json',
    ]);
    assert.deepEqual(
      [a.url, a.healthPaths, a.timeoutMs, a.format],
      ['http://localhost:8000', ['/ready', '/live'], 2500, 'json'],
    );
    assert.equal(parseTriageArgs(['--help']).help, true);
    for (const bad of [
      [],
      ['a', 'b'],
      ['8000', '--timeout', '0'],
      ['8000', '--format', 'xml'],
      ['8000', '--bogus'],
      ['8000', '--health'],
    ])
      assert.throws(() => parseTriageArgs(bad), ChecksUsageError, bad.join(' '));
  });

  test('verify', () => {
    const v = parseVerifyArgs(['8000', '--stream', '/news/stream']);
    assert.deepEqual(
      [v.streamPath, v.healthPath, v.abortAfterMs, v.rounds, v.maxLatencyMs],
      ['/news/stream', '/health', 1000, 3, 1000],
    );
    const w = parseVerifyArgs([
      '8000',
      '--stream=s',
      '--abort-after',
      '0.5',
      '--rounds',
      '5',
      '--health',
      '/h',
      '--max-latency',
      '250',
    ]);
    assert.deepEqual(
      [w.streamPath, w.abortAfterMs, w.rounds, w.healthPath, w.maxLatencyMs],
      ['/s', 500, 5, '/h', 250],
    );
    for (const bad of [
      ['8000'],
      ['8000', '--stream', '/s', '--rounds', '0'],
      ['8000', '--stream', '/s', '--rounds', '1.5'],
    ])
      assert.throws(() => parseVerifyArgs(bad), ChecksUsageError, bad.join(' '));
  });

  test('frame paths for people', () => {
    assert.equal(
      displayPath('/venv/lib/python3.11/site-packages/anyio/_core/_tasks.py'),
      'anyio/_core/_tasks.py',
    );
    assert.equal(displayPath('/usr/lib/python3.11/threading.py'), 'threading.py');
    assert.equal(displayPath('/proj/app/main.py', '/proj'), 'app/main.py');
    assert.equal(displayPath('/elsewhere/app/main.py', '/proj'), '/elsewhere/app/main.py');
  });
});
