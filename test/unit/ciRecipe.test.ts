// The GitHub Actions recipe in docs/ci/backend-hang.yml: the workflow is valid against GitHub's workflow schema
// (check-jsonschema's vendored copy, from the test venv), its SARIF step's command run here produces SARIF that
// validates against the SARIF 2.1.0 structure (test/fixtures/sarif) with what code scanning needs, the upload step
// uploads that file, and the gate step fails on findings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const BIN = path.join(ROOT, '.cache', 'venv', 'bin');
const WORKFLOW = path.join(ROOT, 'docs', 'ci', 'backend-hang.yml');
const SCHEMA = path.join(ROOT, 'test', 'fixtures', 'sarif', 'sarif-2.1.0-structure.schema.json');
let dir: string;

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, string>;
}

before(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bhd-ci-')));
  fs.mkdirSync(path.join(dir, 'app', 'services'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'app', 'stream.py'),
    'import time\nfrom concurrent.futures import ThreadPoolExecutor\n\nfrom app.services.feeds import load\n\n\n' +
      'async def stream(loop):\n    with ThreadPoolExecutor() as ex:  # é\n        time.sleep(1)\n' +
      '        load()\n        return await loop.run_in_executor(ex, len, "x")\n',
  );
  fs.writeFileSync(path.join(dir, 'app', '__init__.py'), '');
  fs.writeFileSync(path.join(dir, 'app', 'services', '__init__.py'), '');
  fs.writeFileSync(
    path.join(dir, 'app', 'services', 'feeds.py'),
    'import time\n\n\ndef load():\n    time.sleep(2)\n',
  );
  fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.backend-hang]\nhttp-timeout = 5\n');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function steps(): Step[] {
  const json = execFileSync(
    path.join(BIN, 'python'),
    ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', WORKFLOW],
    { encoding: 'utf8' },
  );
  const wf = JSON.parse(json) as { jobs: Record<string, { steps: Step[] }> };
  return Object.values(wf.jobs).flatMap((j) => j.steps);
}

/** Runs a step's `backend-hang ...` command line with the CLI built here (shell redirection handled). */
function runStep(run: string): { code: number | null; stdout: string; stderr: string; redirect?: string } {
  const m = /^backend-hang\s+(.*?)(?:\s*>\s*(\S+))?\s*$/.exec(run.trim());
  assert.ok(m, `a backend-hang command: ${run}`);
  const args = m[1]!.split(/\s+/);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
  if (m[2]) fs.writeFileSync(path.join(dir, m[2]), r.stdout);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, redirect: m[2] };
}

test('the workflow is valid for GitHub Actions (vendored workflow schema)', () => {
  const r = spawnSync(
    path.join(BIN, 'check-jsonschema'),
    ['--builtin-schema', 'vendor.github-workflows', WORKFLOW],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});

test("the workflow's SARIF is valid SARIF 2.1.0 and is what it uploads; the gate fails on findings", () => {
  const all = steps();
  const sarifStep = all.find((s) => s.run?.includes('--output-format sarif'));
  assert.ok(sarifStep?.run, 'a step writes SARIF');
  const produced = runStep(sarifStep.run);
  assert.equal(produced.code, 0, `--exit-zero: ${produced.stderr}`);
  assert.ok(produced.redirect, 'the SARIF goes to a file');
  const upload = all.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
  assert.equal(upload?.with?.sarif_file, produced.redirect, 'the upload step uploads that file');
  const sarifFile = path.join(dir, produced.redirect);

  const v = spawnSync(path.join(BIN, 'check-jsonschema'), ['--schemafile', SCHEMA, sarifFile], {
    encoding: 'utf8',
  });
  assert.equal(v.status, 0, `${v.stdout}\n${v.stderr}`);

  // Content, beyond the structure: one result per finding, relative URIs against %SRCROOT%, rule indices right,
  // and the structure check itself catches a broken log (it is not a schema that accepts anything).
  const log = JSON.parse(fs.readFileSync(sarifFile, 'utf8')) as {
    runs: {
      tool: { driver: { rules: { id: string }[] } };
      results: {
        ruleId: string;
        ruleIndex: number;
        locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } } }[];
      }[];
      originalUriBaseIds: Record<string, { uri: string }>;
    }[];
  };
  const run = log.runs[0]!;
  const json = JSON.parse(
    spawnSync(process.execPath, [CLI, 'check', '--output-format', 'json'], { cwd: dir, encoding: 'utf8' })
      .stdout,
  ) as { code: string }[];
  assert.deepEqual(
    run.results.map((r) => r.ruleId),
    json.map((j) => j.code),
  );
  assert.ok(run.results.length >= 3, JSON.stringify(json));
  for (const r of run.results) {
    assert.equal(run.tool.driver.rules[r.ruleIndex]!.id, r.ruleId);
    const loc = r.locations[0]!.physicalLocation.artifactLocation;
    assert.equal(loc.uriBaseId, '%SRCROOT%');
    assert.match(loc.uri, /^app\//);
  }
  assert.equal(run.originalUriBaseIds['%SRCROOT%']!.uri, `file://${dir}/`);
  const broken = path.join(dir, 'broken.sarif');
  fs.writeFileSync(
    broken,
    JSON.stringify({ ...log, runs: [{ ...run, results: [{ ...run.results[0], level: 'severe' }] }] }),
  );
  assert.notEqual(spawnSync(path.join(BIN, 'check-jsonschema'), ['--schemafile', SCHEMA, broken]).status, 0);

  const gate = all.find((s) => s.run?.startsWith('backend-hang check') && !s.run.includes('sarif'));
  assert.ok(gate?.run, 'a gate step');
  assert.equal(runStep(gate.run).code, 1, 'the gate fails on findings');
});
