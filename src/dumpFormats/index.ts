/**
 * The dump formats the product reads, and the one entry point that picks the right one for a text. A format
 * is one module implementing ./format's DumpFormat; add it to FORMATS (most specific first).
 */
import { UnparseableDumpError } from '../pyspyView/dumpParser';
import type { ParsedDump } from '../pyspyView/types';
import { captureJsonFormat, captureObjectToDump, splitCaptureJson } from './captureJson';
import { asyncioPsFormat } from './asyncioPs';
import { asyncioPstreeFormat } from './asyncioPstree';
import { faulthandlerFormat } from './faulthandler';
import type { DumpFormat, ParseOptions } from './format';
import { pyspyAsyncioJsonFormat, pyspyJsonFormat, pyspyTextFormat } from './pyspy';

export type { DumpFormat, ParseOptions } from './format';

/** Every known format, most specific first: the first whose sniff accepts the text parses it. */
export const FORMATS: DumpFormat[] = [
  captureJsonFormat,
  pyspyAsyncioJsonFormat,
  pyspyJsonFormat,
  faulthandlerFormat,
  asyncioPstreeFormat,
  asyncioPsFormat,
  pyspyTextFormat,
];

/** The format of a text, or undefined when none recognises it. */
export function detectFormat(text: string): DumpFormat | undefined {
  return FORMATS.find((f) => f.sniff(text));
}

/**
 * Parses a dump of any known format.
 * @throws UnparseableDumpError naming the formats tried when none recognises the text.
 */
export function parseAnyDump(text: string, options?: ParseOptions): ParsedDump {
  // Pasted text often carries a shell prompt or chat noise before the dump: formats find their own start.
  const format = detectFormat(text);
  if (!format) {
    throw new UnparseableDumpError(
      `not a dump this tool reads. Expected one of: ${FORMATS.map((f) => f.label).join(', ')}. ` +
        'Capture with `py-spy dump --pid PID` (or --json), faulthandler (kill -USR1 after faulthandler.register), ' +
        'or `python -m asyncio pstree PID` (3.14+).',
      text,
    );
  }
  return format.parse(text, options);
}

/**
 * Every dump in a text: a saved manager capture holds one per process, and py-spy text dumps of several
 * processes pasted one after another (each starting "Process N: ...") are split at their headers.
 */
export function parseAnyDumps(text: string, options?: ParseOptions): ParsedDump[] {
  const format = detectFormat(text);
  if (format === captureJsonFormat) return splitCaptureJson(text).map(captureObjectToDump);
  if (format === pyspyTextFormat) {
    const starts = [...text.matchAll(/^Process \d+: /gm)].map((m) => m.index ?? 0);
    if (starts.length > 1) {
      return starts
        .map((s, i) => text.slice(s, starts[i + 1] ?? text.length))
        .filter((part) => pyspyTextFormat.sniff(part))
        .map((part) => pyspyTextFormat.parse(part, options));
    }
  }
  return [parseAnyDump(text, options)];
}
