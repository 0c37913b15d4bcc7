/**
 * backend-hang: the command-line face of the same pure modules the editor uses.
 *   backend-hang check [--format text|json|sarif] [--select BHD001,...] [--fix] PATH...
 *   backend-hang dump --pid N [--format text|json] [--locals]
 * Exit codes: 0 ok / no findings, 1 findings (check), 2 usage or I/O error.
 */
// Each command's module is loaded only when that command runs (esbuild wraps a dynamic import in a lazy
// initialiser in the CJS bundle): `check` never pays for `dump`'s execa/py-spy code and vice versa, which
// is a visible share of a short check's wall time.

const USAGE = `Usage:
  backend-hang check [--format text|json|sarif] [--select BHD001,...] [--fix] PATH...
  backend-hang dump --pid N [--format text|json] [--locals] [--native] [--pyspy PATH]
  backend-hang --version`;

import { isMainThread, parentPort, workerData } from 'node:worker_threads';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      // The bundle itself is the helper thread's script (see runCheckWorker).
      return (await import('./cli/checkCommand')).runCheckCommand(rest, __filename);
    case 'dump':
      return (await import('./cli/dumpCommand')).runDumpCommand(rest);
    case '--version':
    case '-V':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(
        `backend-hang: ${command ? `unknown command '${command}'` : 'missing command'}\n${USAGE}\n`,
      );
      return 2;
  }
}

declare const VERSION: string;

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'backend-hang-check') {
  // A helper thread of `check` (src/cli/checkCommand.ts): same bundle, other entry.
  void import('./cli/checkCommand').then((m) => m.runCheckWorker(parentPort!));
} else {
  runMain();
}

function runMain(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`backend-hang: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
