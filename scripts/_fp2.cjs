const { Parser, Language } = require('web-tree-sitter');
const fs = require('fs');
(async () => {
  await Parser.init({ locateFile: () => require.resolve('web-tree-sitter/web-tree-sitter.wasm') });
  const lang = await Language.load(fs.readFileSync(require.resolve('tree-sitter-python/tree-sitter-python.wasm')));
  const p = new Parser(); p.setLanguage(lang);
  const small = fs.readFileSync(process.argv[3], 'utf8');
  let t = performance.now();
  for (let i = 0; i < 300; i++) p.parse(small).delete();
  console.log('300 small', (performance.now() - t).toFixed(1));
  const src = fs.readFileSync(process.argv[2], 'utf8');
  for (let i = 0; i < 4; i++) { t = performance.now(); const tr = p.parse(src); console.log('parse', i, (performance.now() - t).toFixed(1)); tr.delete(); }
})();
