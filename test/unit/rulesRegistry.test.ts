/**
 * The rule registry (src/diagnostics/rules/registry.ts) against the rest of the repository: for every rule
 * module, its code is in the public code list, its severity setting is contributed in package.json with the
 * module's default, its doc page and README row exist and agree, its fixture has expectations, its messages
 * and fix applicability are defined, and what it subscribes to is something the analysis can resolve.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULE_APPLICABILITY } from '../../src/codeActions/applicability';
import { MESSAGES, RULE_TITLES, DEFAULT_SEVERITY, ruleDocPath } from '../../src/diagnostics/rules';
import { RULES, mayHaveFindings, CALL_HANDLERS, METHOD_HANDLERS } from '../../src/diagnostics/rules/registry';
import { mightContainFindings } from '../../src/diagnostics/analyze';
import { TARGETS } from '../../src/diagnostics/targets';
import { RULE_CODES } from '../../src/diagnostics/types';

const repo = path.join(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown; enum?: string[] }> } };
};
const settings = pkg.contributes.configuration.properties;
const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');

test('the registry lists exactly the public rule codes, in order', () => {
  assert.deepEqual(
    RULES.map((r) => r.code),
    [...RULE_CODES],
  );
});

for (const rule of RULES) {
  const code = rule.code;
  test(`${code}: setting, doc page, README row, fixture, messages and fix agree with its module`, () => {
    const setting = settings[`backendHang.severity.${code}`];
    assert.ok(setting, `package.json: backendHang.severity.${code}`);
    assert.equal(setting.default, rule.defaultSeverity);
    assert.deepEqual(setting.enum, ['error', 'warning', 'information', 'hint', 'off']);
    assert.equal(DEFAULT_SEVERITY[code], rule.defaultSeverity);
    assert.equal(RULE_TITLES[code], rule.title);

    const doc = fs.readFileSync(path.join(repo, ruleDocPath(code)), 'utf8');
    assert.match(doc.split('\n')[0]!, new RegExp(`^# ${code}: `));
    assert.match(doc, new RegExp(`\\*\\*Default severity:\\*\\* ${rule.defaultSeverity}\\b`));
    assert.match(doc, new RegExp(`# noqa: ${code}`), 'the page says how to suppress it');

    const row = readme.split('\n').find((l) => l.startsWith(`| [${code}](docs/rules/${code}.md) |`));
    assert.ok(row, `README row for ${code}`);
    assert.equal(row.split('|')[3]!.trim(), rule.defaultSeverity, `README default of ${code}`);

    const fixture = fs.readFileSync(path.join(repo, `test/fixtures/rules/${code}.py`), 'utf8');
    assert.match(fixture, new RegExp(`#\\s*expect:[^\\n]*${code}`), `fixture ${code}.py expects ${code}`);

    const messages = Object.entries(MESSAGES).filter(([k]) => k.startsWith(code));
    assert.ok(messages.length > 0, `MESSAGES for ${code}`);
    for (const [, fn] of messages) {
      const text = (fn as (...args: string[]) => { message: string; detail: string })('x', 'y');
      assert.ok(text.message.length > 10 && text.detail.length > 40);
    }

    if (rule.fix)
      assert.equal(RULE_APPLICABILITY[code], rule.fix.applicability, `applicability of ${code}'s fix`);
    else assert.equal(RULE_APPLICABILITY[code], undefined);

    if (!rule.project) {
      assert.ok((rule.calls?.length ?? 0) + (rule.methods?.length ?? 0) > 0, 'subscribes to something');
      for (const s of rule.calls ?? []) for (const t of s.targets) assert.ok(TARGETS.has(t), t);
    }
  });
}

test('dispatch tables and the pre-filter come from the modules', () => {
  assert.ok(CALL_HANDLERS.get('time.sleep')!.some((h) => h.code === 'BHD006'));
  assert.deepEqual(
    CALL_HANDLERS.get('requests.get')!.map((h) => h.code),
    ['BHD005', 'BHD006'],
  );
  assert.deepEqual(
    METHOD_HANDLERS.get('shutdown')!.map((h) => h.code),
    ['BHD002'],
  );
  // The file pre-filter is the union of the modules' own, async-only ones together with `async def`.
  const samples = [
    'import requests\n',
    'import time\ntime.sleep(1)\n',
    'import time\nasync def f():\n    time.sleep(1)\n',
    'async def f(ex):\n    ex.shutdown()\n',
    'from concurrent.futures import wait\n',
    'from concurrent.futures import wait\nasync def f(): pass\n',
    'async def f(pool):\n    pool.submit(g).result()\n',
    'print("hello")\n',
  ];
  const fileRules = RULES.filter((r) => !r.project);
  for (const s of samples) {
    const expected = fileRules.some((r) => r.mayOccur(s) && (!r.asyncOnly || /async\s+def/.test(s)));
    assert.equal(mightContainFindings(s), expected, s);
    assert.equal(mayHaveFindings(s, fileRules), expected, s);
  }
});
