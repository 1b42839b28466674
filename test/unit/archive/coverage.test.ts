// Coverage: gaps and overlaps from file ranges, and the comparison with Kafka's earliest/latest offsets.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareWithKafka, partitionCoverage } from '../../../src/archive/coverage.js';
import type { ArchiveFileEntry } from '../../../src/archive/partition-index.js';

function entry(start: bigint, end: bigint, next = end + 1n): ArchiveFileEntry {
  return {
    path: `/p/t+0+${start}+${end}.parquet`, name: `t+0+${start}+${end}.parquet`, topic: 't', partition: 0, startOffset: start, endOffset: end,
    firstOffset: start, lastOffset: end, nextOffset: next, count: Number(end - start + 1n), minEventTime: Number(start), maxEventTime: Number(end),
    eventTimeMissing: 0, untimedMinTimestamp: null, format: 'parquet', eventTime: 'ts', length: 10,
  };
}

test('contiguous files have no gap; a hole in the ranges is a gap, a range below the end an overlap', () => {
  const clean = partitionCoverage('t', 0, [entry(0n, 9n), entry(10n, 19n, 25n), entry(25n, 30n)]);
  assert.deepEqual([clean.gaps, clean.overlaps, clean.start, clean.end, clean.records], [[], [], 0n, 31n, 26]);
  const holes = partitionCoverage('t', 0, [entry(0n, 9n), entry(15n, 19n), entry(18n, 25n)]);
  assert.deepEqual(holes.gaps, [{ from: 10n, to: 14n }]);
  assert.deepEqual(holes.overlaps.map((o) => [o.from, o.to]), [[18n, 19n]]);
  assert.equal(holes.minEventTime, 0);
  assert.equal(holes.maxEventTime, 25);
});

test('against Kafka: what only Kafka holds, and what retention deleted that the archive lacks', () => {
  const c = partitionCoverage('t', 0, [entry(100n, 199n), entry(250n, 299n)]);
  const k = compareWithKafka(c, 220n, 400n);
  assert.deepEqual(k.onlyInKafka, { from: 300n, to: 399n });
  assert.deepEqual(k.deletedAndMissing, [{ from: 0n, to: 99n }, { from: 200n, to: 219n }]);
  assert.deepEqual(k.archivedAndInKafka, { from: 220n, to: 299n });
  const empty = compareWithKafka(partitionCoverage('t', 1, []), 50n, 60n);
  assert.deepEqual([empty.onlyInKafka, empty.deletedAndMissing, empty.archivedAndInKafka], [{ from: 50n, to: 59n }, [{ from: 0n, to: 49n }], null]);
  const complete = compareWithKafka(partitionCoverage('t', 0, [entry(0n, 9n)]), 0n, 10n);
  assert.deepEqual([complete.onlyInKafka, complete.deletedAndMissing], [null, []]);
});
