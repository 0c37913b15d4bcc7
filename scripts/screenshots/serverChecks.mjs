// Screenshots of the server checks on a real hang, for the README (picked up by scripts/screenshots.mjs:
// `node scripts/screenshots.mjs --only triage-checklist,watch-hang`). Each shot starts the live demo backend
// from the UI's workspace and points `backendHang.server.url` at it (a user setting, so no URL prompt).
//   triage-checklist: Triage Server… on the healthy backend, a stream aborted, Triage Server… again: the Checks
//     view shows the hung checklist and the two runs side by side; "Show" opens the blocked line.
//   watch-hang: one click on the status-bar Watch, a stream aborted while it watches: the status bar turns red,
//     the stacks are captured by themselves and the "Server hung" notification offers Show / Fix.
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

/** Writes user settings into the running workbench's user-data dir; VS Code reloads them on change. */
function setUserSettings(ui, values) {
  const file = path.join(ui.tmp, 'user-data', 'User', 'settings.json');
  mkdirSync(path.dirname(file), { recursive: true });
  const current = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  writeFileSync(file, JSON.stringify({ ...current, ...values }, null, 2));
}

/** Starts the demo backend (feeds that answer after 40 s: the hang lasts) and makes it the checked server. */
async function startBackend(ui) {
  const { startNewsBackend, abortStream } = await liveBackend();
  const backend = await startNewsBackend({
    appDir: path.join(ui.workspaceDir, 'backend'),
    feedDelaySeconds: 40,
  });
  setUserSettings(ui, {
    'backendHang.server.url': backend.baseUrl,
    'backendHang.server.streamPath': '/news/stream',
  });
  await ui.page.waitForTimeout(1000); // the settings file change reaches the extension host
  return {
    backend,
    abort: () => abortStream(backend.baseUrl, 1000),
    answer: (started) => answerUrlPrompt(ui, backend.baseUrl, started),
  };
}

/** Drags the side bar's sash right by `dx` pixels, so the checklist's details fit. */
async function widenSideBar(ui, dx) {
  const box = await ui.page.locator('.part.sidebar').boundingBox();
  if (!box || box.width > 700) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await ui.page.mouse.move(x, y);
  await ui.page.mouse.down();
  await ui.page.mouse.move(x + dx / 2, y, { steps: 5 });
  await ui.page.mouse.move(x + dx, y, { steps: 5 });
  await ui.page.mouse.up();
}

/** Collapses the py-spy Captures section (empty here) so the Checks view gets the room. */
async function collapseCaptures(ui) {
  const header = ui.page.locator('.pane-header[aria-label*="py-spy Captures"]').first();
  if ((await header.count()) && (await header.getAttribute('aria-expanded')) === 'true') await header.click();
}

/**
 * Answers the URL prompt when one opens (the setting may not have reached the extension host yet, or several
 * servers run here): the input box comes prefilled with the listening uvicorn; a picker filters to our URL.
 */
async function answerUrlPrompt(ui, url, startedSelector) {
  const input = ui.page.locator('.quick-input-widget .quick-input-box input');
  const started = ui.page.locator(startedSelector);
  // The prompt opens after the /proc scan for listening servers: wait for it, or for the check to start.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await input.isVisible()) {
      await input.fill(url);
      await ui.page.waitForTimeout(300);
      await ui.page.keyboard.press('Enter');
      return;
    }
    if (await started.first().isVisible()) return;
    await ui.page.waitForTimeout(150);
  }
}

const row = (label) => `.monaco-list-row:has-text("${label}")`;

/** Stops `backend` a few seconds after the screenshot was taken (take() resolves right before it). */
const stopLater = (backend) => setTimeout(() => void backend.stop(), 5000);

export const shots = [
  {
    name: 'triage-checklist',
    file: 'triage-checklist.png',
    async take(ui) {
      const { backend, abort, answer } = await startBackend(ui);
      try {
        await ui.runCommand('Backend Hang: Triage Server…');
        await answer('.notification-toast:has-text("Backend Hang: Triage")');
        await ui.waitFor(row('Triage'), 'the first triage run in the Checks view', 30_000);
        await ui.page.waitForTimeout(1500);
        await abort();
        await ui.runCommand('Backend Hang: Triage Server…');
        await answer('.notification-toast:has-text("Backend Hang: Triage")');
        await ui.waitFor(row('Before → after'), 'the before/after comparison', 30_000);
        // "Show" on the notification opens the blocked line; without the toast, the stacks item does the same.
        const toast = ui.page.locator('.notification-toast:has-text("Server hung")');
        await toast
          .first()
          .waitFor({ state: 'visible', timeout: 5000 })
          .catch(() => undefined);
        if (await toast.first().isVisible())
          await toast.locator('.monaco-button', { hasText: 'Show' }).first().click();
        else await ui.page.locator(row('event loop blocked in')).first().click();
        await ui.waitFor(
          '.tabs-container .tab.active[aria-label*="stream.py"]',
          'stream.py at the blocked line',
        );
        await collapseCaptures(ui);
        await widenSideBar(ui, 420);
        await ui.page.mouse.move(800, 900);
        await ui.page.waitForTimeout(800);
      } finally {
        stopLater(backend);
      }
    },
  },
  {
    name: 'watch-hang',
    file: 'watch-hang.png',
    async take(ui) {
      const { backend, abort, answer } = await startBackend(ui);
      try {
        await ui.runCommand('Backend Hang: Clear Checks');
        // One click on the status-bar item starts the watch (the server URL comes from the setting).
        const item = ui.page.locator('.part.statusbar .statusbar-item', { hasText: 'Watch' }).first();
        await item.click();
        await answer('.part.statusbar .statusbar-item:has-text(" ms")');
        await ui.waitFor(
          '.part.statusbar .statusbar-item:has-text(" ms")',
          'the watch latency in the status bar',
          20_000,
        );
        await ui.page.waitForTimeout(2500);
        await abort();
        await ui.waitFor(
          '.notification-toast:has-text("Server hung")',
          'the watch\'s "Server hung" notification',
          30_000,
        );
        await ui.waitFor(row('Watch caught'), 'the watch run in the Checks view', 10_000);
        await collapseCaptures(ui);
        await widenSideBar(ui, 420);
        await ui.page.mouse.move(800, 500);
        await ui.page.waitForTimeout(800);
      } finally {
        stopLater(backend);
      }
    },
  },
];
