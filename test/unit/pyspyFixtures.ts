/** Helpers for the py-spy unit tests: the recorded dumps under test/fixtures/dumps (see scripts/recordDumps.mjs). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** test/fixtures/dumps, from out/test/unit/ (bundled tests) or test/unit/ (sources). */
export const DUMPS = path.resolve(
  __dirname,
  '..',
  '..',
  ...(__dirname.includes(`${path.sep}out${path.sep}`) ? ['..'] : []),
  'test',
  'fixtures',
  'dumps',
);

/** The text of one recorded file, e.g. `fixture('single', 'hung.json')`. */
export function fixture(...parts: string[]): string {
  return readFileSync(path.join(DUMPS, ...parts), 'utf8');
}

/** The repo root at recording time: recorded absolute paths start with it. */
export const RECORDED_ROOT: string = (JSON.parse(fixture('meta.json')) as { repoRoot: string }).repoRoot;

export const SHAPES = ['single', 'reload', 'workers'] as const;
