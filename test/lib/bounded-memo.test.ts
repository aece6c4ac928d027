import assert from 'node:assert/strict';
import test from 'node:test';
import { boundedMemo } from '../../src/lib/bounded-memo.js';

test('boundedMemo computes each key once, remembers undefined too, and never holds more than its bound', () => {
  const calls: string[] = [];
  const f = boundedMemo(3, (k: string) => {
    calls.push(k);
    return k === 'none' ? undefined : k.toUpperCase();
  });
  assert.equal(f('a'), 'A');
  assert.equal(f('a'), 'A');
  assert.equal(f('none'), undefined);
  assert.equal(f('none'), undefined);
  assert.deepEqual(calls, ['a', 'none']);
  f('b');
  f('c'); // the bound (3) was reached: everything is dropped, then c is kept
  f('a');
  assert.deepEqual(calls, ['a', 'none', 'b', 'c', 'a']);
  f('c');
  assert.equal(calls.length, 5);
});
