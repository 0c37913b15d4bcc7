// Code that runs only without an event loop (src/python/loopBranch): which defs are probes, which branches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPythonParser } from '../../src/python/treeSitter';
import { type NoLoop, loopBranches, loopProbes } from '../../src/python/loopBranch';
import { importedAskers } from '../../src/python/loopText';

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
  // Answering after the try (litellm's is_event_loop_running).
  const after =
    'def f():\n    try:\n        asyncio.get_running_loop()\n    except RuntimeError:\n        return False\n    return True\n';
  assert.deepEqual(probes(after), { f: 'running' });
  assert.deepEqual(probes(after.replace('return True', 'return 1')), {}, 'another answer after');
  assert.deepEqual(probes(after.replace('asyncio.get_running_loop()', 'check()')), {}, 'not asking');
  assert.deepEqual(
    probes(
      after.replace(
        '        asyncio.get_running_loop()\n',
        '        asyncio.get_running_loop()\n        return 0\n',
      ),
    ),
    {},
    'a return in the try',
  );
  assert.deepEqual(
    probes(after.replace('    return True', '    else:\n        pass\n    return True')),
    {},
    'an else',
  );
});

test('loopBranches: the branches a probe keeps off when a loop runs', async () => {
  const parser = await createPythonParser();
  const header =
    'def running():\n    try:\n        asyncio.get_running_loop()\n        return True\n    except RuntimeError:\n        return False\n\n' +
    'def loop():\n    try:\n        return asyncio.get_running_loop()\n    except RuntimeError:\n        return None\n\n';
  /** Whether the call `mark()` in `body` (a def's) runs only without a loop (a ProbeRef: if an import is a probe). */
  const off = (body: string, head = header): NoLoop => {
    const source = `${head}def f(p):\n${body.replace(/^/gm, '    ')}\n`;
    const tree = parser.parse(source)!;
    try {
      const at = source.indexOf('mark()');
      const node = tree.rootNode.descendantForIndex(at, at + 4)!;
      const def = tree.rootNode.namedChildren.at(-1)!;
      return loopBranches(tree.rootNode, source)?.(node, def) ?? false;
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

test('loopBranches: asyncio._get_running_loop(), and defs imported by name that may be probes', async () => {
  const parser = await createPythonParser();
  const off = (head: string, body: string): NoLoop => {
    const source = `${head}def f(p):\n${body.replace(/^/gm, '    ')}\n`;
    const tree = parser.parse(source)!;
    try {
      const at = source.indexOf('mark()');
      const node = tree.rootNode.descendantForIndex(at, at + 4)!;
      return loopBranches(tree.rootNode, source)?.(node, tree.rootNode.namedChildren.at(-1)!) ?? false;
    } finally {
      tree.delete();
    }
  };
  assert.equal(off('import asyncio\n', 'if asyncio._get_running_loop() is None:\n    mark()'), true);
  assert.equal(off('import asyncio\n', 'if asyncio._get_running_loop() is not None:\n    mark()'), false);
  assert.equal(
    off('import asyncio\n', 'if asyncio.get_running_loop() is None:\n    mark()'),
    false,
    'raises',
  );
  const imp = 'from app.utils import is_running, current_loop as loop_or_none\n';
  assert.deepEqual(off(imp, 'if not is_running():\n    mark()'), { name: 'is_running' });
  assert.deepEqual(off(imp, 'x = 1 if is_running() else mark()'), { name: 'is_running' });
  assert.deepEqual(off(imp, 'r = is_running()\nif r:\n    return\nmark()'), { name: 'is_running' });
  assert.deepEqual(off(imp, 'if loop_or_none() is None:\n    mark()'), {
    name: 'loop_or_none',
    kind: 'loop',
  });
  assert.equal(off(imp, 'if is_running():\n    mark()'), false);
  assert.equal(off(imp, 'if is_running(p):\n    pass\nelse:\n    mark()'), false, 'an argument');
  assert.equal(
    off('from app import utils\n', 'if not utils.is_running():\n    mark()'),
    false,
    'not by name',
  );
  assert.equal(
    off('def is_running():\n    return True\n', 'if not is_running():\n    mark()'),
    false,
    'local',
  );
  assert.equal(off('', 'if not is_running():\n    mark()'), false, 'not imported');
  // A probe of the module itself decides for good, wherever it is.
  const own =
    'def loop():\n    try:\n        return asyncio.get_running_loop()\n    except RuntimeError:\n        return None\n\n';
  assert.equal(off(imp + own, 'if loop() is None:\n    if not is_running():\n        mark()'), true);
});

test('importedAskers: defs imported by `from … import`, called with no argument in a condition or bound to a tested name', () => {
  const source =
    'from a import (\n    running,\n    other as b,\n    Timer,\n)\nfrom c import d, u\nimport e\n\n' +
    'def f():\n    if running():\n        pass\n    x = b()\n    if x is None:\n        pass\n    t = Timer()\n' +
    '    if t:\n        pass\n    v = u()\n    if d(1):\n        pass\n    elif e():\n        pass\n    print(q())\n';
  assert.deepEqual([...importedAskers(source)].sort(), ['b', 'running']);
  assert.deepEqual(
    [...importedAskers(source.replace('if x is None', 'if y is None'))],
    ['running'],
    'x untested',
  );
  assert.deepEqual([...importedAskers('def f():\n    if running():\n        pass\n')], []);
});
