/** What `triage` and `verify` share on the command line: argument errors, and the real listener + capture. */
import { captureServer } from '../serverChecks/captureServer';
import { ChecksUsageError } from '../serverChecks/cliArgs';
import { findListener } from '../serverChecks/listener';
import type { CaptureFn, ListenerLookup } from '../serverChecks/types';

/**
 * Parses with `parse`; on a usage error prints it with the usage and resolves the exit code 2, on `--help`
 * prints the usage and resolves 0; else the options.
 */
export function parseOrExit<T extends { help?: boolean }>(
  command: string,
  usage: string,
  parse: (args: string[]) => T,
  args: string[],
): T | number {
  let opts: T;
  try {
    opts = parse(args);
  } catch (err) {
    if (!(err instanceof ChecksUsageError)) throw err;
    process.stderr.write(`backend-hang ${command}: ${err.message}\n${usage}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return opts;
}

/** The listener lookup and the py-spy capture the CLI runs (py-spy: --pyspy, $BACKEND_HANG_PYSPY, beside the server). */
export function cliServerDeps(pyspy: string | undefined): {
  findListener: ListenerLookup;
  capture: CaptureFn;
} {
  return {
    findListener: (port) => findListener(port),
    capture: (listener) =>
      captureServer(listener, {
        pyspyPath: pyspy ?? process.env.BACKEND_HANG_PYSPY,
        interpreterPath: process.env.VIRTUAL_ENV ? `${process.env.VIRTUAL_ENV}/bin/python` : undefined,
        pathEnv: process.env.PATH,
      }),
  };
}
