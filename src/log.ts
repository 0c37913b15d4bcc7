import * as vscode from 'vscode';

/** The extension's single log channel ("Backend Hang" in the Output panel). */
export const log: vscode.LogOutputChannel = vscode.window.createOutputChannel('Backend Hang', { log: true });
