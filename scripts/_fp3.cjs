const { Parser, Language } = require('web-tree-sitter');
const { Worker, isMainThread, workerData, parentPort } = require('worker_threads');
const fs = require('fs');
async function load() {
  await Parser.init({ locateFile: () => require.resolve('web-tree-sitter/web-tree-sitter.wasm') });
  const lang = await Language.load(fs.readFileSync(require.resolve('tree-sitter-python/tree-sitter-python.wasm')));
  const p = new Parser(); p.setLanguage(lang); return p;
}
(async () => {
  if (!isMainThread) {
    const p = await load(); const src = fs.readFileSync(workerData, 'utf8');
    let t = performance.now(); for (let i = 0; i < 3; i++) p.parse(src).delete();
    parentPort.postMessage((performance.now() - t).toFixed(1)); return;
  }
  if (process.argv[3] === 'warm') {
    const w = new Worker(__filename, { workerData: process.argv[4] });
    console.log('worker warm took', await new Promise((r) => w.on('message', r)));
    await w.terminate();
  }
  const p = await load();
  const src = fs.readFileSync(process.argv[2], 'utf8');
  for (let i = 0; i < 3; i++) { const t = performance.now(); const tr = p.parse(src); console.log('parse', i, (performance.now() - t).toFixed(1)); tr.delete(); }
})();
