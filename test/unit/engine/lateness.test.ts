// Lateness: side output past cleanup, late re-firing within allowed lateness, state dropped at end - 1 + lateness.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanupTime, isWindowLate } from '../../../src/engine/index.js';
import { Harness, results } from './harness.js';

test('a window is late once the watermark reaches its cleanup time, end - 1 + lateness', () => {
  assert.equal(cleanupTime(3000, 10), 3009);
  assert.equal(isWindowLate(3000, 10, 3008), false);
  assert.equal(isWindowLate(3000, 10, 3009), true);
});

test('without lateness an event whose window is complete goes to the side output', () => {
  const h = new Harness({ gapMs: 1000 });
  h.event('u', 5000);
  assert.deepEqual(results(h.watermark(6000)), [['u', 5000, 6000, 'on-time', 1]]);
  const out = h.event('u', 4999);
  assert.deepEqual(out, [{ kind: 'late', partition: 0, key: 'u', ts: 4999 }]);
  assert.equal(h.engine.stats().lateEvents, 1);
  // A window of its own, [5001, 6001), ends at max timestamp 6000 <= watermark: late too.
  assert.equal(h.event('u', 5001)[0]!.kind, 'late');
  assert.deepEqual(results(h.event('u', 5002)), [], 'window [5002,6002) ends after the watermark');
});

test('within allowed lateness a late event re-fires the session at once, as late', () => {
  const h = new Harness({ gapMs: 1000, allowedLatenessMs: 500, aggregate: 'count' });
  h.event('u', 0);
  assert.deepEqual(results(h.watermark(999)), [['u', 0, 1000, 'on-time', 1]]);
  assert.equal(h.engine.openSessionCount(), 1, 'kept until 999 + 500');
  assert.deepEqual(results(h.event('u', 0)), [['u', 0, 1000, 'late', 2]], 'same bounds, max 999 <= watermark');
  h.watermark(1498);
  assert.equal(h.engine.openSessionCount(), 1);
  h.watermark(1499);
  assert.equal(h.engine.openSessionCount(), 0, 'dropped at 999 + 500');
  // The old session is gone; 400's own window [400,1400) is still within lateness (1399 + 500 > 1499): a new session, fired late.
  assert.deepEqual(results(h.event('u', 400)), [['u', 400, 1400, 'late', 1]]);
  assert.equal(h.event('u', -1000)[0]!.kind, 'late', '[-1000,0) touches nothing and -1 + 500 <= 1499');
});

test('a late event may bridge two sessions that both fired', () => {
  const h = new Harness({ gapMs: 1000, allowedLatenessMs: 5000, aggregate: 'sum:v' });
  h.event('u', 0, { v: 1 });
  h.event('u', 2000, { v: 2 });
  assert.equal(results(h.watermark(3500)).length, 2);
  assert.deepEqual(results(h.event('u', 1000, { v: 4 })), [['u', 0, 3000, 'late', 7]]);
  assert.equal(h.engine.openSessionCount(), 1);
});

test('a late event that extends a session past the watermark waits for the new end', () => {
  const h = new Harness({ gapMs: 1000, allowedLatenessMs: 5000 });
  h.event('u', 0);
  h.watermark(1200);
  assert.deepEqual(results(h.event('u', 900)), [], 'window now [0,1900): max 1899 is after the watermark');
  assert.deepEqual(results(h.watermark(1899)), [['u', 0, 1900, 'on-time', 2]]);
});

test('the watermark never goes backwards', () => {
  const h = new Harness({ gapMs: 1000 });
  h.watermark(5000);
  h.watermark(100);
  assert.equal(h.engine.watermark, 5000);
  assert.equal(h.event('u', 3000)[0]!.kind, 'late');
});
