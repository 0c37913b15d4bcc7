// A trivial passing integration run, for the launcher's own test: the launcher must exit 0.
import { runSuites } from '../../integration/index';

/** Runs trivial.suite.js through the real suite runner. */
export function run(): Promise<void> {
  return runSuites(__dirname, { pattern: /\.suite\.js$/ });
}
