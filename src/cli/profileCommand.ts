/**
 * `backend-hang profile --pid N --duration S [--rate HZ] [--format text|json] [--pyspy PATH]`: samples a
 * running server with py-spy (non-blocking) and says how much of the time its event loop was blocked and by
 * which lines of your code. Exit 0 when the profile worked (blocked or not), 2 with a message when it did not.
 */
import { PySpyNotLocatedError } from '../pyspyView/captureProcess';
import { PySpyError, PySpyNotFoundError, UnparseableDumpError } from '../pyspyView/runner';
import { profileServing, type ProcessProfile } from '../loopProfile/profileProcess';
import {
  formatProfileText,
  toMultiProfileJson,
  toProfileJson,
  type MultiProfileJson,
  type ProfileJson,
} from '../loopProfile/report';
import { checkWithChains } from '../loopProfile/staticCheck';

/** Parsed options of `profile`. */
export interface ProfileArgs {
  pid: number;
  durationS: number;
  rate: number;
  format: 'text' | 'json';
  pyspy?: string;
}

/** A usage error (exit 2). */
export class ProfileUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileUsageError';
  }
}

const USAGE =
  'usage: backend-hang profile --pid N [--duration S] [--rate HZ] [--format text|json] [--pyspy PATH]';

/** Pure: parses `profile`'s arguments. @throws ProfileUsageError */
export function parseProfileArgs(args: string[]): ProfileArgs {
  const out: Partial<ProfileArgs> = { durationS: 5, rate: 100, format: 'text' };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes('=')
      ? (args[i].split(/=(.*)/s, 2) as [string, string])
      : [args[i], undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new ProfileUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--pid': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) <= 0)
          throw new ProfileUsageError(`--pid must be a process id, got '${v}'`);
        out.pid = Number(v);
        break;
      }
      case '--duration': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 3600)
          throw new ProfileUsageError('--duration must be a whole number of seconds from 1 to 3600');
        out.durationS = v;
        break;
      }
      case '--rate': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 1000)
          throw new ProfileUsageError('--rate must be 1..1000 samples per second');
        out.rate = v;
        break;
      }
      case '--format': {
        const v = value();
        if (v !== 'text' && v !== 'json')
          throw new ProfileUsageError(`--format must be text or json, got '${v}'`);
        out.format = v;
        break;
      }
      case '--pyspy':
        out.pyspy = value();
        break;
      default:
        throw new ProfileUsageError(`unknown option '${args[i]}'`);
    }
  }
  if (out.pid === undefined) throw new ProfileUsageError('--pid is required');
  return out as ProfileArgs;
}

const HELP = `
Samples a running Python server for --duration seconds with py-spy (record --idle --threads --nonblocking: the
server is never paused), finds its event-loop thread (asyncio or uvloop) and reports the share of the time the
loop was blocked - samples not idle in its selector - and the lines of your code responsible, ranked, with the
call under each (time.sleep, requests.get, CPU in hashlib.pbkdf2_hmac ...) and the static finding of
\`backend-hang check\` on that line. A manager (uvicorn --workers/--reload, gunicorn, hypercorn) has all its
serving processes profiled at once. Exit 0 when the profile worked, 2 when it did not.
`;

/** One process's profile as JSON (with its role and py-spy). */
export function processProfileJson(p: ProcessProfile): ProfileJson {
  return { ...toProfileJson(p.profile), ...(p.role ? { role: p.role } : {}), pyspy: p.pyspy.path };
}

/** The JSON answer: one profile, or a manager's profiles together. */
export function profilesJson(pid: number, profiles: ProcessProfile[]): ProfileJson | MultiProfileJson {
  if (profiles.length === 1 && profiles[0].pid === pid) return processProfileJson(profiles[0]);
  return toMultiProfileJson(
    pid,
    profiles.map((p) => ({ ...processProfileJson(p), pid: p.pid })),
  );
}

/** One process's profile as text. */
export function profileText(p: ProcessProfile): string {
  const who = p.role === 'worker' && p.workerIndex ? `worker ${p.workerIndex} ` : '';
  return `${formatProfileText(p.profile, `${who}process ${p.pid}`)}\n(py-spy: ${p.pyspy.path}, from ${p.pyspy.source})`;
}

/** Runs `backend-hang profile`; resolves to the exit code. */
export async function runProfileCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n${HELP}`);
    return 0;
  }
  let opts: ProfileArgs;
  try {
    opts = parseProfileArgs(args);
  } catch (err) {
    process.stderr.write(`backend-hang profile: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const profiles = await profileServing(opts.pid, {
      durationS: opts.durationS,
      rate: opts.rate,
      configured: opts.pyspy ?? process.env.BACKEND_HANG_PYSPY,
      interpreterPath: process.env.VIRTUAL_ENV ? `${process.env.VIRTUAL_ENV}/bin/python` : undefined,
      pathEnv: process.env.PATH,
      check: checkWithChains,
    });
    process.stdout.write(
      opts.format === 'json'
        ? `${JSON.stringify(profilesJson(opts.pid, profiles), null, 2)}\n`
        : `${profiles.map(profileText).join('\n\n')}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof PySpyNotFoundError || err instanceof PySpyNotLocatedError) {
      process.stderr.write(`backend-hang profile: ${err.message}\n`);
    } else if (err instanceof UnparseableDumpError) {
      process.stderr.write(`backend-hang profile: ${err.message}\n--- py-spy output ---\n${err.raw}\n`);
    } else if (err instanceof PySpyError) {
      process.stderr.write(
        `backend-hang profile: ${err.message}\n${err.stderr ? `${err.stderr.trim()}\n` : ''}`,
      );
    } else {
      throw err;
    }
    return 2;
  }
}
