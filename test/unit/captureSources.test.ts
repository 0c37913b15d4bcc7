/**
 * Process tables and ports on every OS, and Docker's outputs. Linux's `ps` and /proc/net/tcp run live here;
 * Docker's `ps`/`top`/`inspect` outputs were recorded from the real dockerd of the live tests. macOS `ps`/`lsof`
 * and Windows CIM / Get-NetTCPConnection outputs cannot be produced on this Linux machine: their fixtures are
 * written in those tools' documented formats (see README, "What is tested where").
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  inspectSecurity,
  mountsToMappings,
  parseDockerPs,
  parseDockerTop,
  portFromArgv,
} from '../../src/captureSources/dockerParse';
import { isValidContainerName } from '../../src/captureSources/docker';
import { filterByPort, listLocalTargets, targetOnPort } from '../../src/captureSources/localProcess';
import {
  listeningPorts,
  parseLsofListen,
  parseProcNetTcp,
  parseWindowsListen,
} from '../../src/captureSources/listeningPorts';
import {
  parseEtime,
  parseLsofCwd,
  parsePsOutput,
  parseWindowsCim,
  readPsTable,
  splitWindowsCommandLine,
} from '../../src/captureSources/processTable';
import { kubernetesCommands } from '../../src/captureSources/kubernetes';
import { classifyProcesses } from '../../src/pyspyView/processes';

const dir = path.resolve(__dirname, '../../../test/fixtures/processTables');
const read = (f: string): string => readFileSync(path.join(dir, f), 'utf8');

test('ps etime', () => {
  assert.equal(parseEtime('05'), undefined);
  assert.equal(parseEtime('12:03'), 723);
  assert.equal(parseEtime('04:12:33'), 4 * 3600 + 12 * 60 + 33);
  assert.equal(parseEtime('12-03:14:07'), 12 * 86400 + 3 * 3600 + 14 * 60 + 7);
});

test('macOS ps + lsof: a --reload server and a gunicorn manager with their workers, cwd and ports', () => {
  const table = parsePsOutput(read('macos-ps.txt'));
  const cwd = parseLsofCwd(read('macos-lsof-cwd.txt'));
  for (const p of table) if (cwd.has(p.pid)) p.cwd = cwd.get(p.pid);
  const c = classifyProcesses(table);
  assert.deepEqual(
    c.map((x) => [x.pid, x.role, x.serving]),
    [
      [51234, 'reloader', false],
      [51237, 'server', true],
      [52001, 'manager', false],
      [52010, 'worker', true],
      [52011, 'worker', true],
    ],
  );
  assert.equal(c[0].cwd, '/Users/ana/proj/api');
  assert.equal(c[0].uptimeSeconds, 723);
  const ports = parseLsofListen(read('macos-lsof-listen.txt'));
  assert.deepEqual(ports.get(52001), [8100]);
  assert.deepEqual(ports.get(888), [5432]);
});

test('Windows CIM: command lines split like CommandLineToArgvW, spawn workers of uvicorn --workers', () => {
  assert.deepEqual(splitWindowsCommandLine('"C:\\a b\\python.exe" -c "x = \\"y\\"" --k'), [
    'C:\\a b\\python.exe',
    '-c',
    'x = "y"',
    '--k',
  ]);
  assert.deepEqual(splitWindowsCommandLine('a\\\\"b c"'), ['a\\b c']);
  const table = parseWindowsCim(read('windows-cim.json'), new Date(1764355060000));
  assert.equal(table.find((p) => p.pid === 9120)?.uptimeSeconds, 60);
  const c = classifyProcesses(table);
  assert.deepEqual(
    c.map((x) => [x.pid, x.role, x.workerIndex ?? null]),
    [
      [9120, 'manager', null],
      [9188, 'worker', 1],
      [9190, 'worker', 2],
    ],
  );
  assert.deepEqual(parseWindowsListen(read('windows-listen.json')).get(9120), [8000]);
  assert.equal(parseWindowsListen('not json').size, 0);
});

test('Linux, live: ps lists this very process; /proc/net/tcp finds the port a real server listens on', async () => {
  const rows = await readPsTable();
  assert.ok(rows.some((r) => r.pid === process.pid && r.argv.some((a) => a.includes('node'))));
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const map = await listeningPorts([process.pid], 'linux');
    assert.ok(map.get(process.pid)?.includes(port), `port ${port} not found: ${JSON.stringify([...map])}`);
    assert.ok([...parseProcNetTcp(readFileSync('/proc/net/tcp', 'utf8')).values()].includes(port));
  } finally {
    server.close();
  }
});

test('Linux, live: a uvicorn-shaped process is listed with its port and found by port', async () => {
  // A real Python process whose command line is a uvicorn's and which listens on a port.
  const python = execFileSync('sh', ['-c', 'command -v python3']).toString().trim();
  const child = spawn(
    python,
    [
      '-c',
      'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)',
      'uvicorn',
      'app:app',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const port = await new Promise<number>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    // `python -c CODE uvicorn ...` is not a uvicorn: the classifier must not be fooled...
    const targets = await listLocalTargets('linux');
    assert.equal(
      targets.find((t) => t.pid === child.pid),
      undefined,
    );
    // ...and when it is one, the port comes from its socket.
    const fake = {
      source: 'local',
      key: `pid:${child.pid}`,
      pid: child.pid!,
      ports: (await listeningPorts([child.pid!], 'linux')).get(child.pid!) ?? [],
      candidate: {
        pid: child.pid!,
        ppid: process.pid,
        role: 'server' as const,
        serving: true,
        commandLine: 'uvicorn app:app',
      },
    };
    assert.deepEqual(fake.ports, [port]);
    assert.equal(targetOnPort([fake], port)?.pid, child.pid);
    assert.deepEqual(filterByPort([fake], `:${port}`), [fake]);
    assert.deepEqual(filterByPort([fake], ':1'), []);
  } finally {
    child.kill();
  }
});

test('ports from command lines', () => {
  assert.equal(portFromArgv(['uvicorn', 'a:b', '--port', '8000']), 8000);
  assert.equal(portFromArgv(['uvicorn', 'a:b', '--port=8001']), 8001);
  assert.equal(portFromArgv(['gunicorn', '-b', '0.0.0.0:8100']), 8100);
  assert.equal(portFromArgv(['hypercorn', '--bind', '[::]:9000']), 9000);
  assert.equal(portFromArgv(['uvicorn', 'a:b']), undefined);
});

test('Docker outputs (recorded): ps rows, top of a --workers 2 container, mounts as mappings', () => {
  const rows = parseDockerPs(`${read('docker-ps.txt')}\nWARNING: something\n`);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].name, 'rec-api-1');
  assert.equal(rows[0].image, 'backend-hang-test:py314');
  const top = parseDockerTop(read('docker-top.txt'));
  assert.equal(top.length, 4);
  assert.match(top[0].command, /^\/opt\/v\/bin\/python -m uvicorn app\.main:app .*--workers 2$/);
  const c = classifyProcesses(top.map((p) => ({ pid: p.pid, ppid: p.ppid, argv: p.command.split(/\s+/) })));
  assert.deepEqual(
    c.map((x) => x.role),
    ['manager', 'worker', 'worker'],
  );
  const inspect = read('docker-inspect.json');
  assert.deepEqual(mountsToMappings(inspect), [{ remote: '/app', local: '/tmp/tmp.ahJOciIA14' }]);
  assert.deepEqual(inspectSecurity(inspect), { capAdd: [], privileged: false, pidHost: false });
  assert.deepEqual(mountsToMappings('garbage'), []);
});

test('container names are validated before any docker command', () => {
  for (const ok of ['api', 'shop-api-1', 'a.b_c', '3f2a9c1d7e6b']) assert.ok(isValidContainerName(ok), ok);
  for (const bad of ['', '-rm', 'a b', 'a;id', '$(id)', 'a/b', '../x'])
    assert.ok(!isValidContainerName(bad), bad);
});

test('Kubernetes: exec when the image has py-spy, an ephemeral debug container when not; names validated', () => {
  const k = kubernetesCommands({ pod: 'api-7d9f8-abcde', namespace: 'shop', container: 'api' });
  assert.deepEqual(k.exec.argv, [
    'kubectl',
    'exec',
    '-n',
    'shop',
    'api-7d9f8-abcde',
    '-c',
    'api',
    '--',
    'py-spy',
    'dump',
    '--pid',
    '1',
    '--json',
  ]);
  assert.match(
    k.exec.shell,
    /^kubectl exec -n shop api-7d9f8-abcde -c api -- py-spy dump --pid 1 --json > api-7d9f8-abcde-dump\.json$/,
  );
  assert.deepEqual(k.debug.argv.slice(0, 9), [
    'kubectl',
    'debug',
    '-n',
    'shop',
    'api-7d9f8-abcde',
    '-i',
    '--profile=sysadmin',
    '--target=api',
    '--image=python:3.12-slim',
  ]);
  assert.match(k.debug.shell, /pip install -q py-spy >&2 && py-spy dump --pid 1 --json/);
  assert.throws(() => kubernetesCommands({ pod: 'x; rm -rf /' }), /pod/);
});

test('sudo capture: the fixed script runs py-spy with positional arguments and leaves a complete JSON file', async () => {
  const { sudoDumpArgs, needsRootToCapture } = await import('../../src/captureSources/sudoCapture');
  const { captureFromText } = await import('../../src/captureSources/dumpFile');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  assert.equal(needsRootToCapture('darwin', 501), true);
  assert.equal(needsRootToCapture('darwin', 0), false);
  assert.equal(needsRootToCapture('linux', 1000), false);
  assert.throws(() => sudoDumpArgs('py-spy', 0, '/tmp/x'));
  const pyspy = path.resolve(__dirname, '../../../.cache/venv/bin/py-spy');
  const python = path.resolve(__dirname, '../../../.cache/venv/bin/python');
  const child = spawn(python, ['-c', 'import time; time.sleep(30)'], { stdio: 'ignore' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bh-sudo-'));
  // A file name with a space and a quote: it is an argument, never shell text.
  const out = path.join(dir, "dump o'k.json");
  try {
    await new Promise((r) => setTimeout(r, 300));
    // Without the sudo prefix (tests run as the process's owner): the same argv sudo would be given.
    const [cmd, ...args] = sudoDumpArgs(pyspy, child.pid!, out);
    execFileSync(cmd, args);
    const [c] = await captureFromText(readFileSync(out, 'utf8'), {
      origin: { kind: 'process', label: 'sudo' },
    });
    assert.equal(c.dump.format, 'py-spy-json');
    assert.ok(c.dump.threads[0].frames.some((f) => f.function === '<module>'));
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
