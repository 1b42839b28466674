// KeyIndex behaves as a Map under random sets, replaces and deletes (which exercise probing, backward shifts and growth).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyIndex } from '../../../src/state/key-index.js';
import { prng } from '../engine/harness.js';

test('random operations agree with a Map', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const rnd = prng(seed);
    const index = new KeyIndex<number>(16);
    const map = new Map<string, number>();
    for (let op = 0; op < 20_000; op++) {
      const key = `k${Math.floor(rnd() * 3000)}`;
      const r = rnd();
      if (r < 0.5) {
        index.set(key, op);
        map.set(key, op);
      } else if (r < 0.8) {
        assert.equal(index.delete(key), map.delete(key));
      } else {
        assert.equal(index.get(key), map.get(key));
      }
      assert.equal(index.size, map.size);
    }
    for (const [k, v] of map) assert.equal(index.get(k), v);
    assert.deepEqual([...index.entries()].sort(), [...map.entries()].sort());
    assert.deepEqual([...index.values()].sort(), [...map.values()].sort());
  }
});

test('keys equal by content match even when they are different string objects', () => {
  const index = new KeyIndex<string>();
  index.set(['u', '42'].join(''), 'a');
  assert.equal(index.get(`u${42}`), 'a');
  assert.equal(index.get('u4'), undefined);
  assert.equal(index.delete(`u${4}${2}`), true);
  assert.equal(index.size, 0);
});
