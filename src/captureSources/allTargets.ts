/**
 * Every capture target: this machine's server processes, then the Docker containers running one. A source
 * that fails (no Docker CLI, no daemon) is reported to `onError` and left out.
 */
import { listServerContainers } from './docker';
import { listLocalTargets } from './localProcess';
import type { CaptureTarget } from './source';

export async function listAllTargets(
  dockerPath: string | undefined,
  onError: (source: 'local' | 'docker', err: unknown) => void = () => undefined,
): Promise<CaptureTarget[]> {
  const [local, containers] = await Promise.all([
    listLocalTargets().catch((err: unknown) => {
      onError('local', err);
      return [] as CaptureTarget[];
    }),
    listServerContainers({ docker: dockerPath || undefined }).catch((err: unknown) => {
      onError('docker', err);
      return [] as CaptureTarget[];
    }),
  ]);
  return mergeTargets(local, containers);
}

/**
 * Local targets then containers; a container's processes (visible in this host's process table on Linux) are
 * listed once, as the container, whose capture maps its paths.
 */
export function mergeTargets(local: CaptureTarget[], containers: CaptureTarget[]): CaptureTarget[] {
  const inContainers = new Set(containers.flatMap((c) => c.hostPids ?? []));
  return [...local.filter((t) => !inContainers.has(t.pid)), ...containers];
}
