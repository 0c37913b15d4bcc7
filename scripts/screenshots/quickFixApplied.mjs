// README screenshot: stream.py right after the preferred quick fix was applied (the non-blocking pattern).
// Runs after pyspyTree.mjs (modules run in file-name order), since it changes the workspace copy's stream.py.

/** @type {Array<{ name: string, file: string, take: (ui: import('../uiDriver.mjs').UiDriver) => Promise<void> }>} */
export const shots = [
  {
    name: 'fixed',
    file: 'fixed.png',
    async take(ui) {
      await ui.openFile('stream.py');
      await ui.waitForSquiggle();
      const items = await ui.openQuickFix();
      if (!/without blocking the event loop/.test(items.find((i) => i !== 'Quick Fix') ?? '')) {
        throw new Error(`the preferred fix is not first: ${items.join(' | ')}`);
      }
      await ui.page.keyboard.press('Enter');
      // The fix leaves no BHD squiggle behind.
      await ui.page.waitForSelector('.monaco-editor .squiggly-error', { state: 'detached', timeout: 10_000 });
      await ui.page.waitForTimeout(500);
    },
  },
];
