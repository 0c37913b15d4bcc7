/**
 * Pure: the runs the Checks view shows (triage, verify, and the watch's automatic captures), grouped by URL,
 * and the before/after comparison of the two newest runs of the same kind on the same URL — the "it hung
 * before the fix, it answers after" picture.
 */
import { triageChecklist, verifyChecklist } from './checklist';
import type { CheckItem, TriageResult, VerifyResult } from './types';
import type { VerifyOptions } from './verify';

/** How to run a check again (the re-run action). */
export type CheckRequest =
  | { kind: 'triage'; url: string; healthPaths: string[]; timeoutMs: number }
  | { kind: 'verify'; url: string; options: Omit<VerifyOptions, 'url'> }
  | { kind: 'watch'; url: string; healthPaths: string[]; timeoutMs: number };

/** One finished run. */
export interface CheckRun {
  id: number;
  kind: CheckRequest['kind'];
  url: string;
  at: Date;
  /** `healthy`/`hung`/... for triage and watch, `pass`/`fail`/`error` for verify. */
  verdict: string;
  items: CheckItem[];
  result: TriageResult | VerifyResult;
  request: CheckRequest;
}

/** One row of a before/after comparison. */
export interface ComparisonRow {
  id: string;
  label: string;
  before?: CheckItem;
  after?: CheckItem;
}

/** Before/after of the two newest runs of one kind on one URL. */
export interface Comparison {
  kind: CheckRun['kind'];
  url: string;
  before: CheckRun;
  after: CheckRun;
  rows: ComparisonRow[];
}

/** Holds the newest runs (bounded) and tells listeners when they change. */
export class ChecksStore {
  private runs: CheckRun[] = [];
  private nextId = 1;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly max = 30) {}

  /** Adds a finished run; returns it. */
  add(result: TriageResult | VerifyResult, request: CheckRequest, at = new Date()): CheckRun {
    const items = result.kind === 'verify' ? verifyChecklist(result) : triageChecklist(result);
    const run: CheckRun = {
      id: this.nextId++,
      kind: request.kind,
      url: result.url,
      at,
      verdict: result.verdict,
      items,
      result,
      request,
    };
    this.runs = [run, ...this.runs].slice(0, this.max);
    this.changed();
    return run;
  }

  /** Newest first. */
  list(): readonly CheckRun[] {
    return this.runs;
  }

  get(id: number): CheckRun | undefined {
    return this.runs.find((r) => r.id === id);
  }

  remove(id: number): void {
    this.runs = this.runs.filter((r) => r.id !== id);
    this.changed();
  }

  clear(): void {
    this.runs = [];
    this.changed();
  }

  /** URLs in order of their newest run. */
  urls(): string[] {
    return [...new Set(this.runs.map((r) => r.url))];
  }

  /** Runs of one URL, newest first. */
  runsOf(url: string): CheckRun[] {
    return this.runs.filter((r) => r.url === url);
  }

  /** Comparisons for `url`: one per kind that ran at least twice there (newest vs the one before it). */
  comparisons(url: string): Comparison[] {
    const out: Comparison[] = [];
    for (const kind of ['verify', 'triage', 'watch'] as const) {
      const [after, before] = this.runsOf(url).filter((r) => r.kind === kind);
      if (after && before)
        out.push({ kind, url, before, after, rows: compareItems(before.items, after.items) });
    }
    return out;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

/** `HH:MM:SS` (local time): run labels. */
export function clockTime(d: Date): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Pure: rows by item id, in the newer run's order, then items only the older run had. */
export function compareItems(before: readonly CheckItem[], after: readonly CheckItem[]): ComparisonRow[] {
  const rows: ComparisonRow[] = after.map((a) => ({
    id: a.id,
    label: a.label,
    after: a,
    ...(before.find((b) => b.id === a.id) ? { before: before.find((b) => b.id === a.id) } : {}),
  }));
  for (const b of before)
    if (!after.some((a) => a.id === b.id)) rows.push({ id: b.id, label: b.label, before: b });
  return rows;
}
