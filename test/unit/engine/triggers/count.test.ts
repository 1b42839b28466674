// CountTrigger: fires every N elements, merged windows add counts, no on-time firing (end of input flushes the rest).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountTrigger, TriggerResult } from '../../../../src/engine/triggers/index.js';
import { Harness, results } from '../harness.js';
import { FakeContext } from './trigger-harness.js';

test('fires at the Nth element and starts counting again', () => {
  const t = new CountTrigger(3);
  const ctx = new FakeContext(0, 100, 0);
  assert.equal(t.onElement(1, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onElement(2, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onElement(3, ctx), TriggerResult.FIRE);
  assert.equal(ctx.state, 0);
  assert.equal(t.onEventTime(99, ctx), TriggerResult.CONTINUE);
});

test('merge adds the counts of the merged windows', () => {
  const t = new CountTrigger(5);
  const ctx = new FakeContext(0, 100, 2);
  t.onMerge(ctx, [1, 1]);
  assert.equal(ctx.state, 4);
  assert.equal(t.onElement(1, ctx), TriggerResult.FIRE);
});

test('rejects N < 1', () => {
  assert.throws(() => new CountTrigger(0), /count:N/);
});

test('operator: accumulating early firings; the watermark fires nothing; end of input emits the unfired rest once', () => {
  const h = new Harness({ gapMs: 1000, trigger: 'count:2' });
  assert.deepEqual(results(h.event('u', 0)), []);
  assert.deepEqual(results(h.event('u', 100)), [['u', 0, 1100, 'early', 2]]);
  h.event('u', 200);
  assert.deepEqual(results(h.watermark(1199)), [], 'count triggers do not fire on time');
  assert.equal(h.engine.openSessionCount(), 0, 'but the window is cleaned up');
  h.event('u', 5000);
  assert.deepEqual(results(h.finish()), [['u', 5000, 6000, 'on-time', 1]]);
});
