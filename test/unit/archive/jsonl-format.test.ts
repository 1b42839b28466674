// JSONL.gz round trip: lossless records, metadata trailer by one range read, plain gunzip sees only the data lines.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { jsonlGzFormat, recordFromJsonLine, recordToJsonLine } from '../../../src/archive/jsonl-format.js';
import { MetadataAccumulator } from '../../../src/archive/record.js';
import { CorruptFileError } from '../../../src/errors.js';
import { MemoryFs } from './memory-fs.js';
import { sampleRecords } from './records.js';

test('one record survives a JSON line exactly, binary bytes via base64 flags', () => {
  for (const r of sampleRecords(10n, 30)) assert.deepEqual(recordFromJsonLine(recordToJsonLine(r)), r);
  const line = JSON.parse(recordToJsonLine(sampleRecords(0n, 3)[2]!)) as Record<string, unknown>;
  assert.equal(line.valueBase64, true);
  assert.equal(line.offset, '2');
});

test('a written file reads back in batches with its metadata, and gunzip sees only record lines', async () => {
  const fs = new MemoryFs();
  const records = sampleRecords(1000n, 25_000, 2n);
  const w = jsonlGzFormat.createWriter(fs, '/t/f.jsonl.gz');
  const acc = new MetadataAccumulator();
  for (let i = 0; i < records.length; i += 3000) {
    const batch = records.slice(i, i + 3000);
    for (const r of batch) acc.add(r);
    await w.write(batch);
  }
  const meta = acc.toMetadata('t', 4, 1000n + 2n * 25_000n, 'jsonl.gz', 'ts');
  await w.finish(meta);
  assert.ok(w.bytesWritten > 0);
  const back = [];
  for await (const b of jsonlGzFormat.readBatches(fs, '/t/f.jsonl.gz')) back.push(...b);
  assert.deepEqual(back, records);
  assert.deepEqual(await jsonlGzFormat.readMetadata(fs, '/t/f.jsonl.gz'), meta);
  assert.equal(meta.eventTimeMissing, records.filter((r) => r.eventTime === null).length);
  const untimed = records.filter((r) => r.eventTime === null).map((r) => r.timestamp);
  assert.ok(untimed.length > 0, 'the sample holds records without an event time');
  assert.equal(meta.untimedMinTimestamp, Math.min(...untimed));
  const lines = gunzipSync(fs.files.get('/t/f.jsonl.gz')!).toString('utf8').trimEnd().split('\n');
  assert.equal(lines.length, records.length);
});

test('a truncated file is a CorruptFileError naming the path', async () => {
  const fs = new MemoryFs();
  const w = jsonlGzFormat.createWriter(fs, '/f.jsonl.gz');
  const records = sampleRecords(0n, 100);
  await w.write(records);
  const acc = new MetadataAccumulator();
  records.forEach((r) => acc.add(r));
  await w.finish(acc.toMetadata('t', 0, 100n, 'jsonl.gz', 'ts'));
  const bytes = fs.files.get('/f.jsonl.gz')!;
  fs.files.set('/f.jsonl.gz', bytes.slice(0, bytes.byteLength - 300));
  await assert.rejects(jsonlGzFormat.readMetadata(fs, '/f.jsonl.gz'), (e: unknown) => e instanceof CorruptFileError && e.message.includes('/f.jsonl.gz'));
  await assert.rejects(async () => {
    for await (const _ of jsonlGzFormat.readBatches(fs, '/f.jsonl.gz')) void _;
  }, CorruptFileError);
});
