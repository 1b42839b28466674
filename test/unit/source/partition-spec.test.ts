// Unit tests of the --partitions parser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../src/errors.js';
import { parsePartitionSpec } from '../../../src/source/partition-spec.js';

test('ranges and single partitions, deduplicated and sorted', () => {
  assert.deepEqual(parsePartitionSpec('7,0-3, 2'), [0, 1, 2, 3, 7]);
  assert.deepEqual(parsePartitionSpec('5'), [5]);
});

test('bad specs name the bad part', () => {
  assert.throws(() => parsePartitionSpec('0-x'), (e: unknown) => e instanceof UsageError && /'0-x'/.test(e.message));
  assert.throws(() => parsePartitionSpec('3-1'), /runs backwards/);
  assert.throws(() => parsePartitionSpec(''), /is not a partition/);
});
