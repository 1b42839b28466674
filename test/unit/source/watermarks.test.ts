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
  assert.equal(w.jobWatermark(), 4899, 'confirmed caught up only since 1150: not for a whole idle timeout yet');
  now = 2200;
  w.confirmCaughtUp(1, 2150);
  assert.equal(w.jobWatermark(), 19_899, 'confirmed at its log end for the whole idle timeout, nothing arrived: idle');
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

test('an outage is not idleness: without confirmations from Kafka for a whole idle timeout a silent partition holds the job back', () => {
  let now = 0;
  const w = new WatermarkTracker([0, 1], 0, 1000, () => now);
  w.switchToKafka(0);
  w.switchToKafka(1);
  w.observe(0, 5000);
  w.liveProgress(0);
  w.observe(1, 1000);
  w.liveProgress(1);
  assert.equal(w.jobWatermark(), 999);
  // Confirmed caught up before its last record: that says nothing about what came after.
  w.confirmCaughtUp(1, -1);
  now = 1500;
  w.confirmCaughtUp(1, 1400);
  assert.equal(w.jobWatermark(), 999, 'the confirmations began before its last record');
  w.notCaughtUp(1);
  for (const t of [1600, 2000, 2400, 2700]) {
    now = t;
    w.confirmCaughtUp(1, t);
  }
  assert.equal(w.jobWatermark(), 4999, 'caught up since 1600, through 2700: idle');
  // The broker stops answering: a failed question voids the confirmation at once; the partition holds the job again.
  w.notCaughtUp(1);
  now = 3000;
  w.observe(0, 50_000);
  w.liveProgress(0);
  assert.equal(w.jobWatermark(), 4999, 'partition 1 is not idle any more, and the watermark does not go back');
  // Back after the outage: one answer is not enough; a full idle timeout of them is.
  now = 20_000;
  w.confirmCaughtUp(1, 20_000);
  assert.equal(w.jobWatermark(), 4999);
  now = 21_000;
  w.confirmCaughtUp(1, 21_000);
  assert.equal(w.jobWatermark(), 49_999);
  // Confirmations that stop coming (a question hanging) expire after their TTL.
  now = 21_000 + w.confirmationTtlMs + 1;
  w.observe(0, 90_000);
  w.liveProgress(0);
  assert.equal(w.jobWatermark(), 49_999);
});

test('a backlog landing on several partitions at once: the one read first cannot run the watermark past the others until Kafka is asked again', () => {
  let now = 0;
  const w = new WatermarkTracker([0, 1], 0, 1000, () => now);
  w.switchToKafka(0);
  w.switchToKafka(1);
  w.observe(0, 1000);
  w.liveProgress(0);
  w.observe(1, 1000);
  w.liveProgress(1);
  assert.equal(w.jobWatermark(), 999);
  for (const t of [100, 700, 1300]) {
    now = t;
    w.confirmCaughtUp(0, t);
    w.confirmCaughtUp(1, t);
  }
  assert.equal(w.jobWatermark(), 999, 'both idle: the watermark stays');
  // Partition 0's part of the backlog is read first; partition 1's is in Kafka, but its last confirmation is older.
  now = 1400;
  w.observe(0, 90_000);
  w.liveProgress(0);
  assert.equal(w.jobWatermark(), 999, 'partition 1 was confirmed before the newest record: it holds the job');
  now = 1500;
  w.notCaughtUp(1);
  assert.equal(w.jobWatermark(), 999);
  // Once partition 1 is confirmed again after that record (its backlog read), the watermark may pass it.
  w.observe(1, 2000);
  w.liveProgress(1);
  for (const t of [1600, 2200, 2700]) {
    now = t;
    w.confirmCaughtUp(1, t);
  }
  assert.equal(w.jobWatermark(), 89_999);
});
