// Code that runs only without an event loop (src/python/loopBranch): which defs are probes, which branches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPythonParser } from '../../src/python/treeSitter';
import { loopBranches, loopProbes } from '../../src/python/loopBranch';

test('loopProbes: a try asking get_running_loop that answers the loop or None, True or False; nothing else', async () => {
  const parser = await createPythonParser();
  const probes = (source: string): Record<string, string> => {
    const tree = parser.parse(source)!;
    try {
      return Object.fromEntries(loopProbes(tree.rootNode));
    } finally {
      tree.delete();
    }
  };
  const loop =
    'def f():\n    try:\n        return asyncio.get_running_loop()\n    except RuntimeError:\n        return None\n';
  const running =
    'def f():\n    try:\n        asyncio.get_running_loop()\n        return True\n    except RuntimeError:\n        return False\n';
  assert.deepEqual(probes(loop), { f: 'loop' });
  assert.deepEqual(probes(running), { f: 'running' });
  assert.deepEqual(probes(`@cache\n${loop}`), { f: 'loop' }, 'decorated');
  assert.deepEqual(probes(loop.replace('return None', 'return make_loop()')), {}, 'another answer');
  assert.deepEqual(probes(running.replace('return False', 'return True')), {}, 'True either way');
  assert.deepEqual(probes(running.replace('        asyncio.get_running_loop()\n', '        check()\n')), {});
  assert.deepEqual(probes(`${loop}    finally:\n        pass\n`), {}, 'a finally');
  assert.deepEqual(probes(`async ${loop}`), {}, 'an async def');
  assert.deepEqual(probes(`${loop}\ndef f():\n    return None\n`), {}, 'a later def of the name');
  assert.deepEqual(probes(`class C:\n${loop.replace(/^/gm, '    ')}`), {}, 'a method');
});

test('loopBranches: the branches a probe keeps off when a loop runs', async () => {
  const parser = await createPythonParser();
  const header =
    'def running():\n    try:\n        asyncio.get_running_loop()\n        return True\n    except RuntimeError:\n        return False\n\n' +
    'def loop():\n    try:\n        return asyncio.get_running_loop()\n    except RuntimeError:\n        return None\n\n';
  /** Whether the call `mark()` in `body` (a def's) runs only without a loop. */
  const off = (body: string): boolean => {
    const source = `${header}def f(p):\n${body.replace(/^/gm, '    ')}\n`;
    const tree = parser.parse(source)!;
    try {
      const at = source.indexOf('mark()');
      const node = tree.rootNode.descendantForIndex(at, at + 4)!;
      const def = tree.rootNode.namedChildren.at(-1)!;
      return loopBranches(tree.rootNode)(node, def);
    } finally {
      tree.delete();
    }
  };
  assert.equal(off('if not running():\n    mark()'), true);
  assert.equal(off('if running():\n    pass\nelse:\n    mark()'), true);
  assert.equal(off('if running():\n    mark()'), false);
  assert.equal(off('if loop() is None:\n    mark()'), true);
  assert.equal(off('if loop() is not None:\n    mark()'), false);
  assert.equal(off('if not loop():\n    mark()'), true);
  assert.equal(off('x = 1 if running() else mark()'), true);
  assert.equal(off('x = mark() if running() else 1'), false);
  assert.equal(off('x = mark() if not running() else 1'), true);
  assert.equal(off('l = loop()\nif l is not None:\n    return\nmark()'), true, 'after an early return');
  assert.equal(off('l = loop()\nif l is not None:\n    print(l)\nmark()'), false, 'no exit in the if');
  assert.equal(off('l = loop()\nl = None\nif l is not None:\n    return\nmark()'), false, 'bound twice');
  assert.equal(off('if running() and p:\n    return\nmark()'), false, 'another condition too');
  assert.equal(off('if running():\n    pass\nelif p:\n    pass\nelse:\n    mark()'), false, 'an elif');
  assert.equal(off('if not p:\n    mark()'), false);
  // Bound by a try in the def itself.
  const asked = 'try:\n    l = asyncio.get_running_loop()\nexcept RuntimeError:\n    l = None\n';
  assert.equal(off(`${asked}if l is None:\n    mark()`), true);
  assert.equal(off(`${asked}if l is not None:\n    return\nmark()`), true);
  assert.equal(off(`${asked}if l is not None:\n    mark()`), false);
  assert.equal(
    off(`${asked.replace('l = None', 'l = asyncio.new_event_loop()')}if l is None:\n    mark()`),
    false,
  );
  assert.equal(off(`${asked}l = None\nif l is None:\n    mark()`), false, 'bound three times');
  const flag = 'try:\n    asyncio.get_running_loop()\n    r = True\nexcept RuntimeError:\n    r = False\n';
  assert.equal(off(`${flag}if not r:\n    mark()`), true);
  assert.equal(
    off(`${flag.replace('    asyncio.get_running_loop()\n', '    check()\n')}if not r:\n    mark()`),
    false,
  );
});
