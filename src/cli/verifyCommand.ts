/**
 * `backend-hang verify URL --stream PATH [--abort-after S] [--rounds N] [--health PATH] [--max-latency MS]
 * [--format text|json] [--pyspy PATH]`: proves a fix. Exit 0 pass, 1 fail, 2 error.
 */
import { parseVerifyArgs } from '../serverChecks/cliArgs';
import { formatVerifyText, verifyJson } from '../serverChecks/format';
import { runVerify } from '../serverChecks/verify';
import { cliServerDeps, parseOrExit } from './serverCheckDeps';

/** `verify --help`. */
export const VERIFY_USAGE = `Usage: backend-hang verify URL --stream PATH [--abort-after S] [--rounds N] [--health PATH]
                           [--max-latency MS] [--format text|json] [--pyspy PATH]

The retest of a fix for the aborted-stream hang. Each round opens the stream, probes health while it is open,
closes the client after S seconds (like a closed browser tab), waits a moment, and probes health again.
Passes when every probe answered within the limit. On the first failure it stops and, for a local URL, dumps
the listening process's stacks with py-spy while the hang lasts.

  --stream PATH       the streaming endpoint (required), e.g. /news/stream
  --abort-after S     seconds before the client leaves the stream (default 1)
  --rounds N          rounds (default 3)
  --health PATH       health path (default /health)
  --max-latency MS    a slower answer fails (default 1000)
  --format F          text (default) or json
  --pyspy PATH        py-spy to use (default: beside the server's Python, then $VIRTUAL_ENV, then PATH)

Exit codes: 0 pass, 1 fail, 2 error (usage, server not running, stream path wrong, stack capture failed).`;

/** Runs `backend-hang verify`; resolves to the exit code. */
export async function runVerifyCommand(args: string[]): Promise<number> {
  const opts = parseOrExit('verify', VERIFY_USAGE, parseVerifyArgs, args);
  if (typeof opts === 'number') return opts;
  const result = await runVerify(
    {
      url: opts.url,
      streamPath: opts.streamPath,
      healthPath: opts.healthPath,
      abortAfterMs: opts.abortAfterMs,
      rounds: opts.rounds,
      maxLatencyMs: opts.maxLatencyMs,
    },
    cliServerDeps(opts.pyspy),
  );
  process.stdout.write(
    opts.format === 'json' ? `${JSON.stringify(verifyJson(result), null, 2)}\n` : formatVerifyText(result),
  );
  if (result.verdict === 'error') {
    if (result.error && opts.format === 'json')
      process.stderr.write(`backend-hang verify: ${result.error}\n`);
    return 2;
  }
  if (result.captures.length === 0 && result.captureFailures.length > 0) return 2;
  return result.verdict === 'pass' ? 0 : 1;
}
