/**
 * Worker threads that each take one message (their input), answer with one message and exit. They start
 * loading (the CLI bundle, the grammar) as soon as they are created, and the input can follow later; until a
 * worker has work it does not keep the process alive.
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

  /** Gives `input` to an idle worker; resolves with its answer (undefined when it failed or none was idle). */
  run<T>(input: unknown): Promise<T | undefined> {
    const slot = this.idle.shift();
    if (!slot) return Promise.resolve(undefined);
    slot.worker.ref();
    slot.worker.once('message', (m: unknown) => (slot.answer = m));
    slot.worker.postMessage(input);
    return slot.done as Promise<T | undefined>;
  }
}
