// Parquet round trip: lossless records over several row groups, metadata from the footer alone, typed columns.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parquetMetadata } from 'hyparquet';
import { parquetFormat, METADATA_KEY } from '../../../../connectors/parquet/parquet-format.js';
import { MetadataAccumulator } from '../../../../src/archive/record.js';
import { CorruptFileError } from '../../../../src/errors.js';
import { MemoryFs } from '../../archive/memory-fs.js';
import { sampleRecords } from '../../archive/records.js';

test('records survive a Parquet file of several row groups exactly', async () => {
  const fs = new MemoryFs();
  const records = sampleRecords(5n, 120_000, 3n);
  const w = parquetFormat.createWriter(fs, '/f.parquet');
  const acc = new MetadataAccumulator();
  for (let i = 0; i < records.length; i += 7000) {
    const batch = records.slice(i, i + 7000);
    batch.forEach((r) => acc.add(r));
    await w.write(batch);
  }
  const meta = acc.toMetadata('t', 1, 5n + 3n * 120_000n, 'parquet', 'ts');
  await w.finish(meta);
  const bytes = fs.files.get('/f.parquet')!;
  const footer = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
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

test('a file without oxbow metadata or with cut bytes is a CorruptFileError naming it', async () => {
  const fs = new MemoryFs();
  await fs.writeFile('/x.parquet', new Uint8Array(100).fill(7));
  await assert.rejects(parquetFormat.readMetadata(fs, '/x.parquet'), (e: unknown) => e instanceof CorruptFileError && e.message.includes('/x.parquet'));
});
