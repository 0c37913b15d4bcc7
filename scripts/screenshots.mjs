#!/usr/bin/env node
// `npm run screenshots`: regenerates media/screenshots/*.png from the real UI (packaged VSIX in code-server,
// headless Chromium, 1600x1000) through scripts/uiDriver.mjs.
//
//   node scripts/screenshots.mjs [--only NAME[,NAME]] [--no-build] [--verbose]
//
// Adding a shot (e.g. the py-spy tree view) without touching this file: drop a module in scripts/screenshots/
// that exports `shots`, an array of { name, file, take(ui) }: `take` drives the UI (a UiDriver, see uiDriver.mjs)
// into the state to capture and resolves; this script then saves media/screenshots/<file>. Shots run in one
// workbench session, in order (built-ins first, then modules by file name); each starts from its own
// `ui.escape()`d state, so open what you need.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startUi } from './uiDriver.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '../media/screenshots');

/** The built-in shots: diagnostics in stream.py with the Problems panel, the hover, the Quick Fix menu. */
export const builtinShots = [
  {
    name: 'diagnostics',
    file: 'diagnostics.png',
    async take(ui) {
      await ui.openFile('stream.py');
      await ui.waitForSquiggle();
      const rows = await ui.openProblems();
      if (rows.length === 0) throw new Error('the Problems panel is empty');
      await ui.focusWorkbench();
    },
  },
  {
    name: 'hover',
    file: 'hover.png',
    async take(ui) {
      await ui.openFile('stream.py');
      await ui.waitForSquiggle();
      const text = await ui.hover();
      if (!/BHD\d{3}/.test(text)) throw new Error(`the hover shows no BHD rule: ${text}`);
    },
  },
  {
    name: 'quick-fix',
    file: 'quick-fix.png',
    async take(ui) {
      await ui.openFile('stream.py');
      await ui.waitForSquiggle();
      const items = await ui.openQuickFix();
      if (!items.some((i) => /BHD|executor|shutdown|non-blocking/i.test(i))) {
        throw new Error(`the Quick Fix menu offers no Backend Hang fix: ${items.join(' | ')}`);
      }
    },
  },
];

/** Loads `shots` from every scripts/screenshots/*.mjs module (the hook for other features' screenshots). */
export async function loadExtraShots(dir = path.join(here, 'screenshots')) {
  let files = [];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.mjs'))
      .sort();
  } catch {
    return [];
  }
  const shots = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(path.join(dir, f)).href);
    if (!Array.isArray(mod.shots)) throw new Error(`${f} does not export a shots array`);
    shots.push(...mod.shots);
  }
  return shots;
}

/**
 * Takes `shots` in one workbench session and writes them to `outDir`. Returns the written paths.
 * @param {{ shots: Array<{ name: string, file: string, take: (ui: import('./uiDriver.mjs').UiDriver) => Promise<void> }>,
 *           outDir?: string, build?: boolean, verbose?: boolean, startOptions?: object }} opts
 */
export async function takeScreenshots(opts) {
  const dir = opts.outDir ?? outDir;
  const ui = await startUi({ build: opts.build, verbose: opts.verbose, ...opts.startOptions });
  const written = [];
  try {
    for (const shot of opts.shots) {
      const started = Date.now();
      await ui.escape();
      await ui.escape();
      await shot.take(ui);
      // Let animations (hover fade-in, panel layout) finish before capturing.
      await ui.page.waitForTimeout(400);
      written.push(await ui.screenshot(path.join(dir, shot.file)));
      console.log(`${path.relative(process.cwd(), path.join(dir, shot.file))} (${Date.now() - started} ms)`);
    }
  } finally {
    await ui.stop();
  }
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  });
  let shots = [...builtinShots, ...(await loadExtraShots())];
  if (values.only) {
    const names = new Set(values.only.split(','));
    shots = shots.filter((s) => names.has(s.name));
    if (shots.length === 0) throw new Error(`no shot named ${values.only}`);
  }
  const stop = () => process.exit(130);
  process.on('SIGINT', stop);
  try {
    await takeScreenshots({ shots, build: !values['no-build'], verbose: values.verbose });
  } catch (err) {
    console.error(`screenshots: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  }
}
