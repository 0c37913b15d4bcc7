/**
 * Pure: a capture as Markdown for an issue or an incident note ("Copy as Markdown", `dump --format
 * markdown`): the verdict, the blocked stack with the user's frames marked, the source around them, the rule
 * that covers the line and how to fix it, what the loop waits for. Reads source through a callback.
 */
import { formatFrame } from './dumpParser';
import { lineToFix } from './staticLink';
import type { Diagnosis, ParsedDump, ThreadDump } from './types';

export interface MarkdownInput {
  dump: ParsedDump;
  diagnosis: Diagnosis;
  capturedAt?: Date;
  /** `pid 4242`, `container api-1 · pid 1`, a file name. */
  source?: string;
  /** How a local path is shown (the editor: relative to the workspace). */
  displayPath?: (path: string) => string;
}

/** Reads a frame's file on this machine: its local path (for the link text) and its text. */
export type MarkdownSourceReader = (file: string) => { path: string; text: string } | undefined;

const FENCE = '```';

/** The lines around `line` (1-based), the line itself marked with `>`. */
function excerpt(text: string, line: number, around = 3): string {
  const lines = text.split(/\r?\n/);
  const from = Math.max(1, line - around);
  const to = Math.min(lines.length, line + around);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++)
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1]}`);
  return out.join('\n');
}

function stack(thread: ThreadDump): string {
  return thread.frames
    .map((f) => `${f.library ? '   ' : '>> '}${formatFrame(f)}${f.library ? '' : '   <- your code'}`)
    .join('\n');
}

/** The capture as Markdown. */
export function captureMarkdown(input: MarkdownInput, read: MarkdownSourceReader = () => undefined): string {
  const { dump, diagnosis } = input;
  const out: string[] = [];
  const where = input.source ?? `pid ${dump.pid}`;
  const when = input.capturedAt ? ` at ${input.capturedAt.toISOString()}` : '';
  const findings = diagnosis.findings;
  out.push(
    findings.length
      ? `## Event loop blocked (${where}${when})`
      : `## Event loop not blocked (${where}${when})`,
    '',
  );
  if (dump.commandLine) out.push(`Command: \`${dump.commandLine}\``);
  if (dump.pythonVersion) out.push(`Python: ${dump.pythonVersion}`);
  if (dump.format && dump.format !== 'py-spy-json') out.push(`Captured as: ${dump.format}`);
  if (dump.commandLine || dump.pythonVersion || (dump.format && dump.format !== 'py-spy-json')) out.push('');
  if (findings.length === 0) {
    out.push(
      diagnosis.eventLoopThreadIds.length
        ? 'The event-loop thread was idle in its selector or running: it was not stuck at this moment.'
        : 'No asyncio event-loop thread was recognised in this dump.',
      '',
    );
  }
  for (const f of findings) {
    out.push(`**${f.message}**`, '');
    const fix = lineToFix(f);
    for (const s of f.static ?? []) {
      const file = input.displayPath?.(s.file) ?? s.file;
      out.push(
        `- **Fix here:** \`${file}:${s.line}:${s.column}\` ${s.code}: ${s.message}` +
          (s.fixable ? ` (\`backend-hang check --fix ${file}\`, or the quick fix in VS Code)` : ''),
      );
    }
    for (const g of f.waitsForGroups ?? [])
      out.push(
        `- Waits for ${g.count} thread${g.count === 1 ? '' : 's'}: \`${g.where}\`${g.innermost ? `, in \`${g.innermost}\`` : ''}`,
      );
    if (f.loopSignal) out.push(`- Event-loop thread recognised by: ${f.loopSignal}`);
    out.push('');
    const thread = dump.threads.find((t) => t.osThreadId === f.osThreadId);
    if (thread)
      out.push(
        `### Blocked stack: thread "${thread.name}" (innermost first)`,
        '',
        FENCE,
        stack(thread),
        FENCE,
        '',
      );
    const shown = new Set<string>();
    const spots = [...(fix ? [fix] : []), ...(f.frame ? [{ file: f.frame.file, line: f.frame.line }] : [])];
    for (const spot of spots) {
      const src = read(spot.file);
      const key = `${src?.path}:${spot.line}`;
      if (!src || shown.has(key)) continue;
      shown.add(key);
      out.push(
        `### \`${input.displayPath?.(src.path) ?? src.path}\`, line ${spot.line}`,
        '',
        `${FENCE}python`,
        excerpt(src.text, spot.line),
        FENCE,
        '',
      );
    }
  }
  if (findings.length === 0) {
    for (const id of diagnosis.eventLoopThreadIds) {
      const t = dump.threads.find((x) => x.osThreadId === id);
      if (t) out.push(`### Event-loop thread "${t.name}"`, '', FENCE, stack(t), FENCE, '');
    }
  }
  out.push(
    `<sub>${dump.threads.length} thread${dump.threads.length === 1 ? '' : 's'} in the dump · Backend Hang Debug</sub>`,
  );
  return out.join('\n');
}
