/** Pure: `backend-hang dump`'s arguments, checked before any external tool runs. */
import { parsePathMap, type PathMapping } from '../pyspyView/pathMapping';

/** Parsed command-line options of `dump`. */
export interface DumpArgs {
  /** A local pid, or a pid inside `container`. */
  pid?: number;
  /** The process listening on this TCP port (local). */
  port?: number;
  container?: string;
  file?: string;
  /** `-`: read the dump from stdin. */
  stdin?: boolean;
  format: 'text' | 'json' | 'markdown';
  locals: boolean;
  native: boolean;
  pyspy?: string;
  docker?: string;
  copyPySpy: boolean;
  pathMaps: PathMapping[];
  timeoutSeconds: number;
}

/** A usage error (exit 2, message plus usage). */
export class DumpUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DumpUsageError';
  }
}

export const DUMP_USAGE = `usage: backend-hang dump (--pid N | --port N | --container NAME [--pid N] | --file PATH|-) [options]
  --format text|json|markdown   output (default text)
  --path-map REMOTE=LOCAL       map frame paths of another machine to local files (repeatable)
  --copy-pyspy                  with --container: copy this machine's py-spy in when the image has none
  --locals, --native            passed to py-spy
  --pyspy PATH, --docker PATH   the executables to use
  --timeout S                   py-spy time-out (default 30)`;

/** Parses `dump`'s arguments. @throws DumpUsageError */
export function parseDumpArgs(args: string[]): DumpArgs {
  const out: DumpArgs = {
    format: 'text',
    locals: false,
    native: false,
    copyPySpy: false,
    pathMaps: [],
    timeoutSeconds: 30,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] =
      args[i].includes('=') && args[i].startsWith('--')
        ? (args[i].split(/=(.*)/s, 2) as [string, string])
        : [args[i], undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new DumpUsageError(`${flag} needs a value`);
      return v;
    };
    const int = (what: string): number => {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new DumpUsageError(`${flag} must be ${what}, got '${v}'`);
      return Number(v);
    };
    switch (flag) {
      case '--pid':
        out.pid = int('a process id');
        break;
      case '--port':
        out.port = int('a TCP port');
        if (out.port > 65535) throw new DumpUsageError(`--port must be 1-65535, got ${out.port}`);
        break;
      case '--container': {
        const v = value();
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(v))
          throw new DumpUsageError(`--container: '${v}' is not a container name or id`);
        out.container = v;
        break;
      }
      case '--file': {
        const v = value();
        if (v === '-') out.stdin = true;
        else out.file = v;
        break;
      }
      case '--path-map': {
        const v = value();
        const m = parsePathMap(v);
        if (!m) throw new DumpUsageError(`--path-map must be REMOTE=LOCAL (e.g. /app=./backend), got '${v}'`);
        out.pathMaps.push(m);
        break;
      }
      case '--format': {
        const v = value();
        if (v !== 'text' && v !== 'json' && v !== 'markdown')
          throw new DumpUsageError(`--format must be text, json or markdown, got '${v}'`);
        out.format = v;
        break;
      }
      case '--locals':
        out.locals = true;
        break;
      case '--native':
        out.native = true;
        break;
      case '--copy-pyspy':
        out.copyPySpy = true;
        break;
      case '--pyspy':
        out.pyspy = value();
        break;
      case '--docker':
        out.docker = value();
        break;
      case '--timeout': {
        const v = Number(value());
        if (!(v > 0)) throw new DumpUsageError('--timeout must be a positive number of seconds');
        out.timeoutSeconds = v;
        break;
      }
      default:
        throw new DumpUsageError(`unknown option '${args[i]}'`);
    }
  }
  const sources = [
    out.pid !== undefined && !out.container,
    out.port !== undefined,
    !!out.container,
    !!(out.file || out.stdin),
  ].filter(Boolean).length;
  if (sources === 0)
    throw new DumpUsageError('say what to dump: --pid N, --port N, --container NAME or --file PATH');
  if (sources > 1)
    throw new DumpUsageError(
      '--pid, --port, --container and --file are exclusive (--pid may follow --container)',
    );
  if (out.copyPySpy && !out.container) throw new DumpUsageError('--copy-pyspy only applies to --container');
  return out;
}
