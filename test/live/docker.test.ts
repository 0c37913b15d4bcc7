/**
 * Capture in a real Docker container (scripts/ensure-runtimes.sh --docker: dockerd without a bridge, images
 * imported from a Debian sid root with Python 3.14): the hung demo app bind-mounted from the host, captured by
 * container name through the CLI; frames map to the host files through the mount and link the BHD001 `with`.
 * Also: an image without py-spy (the actionable message, then --copy-pyspy), a container whose seccomp
 * profile refuses ptrace (the SYS_PTRACE remedy), listing containers for the picker.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { listAllTargets } from '../../src/captureSources/allTargets';
import { listServerContainers } from '../../src/captureSources/docker';
import { demoWithLine } from './runtimeMatrix';
import {
  dockerAvailable,
  IMAGE_NO_PYSPY,
  noPtraceProfile,
  runCliIn,
  startHungContainer,
  type HungContainer,
} from './dockerTarget';
import { repoRoot } from './liveBackend';

const hostPySpy = path.join(repoRoot(), '.cache', 'runtimes', 'pyspy', '0.4.3', 'bin', 'py-spy');
let hung: HungContainer | undefined;
let bare: HungContainer | undefined;
let locked: HungContainer | undefined;
let baked: HungContainer | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bh-docker-test-'));

before(async () => {
  const why = dockerAvailable();
  if (why) throw new Error(why);
  [hung, bare, locked, baked] = await Promise.all([
    // As the recipe runs it: SYS_PTRACE lets Python 3.14's remote reader list the asyncio tasks too.
    startHungContainer({ extra: ['--cap-add', 'SYS_PTRACE'] }),
    startHungContainer({ image: IMAGE_NO_PYSPY }),
    startHungContainer({ extra: ['--security-opt', `seccomp=${noPtraceProfile(tmp)}`], hang: false }),
    startHungContainer({ bake: true }),
  ]);
});

after(async () => {
  await Promise.all([hung?.stop(), bare?.stop(), locked?.stop(), baked?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('dump --container: the hung server inside is found, its blocked frame maps to the host file and links the with line', async () => {
  const r = await runCliIn(hung!.appDir, ['dump', '--container', hung!.name, '--format', 'json'], {
    ...process.env,
    PATH: process.env.PATH,
  });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    pid: number;
    source: string;
    findings: {
      blockingCall: string;
      frame: { file: string; line: number };
      static: { code: string; line: number; file: string }[];
    }[];
    tasks?: { frames: { function: string }[] }[];
    tasksNote?: string;
  };
  console.log(`capture from container ${hung!.name}: ${r.ms} ms (CLI start to exit)`);
  assert.equal(out.pid, 1, 'uvicorn is pid 1 in the container');
  assert.match(out.source, new RegExp(`container ${hung!.name}`));
  const f = out.findings[0];
  assert.ok(f, `no finding: ${r.stdout.slice(0, 2000)}`);
  assert.equal(f.blockingCall, 'ThreadPoolExecutor.shutdown');
  assert.match(
    f.frame.file,
    /^\/app\/app\/api\/routes\/stream\.py$/,
    'py-spy inside reports container paths',
  );
  assert.equal(f.static[0]?.code, 'BHD001');
  assert.equal(f.static[0]?.line, demoWithLine());
  assert.equal(
    f.static[0]?.file,
    path.join(hung!.appDir, 'app', 'api', 'routes', 'stream.py'),
    'mapped through the bind mount',
  );
  // Python 3.14 in the container: its asyncio tasks, read inside it by the server's own interpreter.
  assert.ok(out.tasks && out.tasks.length > 0, `no tasks: ${String(out.tasksNote)}`);
  assert.ok(
    out.tasks.some((t) => t.frames.some((fr) => /Server\.(main_loop|serve)/.test(fr.function))),
    JSON.stringify(out.tasks).slice(0, 1500),
  );
});

test('dump --container --format markdown: verdict, marked stack and the source lines of the host file', async () => {
  const r = await runCliIn(hung!.appDir, ['dump', '--container', hung!.name, '--format', 'markdown']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^## Event loop blocked \(container bh-test-/m);
  assert.match(r.stdout, />> .*stream\.py:\d+\)\s+<- your code/);
  assert.match(r.stdout, new RegExp(`> +${demoWithLine()} \\| +with ThreadPoolExecutor`));
  assert.match(r.stdout, /BHD001/);
});

test('a container without py-spy: the message says how to get one in; --copy-pyspy copies the host binary and captures', async () => {
  const missing = await runCliIn(bare!.appDir, ['dump', '--container', bare!.name]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /py-spy is not installed in container/);
  assert.match(missing.stderr, /--copy-pyspy/);
  const copied = await runCliIn(bare!.appDir, [
    'dump',
    '--container',
    bare!.name,
    '--copy-pyspy',
    '--pyspy',
    hostPySpy,
    '--format',
    'json',
  ]);
  assert.equal(copied.code, 0, copied.stderr);
  const out = JSON.parse(copied.stdout) as {
    pyspy: string;
    findings: { blockingCall: string }[];
    tasksNote?: string;
  };
  assert.equal(out.pyspy, '/tmp/backend-hang-py-spy');
  // Without SYS_PTRACE py-spy may still attach here, Python's own remote reader may not: it says so.
  assert.match(out.tasksNote ?? '', /SYS_PTRACE/);
  assert.equal(out.findings[0]?.blockingCall, 'ThreadPoolExecutor.shutdown');
});

test('ptrace refused in the container: the exact SYS_PTRACE remedy for docker run and compose', async () => {
  const r = await runCliIn(locked!.appDir, ['dump', '--container', locked!.name]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stderr, /SYS_PTRACE/);
  assert.match(r.stderr, /--cap-add SYS_PTRACE/);
  assert.match(r.stderr, /cap_add: \[SYS_PTRACE\]/);
});

test("code baked into the image (no mount): the static link reads the container's own file, or the checkout here by path suffix", async () => {
  type Out = { findings: { blockingCall: string; static: { code: string; line: number; file: string }[] }[] };
  const elsewhere = await runCliIn(tmp, ['dump', '--container', baked!.name, '--format', 'json']);
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
  const a = (JSON.parse(elsewhere.stdout) as Out).findings[0];
  assert.equal(a.blockingCall, 'ThreadPoolExecutor.shutdown');
  assert.equal(a.static[0]?.line, demoWithLine());
  assert.match(a.static[0]?.file ?? '', /^\/proc\/\d+\/root\/app\/app\/api\/routes\/stream\.py$/);
  const inCheckout = await runCliIn(path.join(repoRoot(), 'examples', 'news-backend'), [
    'dump',
    '--container',
    baked!.name,
    '--format',
    'json',
  ]);
  assert.equal(inCheckout.code, 0, inCheckout.stderr);
  const b = (JSON.parse(inCheckout.stdout) as Out).findings[0];
  assert.equal(
    b.static[0]?.file,
    path.join(repoRoot(), 'examples', 'news-backend', 'backend', 'app', 'api', 'routes', 'stream.py'),
  );
});

test('the picker lists containers that run a server, with their port', async () => {
  const targets = await listServerContainers();
  const mine = targets.find((t) => t.container === hung!.name);
  // On Linux the container's uvicorn is also in this host's process table: listed once, as the container.
  const all = await listAllTargets(undefined);
  assert.equal(all.filter((t) => t.container === hung!.name).length, 1);
  assert.ok(
    !all.some((t) => !t.container && mine?.hostPids?.includes(t.pid)),
    'not listed again as a local process',
  );
  assert.ok(mine, `not listed: ${targets.map((t) => t.container).join(', ')}`);
  assert.deepEqual(mine.ports, [hung!.port]);
  assert.match(mine.candidate.commandLine, /uvicorn app\.main:app/);
});

test('bad container names never reach docker; an unknown container is named', async () => {
  const bad = await runCliIn(tmp, ['dump', '--container', 'x;id']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a container name/);
  const unknown = await runCliIn(tmp, ['dump', '--container', 'no-such-container-here']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /No such container: no-such-container-here/);
});
