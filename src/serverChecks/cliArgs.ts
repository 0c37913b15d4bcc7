/** Pure: argument parsing of `backend-hang triage` and `backend-hang verify`. */
import { BadUrlError, normalizePath, normalizeUrl } from './target';

/** A command-line mistake (exit 2 with the usage). */
export class ChecksUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksUsageError';
  }
}

/** Parsed `triage` arguments. */
export interface TriageArgs {
  help: boolean;
  url: string;
  healthPaths: string[];
  timeoutMs: number;
  format: 'text' | 'json';
  pyspy?: string;
}

/** Parsed `verify` arguments. */
export interface VerifyArgs {
  help: boolean;
  url: string;
  streamPath: string;
  healthPath: string;
  abortAfterMs: number;
  rounds: number;
  maxLatencyMs: number;
  format: 'text' | 'json';
  pyspy?: string;
}

/** Walks `--flag value` / `--flag=value` pairs; positionals go to `onPositional`. */
function walk(
  args: readonly string[],
  onFlag: (flag: string, value: () => string) => void,
  onPositional: (arg: string) => void,
): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') {
        args.slice(i + 1).forEach(onPositional);
        return;
      }
      onPositional(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = args[++i];
      if (next === undefined) throw new ChecksUsageError(`${flag} needs a value`);
      return next;
    };
    onFlag(flag, value);
  }
}

const positive = (flag: string, v: string): number => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n))
    throw new ChecksUsageError(`${flag} must be a positive number, got '${v}'`);
  return n;
};

const format = (v: string): 'text' | 'json' => {
  if (v !== 'text' && v !== 'json') throw new ChecksUsageError(`--format must be text or json, got '${v}'`);
  return v;
};

function url(positionals: string[]): string {
  if (positionals.length === 0) throw new ChecksUsageError('URL is required (e.g. http://127.0.0.1:8000)');
  if (positionals.length > 1) throw new ChecksUsageError(`one URL only, got: ${positionals.join(' ')}`);
  try {
    return normalizeUrl(positionals[0]);
  } catch (err) {
    if (err instanceof BadUrlError) throw new ChecksUsageError(err.message);
    throw err;
  }
}

/** `triage URL [--health PATH]... [--timeout S] [--format text|json] [--pyspy PATH]`. @throws ChecksUsageError */
export function parseTriageArgs(args: readonly string[]): TriageArgs {
  const positionals: string[] = [];
  const out: Omit<TriageArgs, 'url'> = { help: false, healthPaths: [], timeoutMs: 5000, format: 'text' };
  if (args.includes('--help') || args.includes('-h')) return { ...out, help: true, url: '' };
  walk(
    args,
    (flag, value) => {
      if (flag === '--health') out.healthPaths.push(normalizePath(value()));
      else if (flag === '--timeout') out.timeoutMs = Math.round(positive(flag, value()) * 1000);
      else if (flag === '--format') out.format = format(value());
      else if (flag === '--pyspy') out.pyspy = value();
      else throw new ChecksUsageError(`unknown option '${flag}'`);
    },
    (p) => positionals.push(p),
  );
  if (out.healthPaths.length === 0) out.healthPaths.push('/health');
  return { ...out, url: url(positionals) };
}

/**
 * `verify URL --stream PATH [--abort-after S] [--rounds N] [--health PATH] [--max-latency MS]
 * [--format text|json] [--pyspy PATH]`. @throws ChecksUsageError
 */
export function parseVerifyArgs(args: readonly string[]): VerifyArgs {
  const positionals: string[] = [];
  const out: Omit<VerifyArgs, 'url' | 'streamPath'> & { streamPath?: string } = {
    help: false,
    healthPath: '/health',
    abortAfterMs: 1000,
    rounds: 3,
    maxLatencyMs: 1000,
    format: 'text',
  };
  if (args.includes('--help') || args.includes('-h')) return { ...out, help: true, url: '', streamPath: '' };
  walk(
    args,
    (flag, value) => {
      if (flag === '--stream') out.streamPath = normalizePath(value());
      else if (flag === '--health') out.healthPath = normalizePath(value());
      else if (flag === '--abort-after') out.abortAfterMs = Math.round(positive(flag, value()) * 1000);
      else if (flag === '--rounds') {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1)
          throw new ChecksUsageError(`--rounds must be a whole number ≥ 1, got '${v}'`);
        out.rounds = Number(v);
      } else if (flag === '--max-latency') out.maxLatencyMs = Math.round(positive(flag, value()));
      else if (flag === '--format') out.format = format(value());
      else if (flag === '--pyspy') out.pyspy = value();
      else throw new ChecksUsageError(`unknown option '${flag}'`);
    },
    (p) => positionals.push(p),
  );
  const u = url(positionals);
  if (!out.streamPath) throw new ChecksUsageError('--stream PATH is required (e.g. --stream /news/stream)');
  return { ...out, url: u, streamPath: out.streamPath };
}
