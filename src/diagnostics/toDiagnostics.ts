/**
 * Findings as VS Code diagnostics (editor glue): severity from the settings and the project's config (a rule
 * set to `off` is dropped), the rule code linking to its docs page, and BHD007's chain hops as related
 * information (each hop clickable).
 */
import * as vscode from 'vscode';
import type { RuleSetting } from './config';
import type { Finding, RuleCode, Severity } from './types';

/** Diagnostic.source of everything this extension reports. */
export const DIAGNOSTIC_SOURCE = 'backend-hang';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** `findings` as diagnostics under `severity` (per rule); `docUri`: where a rule's docs page is. */
export function toDiagnostics(
  findings: readonly Finding[],
  severity: Readonly<Record<RuleCode, RuleSetting>>,
  docUri: (code: RuleCode) => vscode.Uri,
): vscode.Diagnostic[] {
  const diagnostics: vscode.Diagnostic[] = [];
  for (const f of findings) {
    const setting = severity[f.code];
    if (setting === 'off') continue;
    const range = new vscode.Range(
      f.range.start.row,
      f.range.start.column,
      f.range.end.row,
      f.range.end.column,
    );
    const d = new vscode.Diagnostic(range, `${f.message}\n${f.detail}`, SEVERITY[setting]);
    d.source = DIAGNOSTIC_SOURCE;
    d.code = { value: f.code, target: docUri(f.code) };
    if (f.related?.length)
      d.relatedInformation = f.related.map(
        (r) =>
          new vscode.DiagnosticRelatedInformation(
            new vscode.Location(
              vscode.Uri.file(r.file),
              new vscode.Range(r.range.start.row, r.range.start.column, r.range.end.row, r.range.end.column),
            ),
            r.message,
          ),
      );
    diagnostics.push(d);
  }
  return diagnostics;
}
