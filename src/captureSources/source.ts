/**
 * The capture-source contract: where stacks come from. The picker, the view, the CLI and the diagnosis only
 * see {@link CaptureTarget}s and {@link ProcessCapture}s, so a local process, a process in a Docker container
 * and a dump file someone pasted all flow through the same diagnosis, static links and view.
 * Implementations: ./localProcess (this machine's processes), ./docker (`docker exec`), ./dumpFile (a file or
 * clipboard text).
 */
import type { ProcessCapture, ProcessCaptureOptions } from '../pyspyView/captureProcess';
import type { PathMapping } from '../pyspyView/pathMapping';
import type { ProcessCandidate } from '../pyspyView/types';

/** Where one capture came from, for the view's label and the JSON. */
export interface CaptureOrigin {
  kind: 'process' | 'container' | 'file' | 'clipboard';
  /** For people: `pid 4242`, `container api-1 · pid 1`, `hang-2026-11-28.txt`. */
  label: string;
  container?: string;
  file?: string;
}

/** Something the picker offers: one process, here or in a container. */
export interface CaptureTarget {
  /** The source that listed it (its `kind`). */
  source: string;
  /** Unique among the listed targets: `pid:4242`, `container:api-1:pid:1`. */
  key: string;
  /** Pid in its own namespace (inside the container for Docker). */
  pid: number;
  /** TCP ports it listens on, when known. */
  ports: number[];
  candidate: ProcessCandidate;
  /** Docker: the container's name and image. */
  container?: string;
  image?: string;
  /** Docker: its mounts as container -> host mappings (a mount of the workspace makes it the workspace's server). */
  mappings?: PathMapping[];
  /** Docker: the host pids of its processes (`docker top`): the same processes are not listed again as local. */
  hostPids?: number[];
}

/** One place stacks come from. */
export interface CaptureSource {
  readonly kind: string;
  /** The server processes this source can capture (serving ones first is not required: the picker sorts). */
  listTargets(): Promise<CaptureTarget[]>;
  /** Captures one target (a manager expands to its serving processes). */
  capture(target: CaptureTarget, opts: ProcessCaptureOptions): Promise<ProcessCapture[]>;
}
