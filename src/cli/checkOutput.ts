/**
 * What `backend-hang check` prints (pure): Ruff-style full output (source line and caret), concise lines, JSON
 * records with each finding's fix status, SARIF 2.1.0, and `--statistics`. Colour through ANSI codes when asked.
 */
import { RULE_TITLES } from '../diagnostics/rules';
import {
  hopLabel,
  toJsonRecords,
  toSarif,
  type FileFindings,
  type JsonRecord,
  type SarifOptions,
  type ShowPath,
} from '../diagnostics/report';
import type { RuleCode, Severity } from '../diagnostics/types';
import type { CheckedFinding } from '../codeActions/fixStatus';

/** A file that could not be analysed as Python: reported like Ruff's E999. */
export interface SyntaxProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** One checked file: its findings (with fix status) and its text for the source excerpts. */
export interface FileReport {
  file: string;
  findings: readonly CheckedFinding[];
  source: string;
}

/** Everything one run reports. */
export interface CheckReport {
  files: readonly FileReport[];
  syntaxErrors: readonly SyntaxProblem[];
  /** --unsafe-fixes: unsafe fixes count as fixable. */
  unsafeFixes: boolean;
  severity: (file: string, code: RuleCode) => Severity;
  /** How the absolute paths of a chain's hops are shown (as the files are: relative to the working directory). */
  show?: ShowPath;
}

const ANSI = {
  bold: '\x1b[1m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
  blue: '\x1b[34m',
  dim: '\x1b[2m',
  reset: '\x1b[0m',
};

/** Wraps text in colour codes, or not. */
export type Paint = (style: keyof typeof ANSI, text: string) => string;
export const paintWith = (color: boolean): Paint =>
  color ? (style, text) => `${ANSI[style]}${text}${ANSI.reset}` : (_style, text) => text;

/** Whether the finding's fix is applied by `--fix` in this run. */
export function appliesNow(f: CheckedFinding, unsafeFixes: boolean): boolean {
  return f.fixable && (f.applicability === 'safe' || (unsafeFixes && f.applicability === 'unsafe'));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The closing lines: counts, what --fix would do, how many more --unsafe-fixes would. */
export function summary(report: CheckReport, paint: Paint): string[] {
  const all = report.files.flatMap((f) => f.findings);
  const total = all.length + report.syntaxErrors.length;
  if (total === 0) return [paint('bold', 'All checks passed!')];
  const fixable = all.filter((f) => appliesNow(f, report.unsafeFixes)).length;
  const hidden = all.filter((f) => f.fixable && f.applicability === 'unsafe' && !report.unsafeFixes).length;
  const files = new Set([
    ...report.files.filter((f) => f.findings.length).map((f) => f.file),
    ...report.syntaxErrors.map((s) => s.file),
  ]).size;
  const lines = [`Found ${plural(total, 'finding')} in ${plural(files, 'file')}.`];
  if (fixable) lines.push(`[*] ${fixable} fixable with the \`--fix\` option.`);
  if (hidden) lines.push(`${hidden} more ${hidden === 1 ? 'fix' : 'fixes'} available with --unsafe-fixes.`);
  return lines;
}

/** Column (in display cells, tabs kept) under which the caret of UTF-16 column `column` of `line` goes. */
function padTo(line: string, column: number): string {
  const before = line.slice(0, column);
  // Printable ASCII (most code): one cell per character.
  if (NARROW.test(before)) return ' '.repeat(before.length);
  return [...before].map((ch) => (ch === '\t' ? '\t' : ' '.repeat(cellWidth(ch)))).join('');
}

/** Text whose every UTF-16 unit is a one-cell character (no tab, nothing wide, no surrogate). */
const NARROW = /^[\x20-\x7e]*$/;

/** Terminal cells of one code point: 2 for East Asian wide characters and emoji, else 1. */
function cellWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

/** Cells the text of `line` between two UTF-16 columns takes (at least 1: a caret is always shown). */
function caretWidth(line: string, from: number, to: number): number {
  const text = line.slice(from, to);
  if (NARROW.test(text)) return Math.max(1, text.length);
  return Math.max(
    1,
    [...text].reduce((n, ch) => n + cellWidth(ch), 0),
  );
}

function helpLine(f: CheckedFinding, unsafeFixes: boolean): string {
  if (appliesNow(f, unsafeFixes))
    return `help: \`--fix\` rewrites this${f.applicability === 'unsafe' ? ` (unsafe: ${f.unsafeBecause})` : ''}`;
  if (f.fixable)
    return `help: unsafe fix available with --unsafe-fixes (${f.unsafeBecause ?? 'may change behaviour'})`;
  return `help: no automatic fix: ${f.noFixReason ?? 'see the rule page'}`;
}

/** Ruff's "full" format: header, location, the lines around it with a caret under the finding. */
export function toFull(report: CheckReport, paint: Paint): string {
  const blocks: string[] = [];
  const show = report.show ?? ((p: string) => p);
  for (const { file, findings, source } of report.files) {
    const lines = source.split(/\r?\n/);
    for (const f of findings) {
      const sev = report.severity(file, f.code);
      const mark = appliesNow(f, report.unsafeFixes) ? ` ${paint('cyan', '[*]')}` : '';
      const code = paint(
        'bold',
        paint(sev === 'error' ? 'red' : sev === 'warning' ? 'yellow' : 'blue', f.code),
      );
      const row = f.range.start.row;
      const gutter = String(Math.min(lines.length, row + 2)).length;
      const g = (n?: number): string =>
        paint('blue', `${n === undefined ? ' '.repeat(gutter) : String(n).padStart(gutter)} |`);
      const out = [
        `${code}${mark} ${paint('bold', f.message)}`,
        `${' '.repeat(gutter)}${paint('blue', '-->')} ${paint('cyan', `${file}:${row + 1}:${f.range.start.column + 1}`)}`,
        g(),
      ];
      if (row > 0) out.push(`${g(row)} ${lines[row - 1]}`);
      const text = lines[row] ?? '';
      const end = f.range.end.row === row ? f.range.end.column : text.length;
      out.push(`${g(row + 1)} ${text}`);
      out.push(
        `${g()} ${padTo(text, f.range.start.column)}${paint(sev === 'error' ? 'red' : 'yellow', '^'.repeat(caretWidth(text, f.range.start.column, end)))}`,
      );
      if (row + 1 < lines.length && lines[row + 1] !== '') out.push(`${g(row + 2)} ${lines[row + 1]}`);
      out.push(g());
      // BHD007: the chain, one hop per line, each `path:line:col` (a terminal makes them links).
      for (const r of f.related ?? [])
        out.push(
          `${' '.repeat(gutter)} ${paint('blue', '=')} ${paint('bold', 'note:')} ${paint('cyan', `${show(r.file)}:${r.range.start.row + 1}:${r.range.start.column + 1}`)} ${hopLabel(r)}`,
        );
      out.push(`${paint('bold', helpLine(f, report.unsafeFixes))}`);
      blocks.push(out.join('\n'));
    }
  }
  for (const s of report.syntaxErrors) {
    blocks.push(
      `${paint('bold', paint('red', 'E999'))} ${paint('bold', `SyntaxError: ${s.message}`)}\n ${paint('blue', '-->')} ${paint('cyan', `${s.file}:${s.line}:${s.column}`)}\n${paint('bold', 'help: the file was not checked completely and is never fixed until it parses')}`,
    );
  }
  return blocks.map((b) => `${b}\n\n`).join('');
}

/** `file:line:col: CODE [severity] message (fixable)` lines. */
export function toConcise(report: CheckReport, paint: Paint): string {
  const out: string[] = [];
  for (const { file, findings } of report.files) {
    for (const f of findings) {
      const sev = report.severity(file, f.code);
      const fix = appliesNow(f, report.unsafeFixes) ? ' (fixable)' : f.fixable ? ' (unsafe fix)' : '';
      out.push(
        `${paint('cyan', `${file}:${f.range.start.row + 1}:${f.range.start.column + 1}`)}: ${paint('bold', f.code)} [${sev}] ${f.message}${fix}`,
      );
    }
  }
  for (const s of report.syntaxErrors)
    out.push(`${s.file}:${s.line}:${s.column}: E999 SyntaxError: ${s.message}`);
  return out.length ? `${out.join('\n')}\n` : '';
}

/** One `--format json` element: the base record plus the fix's applicability, or why there is none. */
export type CheckJsonRecord = JsonRecord & {
  applicability?: 'safe' | 'unsafe';
  unsafeBecause?: string;
  reason?: string;
};

export function toJson(report: CheckReport): CheckJsonRecord[] {
  const records: CheckJsonRecord[] = [];
  for (const r of report.files) {
    const base = toJsonRecords([{ file: r.file, findings: r.findings }], undefined, report.show);
    r.findings.forEach((f, i) => {
      // Completed in place (the base records are ours): same keys in the same order as a copy, without
      // copying thousands of records.
      const rec: CheckJsonRecord = base[i]!;
      rec.severity = report.severity(r.file, f.code);
      if (f.fixable) {
        rec.applicability = f.applicability ?? 'safe';
        if (f.unsafeBecause) rec.unsafeBecause = f.unsafeBecause;
      } else rec.reason = f.noFixReason ?? 'no automatic fix';
      records.push(rec);
    });
  }
  for (const s of report.syntaxErrors)
    records.push({
      file: s.file,
      line: s.line,
      column: s.column,
      endLine: s.line,
      endColumn: s.column,
      code: 'E999' as RuleCode,
      message: `SyntaxError: ${s.message}`,
      severity: 'error',
      fixable: false,
      reason: 'the file does not parse',
    });
  return records;
}

/** SARIF 2.1.0 with each result's fix status in `properties`. */
export function toSarifLog(report: CheckReport, options: SarifOptions): object {
  const results: FileFindings[] = report.files.map((f) => ({ file: f.file, findings: f.findings }));
  const log = toSarif(results, { show: report.show, ...options }) as {
    runs: { results: { properties?: Record<string, unknown> }[] }[];
  };
  const flat = report.files.flatMap((f) => f.findings);
  log.runs[0]!.results.forEach((r, i) => {
    const f = flat[i]!;
    r.properties = {
      ...r.properties,
      fixable: f.fixable,
      ...(f.fixable ? { applicability: f.applicability ?? 'safe' } : { reason: f.noFixReason }),
    };
  });
  return log;
}

/** `--statistics`: findings per rule, most first. */
export function toStatistics(report: CheckReport): string {
  const counts = new Map<string, { n: number; fixable: number }>();
  for (const f of report.files.flatMap((x) => x.findings)) {
    const c = counts.get(f.code) ?? { n: 0, fixable: 0 };
    c.n++;
    if (appliesNow(f, report.unsafeFixes)) c.fixable++;
    counts.set(f.code, c);
  }
  if (report.syntaxErrors.length) counts.set('E999', { n: report.syntaxErrors.length, fixable: 0 });
  const rows = [...counts].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1));
  const width = Math.max(1, ...rows.map(([, c]) => String(c.n).length));
  return rows
    .map(([code, c]) => {
      const title = code === 'E999' ? 'syntax error' : RULE_TITLES[code as RuleCode];
      return `${String(c.n).padStart(width)}\t${code}\t${c.fixable === c.n ? '[*] ' : c.fixable ? '[-] ' : '    '}${title}`;
    })
    .map((l) => `${l}\n`)
    .join('');
}
