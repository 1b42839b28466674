// EventTimeTrigger: a timer at end - 1, fire at it, fire at once when the watermark is already past.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventTimeTrigger, TriggerResult } from '../../../../src/engine/triggers/index.js';
import { Harness, results } from '../harness.js';
import { FakeContext } from './trigger-harness.js';

test('registers end - 1 and fires only at that timer', () => {
  const t = new EventTimeTrigger();
  const ctx = new FakeContext(0, 3000);
  assert.equal(t.onElement(0, ctx), TriggerResult.CONTINUE);
  assert.deepEqual(ctx.sortedTimers(), [2999]);
  assert.equal(t.onEventTime(2998, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onEventTime(2999, ctx), TriggerResult.FIRE);
});

test('fires at once when the watermark passed the window; merge re-registers the new end', () => {
  const t = new EventTimeTrigger();
  const ctx = new FakeContext(0, 3000);
  ctx.currentWatermark = 2999;
  assert.equal(t.onElement(10, ctx), TriggerResult.FIRE);
  assert.equal(ctx.timers.size, 0);
  ctx.windowEnd = 5000;
  t.onMerge(ctx);
  assert.deepEqual(ctx.sortedTimers(), [4999]);
});

test('operator: on-time firing when the watermark reaches end - 1, not before', () => {
  const h = new Harness({ gapMs: 3000 });
  h.event('u', 1000);
  assert.deepEqual(results(h.watermark(3998)), []);
  assert.deepEqual(results(h.watermark(3999)), [['u', 1000, 4000, 'on-time', 1]]);
});
