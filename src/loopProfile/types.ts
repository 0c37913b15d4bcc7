/** Plain-data types of the loop profile (no `vscode`): raw py-spy samples, the report and its JSON shape. */
import type { Frame, StaticLink } from '../pyspyView/types';

/** One distinct stack of `py-spy record --format raw --threads` with how many samples had it. */
export interface RawStack {
  /** Present with `--subprocesses` (`process 123:"cmd"` first element). */
  pid?: number;
  /** OS thread id from `thread (0x... | 123)`; 0 when the profile was taken without `--threads`. */
  threadId: number;
  threadName: string;
  /** Innermost first, like a dump's frames. */
  frames: Frame[];
  count: number;
}

/** One user line that kept the loop busy. */
export interface Hotspot {
  /** The file as py-spy gave it (absolute with `--full-filenames`). */
  file: string;
  shortFile: string;
  line: number;
  function: string;
  /** Share of the loop thread's samples (0..1) spent with this line as the nearest user frame, not idle. */
  share: number;
  /** share × the profile's duration. */
  seconds: number;
  samples: number;
  /** The blocking call under the line (`time.sleep`, `requests.get`, `CPU in hashlib.pbkdf2_hmac`). */
  call: string;
  /** How `call` was named: a frame of the stack, the text of the line, or nothing better than library code. */
  evidence: 'stack' | 'source' | 'none';
  /**
   * The user frames that called this line (innermost first), from its most frequent stack: a sync helper's
   * `time.sleep` is fixed where async code calls it (BHD007 reports that call).
   */
  callers?: { file: string; line: number; function: string }[];
  /** The file on this machine (chroot/container root, mappings resolved), when it is here. */
  localPath?: string;
  /** Static findings (`backend-hang check`) covering the line; filled by the caller when sources are readable. */
  static?: StaticLink[];
}

/** What the loop thread did over the profile. */
export interface LoopUsage {
  thread: string;
  osThreadId: number;
  /** How the thread was recognised as the loop (src/pyspyView/loopThreads). */
  signal: string;
  samples: number;
  idleSamples: number;
  /** Share of samples (0..1) in which the loop was not idle in its selector / libuv poll. */
  busyShare: number;
  /**
   * Busy share with no user line to blame: library code only (the server, the framework), or asyncio's await
   * machinery called from an `await` line (scheduling, not blocking).
   */
  frameworkShare: number;
}

/** The pure analysis of one process's profile. */
export interface LoopProfile {
  pid: number;
  durationS: number;
  /** Ticks sampled (each tick samples every thread). */
  samples: number;
  /** The loop thread; undefined when no thread was recognised as one. */
  loop?: LoopUsage;
  /** Other loop threads of the same process (rare: a second loop in a thread). */
  otherLoops: LoopUsage[];
  /** User lines ranked by share, largest first. */
  hotspots: Hotspot[];
}
