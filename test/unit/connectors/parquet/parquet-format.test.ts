// Parquet round trip: lossless records over several row groups, metadata from the footer alone, typed columns; and the
// replay's read (no headers, columns instead of rows) giving the same records.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parquetMetadata } from 'hyparquet';
import { parquetFormat, METADATA_KEY } from '../../../../connectors/parquet/parquet-format.js';
import { type ArchivedRecord, MetadataAccumulator, type ReplayRecord } from '../../../../src/archive/record.js';
import { CorruptFileError } from '../../../../src/errors.js';
import { MemoryFs } from '../../archive/memory-fs.js';
import { sampleRecords } from '../../archive/records.js';

/** Writes `records` to `/f.parquet` in writes of `batch` records; its metadata and footer. */
async function written(fs: MemoryFs, records: ArchivedRecord[], batch: number, partition: number, endOffset: bigint) {
  const w = parquetFormat.createWriter(fs, '/f.parquet');
  const acc = new MetadataAccumulator();
  for (let i = 0; i < records.length; i += batch) {
    const part = records.slice(i, i + batch);
    part.forEach((r) => acc.add(r));
    await w.write(part);
  }
  const meta = acc.toMetadata('t', partition, endOffset, 'parquet', 'ts');
  await w.finish(meta);
  const bytes = fs.files.get('/f.parquet')!;
  return { meta, bytes, footer: parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer) };
}

test('records survive a Parquet file of several row groups exactly', async () => {
  const fs = new MemoryFs();
  const records = sampleRecords(5n, 120_000, 3n);
  const { meta, footer } = await written(fs, records, 7000, 1, 5n + 3n * 120_000n);
  assert.ok(footer.row_groups.length >= 3, `row groups: ${footer.row_groups.length}`);
  assert.equal(footer.schema.find((s) => s.name === 'offset')?.type, 'INT64');
  assert.ok(footer.key_value_metadata?.some((kv) => kv.key === METADATA_KEY));
  let reads = 0;
  fs.beforeOp = (op) => { if (op === 'readRange') reads++; };
  assert.deepEqual(await parquetFormat.readMetadata(fs, '/f.parquet'), meta);
  assert.equal(reads, 1, 'metadata takes one range read of the footer');
  const back = [];
  for await (const b of parquetFormat.readBatches(fs, '/f.parquet')) back.push(...b);
  assert.equal(back.length, records.length);
  assert.deepEqual(back, records);
});

/** A record as a replay reads it: every field but the headers. */
const asSource = ({ headers: _, ...r }: ArchivedRecord): ReplayRecord => r;
/** A replayed record's fields as a plain object (the replay's records keep their bytes in their pages until asked). */
const plain = (r: ReplayRecord): ReplayRecord => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, eventTime: r.eventTime });

test('a replay reads every record but its headers, over row groups of many pages each', async () => {
  const fs = new MemoryFs();
  // Values of about 1.5 KB: a row group of 10,000 rows holds a value column of about 15 pages of 1 MiB.
  const records = sampleRecords(7n, 26_000, 2n).map((r, i) => (r.value !== null && i % 3 === 0 ? { ...r, value: new TextEncoder().encode(`{"pad":"${'x'.repeat(1500 + (i % 97))}","n":${i}}`) } : r));
  const { footer } = await written(fs, records, 5000, 0, 7n + 2n * 26_000n);
  assert.ok(footer.row_groups.length >= 3, `row groups: ${footer.row_groups.length}`);
  const batches: ReplayRecord[][] = [];
  for await (const b of parquetFormat.readReplayBatches!(fs, '/f.parquet')) batches.push(b);
  assert.equal(batches.length, footer.row_groups.length, 'a batch per row group');
  assert.deepEqual(batches.flat().map(plain), records.map(asSource));
});

test('a replay reads times across the whole safe range exactly: negative, at the 32-bit word boundaries, at ±(2^53 − 1)', async () => {
  const edges = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), -(2 ** 32) - 1, -(2 ** 31) - 1,
    1_732_406_400_000, -62_135_596_800_000, 8.64e15, -8.64e15, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 52 + 3, -(2 ** 52) - 3];
  const enc = new TextEncoder();
  const records: ArchivedRecord[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = edges[i % edges.length]! + (i % 3 === 0 ? 0 : i % 2 === 0 ? 1 : -1) * (Math.abs(edges[i % edges.length]!) >= 2 ** 53 - 1 ? 0 : i);
    // Event times without nulls in this file: the column comes as a BigInt64Array, the path that reads its words.
    records.push({ offset: BigInt(i), timestamp: edges[(i * 7) % edges.length]!, key: null, value: enc.encode(`{"n":${i}}`), headers: [], eventTime: t });
  }
  const fs = new MemoryFs();
  await written(fs, records, 1000, 0, 3000n);
  const replayed: ReplayRecord[] = [];
  for await (const b of parquetFormat.readReplayBatches!(fs, '/f.parquet')) replayed.push(...b.map(plain));
  // The oracle: the records written, and the full read (hyparquet's own conversion of the annotated columns).
  assert.deepEqual(replayed, records.map(asSource));
  const full: ArchivedRecord[] = [];
  for await (const b of parquetFormat.readBatches(fs, '/f.parquet')) full.push(...b);
  assert.deepEqual(replayed, full.map(asSource));
});

test('a replay\'s read of a damaged file is a CorruptFileError naming it', async () => {
  const fs = new MemoryFs();
  const { bytes } = await written(fs, sampleRecords(0n, 3000), 3000, 0, 3000n);
  // Garbage in the middle of the column chunks, the footer intact.
  bytes.fill(0xee, 200, Math.floor(bytes.length / 2));
  await assert.rejects(async () => {
    for await (const b of parquetFormat.readReplayBatches!(fs, '/f.parquet')) void b;
  }, (e: unknown) => e instanceof CorruptFileError && e.message.includes('/f.parquet'));
});

test('a file without oxbow metadata or with cut bytes is a CorruptFileError naming it', async () => {
  const fs = new MemoryFs();
  await fs.writeFile('/x.parquet', new Uint8Array(100).fill(7));
  await assert.rejects(parquetFormat.readMetadata(fs, '/x.parquet'), (e: unknown) => e instanceof CorruptFileError && e.message.includes('/x.parquet'));
});
