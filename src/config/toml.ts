/**
 * A small TOML 1.0 reader (pure), enough for pyproject.toml and backend-hang.toml: tables, arrays of tables,
 * dotted/quoted keys, basic/literal (multi-line) strings, numbers, booleans, arrays, inline tables. Dates and
 * times are kept as their text. Throws TomlError with a line number on malformed input.
 */

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export class TomlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'TomlError';
  }
}

const BARE = /[A-Za-z0-9_-]/;
const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

class Reader {
  i = 0;
  /** Inline tables and arrays written as values: TOML forbids extending them later. */
  readonly frozen = new WeakSet<object>();
  constructor(readonly s: string) {}

  get line(): number {
    let n = 1;
    for (let k = 0; k < this.i && k < this.s.length; k++) if (this.s[k] === '\n') n++;
    return n;
  }
  fail(message: string): never {
    throw new TomlError(message, this.line);
  }
  peek(n = 0): string {
    return this.s[this.i + n] ?? '';
  }
  startsWith(t: string): boolean {
    return this.s.startsWith(t, this.i);
  }
  /** Spaces and tabs. */
  ws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.i++;
  }
  /** Spaces, tabs, line breaks and comments (inside arrays). */
  wsnl(): void {
    for (;;) {
      this.ws();
      if (this.peek() === '#') while (this.i < this.s.length && this.peek() !== '\n') this.i++;
      else if (this.peek() === '\n' || this.startsWith('\r\n')) this.i += this.peek() === '\n' ? 1 : 2;
      else return;
    }
  }
  /** The rest of a line after a value/header: only a comment may follow. */
  endOfLine(): void {
    this.ws();
    if (this.peek() === '#') while (this.i < this.s.length && this.peek() !== '\n') this.i++;
    if (this.peek() === '\r') this.i++;
    if (this.i < this.s.length && this.peek() !== '\n') this.fail(`unexpected '${this.peek()}'`);
    this.i++;
  }

  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.ws();
      const c = this.peek();
      if (c === '"' || c === "'") parts.push(this.string());
      else {
        const start = this.i;
        while (BARE.test(this.peek())) this.i++;
        if (start === this.i) this.fail('expected a key');
        parts.push(this.s.slice(start, this.i));
      }
      this.ws();
      if (this.peek() !== '.') return parts;
      this.i++;
    }
  }

  string(): string {
    if (this.startsWith('"""')) return this.multiline('"""', true);
    if (this.startsWith("'''")) return this.multiline("'''", false);
    const q = this.peek();
    this.i++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n') this.fail('unterminated string');
      this.i++;
      if (c === q) return out;
      out += q === '"' && c === '\\' ? this.escape() : c;
    }
  }

  escape(): string {
    const c = this.peek();
    this.i++;
    if (c in ESCAPES) return ESCAPES[c]!;
    if (c === 'u' || c === 'U') {
      const n = c === 'u' ? 4 : 8;
      const hex = this.s.slice(this.i, this.i + n);
      if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== n) this.fail('bad unicode escape');
      this.i += n;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    return this.fail(`bad escape '\\${c}'`);
  }

  multiline(delim: string, basic: boolean): string {
    this.i += 3;
    if (this.peek() === '\n') this.i++;
    else if (this.startsWith('\r\n')) this.i += 2;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated multi-line string');
      if (this.startsWith(delim)) {
        // Up to two quotes right before the closing delimiter belong to the string.
        let extra = 0;
        while (extra < 2 && this.s[this.i + 3 + extra] === delim[0]) extra++;
        out += delim[0]!.repeat(extra);
        this.i += 3 + extra;
        return out;
      }
      const c = this.peek();
      this.i++;
      if (basic && c === '\\') {
        // A backslash at the end of a line trims the line break and the following whitespace.
        if (/^[ \t]*\r?\n/.test(this.s.slice(this.i, this.i + 200))) {
          while (/[ \t\r\n]/.test(this.peek())) this.i++;
        } else out += this.escape();
      } else out += c;
    }
  }

  value(): TomlValue {
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === '[') return this.array();
    if (c === '{') return this.inlineTable();
    const m = /^[^\s,\]}#]+/.exec(this.s.slice(this.i));
    if (!m) return this.fail('expected a value');
    let text = m[0];
    // A date-time may hold one space between date and time.
    const dt = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?[^\s,\]}#]*/.exec(this.s.slice(this.i));
    if (dt) text = dt[0];
    this.i += text.length;
    if (text === 'true') return true;
    if (text === 'false') return false;
    const num = text.replace(/_/g, '');
    if (/^[+-]?(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+)$/.test(num)) return Number(num.replace(/^\+/, ''));
    if (/^[+-]?(\d+(\.\d+)?([eE][+-]?\d+)?|inf|nan)$/.test(num))
      return /inf/.test(num)
        ? num.startsWith('-')
          ? -Infinity
          : Infinity
        : /nan/.test(num)
          ? NaN
          : Number(num);
    if (/^\d{4}-\d{2}-\d{2}|^\d{2}:\d{2}/.test(text)) return text;
    return this.fail(`unexpected value '${text}'`);
  }

  array(): TomlValue[] {
    this.i++;
    const out: TomlValue[] = [];
    this.frozen.add(out);
    for (;;) {
      this.wsnl();
      if (this.peek() === ']') {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.wsnl();
      if (this.peek() === ',') this.i++;
      else if (this.peek() !== ']') this.fail('expected , or ] in array');
    }
  }

  inlineTable(): TomlTable {
    this.i++;
    const out: TomlTable = {};
    this.frozen.add(out);
    this.ws();
    if (this.peek() === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      const key = this.key();
      if (this.peek() !== '=') this.fail('expected = in inline table');
      this.i++;
      this.ws();
      assign(out, key, this.value(), this);
      this.ws();
      if (this.peek() === '}') {
        this.i++;
        return out;
      }
      if (this.peek() !== ',') this.fail('expected , or } in inline table');
      this.i++;
    }
  }
}

function isTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descend(root: TomlTable, path: string[], r: Reader): TomlTable {
  let t = root;
  for (const k of path) {
    let next = t[k];
    if (next === undefined) next = t[k] = {};
    if (typeof next === 'object' && r.frozen.has(next))
      r.fail(`'${k}' was defined inline and cannot be extended`);
    if (Array.isArray(next)) next = next[next.length - 1];
    if (!isTable(next)) r.fail(`'${k}' is not a table`);
    t = next;
  }
  return t;
}

function assign(table: TomlTable, key: string[], value: TomlValue, r: Reader): void {
  const t = descend(table, key.slice(0, -1), r);
  const last = key[key.length - 1]!;
  if (last in t) r.fail(`duplicate key '${key.join('.')}'`);
  t[last] = value;
}

/** Parses a TOML document. */
export function parseToml(text: string): TomlTable {
  const r = new Reader(text.replace(/^\uFEFF/, ''));
  const root: TomlTable = {};
  let current = root;
  // `[a.b]` may appear once (implicitly created tables may be defined later, once).
  const headers = new Set<string>();
  while (r.i < r.s.length) {
    r.wsnl();
    if (r.i >= r.s.length) break;
    if (r.startsWith('[[')) {
      r.i += 2;
      const path = r.key();
      if (!r.startsWith(']]')) r.fail('expected ]]');
      r.i += 2;
      const parent = descend(root, path.slice(0, -1), r);
      const last = path[path.length - 1]!;
      const list: TomlValue = (parent[last] ??= []);
      if (!Array.isArray(list) || r.frozen.has(list))
        return r.fail(`'${path.join('.')}' is not an array of tables (it was defined inline)`);
      const t: TomlTable = {};
      list.push(t);
      current = t;
      // A new element: its sub-tables may be defined again.
      const prefix = `${path.join('\u0000')}\u0000`;
      for (const h of [...headers]) if (h.startsWith(prefix)) headers.delete(h);
    } else if (r.peek() === '[') {
      r.i++;
      const path = r.key();
      if (r.peek() !== ']') r.fail('expected ]');
      r.i++;
      const id = path.join('\u0000');
      if (headers.has(id)) r.fail(`table [${path.join('.')}] defined twice`);
      headers.add(id);
      current = descend(root, path, r);
    } else {
      const key = r.key();
      if (r.peek() !== '=') r.fail('expected =');
      r.i++;
      r.ws();
      assign(current, key, r.value(), r);
    }
    r.endOfLine();
  }
  return root;
}
