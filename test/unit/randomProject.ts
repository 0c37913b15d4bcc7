/**
 * Random Python projects for BHD007's property tests (test/unit/callGraphNameReach.test.ts: the pre-filter
 * against the full search; test/unit/cliCacheProperty.test.ts: the CLI cache after edits against a fresh run).
 */
import { seededRandom } from './seededRandom';

/**
 * A random project of `n` modules m0..m{n-1} that import each other (from-imports with aliases, modules,
 * module aliases, classes), each with functions f0, f1, a helper h, a class with a static method, methods
 * reached through `self.`, and async code calling all of these; blocking calls in a few modules only.
 */
export function randomProject(
  seed: number,
  n = 5,
  /** The chance that a module imports another (lower: sparser imports, longer paths between modules). */
  density = 0.5,
  /** Split half the calls' lines with a backslash continuation before a `.` or a call's `(`. */
  continuations = false,
): Record<string, string> {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const others = [...Array(n).keys()].filter((j) => j !== i);
    const lines: string[] = [];
    const blocking = r() < 0.4;
    if (blocking) lines.push('import time');
    // HTTP through a Session (BHD006 needs a Session, from this module's text); dict.get decoys beside it.
    const http = r() < 0.3;
    if (http) lines.push('import requests', ...(r() < 0.5 ? ['HTTP = requests.Session()'] : []));
    // httpx: module functions and the sync Client (BHD006 needs the Client from this module's text too).
    const httpx = http && r() < 0.5;
    if (httpx) lines.push('import httpx');
    // Processes run and waited for, in some modules (chosen without a draw: other seeds' projects stay as they were).
    const proc = (seed + i) % 3 === 0;
    if (proc) lines.push('import os', 'import subprocess');
    const imported = others.filter(() => r() < density);
    const uses: string[] = [];
    for (const j of imported) {
      const style = pick(['from', 'module', 'alias', 'class', 'lazy', 'generator', 'instance']);
      if (style === 'from') {
        lines.push(`from m${j} import f0 as f0_${j}, f1 as f1_${j}`);
        uses.push(`f0_${j}()`, `f1_${j}()`);
      } else if (style === 'module') {
        lines.push(`import m${j}`);
        // A function taken as a value, then called through a local name: not a chain (calls only are).
        uses.push(`m${j}.f0()`, `m${j}.f1()`, `m${j}.C${j}.s()`, `cb = m${j}.f0; cb()`);
      } else if (style === 'alias') {
        lines.push(`import m${j} as mod${j}`);
        uses.push(`mod${j}.f1()`);
      } else if (style === 'lazy') {
        // An import inside the def that uses it (it binds the name there only).
        uses.push(`from m${j} import f0 as lz${j}; lz${j}()`, `import m${j} as lm${j}; lm${j}.f1()`);
      } else if (style === 'instance') {
        // Instances of module j's class: its module-level one imported, one made here, through the module.
        lines.push(`from m${j} import inst${j}, C${j} as K${j}`, `import m${j} as im${j}`);
        uses.push(
          `inst${j}.k()`,
          `inst${j}.own${j}()`,
          `v${j} = K${j}(); v${j}.m()`,
          // An instance made and used right there (also through the module).
          `K${j}().k()`,
          `im${j}.C${j}().own${j}()`,
          `w${j} = im${j}.C${j}(); w${j}.k()`,
        );
        uses.push(`im${j}.C${j}.s()`, `im${j}.inst${j}.k()`);
      } else if (style === 'generator') {
        lines.push(`from m${j} import g as g_${j}, W${j}`);
        // A generator runs when iterated, not when called; a class's __enter__/__exit__ when entered.
        uses.push(`g_${j}()`, `for _ in g_${j}(): pass`, `with W${j}(): pass`, `W${j}()`);
        // Through the module: entered only by its plain name (the call graph enters plain names only).
        lines.push(`import m${j} as gm${j}`);
        uses.push(`with gm${j}.W${j}(): pass`);
      } else {
        // A subclass here: its methods reach the ones it inherits (through self, or through the class).
        lines.push(
          `from m${j} import C${j}`,
          `class D${j}(C${j}):`,
          '    def run(self):',
          `        self.own${j}()`,
        );
        // An override that blocks, in some (no draw): C<j>.m's `self.k()` runs it on a D<j>, whatever module j says.
        if ((seed + i + j) % 3 === 0) lines.push('    def k(self):', '        executor.shutdown()');
        // (`own<j>` is defined in module j only: the inherited method is not also a name of this module.)
        uses.push(
          `C${j}()`,
          `C${j}.s()`,
          `D${j}.run(None)`,
          `D${j}.own${j}(None)`,
          `D${j}.m(None)`,
          `D${j}().m()`,
        );
      }
    }
    // What another module's factory returns (chosen without a draw): bound, then used; used right away.
    for (const j of others)
      if ((seed + i + 3 * j) % 4 === 0) {
        lines.push(`from m${j} import make${j}, get${j}`, `import m${j} as fm${j}`);
        uses.push(
          `fa${j} = make${j}(); fa${j}.k()`,
          `get${j}().own${j}()`,
          `fm${j}.make${j}().m()`,
          `fb${j} = fm${j}.get${j}(); fb${j}.k()`,
        );
      }
    // Star imports, in some modules (chosen without a draw): module j's class, instance and an inherited method
    // reached through names this module neither defines nor imports by name.
    for (const j of others)
      if ((seed + 2 * i + j) % 5 === 0) {
        lines.push(
          `from m${j} import *`,
          `class S${j}(C${j}):`,
          '    def run(self):',
          `        self.own${j}()`,
        );
        uses.push(`u${j}()`, `u${j}()`, `C${j}.s()`, `inst${j}.k()`, `C${j}().own${j}()`, `S${j}.run(None)`);
      }
    const calls = (method: boolean, count = 1 + Math.floor(r() * 3), acrossOnly = false): string[] => {
      const out: string[] = [];
      // (acrossOnly: a use of another module's name only, so that the one call in async code often leaves it)
      if (acrossOnly && uses.length > 0) return [pick(uses)];
      for (let k = 0; k < count; k++) {
        const choices = ['h()', 'f0()', 'f1()', `C${i}.s()`, `C${i}()`, 'len([])', ...uses, ...uses];
        choices.push('g()', 'x = list(g())', `with W${i}(): pass`);
        // A nested def's body runs when it is called (the call graph follows no nested def); its default here.
        choices.push('def nest():\n    f0()\nnest()', 'def nest(a=f1()):\n    return a', 'def nest(): h()');
        // A nested def named like a method or a module function (a plain call never runs a method; the nested one
        // is not followed either).
        choices.push('def k():\n    f1()\nk()', 'def h():\n    f0()\nh()');
        // In a lambda's body a call runs later (elsewhere); in its default, right here.
        choices.push('cb = lambda: h(); cb', 'cb = lambda y=f0(): y', `sorted([], key=lambda v: C${i}.s())`);
        // This module's instance, one made here, one rebound (its class then unknown), an annotated parameter.
        choices.push(`inst${i}.k()`, `loc = C${i}(); loc.m()`, `two = C${i}(); two = None; two.k()`);
        if (count === 1) choices.push('p.k()', 'p.own' + i + '()');
        if (method) choices.push('self.k()', 'self.k()', 'self.m()');
        // Attributes of self holding an instance: set once in __init__, a class-body field, set twice.
        if (method)
          choices.push(
            'self.mine.k()',
            'self.fld.own' + i + '()',
            'self.twice.k()',
            'self.wf.k()',
            'self.wm.k()',
            'self.fwd.k()',
            'self.raw.k()',
          );
        // A blocking method call whose receiver is an executor by its name (BHD002), no import needed.
        if (r() < 0.15) choices.push(method ? 'self._executor.shutdown()' : 'executor.shutdown()');
        // time.time() first: the same head as time.sleep(), which must still be seen after it.
        if (blocking) choices.push('time.time()', 'time.time()');
        if (blocking && r() < 0.6) choices.push('time.sleep(1)');
        // A blocking function taken as a value (no call of it: not a blocking operation for the rules).
        if (blocking && r() < 0.3) choices.push('t = time.sleep; t(1)', `g = C${i}.s; g()`);
        if (http) {
          choices.push('d = {}; d.get(1)', 'd = {}; d.get(1)');
          if (r() < 0.3) choices.push('requests.Session().get("u")', 's = requests.Session(); s.get("u")');
          // A Session made at module level, or kept by C's __init__ (W's methods have none in reach).
          if (r() < 0.3) choices.push('HTTP.get("u")');
          if (method) choices.push('self.http.get("u")');
        }
        if (httpx) {
          choices.push(
            'httpx.get("u")',
            'with httpx.Client() as hc:\n    hc.post("u")',
            'httpx.URL("u").join("v")',
          );
          if (method) choices.push('self.hx.stream("GET", "u")');
        }
        if (proc) {
          choices.push(
            'subprocess.run(["true"])',
            'pw = subprocess.Popen(["true"]); pw.wait()',
            'with subprocess.Popen(["true"]) as pp: pass',
            'os.system("true")',
            'pq = subprocess.Popen(["true"])',
            'os.waitpid(0, os.WNOHANG)',
          );
          if (method) choices.push('self.proc.communicate()');
        }
        // A future's result (BHD003 needs a `.submit(` in the module), and one without any submit.
        if (r() < 0.1) choices.push('fut = executor.submit(len, []); fut.result()');
        if (r() < 0.1) choices.push('x = None; x.result()');
        out.push(pick(choices));
      }
      return out;
    };
    // (a choice of several lines: each indented)
    const body = (indent: string, method = false, count?: number, acrossOnly = false): string[] =>
      calls(method, count, acrossOnly).map((c) => c.replace(/^/gm, indent));
    lines.push('', 'def h():', ...body('    '));
    lines.push('', 'def f0():', ...body('    '));
    lines.push('', 'def f1():', ...body('    '));
    // (a name of this module only, what a star import of it brings: no draw, other seeds' projects unchanged)
    lines.push('', `def u${i}():`, '    f0()', '    return h()');
    // (`self.fwd = dep`: a parameter annotated with the class; `self.raw = raw`: one without an annotation)
    lines.push('', `class C${i}:`, `    fld: C${i}`, `    def __init__(self, dep: C${i} = None, raw=None):`);
    lines.push('        self.x = 1', '        self.fwd = dep', '        self.raw = raw');
    if (http) lines.push('        self.http = requests.Session()');
    if (httpx) lines.push('        self.hx = httpx.Client()');
    if (proc) lines.push('        self.proc = subprocess.Popen(["true"])');
    lines.push(`        self.mine = C${i}()`, `        self.twice = C${i}()`, '        self.twice = None');
    lines.push('    @staticmethod', '    def s():', ...body('        '));
    lines.push('    def m(self):', ...body('        ', true));
    lines.push('    def k(self):', ...body('        '));
    lines.push(`    def own${i}(self):`, ...body('        '));
    lines.push('', `inst${i} = C${i}()`);
    if (r() < 0.2) lines.push(`inst${i} = None`);
    // ...or bound again in a def through `global` (then no type either, seen from any module).
    else if (r() < 0.2) lines.push('', 'def setup():', `    global inst${i}`, `    inst${i} = C${i}()`);
    // Factories (no draw: other seeds' projects unchanged): one declared to return the class, one returning the
    // module's instance (not a factory when that is rebound).
    lines.push(
      '',
      `def make${i}() -> C${i}:`,
      `    return C${i}()`,
      '',
      `def get${i}():`,
      `    return inst${i}`,
    );
    lines.push('', 'def g():', ...body('    '), '    yield 1');
    lines.push(
      '',
      `class W${i}:`,
      `    wf: C${i}`,
      `    def __init__(self, dep: C${i} = None, raw=None):`,
      '        self.fwd = dep',
      '        self.raw = raw',
      '    def __enter__(self):',
      `        self.wm = C${i}()`,
      ...body('        '),
      '        return self',
    );
    lines.push('    def __exit__(self, *exc):', ...body('        '));
    // One call in async code per file: the pre-filter decides per file, so each chain is seen on its own.
    // Sometimes awaited (the call graph skips the operand of `await`), or awaited through `.result()`.
    const awaited = (line: string): string =>
      /[;=]|^\s*def /.test(line)
        ? line
        : r() < 0.3
          ? line.replace(/^(\s*)/, '$1await ')
          : r() < 0.15
            ? line.replace(/^(\s*)(.*)$/, '$1await $2.result()')
            : line;
    // `p`: an annotated parameter (an instance of this module's class, or of nothing known).
    const p = pick([`p: C${i}`, `p: Annotated[C${i}, 1]`, `p: "C${i}"`, 'p']);
    const across = r() < 0.4;
    if (r() < 0.5)
      lines.push(`    async def am(self, ${p}):`, ...body('        ', true, 1, across).map(awaited), '');
    else lines.push('', `async def route(${p}):`, ...body('    ', false, 1, across).map(awaited), '');
    // (drawn after everything else: the same seed makes the same project, with or without continuations)
    const continued = (line: string): string => {
      if (/^\s*(?:def |class |async def |import |from |@)/.test(line) || r() < 0.5) return line;
      const spots = [...line.matchAll(/[A-Za-z0-9_)](?=\.[A-Za-z_]|\()/g)].map((m) => m.index + 1);
      if (spots.length === 0) return line;
      const at = pick(spots);
      return `${line.slice(0, at)} \\\n            ${line.slice(at)}`;
    };
    files[`m${i}.py`] = continuations
      ? lines
          .flatMap((l) => l.split('\n'))
          .map(continued)
          .join('\n')
      : lines.join('\n');
  }
  return files;
}
