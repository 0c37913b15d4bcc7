/** Pure: the server-check settings (`backendHang.server.*`, `backendHang.watch.*`) from raw configuration values. */
import { normalizePath } from './target';

/** The parsed settings. */
export interface ServerSettings {
  /** `backendHang.server.url`; empty: found from the listening uvicorn process. */
  url: string;
  healthPaths: string[];
  /** `backendHang.server.streamPath`; empty: asked for by Verify. */
  streamPath: string;
  watch: WatchSettings;
}

/** `backendHang.watch.*`. */
export interface WatchSettings {
  /** Start watching when the extension starts (off by default). */
  enabled: boolean;
  intervalMs: number;
  /** A probe slower than this turns the status bar to a warning. */
  thresholdMs: number;
  /** A probe without an answer after this long means hung: the status bar turns to an error. */
  timeoutMs: number;
  /** Capture the stacks at once when the server stops answering. */
  autoCapture: boolean;
}

/** Defaults (also in package.json). */
export const SETTING_DEFAULTS = {
  healthPaths: ['/health'],
  watch: { enabled: false, intervalSeconds: 2, thresholdMs: 1000, timeoutSeconds: 3, autoCapture: true },
} as const;

const num = (v: unknown, fallback: number, min: number): number =>
  typeof v === 'number' && Number.isFinite(v) && v >= min ? v : fallback;

/** Parses raw values as `getConfiguration('backendHang').get(key)` returns them; bad values fall back to defaults. */
export function parseServerSettings(get: (key: string) => unknown): ServerSettings {
  const paths = get('server.healthPaths');
  const healthPaths = Array.isArray(paths)
    ? paths.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map(normalizePath)
    : [];
  const stream = get('server.streamPath');
  const url = get('server.url');
  const w = SETTING_DEFAULTS.watch;
  return {
    url: typeof url === 'string' ? url.trim() : '',
    healthPaths: healthPaths.length > 0 ? healthPaths : [...SETTING_DEFAULTS.healthPaths],
    streamPath: typeof stream === 'string' && stream.trim() ? normalizePath(stream) : '',
    watch: {
      enabled: get('watch.enabled') === true,
      intervalMs: Math.round(num(get('watch.intervalSeconds'), w.intervalSeconds, 0.2) * 1000),
      thresholdMs: Math.round(num(get('watch.thresholdMs'), w.thresholdMs, 1)),
      timeoutMs: Math.round(num(get('watch.timeoutSeconds'), w.timeoutSeconds, 0.5) * 1000),
      autoCapture: get('watch.autoCapture') !== false,
    },
  };
}
