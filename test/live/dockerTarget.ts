/**
 * A hung demo backend in a real Docker container (dockerd without a bridge: `--network host`; images imported
 * from the Debian sid root by scripts/ensure-runtimes.sh --docker): the app bind-mounted from a temporary copy
 * on the host, so frames say /app/... and map to the host files through the mount. Not a test file.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  abortStream,
  probeHealth,
  repoRoot,
  startFeedServer,
  waitUntil,
  type FeedServer,
} from './liveBackend';

export const IMAGE = 'backend-hang-test:py314';
export const IMAGE_NO_PYSPY = 'backend-hang-test:py314-nopyspy';

export interface HungContainer {
  name: string;
  port: number;
  baseUrl: string;
  /** The host directory mounted at /app. */
  appDir: string;
  feed: FeedServer;
  stop(): Promise<void>;
}

let nextPort = 18400 + Math.floor(Math.random() * 500);

/** `docker ...`, throwing with stderr on failure. */
export function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether a Docker daemon answers (test.sh starts one with scripts/ensure-runtimes.sh --docker). */
export function dockerAvailable(): string | undefined {
  try {
    docker(['info', '--format', '{{.ServerVersion}}']);
    docker(['image', 'inspect', IMAGE]);
    return undefined;
  } catch (err) {
    return `Docker is not usable here (${String((err as Error).message).split('\n')[0]}); run scripts/ensure-runtimes.sh --docker`;
  }
}

/**
 * Starts the demo backend in a container and hangs it (one stream aborted while its feeds stall).
 * @param extra `docker run` options (e.g. a seccomp profile)
 */
export async function startHungContainer(
  opts: { image?: string; extra?: string[]; hang?: boolean; appDir?: string; bake?: boolean } = {},
): Promise<HungContainer> {
  const feed = await startFeedServer({ delaySeconds: 30 });
  const port = nextPort++;
  const name = `bh-test-${process.pid}-${port}`;
  // A given folder (the test workspace's backend) is mounted read-only as it is; else a temporary copy.
  const appDir = opts.appDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bh-docker-app-'));
  if (!opts.appDir)
    fs.cpSync(path.join(repoRoot(), 'examples', 'news-backend', 'backend'), appDir, { recursive: true });
  const stop = async (): Promise<void> => {
    await new Promise((r) => execFile('docker', ['rm', '-f', name], () => r(undefined)));
    await feed.stop();
    if (!opts.appDir) fs.rmSync(appDir, { recursive: true, force: true });
  };
  try {
    // bake: the code copied into the container (like an image built with COPY . /app), no mount.
    docker([
      opts.bake ? 'create' : 'run',
      ...(opts.bake ? [] : ['-d']),
      '--name',
      name,
      '--network',
      'host',
      '-e',
      `NEWS_FEED_BASE_URL=${feed.url}`,
      '-e',
      'PYTHONDONTWRITEBYTECODE=1',
      ...(opts.bake ? [] : ['-v', `${appDir}:/app${opts.appDir ? ':ro' : ''}`]),
      '-w',
      '/app',
      ...(opts.extra ?? []),
      opts.image ?? IMAGE,
      '/opt/v/bin/python',
      '-m',
      'uvicorn',
      'app.main:app',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--timeout-graceful-shutdown',
      '1',
    ]);
    if (opts.bake) {
      docker(['cp', `${appDir}/.`, `${name}:/app`]);
      docker(['start', name]);
    }
    const baseUrl = `http://127.0.0.1:${port}`;
    if (!(await waitUntil(async () => (await probeHealth(baseUrl, 1000)).ok, 40_000, 200))) {
      throw new Error(`container ${name} did not answer /health: ${docker(['logs', '--tail', '20', name])}`);
    }
    if (opts.hang !== false) {
      await abortStream(baseUrl, 600);
      if ((await probeHealth(baseUrl, 1500)).ok)
        throw new Error(`container ${name}: /health still answers after the abort`);
    }
    return { name, port, baseUrl, appDir, feed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs the built CLI with `args` in `cwd`. */
export function runCliIn(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot(), 'dist', 'cli.js'), ...args],
      { cwd, env, timeout: 90_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
          ms: Date.now() - started,
        }),
    );
  });
}

/** A seccomp profile that allows everything but ptrace and process_vm_readv: what a container without
 * SYS_PTRACE gets from Docker's default profile on kernels/versions that gate them on the capability. */
export function noPtraceProfile(dir: string): string {
  const file = path.join(dir, 'seccomp-no-ptrace.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['ptrace', 'process_vm_readv'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    }),
  );
  return file;
}
