import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyMappings,
  expandWorkspaceFolder,
  matchBySuffix,
  resolveFramePath,
} from '../../src/pyspyView/pathMapping';
import { locatePySpy, pySpyCandidates } from '../../src/pyspyView/pyspyLocator';

const WS = '/home/dev/news';
const FILES = [
  `${WS}/backend/app/api/routes/stream.py`,
  `${WS}/backend/app/main.py`,
  `${WS}/tools/main.py`,
  `${WS}/backend/app/services/rss_ingestion.py`,
];
const exists = (p: string): boolean => FILES.includes(p) || p === '/usr/lib/python3.11/threading.py';

test('frame paths: absolute, mapped, unique suffix, ambiguous, unresolved', () => {
  const mappings = [{ remote: '/app', local: '${workspaceFolder}/backend' }];
  const ctx = { exists, mappings, workspaceFolders: [WS], workspaceFiles: FILES };
  const table: [string, ReturnType<typeof resolveFramePath>][] = [
    ['/usr/lib/python3.11/threading.py', { kind: 'absolute', path: '/usr/lib/python3.11/threading.py' }],
    ['/app/app/api/routes/stream.py', { kind: 'mapped', path: `${WS}/backend/app/api/routes/stream.py` }],
    [
      '/srv/other/app/services/rss_ingestion.py',
      { kind: 'suffix', path: `${WS}/backend/app/services/rss_ingestion.py` },
    ],
    ['app/api/routes/stream.py', { kind: 'suffix', path: `${WS}/backend/app/api/routes/stream.py` }],
    ['main.py', { kind: 'ambiguous', candidates: [`${WS}/backend/app/main.py`, `${WS}/tools/main.py`] }],
    ['/elsewhere/nothing.py', { kind: 'unresolved' }],
    ['<frozen runpy>', { kind: 'unresolved' }],
  ];
  for (const [file, expected] of table) assert.deepEqual(resolveFramePath(file, ctx), expected, file);
});

test('mappings: longest remote prefix wins, whole path segments only, named workspace folders', () => {
  const m = [
    { remote: '/app', local: '/x' },
    { remote: '/app/vendor/', local: '/y' },
  ];
  assert.equal(applyMappings('/app/a.py', m), '/x/a.py');
  assert.equal(applyMappings('/app/vendor/b.py', m), '/y/b.py');
  assert.equal(applyMappings('/application/c.py', m), undefined);
  assert.equal(expandWorkspaceFolder('${workspaceFolder:api}/src', ['/w/web', '/w/api']), '/w/api/src');
  assert.equal(expandWorkspaceFolder('${workspaceFolder}/é😀', ['/w/web']), '/w/web/é😀');
  assert.deepEqual(matchBySuffix('C:\\srv\\app\\main.py', ['/w/backend/app/main.py']), [
    '/w/backend/app/main.py',
  ]);
});

test('py-spy lookup: setting, then the interpreter environment, then PATH', () => {
  const has = (set: string[]) => (p: string) => set.includes(p);
  const base = {
    interpreterPath: '/p/.venv/bin/python',
    pathEnv: '/usr/local/bin:/usr/bin',
    platform: 'linux' as const,
  };
  assert.deepEqual(locatePySpy({ ...base, configured: '/opt/py-spy', exists: has([]) }), {
    path: '/opt/py-spy',
    source: 'setting',
  });
  assert.deepEqual(locatePySpy({ ...base, exists: has(['/p/.venv/bin/py-spy', '/usr/bin/py-spy']) }), {
    path: '/p/.venv/bin/py-spy',
    source: 'interpreter',
  });
  assert.deepEqual(locatePySpy({ ...base, exists: has(['/usr/bin/py-spy']) }), {
    path: '/usr/bin/py-spy',
    source: 'PATH',
  });
  assert.equal(locatePySpy({ ...base, exists: has([]) }), undefined);
  assert.equal(pySpyCandidates(base).length, 3);
});
