// Named *.suite.ts (not *.test.ts) so neither the real integration index nor `node --test` picks it up.
import * as assert from 'node:assert/strict';

suite('launcher self-test (failing)', () => {
  test('passes', () => assert.ok(true));
  test('fails on purpose', () => assert.equal(1 + 1, 3, 'deliberate failure'));
});
