/**
 * ../../src/diagnostics/callGraph/clientText: where an httpx.Client's request can be, from text. The receiver's
 * bindings are followed through up to four names; each name is asked once per depth, so a module whose names
 * are bound to each other many times (litellm's proxy: a check that never ended) costs what it reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lexTopLevel } from '../../src/python/lexer';
import { httpxClientCalls } from '../../src/diagnostics/callGraph/clientText';

/** Whether the `.get(` of `receiver` in `source` may be an httpx.Client's request. */
function mayBeClient(source: string, receiver = 'client'): boolean {
  const lexed = lexTopLevel(source)!;
  const calls = httpxClientCalls(lexed.code, lexed.lines, new Set(['Client']));
  const dot = lexed.code.indexOf(`${receiver}.get(`) + receiver.length;
  return calls.receiverAt(dot);
}

test('clientText: a receiver bound through up to four names to a Client; not further, not another class', () => {
  const chain = (names: number): string => {
    const lines = ['import httpx', '', 'def f():', '    n0 = httpx.Client()'];
    for (let i = 1; i <= names; i++) lines.push(`    n${i} = n${i - 1}`);
    lines.push(`    client = n${names}`, '    client.get(url)', '');
    return lines.join('\n');
  };
  assert.equal(mayBeClient(chain(0)), true, 'client = n0 = Client()');
  assert.equal(mayBeClient(chain(3)), true, 'four names followed');
  assert.equal(mayBeClient(chain(4)), false, 'five names: past the budget');
  // A name bound both ways, a cycle, another class, a `with ... as`, a factory of the module.
  const src = (body: string): string =>
    `import httpx\n\ndef make():\n    return httpx.Client()\n\ndef f():\n${body}    client.get(url)\n`;
  assert.equal(mayBeClient(src('    a = b\n    b = a\n    client = a\n')), false, 'a cycle of names');
  assert.equal(mayBeClient(src('    a = b\n    b = a\n    b = httpx.Client()\n    client = a\n')), true);
  assert.equal(mayBeClient(src('    client = Session()\n')), false);
  assert.equal(mayBeClient(src('    with httpx.Client() as client:\n        pass\n')), true);
  assert.equal(mayBeClient(src('    client = make()\n')), true, 'a factory');
  assert.equal(mayBeClient(src('    client = dict(a=make())\n')), true, "a factory's call after the `=`");
  assert.equal(mayBeClient(src('    x = make(); client = {}\n')), false, 'a factory before the binding');
});

test(
  'clientText: names bound to each other many times, on logical lines of many keyword arguments',
  { timeout: 120_000 },
  () => {
    // (a hang guard, not a speed target: following every binding of every name to depth four without keeping
    // the answers took hours on litellm's main.py, `kwargs=kwargs` in call after call; now each name is asked
    // once per depth)
    const names = 30;
    const lines = ['import httpx', '', 'def f():'];
    for (let k = 0; k < 10; k++) {
      const args = Array.from({ length: names }, (_, i) => `v${i}=v${(i + k + 1) % names}`).join(', ');
      lines.push(`    call(client=v${k}, ${args})`);
    }
    for (let i = 0; i < names; i++) lines.push(`    v${i} = v${(i * 7 + 3) % names}`);
    lines.push('    client.get(url)', '');
    const source = lines.join('\n');
    assert.equal(mayBeClient(source), false);
    assert.equal(mayBeClient(source.replace('    v7 = v', '    v7 = httpx.Client()\n    v7 = v')), true);
  },
);
