/**
 * Pure: the captures the view shows, newest first, each with its diagnosis and, when the same process was
 * captured before, which frames did not move since (the hang signature).
 */
import { diagnose, unchangedFrames, type DiagnoseOptions, type UnchangedFrames } from './diagnosis';
import type { CaptureOrigin } from '../captureSources/source';
import type { PathMapping } from './pathMapping';
import type { Diagnosis, ParsedDump, ProcessRole } from './types';
import { markStuck } from '../asyncTasks/tasksDiagnosis';

/** One py-spy capture of one process. */
export interface Capture {
  /** Unique within the session: `c1`, `c2`, ... */
  id: string;
  pid: number;
  role?: ProcessRole;
  workerIndex?: number;
  commandLine?: string;
  capturedAt: Date;
  dump: ParsedDump;
  diagnosis: Diagnosis;
  /** Raw py-spy output (JSON text), for "show raw" and the log. */
  raw: string;
  /** Present when an earlier capture of the same pid exists: per thread, the unmoved outermost frames. */
  unchanged?: UnchangedFrames[];
  /** Id of the capture compared against. */
  comparedWith?: string;
  /** Host path of the process's root (chroot/container): its frame paths are found under it. */
  rootPrefix?: string;
  /** The process's working directory (relative frame paths of text dumps). */
  cwd?: string;
  /** Where the stacks came from, for the view: `py-spy /path (from target)`, a file name, a container. */
  source?: string;
  /** The capture source (a container, a file) when not a local process. */
  origin?: CaptureOrigin;
  /** Path mappings that came with the capture (a container's mounts, a mapping accepted for a dump file). */
  mappings?: PathMapping[];
}

/** Which process a capture is of: the same pid means the same process only within one source. */
export function processKey(c: Pick<Capture, 'pid' | 'origin'>): string {
  if (!c.origin || c.origin.kind === 'process') return `pid:${c.pid}`;
  if (c.origin.kind === 'container') return `container:${c.origin.container}:${c.pid}`;
  return `${c.origin.kind}:${c.origin.file ?? c.origin.label}:${c.pid}`;
}

/** Input of {@link CaptureStore.add}: a capture before the store numbers and compares it. */
export type NewCapture = Omit<Capture, 'id' | 'diagnosis' | 'unchanged' | 'comparedWith'> & {
  /** Already diagnosed (and statically linked) by the capture pipeline; else diagnosed here. */
  diagnosis?: Diagnosis;
};

/** Holds captures (at most `limit`, oldest dropped) and notifies on change. */
export class CaptureStore {
  private readonly captures: Capture[] = [];
  private next = 1;
  private readonly listeners = new Set<() => void>();

  /**
   * @param limit captures kept (oldest dropped)
   * @param diagnoseOptions passed to {@link diagnose} (the editor gives it a source-line reader)
   */
  constructor(
    private readonly limit = 20,
    private readonly diagnoseOptions: DiagnoseOptions = {},
  ) {}

  /** Diagnoses, compares with the previous capture of the same pid, stores; returns the stored capture. */
  add(input: NewCapture): Capture {
    const previous = this.captures.find((c) => processKey(c) === processKey(input));
    // asyncio tasks whose stack did not move since the previous capture of this pid are marked stuck.
    const dump =
      previous?.dump.tasks && input.dump.tasks
        ? { ...input.dump, tasks: markStuck(previous.dump.tasks, input.dump.tasks) }
        : input.dump;
    const capture: Capture = {
      ...input,
      dump,
      id: `c${this.next++}`,
      diagnosis: input.diagnosis ?? diagnose(input.dump, this.diagnoseOptions),
      ...(previous
        ? { unchanged: unchangedFrames(previous.dump, input.dump), comparedWith: previous.id }
        : {}),
    };
    this.captures.unshift(capture);
    this.captures.splice(this.limit);
    this.emit();
    return capture;
  }

  /** Newest first. */
  list(): readonly Capture[] {
    return this.captures;
  }

  get(id: string): Capture | undefined {
    return this.captures.find((c) => c.id === id);
  }

  remove(id: string): void {
    const i = this.captures.findIndex((c) => c.id === id);
    if (i >= 0) {
      this.captures.splice(i, 1);
      this.emit();
    }
  }

  clear(): void {
    this.captures.length = 0;
    this.emit();
  }

  /** Registers a change listener; returns its unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

/** `12:03:01` in local time (what the decoration and the capture node show). */
export function formatTime(d: Date): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
