// Screenshots of issue 13 for the README (picked up by scripts/screenshots.mjs: `node scripts/screenshots.mjs
// --only task-tree,loop-profile`):
//   task-tree     a CPython 3.14 server (Debian sid root, chrooted) with two requests deadlocked on two asyncio
//                 locks, captured from the palette: the capture's Tasks node names both parked lines, one task
//                 is expanded to its coroutine frames, the parked line is open beside it;
//   loop-profile  a loaded uvicorn/uvloop server on 3.12, profiled with "Profile Event Loop…": the Loop Profile
//                 view ranks the sleeping and hashing lines and the file shows each line's share of loop time.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function liveBackend() {
  const mod = await import(path.join(root, 'out', 'test', 'live', 'liveBackend.js'));
  return mod.default ?? mod;
}

async function helpers() {
  const file = path.join(root, 'out', 'test', 'live', 'asyncApps.js');
  if (!existsSync(file)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  const mod = await import(file);
  return mod.default ?? mod;
}

/** A user setting in the running workbench (code-server reads machine-scoped ones from Machine/). */
function setSetting(ui, key, value) {
  for (const scope of ['Machine', 'User']) {
    const file = path.join(ui.tmp, 'user-data', scope, 'settings.json');
    mkdirSync(path.dirname(file), { recursive: true });
    const current = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
    current[key] = value;
    writeFileSync(file, JSON.stringify(current, null, 2));
  }
}

/** Answers the process picker (whatever its title) with `pid` once its row is listed, until `doneSelector` shows. */
async function pickPid(ui, pid, doneSelector, timeoutMs = 40_000) {
  const input = ui.page.locator('.quick-input-widget .quick-input-box input');
  const row = ui.page.locator(`.quick-input-list .monaco-list-row[aria-label*="${pid}"]`);
  const deadline = Date.now() + timeoutMs;
  let typed = false;
  while (Date.now() < deadline && !(await ui.page.locator(doneSelector).first().isVisible())) {
    // The list fills after a /proc scan: type the pid, then accept only when its row is there.
    if (!typed && (await input.isVisible())) {
      await input.fill(String(pid));
      typed = true;
    }
    if (typed && (await row.first().isVisible())) {
      await ui.page.keyboard.press('Enter');
      await ui.page.waitForTimeout(500);
    }
    await ui.page.waitForTimeout(200);
  }
}

/** Collapses a side-bar view by its title (when expanded), to give the others room. */
async function collapseView(ui, title) {
  const header = ui.page.locator(`.pane-header[aria-expanded="true"]:has(h3.title:text-is("${title}"))`);
  if (await header.count()) await header.first().click();
}

/** Drags the side bar's sash so the side bar is `width` pixels wide (wide trees, or room for the editor). */
async function setSideBarWidth(ui, width) {
  const box = await ui.page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await ui.page.mouse.move(x, y);
  await ui.page.mouse.down();
  await ui.page.mouse.move(box.x + width, y, { steps: 8 });
  await ui.page.mouse.up();
}

export const shots = [
  {
    name: 'task-tree',
    file: 'task-tree.png',
    async take(ui) {
      const { startApp, hangingRequest } = await helpers();
      const { stopManaged } = await liveBackend();
      const app = await startApp('deadlock', '3.14', 'asyncio');
      const requests = [hangingRequest(`${app.baseUrl}/reserve`), hangingRequest(`${app.baseUrl}/settle`)];
      // The server goes as soon as the tree is filled; its app copy under the chroot stays until this process
      // exits, so the open editor still shows the file when the screenshot is taken.
      const appCopy = path.dirname(path.dirname(app.mainPy));
      process.once('exit', () => rmSync(appCopy, { recursive: true, force: true }));
      const stop = async () => {
        for (const r of requests) r.abort();
        await stopManaged(app.managed);
      };
      try {
        await ui.page.waitForTimeout(900);
        await ui.runCommand('Backend Hang: Capture py-spy Dump');
        const row = '.monaco-list-row[aria-label*="Tasks waiting"]';
        await pickPid(ui, app.pid, row);
        await ui.waitFor(row, 'the "Tasks waiting" node', 10_000);
        // A second capture of the same process: the parked tasks did not move, they are stuck.
        await ui.page.waitForTimeout(500);
        await ui.runCommand('Backend Hang: Capture py-spy Dump');
        const stuck = '.monaco-list-row[aria-label*="Tasks stuck"]';
        await pickPid(ui, app.pid, stuck);
        await ui.waitFor(stuck, 'the "Tasks stuck" node', 10_000);
        await setSideBarWidth(ui, 660);
        await collapseView(ui, 'Checks');
        await collapseView(ui, 'Loop Profile');
        // Collapse the thread stacks (below the Tasks node) so the task tree has the room.
        const threads = ui.page.locator(
          '.monaco-list-row[aria-label*="MainThread"][aria-expanded="true"] .monaco-tl-twistie',
        );
        if (await threads.count()) await threads.first().click();
        // Expand one parked task to its coroutine frames, then open its line (the click runs the open command).
        const task = ui.page.locator('.monaco-list-row[aria-level="4"][aria-label*="Task-"]').first();
        await task.locator('.monaco-tl-twistie').click();
        await ui.page.locator(stuck).first().click();
        await ui.waitFor('.monaco-editor .view-line', 'main.py');
        await ui.page.waitForTimeout(800);
      } finally {
        await stop();
      }
    },
  },
  {
    name: 'loop-profile',
    file: 'loop-profile.png',
    async take(ui) {
      const { startApp, startLoad, pyspy043 } = await helpers();
      setSetting(ui, 'backendHang.pyspy.path', pyspy043());
      const dir = path.join(ui.workspaceDir, 'loopload');
      cpSync(path.join(root, 'test', 'fixtures', 'apps', 'loopload'), dir, { recursive: true });
      const app = await startApp('loopload', '3.12', 'uvloop', undefined, dir);
      const load = startLoad(app.baseUrl, ['/sleepy', '/hashy', '/awaity']);
      const stop = async () => {
        await load.stop();
        await app.stop();
      };
      try {
        await ui.page.waitForTimeout(1000);
        await ui.runCommand('View: Close All Editors');
        // By absolute path: the deadlock shot's main.py (outside the workspace) would win a fuzzy "main.py".
        await ui.openFile(path.join(dir, 'app', 'main.py'));
        await ui.runCommand('Backend Hang: Profile Event Loop');
        await pickPid(ui, app.pid, '.quick-input-widget .quick-input-title:has-text("how many seconds")');
        const seconds = ui.page.locator('.quick-input-widget .quick-input-box input');
        await seconds.fill('3');
        await ui.page.keyboard.press('Enter');
        await ui.waitFor('.monaco-list-row[aria-label*="time.sleep"]', 'the ranked time.sleep line', 30_000);
        // The inline share is CSS generated content (not in the DOM text): give the editor a moment to paint.
        await setSideBarWidth(ui, 470); // the editor needs the width: the share is written after each line
        await collapseView(ui, 'Checks');
        await collapseView(ui, 'py-spy Captures');
        await ui.page.waitForTimeout(800);
      } finally {
        await stop();
      }
    },
  },
];
