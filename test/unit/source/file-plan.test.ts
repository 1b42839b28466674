// Unit tests of per-partition file planning: offset order, overlap dedup, gaps named, positions respected.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plannedFile, planPartitionFiles, remainingMinEventTimes } from '../../../src/source/file-plan.js';
import { file } from './fakes.js';

const f = (start: number, n: number, t0 = 1000, extra = {}) => file(0, start, Array.from({ length: n }, (_, i) => t0 + i), extra).info;

test('files come out in numeric offset order, whatever order the listing gives', () => {
  const plan = planPartitionFiles(0, [f(100, 50), f(0, 10), f(10, 90), f(1000, 1)].filter((x) => x.startOffset !== 1000n), null);
  assert.deepEqual(plan.files.map((x) => x.startOffset), [0n, 10n, 100n]);
  assert.equal(plan.nextOffset, 150n);
  assert.deepEqual(plan.gaps, []);
});

test('a hole between files is a gap naming the missing range', () => {
  const plan = planPartitionFiles(0, [f(0, 10), f(15, 5)], null);
  assert.deepEqual(plan.gaps, [{ before: 1, range: { from: 10n, to: 14n } }]);
  assert.equal(plan.nextOffset, 20n);
});

test('the archive may start above 0 on a fresh start without a gap; a restored position below the first file is a gap', () => {
  assert.deepEqual(planPartitionFiles(0, [f(500, 10)], null).gaps, []);
  assert.deepEqual(planPartitionFiles(0, [f(500, 10)], 480n).gaps, [{ before: 0, range: { from: 480n, to: 499n } }]);
});

test('overlapping files are deduplicated by offset; a file wholly covered is dropped', () => {
  const plan = planPartitionFiles(0, [f(0, 20), f(10, 20), f(12, 5)], null);
  assert.deepEqual(plan.files.map((x, i) => [x.startOffset, plannedFile(plan, i).skipBelow]), [[0n, 0n], [10n, 20n]]);
  assert.equal(plan.nextOffset, 30n);
});

test('a restored position skips files already read and starts inside the file holding it', () => {
  const plan = planPartitionFiles(0, [f(0, 10), f(10, 10), f(20, 10)], 15n);
  assert.deepEqual(plan.files.map((x, i) => [x.startOffset, plannedFile(plan, i).skipBelow]), [[10n, 15n], [20n, 20n]]);
  const past = planPartitionFiles(0, [f(0, 10)], 10n);
  assert.deepEqual(past.files, []);
  assert.equal(past.nextOffset, 10n);
});

test('next offset from the index, not end + 1: compacted topics leave holes the file already accounts for', () => {
  const plan = planPartitionFiles(0, [f(0, 10, 1000, { nextOffset: 14n }), f(14, 5)], null);
  assert.deepEqual(plan.gaps, []);
  assert.equal(plan.nextOffset, 19n);
});

test('offsets beyond 2^53 keep their precision', () => {
  const big = 2n ** 60n;
  const a = { ...f(0, 10), startOffset: big, endOffset: big + 9n, nextOffset: big + 10n };
  const b = { ...f(0, 10), startOffset: big + 10n, endOffset: big + 19n, nextOffset: big + 20n };
  const plan = planPartitionFiles(0, [b, a], null);
  assert.deepEqual(plan.files.map((x) => x.startOffset), [big, big + 10n]);
  assert.equal(plan.nextOffset, big + 20n);
});

test('remaining minimum event times look ahead over all later files', () => {
  const plan = planPartitionFiles(0, [f(0, 5, 500), f(5, 5, 100), f(10, 5, 900)], null);
  assert.deepEqual([...remainingMinEventTimes(plan)], [100, 100, 900, Number.POSITIVE_INFINITY]);
});

test('untimedFirst: a file holding records without a stored event time counts as having no minimum; otherwise its recorded one', () => {
  const files = [f(0, 5, 500), f(5, 5, 100, { eventTimeMissing: 2 }), f(10, 5, 900, { eventTimeMissing: 0 })];
  assert.deepEqual([...planPartitionFiles(0, files, null).minEventTimes], [500, 100, 900]);
  const untimed = planPartitionFiles(0, files, null, { untimedFirst: true });
  assert.deepEqual([...untimed.minEventTimes], [500, Number.NEGATIVE_INFINITY, 900]);
  assert.deepEqual([...remainingMinEventTimes(untimed)], [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 900, Number.POSITIVE_INFINITY]);
});

test('untimedFirst with the untimed records\' smallest Kafka timestamp recorded (metadata 3): the file\'s minimum is the smaller of the two', () => {
  const files = [
    f(0, 5, 500, { eventTimeMissing: 1, untimedMinTimestamp: 450 }),
    f(5, 5, 600, { eventTimeMissing: 1, untimedMinTimestamp: 700 }),
    // Untimed records only: no event-time minimum, the Kafka timestamps alone say.
    f(10, 5, 0, { eventTimeMissing: 5, untimedMinTimestamp: 800, minEventTime: Number.NEGATIVE_INFINITY, maxEventTime: Number.NEGATIVE_INFINITY }),
    f(15, 5, 900, { eventTimeMissing: 1, untimedMinTimestamp: null }),
  ];
  assert.deepEqual([...planPartitionFiles(0, files, null, { untimedFirst: true }).minEventTimes], [450, 600, 800, Number.NEGATIVE_INFINITY]);
  assert.deepEqual([...planPartitionFiles(0, files, null).minEventTimes], [500, 600, Number.NEGATIVE_INFINITY, 900]);
});
