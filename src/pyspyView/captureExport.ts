/**
 * Glue: a capture out of the view: "Copy Capture" (the text report on the clipboard) and "Save Capture as
 * JSON" (the saved-capture format that Open Dump reads back).
 */
import * as vscode from 'vscode';
import { formatCaptureText, toCaptureJson } from './captureFormat';
import { formatTime, type Capture } from './captureStore';

/** Copies the capture's text report; returns it. */
export async function copyCaptureText(c: Capture): Promise<string> {
  const text = formatCaptureText(c.dump, c.diagnosis, c.capturedAt);
  await vscode.env.clipboard.writeText(text);
  void vscode.window.setStatusBarMessage('py-spy capture copied', 3000);
  return text;
}

/** Saves the capture as JSON to `target`, else where the person picks; returns where, or undefined. */
export async function saveCaptureJson(c: Capture, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri =
    target ??
    (await vscode.window.showSaveDialog({
      defaultUri:
        folder &&
        vscode.Uri.joinPath(folder, `py-spy-${c.pid}-${formatTime(c.capturedAt).replace(/:/g, '')}.json`),
      filters: { JSON: ['json'] },
    }));
  if (!uri) return undefined;
  const json = toCaptureJson(c.dump, c.diagnosis, c.capturedAt);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(`${JSON.stringify(json, null, 2)}\n`, 'utf8'));
  return uri;
}
