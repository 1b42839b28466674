// Lateness: side output past cleanup, late re-firing within allowed lateness, state dropped at end - 1 + lateness.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanupTime, isWindowLate } from '../../../src/engine/index.js';
import { Harness, prng, results } from './harness.js';

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

test('an event the watermark has passed, still taken into a session, is counted as behind the watermark', () => {
  const h = new Harness({ gapMs: 1000, aggregate: 'count' });
  h.event('u', 5000);
  h.watermark(5500);
  h.event('u', 5600);
  assert.equal(h.engine.stats().behindWatermark, 0, 'ahead of the watermark');
  h.event('u', 5500);
  assert.equal(h.engine.stats().behindWatermark, 1, 'at the watermark: a session ending at its time + 1 would have fired');
  // Past cleanup it is late, not behind.
  h.watermark(7000);
  assert.equal(h.event('u', 4000)[0]!.kind, 'late');
  assert.deepEqual([h.engine.stats().behindWatermark, h.engine.stats().lateEvents], [1, 1]);
});

test('no event behind the watermark and none late: the sessions are those of an offline pass; otherwise they may differ', () => {
  const rand = prng(20261130);
  let equal = 0;
  let differ = 0;
  for (let round = 0; round < 400; round++) {
    // Events of a few keys with up to `disorder` ms of disorder, a watermark bounded by `bound` (as the jobs run it).
    const disorder = Math.floor(rand() * 4000);
    const bound = Math.floor(rand() * 4000);
    const events = Array.from({ length: 60 }, (_, i) => ({ key: `k${Math.floor(rand() * 3)}`, ts: i * 150 + Math.floor(rand() * disorder) }));
    const live = new Harness({ gapMs: 400, aggregate: 'count' });
    let max = -Infinity;
    for (const e of events) {
      live.event(e.key, e.ts);
      if (e.ts > max) {
        max = e.ts;
        live.watermark(max - bound - 1);
      }
    }
    live.finish();
    const offline = new Harness({ gapMs: 400, aggregate: 'count' });
    for (const e of [...events].sort((a, b) => a.ts - b.ts)) offline.event(e.key, e.ts);
    offline.finish();
    const sorted = (h: Harness) => results(h.out).map((r) => JSON.stringify([r[0], r[1], r[2], r[4]])).sort();
    const same = JSON.stringify(sorted(live)) === JSON.stringify(sorted(offline));
    const { behindWatermark, lateEvents } = live.engine.stats();
    if (behindWatermark === 0 && lateEvents === 0) {
      assert.ok(same, `round ${round}: nothing behind the watermark, yet the sessions differ from the offline pass`);
      equal++;
    } else if (!same) differ++;
  }
  assert.ok(equal > 50 && differ > 20, `both kinds of run were generated (${equal} certified, ${differ} differing)`);
});
