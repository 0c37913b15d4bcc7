// Drives the real VS Code UI the way a person uses it: the packaged VSIX installed into code-server, the
// workbench in headless Debian Chromium (1600x1000), keyboard and mouse through playwright-core.
// Used by scripts/screenshots.mjs; reusable by anything that needs to see what a user sees.
//
//   import { startUi } from './uiDriver.mjs';
//   const ui = await startUi();                 // packages + installs the VSIX, opens a fresh workspace copy
//   try {
//     await ui.openFile('stream.py');
//     await ui.waitForSquiggle();
//     await ui.openProblems();
//     await ui.screenshot('media/screenshots/x.png');
//   } finally {
//     await ui.stop();                          // browser, server, temp dirs: nothing left behind
//   }
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  codeServerEntry,
  CodeServerMissingError,
  launchChromium,
  makeTempDir,
  makeWorkspace,
  removeDir,
  repoRoot,
  seedUserSettings,
  startCodeServer,
  workbenchUrl,
} from './codeServer.mjs';
import { packageVsix } from './package.mjs';

/** Any diagnostic squiggle in the active editor. */
const squiggleSelector = ['error', 'warning', 'info']
  .map((c) => `.editor-instance .monaco-editor .squiggly-${c}`)
  .join(', ');

/** Screen size of the workbench page (the README screenshots). */
export const viewport = { width: 1600, height: 1000 };

/** Thrown when something expected on screen does not show up in time; carries a screenshot path. */
export class UiTimeoutError extends Error {
  constructor(what, screenshotPath) {
    super(`UI: ${what}${screenshotPath ? ` (screenshot: ${screenshotPath})` : ''}`);
    this.name = 'UiTimeoutError';
    this.screenshotPath = screenshotPath;
  }
}

/** Packages the VSIX (production build). Returns its path. */
export function buildVsix(out = path.join(repoRoot, 'backend-hang-debug.vsix')) {
  return packageVsix({ out, quiet: true });
}

/** Installs `vsix` into code-server's `extensionsDir` (the same command a user runs). */
export function installVsix(vsix, extensionsDir, userDataDir) {
  if (!existsSync(codeServerEntry)) throw new CodeServerMissingError();
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(userDataDir, { recursive: true });
  const out = execFileSync(
    process.execPath,
    [
      codeServerEntry,
      '--config',
      path.join(userDataDir, 'code-server.yaml'),
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--install-extension',
      vsix,
      '--force',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (!/successfully installed/.test(out)) throw new Error(`VSIX install failed:\n${out}`);
}

/**
 * Starts code-server with the VSIX installed, on a fresh copy of the demo workspace, and opens the workbench in
 * headless Chromium. Resolves once the workbench and its explorer are on screen.
 * @param {{ vsix?: string, build?: boolean, workspaceDir?: string, settings?: Record<string, unknown>,
 *           env?: Record<string, string>, verbose?: boolean, extraVsix?: string[] }} [opts]
 *   vsix: an existing VSIX (default: build one, unless build === false and backend-hang-debug.vsix exists);
 *   workspaceDir: open this folder instead of a temp copy of examples/news-backend (+ test/fixtures/workspace);
 *   settings: extra user settings; env: extra environment for code-server and its extension host;
 *   extraVsix: more VSIX files to install beside ours.
 * @returns {Promise<UiDriver>}
 */
export async function startUi(opts = {}) {
  const tmp = makeTempDir('bhd-ui-');
  const driver = new UiDriver(tmp);
  try {
    let vsix = opts.vsix;
    if (!vsix) {
      const existing = path.join(repoRoot, 'backend-hang-debug.vsix');
      vsix = opts.build === false && existsSync(existing) ? existing : buildVsix();
    }
    const userDataDir = path.join(tmp, 'user-data');
    const extensionsDir = path.join(tmp, 'extensions');
    for (const v of [vsix, ...(opts.extraVsix ?? [])]) installVsix(v, extensionsDir, userDataDir);
    seedUserSettings(userDataDir, {
      'workbench.colorTheme': 'Default Dark Modern',
      'editor.fontSize': 14,
      'window.zoomLevel': 0,
      'editor.hover.delay': 200,
      ...opts.settings,
    });
    driver.workspaceDir = opts.workspaceDir ?? makeWorkspace(path.join(tmp, 'news-backend'));
    driver.server = await startCodeServer({
      workspaceDir: driver.workspaceDir,
      userDataDir,
      extensionsDir,
      env: opts.env,
      onOutput: (chunk) => opts.verbose && process.stderr.write(chunk),
    });
    driver.browser = await launchChromium();
    driver.page = await driver.browser.newPage({ viewport });
    await driver.page.goto(workbenchUrl(driver.server.host, driver.workspaceDir));
    await driver.waitFor('.monaco-workbench .part.sidebar .explorer-folders-view', 'the explorer', 60_000);
    // The workbench restores layout and starts the extension host after first paint: let it settle.
    await driver.page.waitForTimeout(1500);
    return driver;
  } catch (err) {
    await driver.stop();
    throw err;
  }
}

/** One running workbench. Use the helpers, or `page` (a playwright Page) for anything else. */
export class UiDriver {
  constructor(tmp) {
    this.tmp = tmp;
    /** @type {import('playwright-core').Page} */
    this.page = undefined;
    /** @type {import('playwright-core').Browser | undefined} */
    this.browser = undefined;
    this.server = undefined;
    /** Absolute path of the open workspace folder. */
    this.workspaceDir = undefined;
  }

  /** Waits for `selector` to be visible; on time-out saves a screenshot next to the temp dir and throws. */
  async waitFor(selector, what = selector, timeoutMs = 20_000) {
    try {
      await this.page.locator(selector).first().waitFor({ state: 'visible', timeout: timeoutMs });
      return this.page.locator(selector);
    } catch {
      const shot = path.join(repoRoot, 'test-results', `ui-timeout-${Date.now()}.png`);
      await this.screenshot(shot).catch(() => undefined);
      throw new UiTimeoutError(`${what} did not appear within ${timeoutMs} ms`, shot);
    }
  }

  /** Opens a file by (part of) its name through Quick Open (Ctrl+P), and waits for its editor tab. */
  async openFile(name) {
    await this.focusWorkbench();
    await this.page.keyboard.press('Control+P');
    const input = await this.waitFor('.quick-input-widget .quick-input-box input', 'Quick Open');
    await input.fill(name);
    // Results are searched asynchronously (ripgrep): wait for a row naming the file before accepting.
    const base = path.basename(name);
    await this.waitFor(
      `.quick-input-list .monaco-list-row[aria-label*="${base}"]`,
      `Quick Open result ${base}`,
    );
    await this.page.keyboard.press('Enter');
    await this.waitFor(`.tabs-container .tab.active[aria-label*="${base}"]`, `editor tab ${base}`);
    await this.waitFor('.editor-instance .monaco-editor .view-lines', 'the editor text');
  }

  /**
   * Waits until the active editor shows a diagnostic squiggle.
   * @param {'error'|'warning'|'info'|'any'} [severity]
   */
  async waitForSquiggle(severity = 'any', timeoutMs = 30_000) {
    const cls = severity === 'any' ? ['error', 'warning', 'info'] : [severity];
    const selector = cls.map((c) => `.editor-instance .monaco-editor .squiggly-${c}`).join(', ');
    return this.waitFor(selector, `a ${severity} squiggle`, timeoutMs);
  }

  /** Opens the Problems panel (Ctrl+Shift+M) and returns the rows' labels (message, source, position). */
  async openProblems() {
    await this.focusWorkbench();
    if (!(await this.page.locator('.markers-panel').isVisible())) {
      await this.page.keyboard.press('Control+Shift+M');
    }
    await this.waitFor('.markers-panel', 'the Problems panel');
    return this.problems();
  }

  /** The Problems panel rows' aria-labels (they carry the message and position). */
  async problems() {
    const rows = this.page.locator('.markers-panel .monaco-list-row');
    return rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }

  /**
   * Hovers the mouse over the first squiggle (or over `selector`) and waits for the hover widget.
   * @returns the hover's text
   */
  async hover(selector) {
    const target = this.page.locator(selector ?? squiggleSelector).first();
    const box = await target.boundingBox();
    if (!box) throw new UiTimeoutError(`nothing to hover (${selector ?? 'squiggle'})`);
    // Squiggles are thin decorations under the text: aim at the text line just above their bottom edge.
    const x = box.x + Math.min(box.width / 2, 60);
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x - 20, y);
    await this.page.mouse.move(x, y, { steps: 5 });
    const hover = await this.waitFor('.monaco-hover:not(.hidden) .monaco-hover-content', 'the hover');
    return (await hover.first().innerText()).trim();
  }

  /**
   * Puts the cursor on the first squiggle (a click) and opens the Quick Fix menu (Ctrl+.).
   * @returns the menu's item labels
   */
  async openQuickFix() {
    const target = this.page.locator(squiggleSelector).first();
    const box = await target.boundingBox();
    if (!box) throw new UiTimeoutError('no squiggle to fix');
    await this.page.mouse.click(box.x + Math.min(box.width / 2, 60), box.y + box.height / 2);
    await this.page.keyboard.press('Control+.');
    const menu = await this.waitFor('.action-widget .monaco-list-row', 'the Quick Fix menu');
    return menu.evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()).filter(Boolean));
  }

  /** Runs a command by its palette title (e.g. 'Backend Hang: Show Logs') through F1. */
  async runCommand(title) {
    await this.focusWorkbench();
    await this.page.keyboard.press('F1');
    const input = await this.waitFor('.quick-input-widget .quick-input-box input', 'the command palette');
    await input.fill(`>${title}`);
    await this.waitFor(`.quick-input-list .monaco-list-row[aria-label*="${title}"]`, `command "${title}"`);
    await this.page.keyboard.press('Enter');
  }

  /** Presses Escape (closes hovers, quick input, notifications focus). */
  async escape() {
    await this.page.keyboard.press('Escape');
  }

  /** Saves a PNG of the whole page (creates the folder). */
  async screenshot(file) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Puts keyboard focus on the workbench (not on the page body), so its keybindings apply. */
  async focusWorkbench() {
    const editor = this.page.locator('.editor-instance .monaco-editor textarea').first();
    if (await editor.count()) {
      await editor.focus();
    } else {
      // The empty editor area: clicking the title bar would pop up its search tooltip in screenshots.
      await this.page.locator('.monaco-workbench .part.editor').first().click();
    }
  }

  /** Closes the browser, stops code-server (whole process group) and removes the temp dirs. Idempotent. */
  async stop() {
    this.stopping ??= (async () => {
      await this.browser?.close().catch(() => undefined);
      await this.server?.stop();
      removeDir(this.tmp);
    })();
    return this.stopping;
  }
}
