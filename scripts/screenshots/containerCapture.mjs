// Screenshots of capture sources for the README (picked up by scripts/screenshots.mjs: `node
// scripts/screenshots.mjs --only capture-picker,capture-container`). Needs the bridge-less dockerd and test
// images of `scripts/ensure-runtimes.sh --docker`. A hung demo backend runs locally and another in a Docker
// container mounting the workspace; the picker lists both with their ports, then the container's capture is
// shown with its blocked line opened in the workspace file (mapped through the mount).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function load(name) {
  const file = path.join(root, 'out', 'test', 'live', `${name}.js`);
  if (!existsSync(file)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  const mod = await import(file);
  return mod.default ?? mod;
}

let running = [];
const stopAll = () => Promise.all(running.map((r) => r.stop().catch(() => undefined))).then(() => (running = []));

const pickerTitle = (ui) => ui.page.locator('.quick-input-widget .quick-input-title', { hasText: 'pick the process' });

export const shots = [
  {
    name: 'capture-picker',
    file: 'capture-picker.png',
    async take(ui) {
      const { startNewsBackend } = await load('liveBackend');
      const { startHungContainer, dockerAvailable } = await load('dockerTarget');
      const why = dockerAvailable();
      if (why) throw new Error(why);
      running.push(await startNewsBackend({ appDir: path.join(ui.workspaceDir, 'backend'), feedDelaySeconds: 40 }));
      running.push(await startHungContainer({ appDir: path.join(ui.workspaceDir, 'backend') }));
      await ui.runCommand('Backend Hang: Capture py-spy Dump');
      await ui.waitFor('.quick-input-widget .quick-input-title', 'the capture picker', 30_000);
      await pickerTitle(ui).waitFor({ timeout: 30_000 });
      await ui.page.waitForTimeout(500);
    },
  },
  {
    name: 'capture-container',
    file: 'capture-container.png',
    async take(ui) {
      try {
        const hung = running[1];
        if (!hung) throw new Error('capture-picker must run first');
        await ui.runCommand('Backend Hang: Capture py-spy Dump');
        await pickerTitle(ui).waitFor({ timeout: 30_000 });
        await ui.page.locator('.quick-input-widget .quick-input-box input').fill(hung.name);
        await ui.page.waitForTimeout(300);
        await ui.page.keyboard.press('Enter');
        const row = '.monaco-list-row[aria-label*="Event loop blocked"]';
        const blocked = await ui.waitFor(row, 'the "Event loop blocked" node of the container capture', 30_000);
        await blocked.click();
        await ui.waitFor('.monaco-editor .view-line', 'stream.py');
        await ui.page.waitForTimeout(800);
      } finally {
        setTimeout(() => void stopAll(), 4000);
      }
    },
  },
];
