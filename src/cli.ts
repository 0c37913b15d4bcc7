/**
 * backend-hang: the command-line face of the same pure modules the editor uses.
 *   backend-hang check [--format text|json|sarif] [--select BHD001,...] [--fix] PATH...
 *   backend-hang dump --pid N [--format text|json] [--locals]
 *   backend-hang triage URL [--health PATH]... [--timeout S] [--format text|json]
 *   backend-hang verify URL --stream PATH [--abort-after S] [--rounds N] [--health PATH] [--max-latency MS]
 * Exit codes: 0 ok / no findings, 1 findings (check), 2 usage or I/O error.
 */
// Each command's module is loaded only when that command runs (esbuild wraps a dynamic import in a lazy
// initialiser in the CJS bundle): `check` never pays for `dump`'s execa/py-spy code and vice versa, which
// is a visible share of a short check's wall time.

const USAGE = `Usage:
  backend-hang check [--format text|json|sarif] [--select BHD001,...] [--fix] PATH...
  backend-hang dump --pid N [--format text|json] [--locals] [--native] [--pyspy PATH]
  backend-hang profile --pid N [--duration S] [--rate HZ] [--format text|json] [--pyspy PATH]
  backend-hang triage URL [--health PATH]... [--timeout S] [--format text|json]
  backend-hang verify URL --stream PATH [--abort-after S] [--rounds N] [--health PATH] [--max-latency MS] [--format text|json]
  backend-hang --version`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return (await import('./cli/checkCommand')).runCheckCommand(rest);
    case 'dump':
      return (await import('./cli/dumpCommand')).runDumpCommand(rest);
    case 'profile':
      return (await import('./cli/profileCommand')).runProfileCommand(rest);
    case 'triage':
      return (await import('./cli/triageCommand')).runTriageCommand(rest);
    case 'verify':
      return (await import('./cli/verifyCommand')).runVerifyCommand(rest);
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`backend-hang: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
