/**
 * Pure: the watch's state machine. Fed probe results (and "still waiting" ticks while a probe is in flight),
 * it says what the status bar shows and when to capture: once per hang, at the moment the server stops
 * answering — not at every later time-out of the same hang, and again only after it answered in between.
 */
import type { ProbeResult } from './types';

/** What the status bar shows. */
export type WatchLevel = 'starting' | 'ok' | 'slow' | 'hung' | 'down' | 'error';

/** The watch's current state. */
export interface WatchState {
  level: WatchLevel;
  /** Latency of the last answered probe. */
  lastMs?: number;
  /** HTTP status of the last answered probe. */
  lastStatus?: number;
  /** When the current hang began being observed (the first probe that did not answer was sent). */
  hungSince?: number;
  /** Probes sent so far. */
  probes: number;
}

/** What the controller should do after an event. */
export interface WatchStep {
  state: WatchState;
  /** True exactly once per hang episode. */
  capture: boolean;
}

/** The state machine; `thresholdMs` makes a slow answer a warning. */
export class WatchMachine {
  private s: WatchState = { level: 'starting', probes: 0 };
  private capturedThisEpisode = false;

  constructor(private readonly thresholdMs: number) {}

  get state(): WatchState {
    return this.s;
  }

  /** A probe is still in flight after `elapsedMs`: past the threshold the status turns to a warning at once. */
  waiting(elapsedMs: number): WatchStep {
    if (elapsedMs > this.thresholdMs && (this.s.level === 'ok' || this.s.level === 'starting')) {
      this.s = { ...this.s, level: 'slow', lastMs: Math.round(elapsedMs) };
    }
    return { state: this.s, capture: false };
  }

  /** A probe finished (answered, timed out, or failed); `sentAt` is when it was sent (ms clock). */
  result(p: ProbeResult, sentAt: number): WatchStep {
    const probes = this.s.probes + 1;
    if (p.timedOut && p.connected) {
      const first = this.s.level !== 'hung';
      this.s = { ...this.s, level: 'hung', probes, hungSince: first ? sentAt : (this.s.hungSince ?? sentAt) };
      const capture = !this.capturedThisEpisode;
      this.capturedThisEpisode = true;
      return { state: this.s, capture };
    }
    // Any other outcome ends a hang episode: the next hang is a new one, worth its own capture.
    this.capturedThisEpisode = false;
    if (p.error !== null) {
      const down = !p.connected;
      this.s = { level: down ? 'down' : 'error', probes };
      return { state: this.s, capture: false };
    }
    const level: WatchLevel =
      p.status !== null && p.status >= 400 ? 'error' : p.ms > this.thresholdMs ? 'slow' : 'ok';
    this.s = { level, probes, lastMs: p.ms, ...(p.status !== null ? { lastStatus: p.status } : {}) };
    return { state: this.s, capture: false };
  }
}

/** The status bar text for a state (codicons). */
export function statusText(s: WatchState, captured: boolean): string {
  switch (s.level) {
    case 'starting':
      return '$(pulse) watching…';
    case 'ok':
      return `$(pulse) ${s.lastMs} ms`;
    case 'slow':
      return `$(warning) ${formatMs(s.lastMs ?? 0)}`;
    case 'hung':
      return captured ? '$(error) hung · captured' : '$(error) no answer';
    case 'down':
      return '$(debug-disconnect) down';
    case 'error':
      return `$(error) ${s.lastStatus ?? 'error'}`;
  }
}

/** `850 ms`, `1.4 s`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
