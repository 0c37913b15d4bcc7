/** Pure: a loop profile as the CLI's text and JSON, and its hotspots linked to the static findings of their line. */
import { linkStatic, type LocalSource, type StaticFinding } from '../pyspyView/staticLink';
import type { BlockedLoopFinding, StaticLink } from '../pyspyView/types';
import type { Hotspot, LoopProfile, LoopUsage } from './types';

/** The public JSON shape of one process's profile (`backend-hang profile --format json`). */
export interface ProfileJson {
  pid: number;
  durationS: number;
  samples: number;
  loop: {
    thread: string;
    osThreadId: number;
    signal: string;
    busyShare: number;
    frameworkShare: number;
  } | null;
  hotspots: {
    file: string;
    line: number;
    function: string;
    share: number;
    seconds: number;
    samples: number;
    call: string;
    static: { code: string; line: number; column: number; fixable: boolean; file: string; message: string }[];
  }[];
  role?: string;
  pyspy?: string;
}

/** Several serving processes of one manager, each profiled over the same seconds. */
export interface MultiProfileJson {
  pid: number;
  role: 'manager';
  durationS: number;
  processes: ProfileJson[];
  /** Every process's hotspots, with the pid they belong to, largest share first. */
  hotspots: (ProfileJson['hotspots'][number] & { pid: number })[];
}

const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;

const loopJson = (l: LoopUsage | undefined): ProfileJson['loop'] =>
  l
    ? {
        thread: l.thread,
        osThreadId: l.osThreadId,
        signal: l.signal,
        busyShare: round(l.busyShare),
        frameworkShare: round(l.frameworkShare),
      }
    : null;

/** One profile as JSON. */
export function toProfileJson(p: LoopProfile): ProfileJson {
  return {
    pid: p.pid,
    durationS: p.durationS,
    samples: p.samples,
    loop: loopJson(p.loop),
    hotspots: p.hotspots.map((h) => ({
      file: h.file,
      line: h.line,
      function: h.function,
      share: round(h.share),
      seconds: round(h.seconds, 3),
      samples: h.samples,
      call: h.call,
      static: (h.static ?? []).map((s) => ({
        code: s.code,
        line: s.line,
        column: s.column,
        fixable: s.fixable,
        file: s.file,
        message: s.message,
      })),
    })),
  };
}

/** A manager's profiles together. */
export function toMultiProfileJson(
  pid: number,
  profiles: (ProfileJson & { pid: number })[],
): MultiProfileJson {
  return {
    pid,
    role: 'manager',
    durationS: profiles[0]?.durationS ?? 0,
    processes: profiles,
    hotspots: profiles
      .flatMap((p) => p.hotspots.map((h) => ({ ...h, pid: p.pid })))
      .sort((a, b) => b.share - a.share),
  };
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** `sleepy (app.py:17)  42%  0.84 s  time.sleep  [BHD006]` rows under a one-line verdict. */
export function formatProfileText(p: LoopProfile, header?: string): string {
  const out: string[] = [];
  out.push(`${header ?? `Process ${p.pid}`}: ${p.durationS} s profiled, ${p.samples} samples per thread`);
  if (!p.loop) {
    out.push('No event-loop thread found (no asyncio/uvloop/server frames in any sample).');
    return out.join('\n');
  }
  const l = p.loop;
  out.push(
    `Event loop (thread ${l.thread} ${l.osThreadId}, ${l.signal}): blocked ${pct(l.busyShare)} of the time` +
      (l.frameworkShare >= 0.005 ? ` (${pct(l.frameworkShare)} in server/framework code)` : ''),
  );
  if (p.hotspots.length === 0) {
    out.push(
      l.busyShare < 0.05
        ? 'No line of your code kept the loop busy.'
        : 'No single line of your code stands out.',
    );
  } else {
    out.push('Lines that blocked the loop, most first:');
    for (const h of p.hotspots) out.push(`  ${hotspotRow(h)}`);
  }
  for (const o of p.otherLoops)
    out.push(`Another loop thread ${o.thread} (${o.osThreadId}): blocked ${pct(o.busyShare)} of the time`);
  return out.join('\n');
}

/** One hotspot as a text row. */
export function hotspotRow(h: Hotspot): string {
  const stat = h.static?.length ? `  [${h.static.map((s) => `${s.code} line ${s.line}`).join(', ')}]` : '';
  return `${pct(h.share).padStart(4)}  ${h.seconds.toFixed(2)} s  ${h.function} (${h.shortFile}:${h.line})  ${h.call}${stat}`;
}

/**
 * Fills `static` on every hotspot: the static findings of `backend-hang check` covering its line (`[]` when the
 * file is not readable here), through the same linking as a capture's blocked frame. A line without one that
 * was called from async code (a sync helper's `time.sleep`) gets the finding on the nearest calling line that
 * has one: BHD007's call, the line to fix.
 */
export async function linkHotspots(
  hotspots: Hotspot[],
  readLocal: LocalSource,
  check: (source: string, path?: string) => Promise<StaticFinding[]>,
): Promise<void> {
  const at = (
    file: string,
    line: number,
    fn: string,
  ): { frame: BlockedLoopFinding['frame']; static?: StaticLink[] } => ({
    frame: { function: fn, file, shortFile: file, line },
    static: undefined,
  });
  const own = hotspots.map((h) => at(h.file, h.line, h.function));
  const callers = hotspots.map((h) => (h.callers ?? []).map((c) => at(c.file, c.line, c.function)));
  await linkStatic([...own, ...callers.flat()], readLocal, check);
  hotspots.forEach((h, i) => {
    h.static = own[i].static?.length
      ? own[i].static
      : (callers[i].find((c) => c.static?.length)?.static ?? []);
  });
}

/** The inline annotation at the end of a hot line: `← 42% of loop time · time.sleep · BHD006`. */
export function annotationText(h: Hotspot): string {
  const stat = h.static?.[0];
  return `← ${pct(h.share)} of loop time · ${h.call}${stat ? ` · ${stat.code}` : ''}`;
}
