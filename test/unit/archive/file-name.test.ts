// Archive file names and folders: round trip, any padding, numeric order, unsafe topic names refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildFileName, compareByOffsets, committedFilePath, isLegacyOwnTempName, legacyTempPartitionDir, parseFileName, parsePartitionDirName, partitionDir, tempPartitionDir, validateTopicName,
} from '../../../src/archive/file-name.js';
import { UsageError } from '../../../src/errors.js';

test('a built name parses back to the same topic, partition, offsets and extension', () => {
  const cases: [string, number, bigint, bigint, string][] = [
    ['listens', 0, 0n, 0n, 'parquet'],
    ['my.topic_v2-x', 17, 123n, 456n, 'jsonl.gz'],
    ['t', 3, 9_223_372_036_854_775_806n, 9_223_372_036_854_775_807n, 'parquet'],
  ];
  for (const [topic, p, start, end, ext] of cases) {
    const name = buildFileName(topic, p, start, end, ext);
    assert.deepEqual(parseFileName(name), { topic, partition: p, startOffset: start, endOffset: end, extension: ext });
  }
  assert.equal(buildFileName('listens', 3, 100n, 199n, 'parquet'), 'listens+3+00000000000000000100+00000000000000000199.parquet');
});

test('names with any padding parse (Kafka Connect pads to 10) and sort numerically', () => {
  const names = ['t+0+100+199.parquet', 't+0+0000000000+0000000099.parquet', 't+0+00000000000000000200+00000000000000000200.parquet', 't+0+20+99.parquet'];
  const parsed = names.map((n) => parseFileName(n)!);
  assert.ok(parsed.every((p) => p !== null));
  const sorted = [...parsed].sort(compareByOffsets).map((p) => `${p.startOffset}-${p.endOffset}`);
  assert.deepEqual(sorted, ['0-99', '20-99', '100-199', '200-200']);
});

test('names that are not archive files parse to null', () => {
  for (const name of ['_oxbow-index.json', 't+0+5+4.parquet', 't+0+1.parquet', 'readme.txt', 't+x+1+2.parquet', '..+0+1+2.parquet', 't+0+1+2']) {
    assert.equal(parseFileName(name), null, name);
  }
});

test('unsafe or invalid topic names are a UsageError naming the topic', () => {
  for (const bad of ['', '..', '.', 'a/b', 'a\\b', 'a+b', 'x'.repeat(250)]) {
    assert.throws(() => validateTopicName(bad), (err: unknown) => err instanceof UsageError && err.message.includes(`'${bad.slice(0, 20)}`) || (bad === '' && err instanceof UsageError), bad);
  }
  assert.throws(() => partitionDir('/a', '../etc', 0), UsageError);
  assert.throws(() => buildFileName('t', -1, 0n, 1n, 'parquet'), UsageError);
});

test('folders follow the layout contract', () => {
  assert.equal(partitionDir('/archive/', 'listens', 2), '/archive/topics/listens/partition=2');
  assert.equal(tempPartitionDir('/archive', 'listens', 2), '/archive/topics/+tmp/+oxbow/listens/partition=2');
  assert.equal(legacyTempPartitionDir('/archive', 'listens', 2), '/archive/topics/+tmp/listens/partition=2');
  // Only names oxbow 0.1 gave its temp files count as its own; Kafka Connect's `<uuid>_tmp.<ext>` never does.
  assert.equal(isLegacyOwnTempName('0f8fad5b-d9cb-469f-a165-70867728950e.parquet'), true);
  assert.equal(isLegacyOwnTempName('_oxbow-index.json.0f8fad5b-d9cb-469f-a165-70867728950e'), true);
  assert.equal(isLegacyOwnTempName('0f8fad5b-d9cb-469f-a165-70867728950e_tmp.parquet'), false);
  assert.equal(isLegacyOwnTempName('data.parquet'), false);
  assert.equal(committedFilePath('/', 'l', 1, 5n, 6n, 'parquet'), '/topics/l/partition=1/l+1+00000000000000000005+00000000000000000006.parquet');
  assert.equal(parsePartitionDirName('partition=12'), 12);
  assert.equal(parsePartitionDirName('partition=x'), null);
});
