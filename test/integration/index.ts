// Entry point the VS Code extension host loads as `extensionTestsPath` (code-server via scripts/vscodeTest.mjs).
// It runs every *.test.js mocha suite (ui 'tdd': suite/test) next to it and rejects when any test fails,
// which the workbench turns into a non-zero exit code.
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Options for {@link runSuites}. */
export interface RunSuitesOptions {
  /** File names (relative to the folder) to load; default: every `*.test.js` below it. */
  pattern?: RegExp;
  /** Per-test time-out in milliseconds; default 60 s (tests start real processes). */
  timeoutMs?: number;
}

/** Thrown when at least one mocha test failed. */
export class TestFailuresError extends Error {
  constructor(readonly failures: number) {
    super(`${failures} test${failures === 1 ? '' : 's'} failed`);
    this.name = 'TestFailuresError';
  }
}

/**
 * Runs the mocha suites found below `dir` (recursively, sorted for a stable order) and resolves when all pass.
 * Rejects with {@link TestFailuresError} when any fails, or with the load error when a suite does not load.
 */
export async function runSuites(dir: string, options: RunSuitesOptions = {}): Promise<void> {
  const pattern = options.pattern ?? /\.test\.js$/;
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    timeout: options.timeoutMs ?? 60_000,
    reporter: 'spec',
  });
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => pattern.test(path.basename(f)))
    .sort();
  for (const f of files) mocha.addFile(path.join(dir, f));
  if (files.length === 0) throw new Error(`no test files matching ${pattern} in ${dir}`);
  // loadFilesAsync: suites are CommonJS bundles today, but this also accepts ES modules.
  await mocha.loadFilesAsync();
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new TestFailuresError(failures);
}

/** Called by the extension host with no arguments: runs out/test/integration/**\/*.test.js. */
export function run(): Promise<void> {
  return runSuites(__dirname);
}
