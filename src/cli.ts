/**
 * backend-hang: the command-line face of the same pure modules the editor uses.
 *   backend-hang check [OPTIONS] [PATH]...   (Ruff-like: --fix, --unsafe-fixes, --diff, --output-format ...)
 *   backend-hang dump --pid N [--format text|json] [--locals]
 *   backend-hang triage URL [--health PATH]... [--timeout S] [--format text|json]
 *   backend-hang verify URL --stream PATH [--abort-after S] [--rounds N] [--health PATH] [--max-latency MS]
 * Exit codes: 0 ok / no findings, 1 findings (check), 2 usage or I/O error.
 */
// Each command's module is loaded only when that command runs (esbuild wraps a dynamic import in a lazy
// initialiser in the CJS bundle): `check` never pays for `dump`'s execa/py-spy code and vice versa, which
// is a visible share of a short check's wall time.

// dist/cli.js (./cliLoader) starts this bundle (dist/cli-main.js) from V8's code cache of it.
import { isMainThread, workerData } from 'node:worker_threads';

const USAGE = `Usage: backend-hang <COMMAND> [OPTIONS]

Commands:
  check    Check Python files for code that blocks the event loop; --fix rewrites it
  dump     Capture a running server's stacks with py-spy and say where the event loop is blocked
  profile  Sample a running server and rank the lines that keep its event loop busy
  triage   Probe a server (/ and /health), check its process and capture stacks when it hangs
  verify   Prove a fix: abort streams and check /health still answers
  help     Print this message or the help of a command (backend-hang help check)

Each command takes --help. Synopsis:
  backend-hang check [--fix [--unsafe-fixes]] [--diff] [--output-format full|concise|json|sarif] [PATH]...
  backend-hang dump --pid N [--format text|json] [--locals] [--native] [--pyspy PATH]
  backend-hang profile --pid N [--duration S] [--rate HZ] [--format text|json] [--pyspy PATH]
  backend-hang triage URL [--health PATH]... [--timeout S] [--format text|json]
  backend-hang verify URL --stream PATH [--abort-after S] [--rounds N] [--health PATH] [--max-latency MS] [--format text|json]
  backend-hang --version`;

const COMMANDS = new Set(['check', 'dump', 'profile', 'triage', 'verify']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return (await import('./cli/checkCommand')).runCheckCommand(rest, __filename);
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
    case 'help':
      // `backend-hang help check` is `backend-hang check --help`.
      if (rest[0] && COMMANDS.has(rest[0])) return main([rest[0], '--help']);
      if (rest[0]) {
        process.stderr.write(`backend-hang: unknown command '${rest[0]}'\n${USAGE}\n`);
        return 2;
      }
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case '--help':
    case '-h':
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

// A `check` worker thread (src/cli/parallelCheck) runs this bundle too: it checks files, not a command line.
if (!isMainThread && (workerData as { backendHangCheck?: boolean } | undefined)?.backendHangCheck === true) {
  void import('./cli/parallelCheck').then((m) => m.runCheckWorker());
} else {
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
