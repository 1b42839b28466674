// PurgingTrigger: every firing also purges, so results are per-firing deltas.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountTrigger, PurgingTrigger, TriggerResult } from '../../../../src/engine/triggers/index.js';
import { Harness, results } from '../harness.js';
import { FakeContext } from './trigger-harness.js';

test('turns FIRE into FIRE_AND_PURGE and passes CONTINUE through', () => {
  const t = new PurgingTrigger(new CountTrigger(2));
  const ctx = new FakeContext(0, 10, 0);
  assert.equal(t.onElement(0, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onElement(1, ctx), TriggerResult.FIRE_AND_PURGE);
});

test('operator: purging count trigger emits deltas; a purged window with no new events emits nothing at the end', () => {
  const h = new Harness({ gapMs: 1000, trigger: 'count:2', purging: true, aggregate: 'sum:v' });
  h.event('u', 0, { v: 1 });
  assert.deepEqual(results(h.event('u', 10, { v: 2 })), [['u', 0, 1010, 'early', 3]]);
  h.event('u', 20, { v: 4 });
  assert.deepEqual(results(h.event('u', 30, { v: 8 })), [['u', 0, 1030, 'early', 12]]);
  assert.deepEqual(results(h.finish()), []);
});

test('operator: purging event-time trigger: a late event re-fires with only itself', () => {
  const h = new Harness({ gapMs: 1000, allowedLatenessMs: 1000, purging: true });
  h.event('u', 0);
  h.event('u', 100);
  assert.deepEqual(results(h.watermark(1099)), [['u', 0, 1100, 'on-time', 2]]);
  assert.deepEqual(results(h.event('u', 50)), [['u', 0, 1100, 'late', 1]]);
});
