/**
 * Glue: from a frame of a capture to the editor. Resolves the frame's file on this machine (the process's root,
 * mappings, absolute, cwd, a unique workspace file with the same path suffix; asks when several match), opens
 * it at the line and, when a Backend Hang diagnostic sits there, selects it so the quick fix is one Ctrl+. away.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveFramePath, type ResolveContext } from './pathMapping';

/** The local file of a frame, or undefined (asks the person when several workspace files match). */
export async function resolveFrameFile(
  file: string,
  context: Omit<ResolveContext, 'exists'>,
): Promise<string | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const base = { exists: existsSync, workspaceFolders: folders, ...context };
  let r = resolveFramePath(file, base);
  if (r.kind === 'unresolved' && folders.length > 0) {
    const found = await vscode.workspace.findFiles(
      `**/${path.posix.basename(file.replace(/\\/g, '/'))}`,
      '**/{node_modules,.git,.venv,venv,.cache}/**',
      200,
    );
    r = resolveFramePath(file, { ...base, workspaceFiles: found.map((u) => u.fsPath) });
  }
  if (r.kind === 'ambiguous') {
    return vscode.window.showQuickPick(r.candidates, { title: `Several workspace files match ${file}` });
  }
  return r.kind === 'unresolved' ? undefined : r.path;
}

/** Opens `file` at `line`; returns where it went (tests), or undefined after saying how to map the path. */
export async function openFrame(
  file: string,
  frameLine: number,
  context: Omit<ResolveContext, 'exists'>,
): Promise<{ uri: string; line: number; diagnostic?: string } | undefined> {
  const local = await resolveFrameFile(file, context);
  if (!local) {
    void vscode.window
      .showWarningMessage(
        `Cannot find ${file} on this machine. Add a backendHang.pathMappings entry (e.g. {"remote": "/app", "local": "\${workspaceFolder}/backend"}).`,
        'Open Settings',
      )
      .then(
        (c) =>
          c && vscode.commands.executeCommand('workbench.action.openSettings', 'backendHang.pathMappings'),
      );
    return undefined;
  }
  const uri = vscode.Uri.file(local);
  const line = Math.max(0, frameLine - 1);
  const doc = await vscode.workspace.openTextDocument(uri);
  const lineRange = doc.lineAt(Math.min(line, doc.lineCount - 1)).range;
  // Opening the file may be what starts its analysis: give the diagnostics a moment to arrive.
  const diag = await bhdDiagnosticAt(uri, line);
  const selection = diag
    ? diag.range
    : new vscode.Selection(
        lineRange.start.with(undefined, doc.lineAt(lineRange.start.line).firstNonWhitespaceCharacterIndex),
        lineRange.end,
      );
  const editor = await vscode.window.showTextDocument(doc, { selection, preview: true });
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return { uri: uri.toString(), line: line + 1, diagnostic: diag ? diagCode(diag) : undefined };
}

function diagCode(d: vscode.Diagnostic): string {
  const code = typeof d.code === 'object' ? d.code.value : d.code;
  return String(code ?? '');
}

/** The BHD diagnostic covering `line` of `uri`; waits up to `waitMs` for diagnostics of a just-opened file. */
async function bhdDiagnosticAt(
  uri: vscode.Uri,
  line: number,
  waitMs = 2000,
): Promise<vscode.Diagnostic | undefined> {
  const find = (): vscode.Diagnostic | undefined =>
    vscode.languages
      .getDiagnostics(uri)
      .find((d) => /^BHD\d+$/.test(diagCode(d)) && d.range.start.line <= line && d.range.end.line >= line);
  const now = find();
  if (now) return now;
  return new Promise((resolve) => {
    const done = (d: vscode.Diagnostic | undefined): void => {
      clearTimeout(timer);
      sub.dispose();
      resolve(d);
    };
    const timer = setTimeout(() => done(undefined), waitMs);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const d = find();
      if (d) done(d);
    });
  });
}
