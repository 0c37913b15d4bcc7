// Regenerates test/fixtures/dumps/ (recorded real py-spy dumps of the hung demo backend: single process,
// --reload child, --workers 2 children; text, --json, --locals; plus /proc tables and py-spy error messages).
// Usage: node scripts/recordDumps.mjs [single|reload|workers|blocking|errors ...]   (default: all; needs .cache/venv from scripts/ensure-venv.sh; takes about a minute)
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
execFileSync(
  process.execPath,
  [path.join(root, 'out', 'test', 'live', 'pyspyRecord.js'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
