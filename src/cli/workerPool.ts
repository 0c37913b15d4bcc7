/**
 * Worker threads started ahead of their work: `check` starts them before it walks the tree, so loading the CLI
 * bundle and the grammar in each overlaps the walk instead of delaying the check. A started worker waits for
 * one message (its input), answers with one message and exits. Idle workers do not keep the process alive (an
 * early exit, e.g. no Python files, needs no clean-up), and `close` stops them.
 */
import { Worker } from 'node:worker_threads';

interface Slot {
  worker: Worker;
  /** Resolves with the worker's one answer, or undefined when it failed or exited without one. */
  done: Promise<unknown>;
  /** What the worker answered (listened to from run() on: a 'message' listener would keep the process up). */
  answer?: unknown;
}

export class WorkerPool {
  private readonly idle: Slot[];

  /** Starts `count` workers on `script` with `workerData` (which tells the script it is a worker). */
  constructor(script: string, count: number, workerData: unknown) {
    this.idle = Array.from({ length: count }, () => {
      const worker = new Worker(script, { workerData, stdout: false, stderr: true });
      worker.unref();
      const slot: Slot = { worker, done: Promise.resolve(undefined) };
      slot.done = new Promise<unknown>((resolve) => {
        worker.once('error', () => resolve(undefined));
        worker.once('exit', () => resolve(slot.answer));
      });
      return slot;
    });
  }

  /** Workers still waiting for work. */
  get size(): number {
    return this.idle.length;
  }

  /** Gives `input` to an idle worker; resolves with its answer (undefined when it failed or none was idle). */
  run<T>(input: unknown): Promise<T | undefined> {
    const slot = this.idle.shift();
    if (!slot) return Promise.resolve(undefined);
    slot.worker.ref();
    slot.worker.once('message', (m: unknown) => (slot.answer = m));
    slot.worker.postMessage(input);
    return slot.done as Promise<T | undefined>;
  }

  /** Stops the workers that got no work. */
  close(): void {
    for (const slot of this.idle.splice(0)) void slot.worker.terminate();
  }
}
