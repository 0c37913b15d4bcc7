/**
 * Output formats of `backend-hang check` (pure): text, JSON records and SARIF 2.1.0.
 * Lines and columns are 1-based; columns count UTF-16 code units (SARIF's default `columnKind`).
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_SEVERITY, RULE_TITLES, ruleDocPath } from './rules';
import { RULE_CODES, type Finding, type RuleCode, type Severity } from './types';

/** Findings of one file; `file` is the path as displayed (relative to the working directory when inside it). */
export interface FileFindings {
  file: string;
  findings: readonly Finding[];
}

/** One element of `--format json`. */
export interface JsonRecord {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code: RuleCode;
  message: string;
  severity: Severity;
  fixable: boolean;
}

/** Flattens results into the JSON records (in file order, then position). */
export function toJsonRecords(
  results: readonly FileFindings[],
  severity: Readonly<Record<RuleCode, Severity>> = DEFAULT_SEVERITY,
): JsonRecord[] {
  return results.flatMap(({ file, findings }) =>
    findings.map((f) => ({
      file,
      line: f.range.start.row + 1,
      column: f.range.start.column + 1,
      endLine: f.range.end.row + 1,
      endColumn: f.range.end.column + 1,
      code: f.code,
      message: f.message,
      severity: severity[f.code],
      fixable: f.fixable,
    })),
  );
}

/** `file:line:col: CODE message` lines and a summary, like other linters. */
export function toText(
  results: readonly FileFindings[],
  severity: Readonly<Record<RuleCode, Severity>> = DEFAULT_SEVERITY,
): string {
  const records = toJsonRecords(results, severity);
  const lines = records.map(
    (r) =>
      `${r.file}:${r.line}:${r.column}: ${r.code} [${r.severity}] ${r.message}${r.fixable ? ' (fixable)' : ''}`,
  );
  const files = new Set(records.map((r) => r.file)).size;
  lines.push(
    records.length === 0
      ? 'No findings.'
      : `Found ${records.length} finding${records.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}.`,
  );
  return `${lines.join('\n')}\n`;
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  information: 'note',
  hint: 'note',
};

/** Options for SARIF output. */
export interface SarifOptions {
  version: string;
  /** file:// URI (with trailing slash) of the directory relative `file` paths are relative to. */
  srcRoot: string;
  informationUri?: string;
  severity?: Readonly<Record<RuleCode, Severity>>;
}

/** A SARIF 2.1.0 log with one run. Relative paths use `%SRCROOT%`; absolute ones become file URIs. */
export function toSarif(results: readonly FileFindings[], options: SarifOptions): object {
  const severity = options.severity ?? DEFAULT_SEVERITY;
  const rules = RULE_CODES.map((code) => ({
    id: code,
    name: code,
    shortDescription: { text: RULE_TITLES[code] },
    helpUri: options.informationUri ? `${options.informationUri}/blob/main/${ruleDocPath(code)}` : undefined,
    defaultConfiguration: { level: SARIF_LEVEL[severity[code]] },
  }));
  const sarifResults = results.flatMap(({ file, findings }) => {
    const isAbsolute = file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file);
    const artifactLocation = isAbsolute
      ? { uri: pathToFileURL(file).href }
      : { uri: file.split(/[\\/]/).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
    return findings.map((f) => ({
      ruleId: f.code,
      ruleIndex: RULE_CODES.indexOf(f.code),
      level: SARIF_LEVEL[severity[f.code]],
      message: { text: `${f.message}\n${f.detail}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation,
            region: {
              startLine: f.range.start.row + 1,
              startColumn: f.range.start.column + 1,
              endLine: f.range.end.row + 1,
              endColumn: f.range.end.column + 1,
            },
          },
        },
      ],
      properties: { fixable: f.fixable },
    }));
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'backend-hang',
            version: options.version,
            informationUri: options.informationUri,
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: options.srcRoot } },
        columnKind: 'utf16CodeUnits',
        results: sarifResults,
      },
    ],
  };
}
