// The partition index: built from files, trusted when it matches the folder, repaired when stale, foreign files reported.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { committedFilePath, partitionDir } from '../../../src/archive/file-name.js';
import { jsonlGzFormat } from '../../../src/archive/jsonl-format.js';
import { formatRegistry, INDEX_FILE_NAME, loadPartitionIndex } from '../../../src/archive/partition-index.js';
import { listPartitionFiles, listTopicPartitions, listTopics, readArchiveFile, readPartitionRecords } from '../../../src/archive/reader.js';
import { MetadataAccumulator } from '../../../src/archive/record.js';
import { MemoryFs } from './memory-fs.js';
import { sampleRecords } from './records.js';

const formats = formatRegistry([jsonlGzFormat]);

async function commit(fs: MemoryFs, start: bigint, first: bigint, count: number, next: bigint, partition = 0): Promise<string> {
  const records = sampleRecords(first, count);
  const acc = new MetadataAccumulator();
  records.forEach((r) => acc.add(r));
  const path = committedFilePath('/a', 't', partition, start, acc.lastOffset!, 'jsonl.gz');
  const w = jsonlGzFormat.createWriter(fs, path);
  await w.write(records);
  await w.finish(acc.toMetadata('t', partition, next, 'jsonl.gz', 'ts'));
  return path;
}

test('files are listed in offset order; the index is written, then trusted without opening files', async () => {
  const fs = new MemoryFs();
  await commit(fs, 100n, 100n, 50, 150n);
  await commit(fs, 0n, 0n, 100, 100n);
  await commit(fs, 150n, 155n, 10, 170n); // a hole 150..154 (compaction): the range still starts at 150
  const first = await loadPartitionIndex(fs, '/a', 't', 0, formats, { repair: true });
  assert.equal(first.indexState, 'missing');
  assert.equal(first.filesRead, 3);
  assert.deepEqual(first.entries.map((e) => [e.startOffset, e.endOffset, e.nextOffset, e.count]), [[0n, 99n, 100n, 100], [100n, 149n, 150n, 50], [150n, 164n, 170n, 10]]);
  assert.ok(fs.files.has(`${partitionDir('/a', 't', 0)}/${INDEX_FILE_NAME}`));
  let opened = 0;
  fs.beforeOp = (op, path) => { if (op === 'readRange' && path.endsWith('.gz')) opened++; };
  const second = await loadPartitionIndex(fs, '/a', 't', 0, formats);
  assert.equal(second.indexState, 'fresh');
  assert.equal(opened, 1, 'only the last file\'s footer is read, to check the archive\'s end');
  assert.deepEqual(second.entries, first.entries);
  assert.deepEqual(await listTopicPartitions(fs, '/a', 't'), [0]);
  assert.deepEqual(await listTopics(fs, '/a'), ['t']);
});

test('a stale index is corrected from the folder; foreign and corrupt files are named and skipped', async () => {
  const fs = new MemoryFs();
  await commit(fs, 0n, 0n, 10, 10n);
  await loadPartitionIndex(fs, '/a', 't', 0, formats, { repair: true });
  const added = await commit(fs, 10n, 10n, 10, 20n);
  const dir = partitionDir('/a', 't', 0);
  await fs.writeFile(`${dir}/notes.txt`, new Uint8Array([1]));
  await fs.writeFile(`${dir}/t+0+20+29.jsonl.gz`, new Uint8Array([1, 2, 3]));
  await fs.writeFile(`${dir}/other+0+30+39.jsonl.gz`, new Uint8Array([1]));
  const listing = await loadPartitionIndex(fs, '/a', 't', 0, formats, { repair: true });
  assert.equal(listing.indexState, 'stale');
  assert.deepEqual(listing.entries.map((e) => e.path), [`${dir}/t+0+00000000000000000000+00000000000000000009.jsonl.gz`, added]);
  assert.deepEqual(listing.foreign.map((f) => f.path.split('/').pop()).sort(), ['notes.txt', 'other+0+30+39.jsonl.gz', 't+0+20+29.jsonl.gz']);
  fs.files.set(`${dir}/${INDEX_FILE_NAME}`, new TextEncoder().encode('{not json'));
  const rebuilt = await loadPartitionIndex(fs, '/a', 't', 0, formats);
  assert.equal(rebuilt.indexState, 'unreadable');
  assert.equal(rebuilt.entries.length, 2);
});

test('reading a partition dedupes overlapping files by offset', async () => {
  const fs = new MemoryFs();
  await commit(fs, 0n, 0n, 100, 100n);
  await commit(fs, 50n, 50n, 100, 150n); // a second writer published 50..149 across a rebalance
  const entries = await listPartitionFiles(fs, '/a', 't', 0, formats);
  const offsets: bigint[] = [];
  for await (const batch of readPartitionRecords(fs, entries, formats)) offsets.push(...batch.map((r) => r.offset));
  assert.deepEqual(offsets, Array.from({ length: 150 }, (_, i) => BigInt(i)));
  let n = 0;
  for await (const b of readArchiveFile(fs, entries[1]!, formats)) n += b.length;
  assert.equal(n, 100);
});

test('an index entry whose facts contradict its name or its neighbour, or the last file\'s, is rebuilt from the file', async () => {
  const fs = new MemoryFs();
  await commit(fs, 0n, 0n, 100, 100n);
  await commit(fs, 100n, 100n, 100, 200n);
  await commit(fs, 200n, 200n, 50, 250n);
  await loadPartitionIndex(fs, '/a', 't', 0, formats, { repair: true });
  const indexPath = `${partitionDir('/a', 't', 0)}/${INDEX_FILE_NAME}`;
  const original = new TextDecoder().decode(fs.files.get(indexPath)!);
  const tamper = async (edit: (files: Record<string, unknown>[]) => void): Promise<void> => {
    const doc = JSON.parse(original) as { files: Record<string, unknown>[] };
    edit(doc.files);
    fs.files.set(indexPath, new TextEncoder().encode(JSON.stringify(doc)));
  };
  const truth = (await loadPartitionIndex(fs, '/a', 't', 0, formats)).entries;
  const cases: [string, (files: Record<string, unknown>[]) => void][] = [
    ['a next offset beyond the next file\'s start', (f) => { f[0]!.nextOffset = '150'; }],
    ['a count larger than the file\'s offsets', (f) => { f[1]!.count = 500; }],
    ['the last file\'s next offset (the resume point)', (f) => { f[2]!.nextOffset = '9999'; }],
    ['the last file\'s count', (f) => { f[2]!.count = 49; }],
  ];
  for (const [what, edit] of cases) {
    await tamper(edit);
    const listing = await loadPartitionIndex(fs, '/a', 't', 0, formats);
    assert.deepEqual(listing.entries, truth, what);
    assert.equal(listing.indexState, 'stale', what);
    const offsets: bigint[] = [];
    for await (const batch of readPartitionRecords(fs, listing.entries, formats)) offsets.push(...batch.map((r) => r.offset));
    assert.equal(offsets.length, 250, `${what}: replay reads every record`);
  }
});
