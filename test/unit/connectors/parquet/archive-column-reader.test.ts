// The archive's column reader against hyparquet's reading of the same files (the oracle: `readBatches` reads rows with
// hyparquet's parquetReadObjects, which shares none of the column reader's code), over files written both by the
// archiver and by hyparquet-writer's generic write, and its DELTA_BINARY_PACKED decoding against hyparquet's.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { deltaBinaryUnpack } from 'hyparquet/src/delta.js';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { Writer } from 'hyparquet-writer';
import { deltaBinaryPack } from 'hyparquet-writer/src/delta.js';
import { snappyCompress as theirSnappy } from 'hyparquet-writer/src/snappy.js';
import { LocalFs } from '../../../../connectors/local/local-fs.js';
import { deltaToNumbers, readsSchema, Unsupported } from '../../../../connectors/parquet/archive-column-reader.js';
import { archiveColumnData, archiveParquetWriter, METADATA_KEY, openParquetFile, parquetFormat } from '../../../../connectors/parquet/parquet-format.js';
import { ArchiveRowGroupWriter } from '../../../../connectors/parquet/row-group-writer.js';
import type { ArchivedRecord, ReplayRecord } from '../../../../src/archive/record.js';
import { CorruptFileError } from '../../../../src/errors.js';
import { mulberry32 } from '../../../../src/gen/prng.js';
import { ColumnRecord } from '../../../../src/source/packed-record.js';
import { MemoryFs } from '../../archive/memory-fs.js';
import { randomBytes, randomGroup } from './random-records.js';

/**
 * A file of these row groups, each as the archiver writes it (its own row-group writer where it takes the rows, with
 * oxbow's Snappy compressor), or (`generic`) by hyparquet-writer's generic `write` with its own compressor.
 */
function writeFile(fs: MemoryFs, path: string, groups: ArchivedRecord[][], generic = false): void {
  const bytes = new ByteWriter() as unknown as Writer & { getBytes(): Uint8Array };
  const parquet = archiveParquetWriter(ParquetWriter, bytes);
  if (generic) parquet.compressors = { SNAPPY: theirSnappy };
  const own = new ArchiveRowGroupWriter(parquet);
  for (const rows of groups) {
    if (!generic && own.takes(rows)) void own.write(rows);
    else void parquet.write({ rowGroupSize: rows.length, columnData: archiveColumnData(rows) });
  }
  parquet.kvMetadata = [{ key: METADATA_KEY, value: '{}' }];
  void parquet.finish();
  fs.files.set(path, bytes.getBytes().slice());
}

const plain = (r: ReplayRecord): unknown[] => [r.offset, r.timestamp, r.key && Buffer.from(r.key), r.value && Buffer.from(r.value), r.eventTime];

/** Reads the file both ways and compares every record; returns how many records the column reader decoded. */
async function sameAsHyparquet(fs: MemoryFs, path: string, what: string): Promise<number> {
  const replayed: ReplayRecord[] = [];
  for await (const b of parquetFormat.readReplayBatches!(fs, path)) replayed.push(...b);
  const full: ArchivedRecord[] = [];
  for await (const b of parquetFormat.readBatches(fs, path)) full.push(...b);
  assert.equal(replayed.length, full.length, `${what}: records`);
  for (let i = 0; i < full.length; i++) assert.deepEqual(plain(replayed[i]!), plain(full[i]!), `${what}: record ${i}`);
  return replayed.filter((r) => r instanceof ColumnRecord).length;
}

test('row groups of every shape, written by the archiver and by the generic write, read as hyparquet reads them', async () => {
  const rnd = mulberry32(21);
  const fs = new MemoryFs();
  let decoded = 0;
  let total = 0;
  for (let k = 0; k < 60; k++) {
    const size = [1, 2, 31, 32, 33, 127, 128, 129, 130, 3000][Math.floor(rnd() * 10)]!;
    const groups: ArchivedRecord[][] = [];
    let offset = Math.floor(rnd() * 1e12);
    for (let g = 0, count = 1 + Math.floor(rnd() * 3); g < count; g++) {
      groups.push(randomGroup(rnd, size, offset));
      offset = Number(groups[g]!.at(-1)!.offset) + 1;
    }
    // A header on some records: their row groups are written by the generic write (a headers column of lists).
    if (rnd() < 0.2) groups[0]![0] = { ...groups[0]![0]!, headers: [{ key: 'h', value: randomBytes(rnd, 3) }] };
    writeFile(fs, `/a${k}.parquet`, groups);
    writeFile(fs, `/g${k}.parquet`, groups, true);
    decoded += await sameAsHyparquet(fs, `/a${k}.parquet`, `file ${k} (archiver)`);
    decoded += await sameAsHyparquet(fs, `/g${k}.parquet`, `file ${k} (generic)`);
    total += 2 * groups.flat().length;
  }
  // Both paths must have been taken: most row groups by the column reader, those it leaves (huge offset gaps, times
  // years apart) by hyparquet.
  assert.ok(decoded > total / 2 && decoded < total, `the column reader decoded ${decoded} of ${total} records`);
});

test('the edges: a value over a page, empty values, every key, value or time null, offsets near 2^53, times at Date\'s limits', async () => {
  const rnd = mulberry32(22);
  const base = (n: number): ArchivedRecord[] => randomGroup(mulberry32(n), n, 5).map((r) => ({ ...r, eventTime: r.eventTime === null ? null : r.timestamp }));
  const cases: [string, ArchivedRecord[]][] = [
    ['one value of 3 MiB among small ones', base(50).map((r, i) => (i === 20 ? { ...r, value: randomBytes(rnd, 3 << 20) } : r))],
    ['values of 256 KiB, four to a page\'s 1 MiB exactly', base(12).map((r) => ({ ...r, value: randomBytes(rnd, 1 << 18) }))],
    ['empty values', base(300).map((r) => ({ ...r, value: new Uint8Array(0) }))],
    ['every key null', base(300).map((r) => ({ ...r, key: null }))],
    ['one key for all', base(300).map((r) => ({ ...r, key: new Uint8Array([1, 2]) }))],
    ['every value null', base(300).map((r) => ({ ...r, value: null }))],
    ['every event time null', base(300).map((r) => ({ ...r, eventTime: null }))],
    ['keys of 8 KiB, over a page in all', base(400).map((r, i) => ({ ...r, key: randomBytes(mulberry32(i), 8192) }))],
    ['offsets up to 2^53 - 1', base(200).map((r, i) => ({ ...r, offset: BigInt(Number.MAX_SAFE_INTEGER - 199 + i) }))],
    ['a time at Date\'s limits', base(200).map((r, i) => ({ ...r, eventTime: i % 2 ? 8.64e15 : -8.64e15, timestamp: i % 2 ? -8.64e15 : 8.64e15 }))],
    ['times a second apart, negative', base(200).map((r, i) => ({ ...r, eventTime: -1_000_000 + i * 1000, timestamp: -1 }))],
  ];
  const fs = new MemoryFs();
  for (const [what, rows] of cases) {
    rows.forEach((r, i) => { if (what !== 'offsets up to 2^53 - 1') r.offset = BigInt(5 + i); });
    writeFile(fs, '/e.parquet', [rows]);
    await sameAsHyparquet(fs, '/e.parquet', what);
  }
});

test('a file too large to read whole is read a row group at a time, in one range read each', async () => {
  const fs = new MemoryFs();
  // 4 row groups of up to 2,500 records of about 1.1 KB of random bytes: past the 8 MiB read whole.
  const rnd = mulberry32(23);
  const groups = [0, 1, 2, 3].map((g) => randomGroup(mulberry32(30 + g), 2500, g * 2500).map((r, i) => ({ ...r, offset: BigInt(g * 2500 + i), timestamp: 1_732_406_400_000 + g * 2500 + i, value: randomBytes(rnd, 1100 + (i % 50)), eventTime: 1_732_406_400_000 + i })));
  writeFile(fs, '/big.parquet', groups);
  assert.ok(fs.files.get('/big.parquet')!.length > 8 << 20, `${fs.files.get('/big.parquet')!.length} bytes`);
  let reads = 0;
  const decoded = await sameAsHyparquet(fs, '/big.parquet', 'a file of 8 MiB and more');
  assert.equal(decoded, groups.flat().length, 'every record by the column reader');
  reads = 0;
  fs.beforeOp = (op) => { if (op === 'readRange') reads++; };
  for await (const b of parquetFormat.readReplayBatches!(fs, '/big.parquet')) void b;
  assert.equal(reads, 1 + groups.length, 'the footer, then one range read per row group');
});

test('a damaged page is a CorruptFileError naming the file, never records made up', async () => {
  const fs = new MemoryFs();
  const rows = randomGroup(mulberry32(24), 3000, 0).map((r, i) => ({ ...r, offset: BigInt(i), value: new TextEncoder().encode(`{"n":${i}}`), eventTime: r.timestamp }));
  writeFile(fs, '/d.parquet', [rows]);
  const good = fs.files.get('/d.parquet')!;
  const { footer } = await openParquetFile(fs, '/d.parquet');
  const value = footer.row_groups[0]!.columns.find((c) => c.meta_data?.path_in_schema[0] === 'value')!.meta_data!;
  const at = Number(value.data_page_offset);
  // Each damage in turn: the value page's header cut short, its compressed bytes garbled, its length prefix past the page.
  const damages: [string, (b: Uint8Array) => void][] = [
    ['the page header garbled', (b) => b.fill(0xff, at, at + 6)],
    ['the compressed values garbled', (b) => b.fill(0x00, at + 40, at + 400)],
  ];
  for (const [what, damage] of damages) {
    const bytes = good.slice();
    damage(bytes);
    fs.files.set('/d.parquet', bytes);
    await assert.rejects(async () => {
      for await (const b of parquetFormat.readReplayBatches!(fs, '/d.parquet')) void b;
    }, (e: unknown) => e instanceof CorruptFileError && e.message.includes('/d.parquet'), what);
  }
});

/** Values packed by hyparquet-writer, read back by hyparquet (BigInts) and by the column reader (numbers). */
function deltaRoundTrip(values: bigint[]): { ours: Float64Array | Unsupported; theirs: BigInt64Array } {
  const writer = new ByteWriter() as unknown as Writer & { getBytes(): Uint8Array };
  deltaBinaryPack(writer, values, 'INT64');
  const bytes = writer.getBytes();
  const theirs = new BigInt64Array(values.length);
  deltaBinaryUnpack({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 }, values.length, theirs);
  const ours = new Float64Array(values.length);
  try {
    deltaToNumbers(bytes, values.length, ours);
  } catch (err) {
    if (err instanceof Unsupported) return { ours: err, theirs };
    throw err;
  }
  return { ours, theirs };
}

test('DELTA_BINARY_PACKED INT64 as numbers: hyparquet\'s values exactly, or Unsupported past what a double holds', () => {
  const rnd = mulberry32(25);
  let checked = 0;
  for (let k = 0; k < 400; k++) {
    const n = [0, 1, 2, 31, 32, 33, 127, 128, 129, 257, 1000][Math.floor(rnd() * 11)]!;
    // Deltas of every width up to 51 bits, of either sign, from a start anywhere in the safe range.
    const width = Math.floor(rnd() * 52);
    let v = Math.floor((rnd() - 0.5) * 2 ** 50);
    const values: bigint[] = [];
    for (let i = 0; i < n; i++) {
      values.push(BigInt(v));
      // Steps that would leave ±2^52 turn back: every value stays exact in a double.
      const d = Math.floor((rnd() - 0.5) * 2 ** width);
      v = Math.abs(v + d) < 2 ** 52 ? v + d : v - d;
    }
    const { ours, theirs } = deltaRoundTrip(values);
    assert.ok(!(ours instanceof Unsupported), `case ${k}: ${(ours as Error).message}`);
    assert.deepEqual(Array.from(ours, (x) => BigInt(x)), Array.from(theirs), `case ${k}`);
    assert.deepEqual(Array.from(theirs), values, `case ${k}: the oracle reads what was packed`);
    checked += n;
  }
  assert.ok(checked > 10_000);
  // What a double cannot hold exactly, or deltas wider than 52 bits: hyparquet must read them.
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (const [what, values] of [
    ['a value past 2^53', [max - 1n, max, max + 1n]],
    ['a start past 2^53', [max + 10n, max + 11n]],
    ['a delta of 2^52', [-(2n ** 51n), 2n ** 51n + 1n, 0n]],
    ['back below 2^53 after passing it', [max - 5n, max + 3n, max - 5n]],
  ] as const) {
    assert.ok(deltaRoundTrip([...values]).ours instanceof Unsupported, what);
  }
});

test('the archive\'s schema is recognised by its top-level columns; any other is left to hyparquet', async () => {
  const fs = new MemoryFs();
  writeFile(fs, '/s.parquet', [randomGroup(mulberry32(26), 10, 0)]);
  const { footer } = await openParquetFile(fs, '/s.parquet');
  assert.equal(readsSchema(footer), true);
  const changed = (change: (schema: typeof footer.schema) => typeof footer.schema): boolean => readsSchema({ ...footer, schema: change(footer.schema.map((e) => ({ ...e }))) });
  // The top-level key renamed: the headers' nested `key` must not stand in for it.
  assert.equal(changed((s) => s.map((e, i) => (i === 3 ? { ...e, name: 'k' } : e))), false, 'no top-level key');
  assert.equal(changed((s) => s.map((e) => (e.name === 'offset' ? { ...e, repetition_type: 'OPTIONAL' } : e))), false, 'an optional offset');
  assert.equal(changed((s) => s.map((e) => (e.name === 'event_time' ? { ...e, type: 'INT32' } : e))), false, 'INT32 event times');
  // Kafka Connect's files (parquet-avro) are another schema.
  const connect = await openParquetFile(new LocalFs(), resolve('fixtures/connect-archive/transactional/archive/topics/txn/partition=0/txn+0+0000000000+0000000020.parquet'));
  assert.equal(readsSchema(connect.footer), false, 'a Kafka Connect file');
});
