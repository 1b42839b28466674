// Unit tests of the watermark rules: exact at archive file boundaries, capped by the bound, min over partitions, idle, monotone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatermarkTracker } from '../../../src/source/watermarks.js';

test('after a file the watermark is the remaining files minimum - 1 when that is below max seen - bound - 1', () => {
  const w = new WatermarkTracker([0], 1000);
  w.observe(0, 50_000);
  w.archiveFileDone(0, 20_000);
  assert.equal(w.jobWatermark(), 19_999);
});

test('the bound caps it: the end of the archive does not run ahead of max seen - bound', () => {
  const w = new WatermarkTracker([0], 1000);
  w.observe(0, 50_000);
  w.archiveFileDone(0, Number.POSITIVE_INFINITY);
  assert.equal(w.jobWatermark(), 48_999);
  w.observe(0, 10);
  w.archiveFileDone(0, 60_000);
  assert.equal(w.jobWatermark(), 48_999, 'never backwards');
});

test('the job watermark is the minimum over partitions; finished ones stop holding it back', () => {
  const w = new WatermarkTracker([0, 1], 0);
  w.observe(0, 10_000);
  w.archiveFileDone(0, 5000);
  assert.equal(w.jobWatermark(), Number.NEGATIVE_INFINITY, 'partition 1 has read nothing yet');
  w.observe(1, 3000);
  w.archiveFileDone(1, 4000);
  assert.equal(w.jobWatermark(), 2999);
  w.finish(1);
  assert.equal(w.jobWatermark(), 4999);
});

test('a Kafka partition silent for the idle timeout AND confirmed at its log end stops holding the job back; the watermark never goes back when it speaks again', () => {
  let now = 0;
  const w = new WatermarkTracker([0, 1], 100, 1000, () => now);
  w.observe(0, 10_000);
  w.observe(1, 5_000);
  w.switchToKafka(0);
  w.switchToKafka(1);
  assert.equal(w.jobWatermark(), 4899);
  now = 500;
  w.observe(0, 20_000);
  w.liveProgress(0);
  now = 999;
  assert.equal(w.jobWatermark(), 4899, 'partition 1 not idle yet');
  now = 1200;
  assert.equal(w.jobWatermark(), 4899, 'silent, but never confirmed caught up: a backlog or an outage looks the same');
  w.confirmCaughtUp(1, 1150);
  assert.equal(w.jobWatermark(), 19_899, 'silent and confirmed at its log end: idle');
  w.observe(1, 6000);
  w.liveProgress(1);
  assert.equal(w.jobWatermark(), 19_899);
});

test('Kafka phase watermarks never go below the archive phase ones', () => {
  const w = new WatermarkTracker([0], 10_000);
  w.observe(0, 100_000);
  w.archiveFileDone(0, 95_000);
  assert.equal(w.jobWatermark(), 89_999);
  w.switchToKafka(0);
  assert.equal(w.jobWatermark(), 89_999);
});

test('snapshot and restore keep watermarks and max seen, infinities included', () => {
  const w = new WatermarkTracker([0, 1], 10);
  w.observe(0, 1000);
  w.archiveFileDone(0, 500);
  const snap = JSON.parse(JSON.stringify(w.snapshot()));
  const r = new WatermarkTracker([0, 1], 10);
  r.restore(snap);
  assert.deepEqual(r.snapshot(), w.snapshot());
  assert.equal(r.view()[1]!.watermark, Number.NEGATIVE_INFINITY);
});

test('an outage is not idleness: without a fresh confirmation from Kafka a silent partition holds the job back', () => {
  let now = 0;
  const w = new WatermarkTracker([0, 1], 0, 1000, () => now);
  w.switchToKafka(0);
  w.switchToKafka(1);
  w.observe(0, 5000);
  w.liveProgress(0);
  w.observe(1, 1000);
  w.liveProgress(1);
  assert.equal(w.jobWatermark(), 999);
  // Confirmed caught up just before its last record: that says nothing about what came after.
  w.confirmCaughtUp(1, -1);
  now = 5000;
  assert.equal(w.jobWatermark(), 999);
  w.confirmCaughtUp(1, 4000);
  assert.equal(w.jobWatermark(), 4999);
  // The broker stops answering: the confirmation ages out and the partition holds the job again (no new ones come).
  now = 4000 + w.confirmationTtlMs + 1;
  w.observe(0, 50_000);
  w.liveProgress(0);
  assert.equal(w.jobWatermark(), 4999, 'partition 1 is not idle any more, and the watermark does not go back');
});
