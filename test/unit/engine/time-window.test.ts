// The merge rule (touching windows intersect) as the engine's chains and mergeWindows use it, and the window spec's checks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cover, intersects, maxTimestamp, mergeWindows, sessionWindows } from '../../../src/engine/index.js';
import { UsageError } from '../../../src/errors.js';

test('windows that overlap or touch intersect; a gap of 1ms does not', () => {
  assert.equal(intersects(0, 10, 5, 15), true);
  assert.equal(intersects(0, 10, 10, 20), true);
  assert.equal(intersects(0, 10, 11, 20), false);
  assert.equal(intersects(11, 20, 0, 10), false);
});

test('cover and maxTimestamp', () => {
  assert.deepEqual(cover({ start: 5, end: 8 }, { start: 0, end: 6 }), { start: 0, end: 8 });
  assert.equal(maxTimestamp({ start: 0, end: 3000 }), 2999);
});

test('mergeWindows reports only groups of two or more, whatever the input order', () => {
  const merges = mergeWindows([{ start: 5, end: 6 }, { start: 0, end: 1 }, { start: 10, end: 11 }, { start: 4, end: 5 }, { start: 1, end: 2 }]);
  assert.deepEqual(merges.map((m) => [m.result.start, m.result.end, m.merged.length]), [[0, 2, 2], [4, 6, 2]]);
});

test('the window spec fills defaults, freezes, and refuses a gap below 1ms, a fractional gap, and purging with retractions', () => {
  const spec = sessionWindows({ gapMs: 3000 });
  assert.deepEqual({ ...spec, aggregate: spec.aggregate.name }, { gapMs: 3000, allowedLatenessMs: 0, trigger: { kind: 'event-time' }, purging: false, retractions: false, aggregate: 'count', coPartitioned: false });
  assert.ok(Object.isFrozen(spec));
  assert.throws(() => sessionWindows({ gapMs: 0 }), (e: unknown) => e instanceof UsageError && /--gap/.test(e.message));
  assert.throws(() => sessionWindows({ gapMs: 1.5 }), /--gap/);
  assert.throws(() => sessionWindows({ gapMs: 10, purging: true, retractions: true }), /--retractions/);
});
