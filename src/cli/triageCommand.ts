/**
 * `backend-hang triage URL [--health PATH]... [--timeout S] [--format text|json] [--pyspy PATH]`: the seed's
 * checklist in one command. Exit 0 healthy, 1 hung/partly-hung/down/unhealthy, 2 usage or capture error.
 */
import { parseTriageArgs } from '../serverChecks/cliArgs';
import { formatTriageText, triageJson } from '../serverChecks/format';
import { runTriage } from '../serverChecks/triage';
import { cliServerDeps, parseOrExit } from './serverCheckDeps';

/** `triage --help`. */
export const TRIAGE_USAGE = `Usage: backend-hang triage URL [--health PATH]... [--timeout S] [--format text|json] [--pyspy PATH]

Probes / and each health path (default /health) in parallel, each with a time-out (default 5 s, like curl -m 5).
For a local URL (127.0.0.1, localhost) it also finds the process listening on the port (pid, role, command,
open fds, threads, RSS, uptime), and when a probe times out it dumps that process's stacks with py-spy (every
serving worker of a --workers/--reload manager) and says where the event loop is blocked.

  URL            http://127.0.0.1:8000, localhost:8000 or just 8000
  --health PATH  a health path to probe besides / (repeatable; default /health)
  --timeout S    per-probe time-out in seconds (default 5)
  --format F     text (default) or json
  --pyspy PATH   py-spy to use (default: beside the server's Python, then $VIRTUAL_ENV, then PATH)

Verdicts: healthy, hung (accepts connections, does not answer), partly-hung (several workers: the probes were
answered, but a worker's event loop is blocked), down (refused), unhealthy (answers with an error).
Exit codes: 0 healthy, 1 hung/partly-hung/down/unhealthy, 2 usage error or the stack capture failed.`;

/** Runs `backend-hang triage`; resolves to the exit code. */
export async function runTriageCommand(args: string[]): Promise<number> {
  const opts = parseOrExit('triage', TRIAGE_USAGE, parseTriageArgs, args);
  if (typeof opts === 'number') return opts;
  const result = await runTriage(
    { url: opts.url, healthPaths: opts.healthPaths, timeoutMs: opts.timeoutMs },
    cliServerDeps(opts.pyspy),
  );
  process.stdout.write(
    opts.format === 'json' ? `${JSON.stringify(triageJson(result), null, 2)}\n` : formatTriageText(result),
  );
  // A capture was needed and none worked: the job is not done, whatever the verdict.
  if (result.captures.length === 0 && result.captureFailures.length > 0) return 2;
  return result.verdict === 'healthy' ? 0 : 1;
}
