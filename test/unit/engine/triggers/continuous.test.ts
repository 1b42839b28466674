// ContinuousEventTimeTrigger: early firings at interval deadlines, once per watermark jump, none when the jump also ends the window.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContinuousEventTimeTrigger, TriggerResult } from '../../../../src/engine/triggers/index.js';
import { Harness, results } from '../harness.js';
import { FakeContext } from './trigger-harness.js';

test('first deadline is the next interval boundary after the element; end - 1 is registered too', () => {
  const t = new ContinuousEventTimeTrigger(1000);
  const ctx = new FakeContext(2500, 10_000);
  assert.equal(t.onElement(2500, ctx), TriggerResult.CONTINUE);
  assert.deepEqual(ctx.sortedTimers(), [3000, 9999]);
  assert.equal(ctx.state, 3000);
});

test('a deadline fires and the next one lands after the watermark', () => {
  const t = new ContinuousEventTimeTrigger(1000);
  const ctx = new FakeContext(0, 10_000, 1000);
  ctx.currentWatermark = 3500;
  assert.equal(t.onEventTime(1000, ctx), TriggerResult.FIRE);
  assert.equal(ctx.state, 4000);
  assert.ok(ctx.timers.has(4000));
});

test('merge keeps the earliest deadline', () => {
  const t = new ContinuousEventTimeTrigger(1000);
  const ctx = new FakeContext(0, 10_000, 3000);
  t.onMerge(ctx, [2000, Number.NaN]);
  assert.equal(ctx.state, 2000);
  assert.deepEqual(ctx.sortedTimers(), [2000, 9999]);
});

test('operator: one early firing per watermark step, then on time', () => {
  const h = new Harness({ gapMs: 10_000, trigger: 'continuous:1000' });
  h.event('u', 500);
  h.event('u', 1500);
  assert.deepEqual(results(h.watermark(1000)), [['u', 500, 11_500, 'early', 2]]);
  assert.deepEqual(results(h.watermark(1999)), []);
  h.event('u', 2500);
  assert.deepEqual(results(h.watermark(2000)), [['u', 500, 12_500, 'early', 3]]);
  // One jump over seven deadlines: one early firing.
  assert.deepEqual(results(h.watermark(9000)), [['u', 500, 12_500, 'early', 3]]);
  assert.deepEqual(results(h.watermark(12_499)), [['u', 500, 12_500, 'on-time', 3]]);
});

test('operator: a jump past the end gives only the on-time firing', () => {
  const h = new Harness({ gapMs: 5000, trigger: 'continuous:1000' });
  h.event('u', 0);
  assert.deepEqual(results(h.watermark(100_000)), [['u', 0, 5000, 'on-time', 1]]);
});
