// A deliberately failing integration run, for the launcher's own test: the launcher must exit non-zero.
import { runSuites } from '../../integration/index';

/** Runs fails.suite.js through the real suite runner. */
export function run(): Promise<void> {
  return runSuites(__dirname, { pattern: /\.suite\.js$/ });
}
