// Retractions: a result that a merge or extension replaced is withdrawn before the replacement is emitted.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Harness } from './harness.js';

const brief = (list: { kind: string; start?: number; end?: number }[]) => list.map((o) => `${o.kind} ${o.start}-${o.end}`);

test('a late event bridging two fired sessions retracts both', () => {
  const h = new Harness({ gapMs: 1000, allowedLatenessMs: 5000, retractions: true });
  h.event('u', 0);
  h.event('u', 2000);
  assert.deepEqual(brief(h.watermark(3500)), ['result 0-1000', 'result 2000-3000']);
  assert.deepEqual(brief(h.event('u', 1000)), ['retract 0-1000', 'retract 2000-3000', 'result 0-3000']);
  assert.equal(h.engine.stats().retractions, 2);
});

test('an early result is retracted when the session grows; the same bounds re-fired need no retraction', () => {
  const h = new Harness({ gapMs: 1000, trigger: 'count:1', retractions: true });
  assert.deepEqual(brief(h.event('u', 0)), ['result 0-1000']);
  assert.deepEqual(brief(h.event('u', 0)), ['result 0-1000'], 'bounds unchanged: the new result upserts the old');
  assert.deepEqual(brief(h.event('u', 500)), ['retract 0-1000', 'result 0-1500']);
});

test('without --retractions nothing is retracted (Flink behaviour)', () => {
  const h = new Harness({ gapMs: 1000, allowedLatenessMs: 5000 });
  h.event('u', 0);
  h.event('u', 2000);
  h.watermark(3500);
  assert.deepEqual(brief(h.event('u', 1000)), ['result 0-3000']);
});

test('retractions with purging is refused: deltas cannot be retracted', () => {
  assert.throws(() => new Harness({ gapMs: 1000, retractions: true, purging: true }), /retractions/);
});
