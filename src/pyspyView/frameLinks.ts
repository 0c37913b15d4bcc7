/**
 * Glue: from a frame of a capture to the editor. Resolves the frame's file on this machine (the process's root,
 * mappings, absolute, cwd, a unique workspace file with the same path suffix; asks when several match), opens
 * it at the line and, when a Backend Hang diagnostic sits there, selects it so the quick fix is one Ctrl+. away.
 * Also: which frame a tree node points at, and a frame's source line (the diagnosis reads it).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Capture, CaptureStore } from './captureStore';
import type { CaptureNode, FrameRef } from './capturesTreeProvider';
import { resolveFramePath, type PathMapping, type ResolveContext } from './pathMapping';
import { lineToFix } from './staticLink';

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

/** The capture, file and line a tree node or frame reference points at (the blocked node: the line to fix). */
export function frameOfRef(
  ref: FrameRef | CaptureNode | undefined,
  store: CaptureStore,
): { capture: Capture; file: string; line: number } | undefined {
  if (!ref) return undefined;
  if ('kind' in ref) {
    if (ref.kind === 'frame') return { capture: ref.capture, file: ref.frame.file, line: ref.frame.line };
    if (ref.kind === 'blocked') {
      // The line to fix: the linked static finding (the `with` statement), else the frame's own line.
      const fix = lineToFix(ref.finding);
      return fix && { capture: ref.capture, file: fix.file, line: fix.line };
    }
    return undefined;
  }
  const capture = store.get(ref.captureId);
  const frame = capture?.dump.threads.find((t) => t.osThreadId === ref.osThreadId)?.frames[ref.frameIndex];
  return capture && frame ? { capture, file: frame.file, line: frame.line } : undefined;
}

/** A line of a frame's file, found like openFrame finds it (absolute, then path mappings); else undefined. */
export function readFrameSourceLine(file: string, line: number, mappings: PathMapping[]): string | undefined {
  const r = resolveFramePath(file, {
    exists: existsSync,
    mappings,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((w) => w.uri.fsPath),
  });
  if (r.kind === 'unresolved' || r.kind === 'ambiguous' || r.kind === 'suffix') return undefined;
  // The file on disk, not an editor's unsaved text: the process runs what was saved.
  return readFileSync(r.path, 'utf8').split(/\r?\n/)[line - 1];
}
