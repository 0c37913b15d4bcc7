/**
 * Pure: parses `py-spy record --format raw` output (Brendan Gregg's collapsed stacks). One line per distinct
 * stack: frames outermost first, `;`-separated, then a space and the sample count. With `--threads` the first
 * element is `thread (TID): NAME` (py-spy 0.4; 0.3 writes the id in hex, without a name); with
 * `--subprocesses` a `process PID:"command line"` element comes before it. A frame reads `function (file:line)`,
 * or `function (file)` when py-spy has no line (native code).
 */
import { UnparseableDumpError } from '../pyspyView/dumpParser';
import { isLibraryFile } from '../pyspyView/libraryFiles';
import type { Frame } from '../pyspyView/types';
import type { RawStack } from './types';

const THREAD = /^thread \((0x[0-9a-fA-F]+|\d+)\)(?::\s?(.*))?$/;
const PROCESS = /^process (\d+)(?::"?(.*?)"?)?$/;
const FRAME = /^(.*) \(([^()]*?)(?::(\d+))?\)$/;

/** Shortens an absolute path the way py-spy's short file names read (`fastapi/routing.py`, `app/main.py`). */
export function shortPath(file: string): string {
  const f = file.replace(/\\/g, '/');
  const pkg = /\/(?:site|dist)-packages\/(.*)$/.exec(f) ?? /\/lib\/python\d+(?:\.\d+)?t?\/(.*)$/.exec(f);
  return pkg ? pkg[1] : f;
}

/** One frame of a raw line; undefined for text that is not a frame. */
export function parseRawFrame(text: string): Frame | undefined {
  const m = FRAME.exec(text.trim());
  if (!m) return undefined;
  const file = m[2];
  return {
    function: m[1],
    file,
    shortFile: shortPath(file),
    line: m[3] ? Number(m[3]) : 0,
    library: isLibraryFile(file),
  };
}

/**
 * Parses a raw profile into its distinct stacks (frames innermost first).
 * @throws UnparseableDumpError when no line has the `stack count` shape.
 */
export function parseRawProfile(text: string): RawStack[] {
  const out: RawStack[] = [];
  let bad = 0;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    if (!line) continue;
    const sp = line.lastIndexOf(' ');
    const count = Number(line.slice(sp + 1));
    if (sp < 0 || !Number.isInteger(count) || count <= 0) {
      bad++;
      continue;
    }
    const parts = line.slice(0, sp).split(';');
    let pid: number | undefined;
    let threadId = 0;
    let threadName = '';
    const pm = PROCESS.exec(parts[0] ?? '');
    if (pm) {
      pid = Number(pm[1]);
      parts.shift();
    }
    const tm = THREAD.exec(parts[0] ?? '');
    if (tm) {
      threadId = tm[1].startsWith('0x') ? parseInt(tm[1], 16) : Number(tm[1]);
      threadName = tm[2]?.trim() || tm[1];
      parts.shift();
    }
    const frames: Frame[] = [];
    for (const p of parts) {
      const f = parseRawFrame(p);
      if (f) frames.push(f);
    }
    frames.reverse();
    out.push({ ...(pid !== undefined ? { pid } : {}), threadId, threadName, frames, count });
  }
  if (out.length === 0 && bad > 0)
    throw new UnparseableDumpError('not a py-spy raw profile (no "stack count" lines)', text);
  return out;
}
