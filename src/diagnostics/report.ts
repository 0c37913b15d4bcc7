/**
 * Output formats of `backend-hang check` (pure): text, JSON records and SARIF 2.1.0.
 * Lines and columns are 1-based; columns count UTF-16 code units (SARIF's default `columnKind`).
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_SEVERITY, RULE_TITLES, ruleDocPath } from './rules';
import { RULE_CODES, type Finding, type RelatedLocation, type RuleCode, type Severity } from './types';

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
  /** BHD007: each hop of the chain, then the blocking operation (absent for the other rules). */
  related?: JsonRelated[];
}

/** One hop of a chain in `--format json` (1-based, as the finding's own position). */
export interface JsonRelated {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

/** How a related location's absolute path is shown (the CLI: relative to the working directory). */
export type ShowPath = (absolute: string) => string;

/**
 * A related location's message without the location it ends with (`f() (pkg/m.py:12)` -> `f()`): the
 * formats give the location on its own, as the output shows paths.
 */
export function hopLabel(r: RelatedLocation): string {
  return r.message.replace(/ \([^()]*:\d+\)$/, '');
}

function jsonRelated(related: readonly RelatedLocation[], show: ShowPath): JsonRelated[] {
  return related.map((r) => ({
    file: show(r.file),
    line: r.range.start.row + 1,
    column: r.range.start.column + 1,
    endLine: r.range.end.row + 1,
    endColumn: r.range.end.column + 1,
    message: hopLabel(r),
  }));
}

/** Flattens results into the JSON records (in file order, then position). */
export function toJsonRecords(
  results: readonly FileFindings[],
  severity: Readonly<Record<RuleCode, Severity>> = DEFAULT_SEVERITY,
  show: ShowPath = (f) => f,
): JsonRecord[] {
  return results.flatMap(({ file, findings }) =>
    findings.map((f) => {
      const record: JsonRecord = {
        file,
        line: f.range.start.row + 1,
        column: f.range.start.column + 1,
        endLine: f.range.end.row + 1,
        endColumn: f.range.end.column + 1,
        code: f.code,
        message: f.message,
        severity: severity[f.code],
        fixable: f.fixable,
      };
      if (f.related?.length) record.related = jsonRelated(f.related, show);
      return record;
    }),
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
  /** How related locations' absolute paths are shown (relative ones get `%SRCROOT%`); default: as they are. */
  show?: ShowPath;
}

/** A SARIF artifact location: a relative path against `%SRCROOT%`, an absolute one as a file URI. */
function sarifArtifact(file: string): { uri: string; uriBaseId?: string } {
  const isAbsolute = file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file);
  return isAbsolute
    ? { uri: pathToFileURL(file).href }
    : { uri: file.split(/[\\/]/).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function sarifRelated(related: readonly RelatedLocation[], show: ShowPath): object[] {
  return related.map((r, id) => ({
    id,
    physicalLocation: {
      artifactLocation: sarifArtifact(show(r.file)),
      region: {
        startLine: r.range.start.row + 1,
        startColumn: r.range.start.column + 1,
        endLine: r.range.end.row + 1,
        endColumn: r.range.end.column + 1,
      },
    },
    message: { text: hopLabel(r) },
  }));
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
    const artifactLocation = sarifArtifact(file);
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
      ...(f.related?.length ? { relatedLocations: sarifRelated(f.related, options.show ?? ((p) => p)) } : {}),
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
