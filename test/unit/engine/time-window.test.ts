// TimeWindow rules: touching windows intersect, cover, and the pure merge function.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionAssigner, cover, intersects, maxTimestamp, mergeWindows } from '../../../src/engine/index.js';

test('windows that overlap or touch intersect; a gap of 1ms does not', () => {
  assert.equal(intersects({ start: 0, end: 10 }, { start: 5, end: 15 }), true);
  assert.equal(intersects({ start: 0, end: 10 }, { start: 10, end: 20 }), true);
  assert.equal(intersects({ start: 0, end: 10 }, { start: 11, end: 20 }), false);
  assert.equal(intersects({ start: 11, end: 20 }, { start: 0, end: 10 }), false);
});

test('cover and maxTimestamp', () => {
  assert.deepEqual(cover({ start: 5, end: 8 }, { start: 0, end: 6 }), { start: 0, end: 8 });
  assert.equal(maxTimestamp({ start: 0, end: 3000 }), 2999);
});

test('mergeWindows reports only groups of two or more, whatever the input order', () => {
  const merges = mergeWindows([{ start: 5, end: 6 }, { start: 0, end: 1 }, { start: 10, end: 11 }, { start: 4, end: 5 }, { start: 1, end: 2 }]);
  assert.deepEqual(merges.map((m) => [m.result.start, m.result.end, m.merged.length]), [[0, 2, 2], [4, 6, 2]]);
});

test('the assigner gives [ts, ts+gap) and rejects a gap below 1ms', () => {
  assert.deepEqual(new SessionAssigner(3000).assign(42), { start: 42, end: 3042 });
  assert.throws(() => new SessionAssigner(0), /gap/);
  assert.throws(() => new SessionAssigner(1.5), /gap/);
});
