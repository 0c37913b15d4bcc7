// Screenshot of the py-spy Captures view on a real hang, for the README (picked up by scripts/screenshots.mjs:
// `node scripts/screenshots.mjs --only pyspy-tree`). Starts the live demo backend from the UI's workspace,
// aborts a stream so its event loop blocks, runs "Backend Hang: Capture py-spy Dump" from the palette,
// and opens the blocked frame (stream.py with the inline "event loop blocked here" mark) beside the tree.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The live-backend helpers (TypeScript, bundled by esbuild into out/test/live/). */
async function liveBackend() {
  const file = path.join(root, 'out', 'test', 'live', 'liveBackend.js');
  if (!existsSync(file)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  const mod = await import(file);
  return mod.default ?? mod;
}

/**
 * Points the running workbench at the project's py-spy: a user setting (machine-scoped, so not a workspace
 * one), written into the user-data dir startUi() created (`<tmp>/user-data/{Machine,User}/settings.json`); VS Code
 * reloads it on change.
 */
function usePySpy(ui) {
  // code-server reads machine-scoped settings from the remote's Machine/ folder, the rest from User/.
  for (const scope of ['Machine', 'User']) {
    const file = path.join(ui.tmp, 'user-data', scope, 'settings.json');
    mkdirSync(path.dirname(file), { recursive: true });
    const current = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
    current['backendHang.pyspy.path'] = path.join(root, '.cache', 'venv', 'bin', 'py-spy');
    writeFileSync(file, JSON.stringify(current, null, 2));
  }
}

/**
 * Drives `ui` (a UiDriver) to the captures view showing a real blocked event loop. Resolves with the
 * backend, whose stop() the caller owns (the shot below stops it a few seconds later, after the screenshot).
 */
export async function captureTreeOnRealHang(ui) {
  usePySpy(ui);
  const { startNewsBackend, abortStream } = await liveBackend();
  const backend = await startNewsBackend({
    appDir: path.join(ui.workspaceDir, 'backend'),
    feedDelaySeconds: 40,
  });
  try {
    await ui.page.waitForTimeout(1000); // the settings file change reaches the extension host
    await abortStream(backend.baseUrl, 1000);
    await ui.runCommand('Backend Hang: Capture py-spy Dump');
    // With several uvicorn processes on this machine the picker opens: pick ours by pid. Poll for either
    // the picker or the finished capture (the /proc scan and py-spy take a moment).
    const row = '.monaco-list-row[aria-label*="Event loop blocked"]';
    const pickerTitle = ui.page.locator('.quick-input-widget .quick-input-title', {
      hasText: 'pick the process',
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(await ui.page.locator(row).first().isVisible())) {
      if (await pickerTitle.isVisible()) {
        await ui.page.locator('.quick-input-widget .quick-input-box input').fill(String(backend.pid));
        await ui.page.waitForTimeout(300);
        await ui.page.keyboard.press('Enter');
      }
      await ui.page.waitForTimeout(200);
    }
    const blocked = await ui.waitFor(row, 'the "Event loop blocked" node in the py-spy Captures view', 5_000);
    await blocked.click();
    await widenSideBar(ui, 330);
    await ui.waitFor('.monaco-editor .view-line', 'stream.py');
    await ui.page.waitForTimeout(800);
    return backend;
  } catch (err) {
    await backend.stop();
    throw err;
  }
}

/** Drags the side bar's sash right by `dx` pixels, so the tree's labels and descriptions fit. */
async function widenSideBar(ui, dx) {
  const box = await ui.page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await ui.page.mouse.move(x, y);
  await ui.page.mouse.down();
  await ui.page.mouse.move(x + dx / 2, y, { steps: 5 });
  await ui.page.mouse.move(x + dx, y, { steps: 5 });
  await ui.page.mouse.up();
}

export const shots = [
  {
    name: 'pyspy-tree',
    file: 'pyspy-tree.png',
    async take(ui) {
      const backend = await captureTreeOnRealHang(ui);
      // The screenshot is taken right after take() resolves; stop the hung backend shortly after.
      setTimeout(() => void backend.stop(), 5000);
    },
  },
];
