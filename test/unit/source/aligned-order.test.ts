// Unit tests of event-time alignment across partitions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignedOrder } from '../../../src/source/aligned-order.js';
import { planPartitionFiles } from '../../../src/source/file-plan.js';
import { file } from './fakes.js';

test('the next file read is the partition head with the smallest minimum event time', () => {
  const p0 = planPartitionFiles(0, [file(0, 0, [100, 150]).info, file(0, 2, [300, 350]).info, file(0, 4, [500]).info], null);
  const p1 = planPartitionFiles(1, [file(1, 0, [200, 260]).info, file(1, 2, [250, 400]).info], null);
  const order = [...alignedOrder([p0, p1])].map((s) => `${s.partition}:${s.file.startOffset}`);
  assert.deepEqual(order, ['0:0', '1:0', '1:2', '0:2', '0:4']);
});

test('offset order inside a partition wins over event time (a later file with earlier times waits its turn)', () => {
  const p0 = planPartitionFiles(0, [file(0, 0, [900]).info, file(0, 1, [100]).info], null);
  const p1 = planPartitionFiles(1, [file(1, 0, [500]).info], null);
  assert.deepEqual([...alignedOrder([p0, p1])].map((s) => `${s.partition}:${s.index}`), ['1:0', '0:0', '0:1']);
});

test('ties go to the lower partition; empty plans are fine', () => {
  const p0 = planPartitionFiles(0, [file(0, 0, [100]).info], null);
  const p1 = planPartitionFiles(1, [file(1, 0, [100]).info], null);
  const p2 = planPartitionFiles(2, [], null);
  assert.deepEqual([...alignedOrder([p1, p2, p0])].map((s) => s.partition), [0, 1]);
  assert.deepEqual([...alignedOrder([])], []);
});
