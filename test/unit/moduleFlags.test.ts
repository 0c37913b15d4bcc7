// Module-level flags (src/python/moduleFlags): bound once, to a literal True/False, at module level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleFlags } from '../../src/python/moduleFlags';

const flags = (source: string): Record<string, boolean> => Object.fromEntries(moduleFlags(source));

test('moduleFlags: one literal binding at module level; any other binding, global or augmented, and it is none', () => {
  const tests = '\nif  _IS_SYNC:\n    pass\nif not DEBUG:\n    pass\nif FLAG:\n    pass\n';
  assert.deepEqual(flags(`_IS_SYNC = False\nDEBUG: bool = True\n${tests}`), { _IS_SYNC: false, DEBUG: true });
  assert.deepEqual(
    flags('_IS_SYNC = False\nDEBUG: bool = True\nif DEBUG_X: pass\n'),
    {},
    'never tested as deadBranch reads',
  );
  assert.deepEqual(flags('_IS_SYNC = False\n_IS_SYNC = True\n'), {});
  assert.deepEqual(flags('FLAG = False\n\ndef f():\n    global FLAG\n'), {});
  assert.deepEqual(flags('FLAG = False\nFLAG |= other()\n'), {});
  assert.deepEqual(
    flags('FLAG = False\n\ndef f(FLAG=1):\n    pass\n'),
    {},
    'a parameter of that name: counted (conservative)',
  );
  // Not at module level, not a literal.
  assert.deepEqual(flags('def f():\n    FLAG = False\n'), {});
  assert.deepEqual(flags('FLAG = is_sync()\n'), {});
  // A comparison or a mention in a comment or string is no binding.
  assert.deepEqual(
    flags(`FLAG = False  # FLAG = True in the sync twin\nx = FLAG == True\ns = "FLAG = True"\n${tests}`),
    {
      FLAG: false,
    },
  );
  // Many candidates: not a twin-generated module; none read (the cost stays bounded).
  const many = Array.from({ length: 40 }, (_, i) => `F${i} = True`).join('\n');
  assert.deepEqual(flags(many), {});
});
