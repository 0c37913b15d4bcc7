/**
 * Reading Python files for check and fix, and the small text utilities around them (pure except readSource):
 * binary and non-UTF-8 files are refused with a clear reason, syntax errors are located like Ruff's E999
 * (`--diff`'s unified diff is ./unifiedDiff).
 */
import * as fs from 'node:fs';
import type { Node, Tree } from '../python/treeSitter';
import { misreadAnnotationCall, misreadKeyword } from '../python/misreadings';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
// PEP 263: a coding declaration in the first two lines.
const CODING = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** A file that is not Python text: binary, not UTF-8, or declaring another encoding and using it. */
export class NotUtf8Error extends Error {
  constructor(file: string, what = 'not UTF-8 text') {
    super(`${file}: ${what}; left untouched`);
    this.name = 'NotUtf8Error';
  }
}

/** Decodes UTF-8 strictly; a BOM is reported separately so it can be written back. Throws NotUtf8Error. */
export function decodeUtf8(file: string, bytes: Buffer): { text: string; bom: boolean } {
  // NUL bytes never occur in Python source: an image, an archive, a compiled file named *.py.
  if (bytes.subarray(0, 8192).includes(0)) throw new NotUtf8Error(file, 'a binary file, not Python source');
  const bom = bytes.subarray(0, 3).equals(BOM);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bom ? bytes.subarray(3) : bytes);
  } catch {
    throw new NotUtf8Error(file);
  }
  const declared = text
    .split('\n', 2)
    .map((l) => CODING.exec(l)?.[1])
    .find((c) => c !== undefined);
  // A latin-1 (etc.) file that is pure ASCII is the same in UTF-8; with other bytes it is not ours to rewrite.
  if (declared && !/^utf[-_]?8/i.test(declared) && /[^\x00-\x7f]/.test(text))
    throw new NotUtf8Error(file, `encoded as ${declared}, not UTF-8`);
  return { text, bom };
}

/**
 * decodeUtf8 for reading only (`check` without fixes): a file that declares another encoding (PEP 263,
 * `# -*- coding: latin-1 -*-`), which Python reads in that encoding, is decoded in it when the platform knows
 * it (`encoding` then says which): its findings are reported, and fixes leave it untouched. Still throws
 * NotUtf8Error for binary files, undeclared non-UTF-8 bytes and encodings not known here.
 */
export function decodeForCheck(
  file: string,
  bytes: Buffer,
): { text: string; bom: boolean; encoding?: string } {
  try {
    return decodeUtf8(file, bytes);
  } catch (err) {
    if (!(err instanceof NotUtf8Error) || bytes.subarray(0, 8192).includes(0)) throw err;
    const declared = bytes
      .subarray(0, 1024)
      .toString('latin1')
      .split('\n', 2)
      .map((l) => CODING.exec(l)?.[1])
      .find((c) => c !== undefined);
    const decoder = declared && textDecoderFor(declared);
    if (!decoder) throw err;
    try {
      return { text: decoder.decode(bytes), bom: false, encoding: declared };
    } catch {
      throw err;
    }
  }
}

/** A strict TextDecoder for a Python codec name (`latin-1`, `cp1252`, `iso8859_15`), when the platform has it. */
function textDecoderFor(codec: string): InstanceType<typeof TextDecoder> | undefined {
  const name = codec.toLowerCase().replace(/_/g, '-');
  const candidates = [
    name,
    name.replace(/^latin-/, 'latin'),
    name.replace(/^iso(\d)/, 'iso-$1'),
    name.replace(/^cp/, 'windows-'),
  ];
  for (const label of candidates) {
    if (/^utf-?8/.test(label)) return undefined;
    try {
      return new TextDecoder(label, { fatal: true });
    } catch {
      // not a label this platform knows: the next spelling
    }
  }
  return undefined;
}

/** Reads and decodes one file. Throws NotUtf8Error or the fs error. */
export function readSource(file: string): { text: string; bom: boolean } {
  return decodeUtf8(file, fs.readFileSync(file));
}

/**
 * The first syntax error of a parsed file: 1-based line/column and words for it; undefined when it parses
 * (also when its only errors are the grammar's known misreadings of valid code: ../python/misreadings).
 */
export function syntaxProblem(tree: Tree): { line: number; column: number; message: string } | undefined {
  if (!tree.rootNode.hasError) return undefined;
  let found: Node | undefined;
  const visit = (n: Node): void => {
    if (found) return;
    if (n.isMissing || (n.isError && !misreadAnnotationCall(n) && !misreadKeyword(n))) {
      found = n;
      return;
    }
    if (n.hasError) for (const c of n.children) visit(c);
  };
  visit(tree.rootNode);
  if (!found) return undefined; // only tree-sitter's misreadings: Python parses it
  const at = found ?? tree.rootNode;
  const message = at.isMissing
    ? `expected ${JSON.stringify(at.type)}`
    : `invalid syntax${at.text ? ` near ${JSON.stringify(at.text.split(/\r?\n/)[0]!.slice(0, 30))}` : ''}`;
  return { line: at.startPosition.row + 1, column: at.startPosition.column + 1, message };
}
