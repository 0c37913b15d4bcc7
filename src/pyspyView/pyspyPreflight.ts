/**
 * Glue: whether there is any py-spy to run, asked before the capture picker opens: beside one of the server
 * processes (their venv or container), the setting, the selected interpreter, PATH. When there is none, the
 * install / Set Path actions are offered (./captureErrors) instead of a picker that would end in an error.
 */
import * as vscode from 'vscode';
import { log } from '../log';
import { findLocalServers } from '../captureSources/processTable';
import { pySpysFor } from './captureProcess';
import type { CaptureErrorActions } from './captureErrors';
import { activeInterpreter, type Settings } from './pyspySettings';
import { readTargetInfo } from './targetEnv';
import type { ProcessCandidate } from './types';

/** See the file comment: true when a py-spy was found somewhere a capture would look. */
export async function pySpyAvailable(
  settings: Settings,
  errors: Pick<CaptureErrorActions, 'offerInstall'>,
): Promise<boolean> {
  const interpreter = await activeInterpreter();
  const base = {
    configured: settings.pyspyPath || undefined,
    interpreterPath: interpreter,
    pathEnv: process.env.PATH,
    useTargetEnvironment: vscode.workspace.isTrusted,
  };
  const servers = await findLocalServers().catch(() => [] as ProcessCandidate[]);
  for (const target of [undefined, ...servers]) {
    try {
      const info = target ? await readTargetInfo(target.pid) : undefined;
      if (!target || info) {
        pySpysFor(info, base);
        return true;
      }
    } catch {
      // none here: try the next server's environment
    }
  }
  log.warn('py-spy not found: not beside any server process, not in the setting, interpreter or PATH');
  void errors.offerInstall(
    interpreter,
    "py-spy was not found: not in the server's environment, the backendHang.pyspy.path setting, the selected interpreter or PATH.",
  );
  return false;
}
