/**
 * Glue: the py-spy capture settings (`backendHang.pyspy.*`, path mappings, docker path) and the interpreter the
 * ms-python extension has selected (where py-spy may be installed), read when a capture starts.
 */
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { log } from '../log';
import type { PathMapping } from './pathMapping';

export interface Settings {
  pyspyPath: string;
  timeoutSeconds: number;
  nonblocking: boolean;
  locals: boolean;
  native: boolean;
  pathMappings: PathMapping[];
  dockerPath: string;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('backendHang');
  return {
    pyspyPath: c.get<string>('pyspy.path', '').trim(),
    timeoutSeconds: c.get<number>('pyspy.timeoutSeconds', 30),
    nonblocking: c.get<boolean>('pyspy.nonblocking', false),
    locals: c.get<boolean>('pyspy.locals', false),
    native: c.get<boolean>('pyspy.native', false),
    pathMappings: c.get<PathMapping[]>('pathMappings', []),
    dockerPath: c.get<string>('docker.path', '').trim(),
  };
}

/** The selected interpreter from the ms-python extension, when it is installed (its environments API). */
export async function activeInterpreter(): Promise<string | undefined> {
  // The selected interpreter often lives in the workspace (.venv/bin/python): in an untrusted workspace its
  // py-spy (or its pip) is code from the workspace, so only the machine-scoped setting and PATH are used.
  if (!vscode.workspace.isTrusted) return undefined;
  const ext = vscode.extensions.getExtension<{
    environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } };
  }>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const p = api?.environments?.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri)?.path;
    return p &&
      (await fs.stat(p).then(
        (s) => s.isFile(),
        () => false,
      ))
      ? p
      : undefined;
  } catch (err) {
    log.debug(`ms-python API unavailable: ${String(err)}`);
    return undefined;
  }
}
