// The archiver's own row-group writer against hyparquet-writer's generic `write` of the same columns (the oracle: a file
// must come out byte for byte the same), over row groups of every shape the archive meets, and through the archive
// format's file writer. The records must also read back as written.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { Writer } from 'hyparquet-writer';
import { snappyCompress as theirSnappy } from 'hyparquet-writer/src/snappy.js';
import { archiveColumnData, archiveParquetWriter, METADATA_KEY, parquetFormat } from '../../../../connectors/parquet/parquet-format.js';
import { ArchiveRowGroupWriter } from '../../../../connectors/parquet/row-group-writer.js';
import { type ArchivedRecord, type ArchiveFileMetadata, metadataToJson } from '../../../../src/archive/record.js';
import { mulberry32 } from '../../../../src/gen/prng.js';
import { MemoryFs } from '../../archive/memory-fs.js';
import { randomBytes, randomGroup } from './random-records.js';

/**
 * A file of these row groups, each written as the archiver writes it, or (`generic`) by the generic `write` with
 * hyparquet-writer's own Snappy compressor: the oracle shares none of oxbow's encoding.
 */
function fileBytes(groups: ArchivedRecord[][], generic: boolean): { bytes: Buffer; own: number } {
  const bytes = new ByteWriter() as unknown as Writer;
  const parquet = archiveParquetWriter(ParquetWriter, bytes);
  if (generic) parquet.compressors = { SNAPPY: theirSnappy };
  const own = new ArchiveRowGroupWriter(parquet);
  let taken = 0;
  for (const rows of groups) {
    if (!generic && own.takes(rows)) {
      taken++;
      void own.write(rows);
    } else {
      void parquet.write({ rowGroupSize: rows.length, columnData: archiveColumnData(rows) });
    }
  }
  parquet.kvMetadata = [{ key: METADATA_KEY, value: '{}' }];
  void parquet.finish();
  return { bytes: Buffer.from(bytes.getBytes()), own: taken };
}

function same(groups: ArchivedRecord[][], what: string): number {
  const theirs = fileBytes(groups, true);
  const ours = fileBytes(groups, false);
  assert.ok(ours.bytes.equals(theirs.bytes), `${what}: not the bytes of hyparquet-writer's generic write (${ours.bytes.length} against ${theirs.bytes.length})`);
  return ours.own;
}

const enc = new TextEncoder();

test('row groups of every shape: the same bytes as the generic write', () => {
  const rnd = mulberry32(11);
  let own = 0;
  let files = 0;
  for (let k = 0; k < 80; k++) {
    const sizes = [1, 2, 31, 32, 33, 127, 128, 129, 130, 10_000][Math.floor(rnd() * 10)]!;
    const n = rnd() < 0.5 ? sizes : 1 + Math.floor(rnd() * 3_000);
    const groups: ArchivedRecord[][] = [];
    let offset = Math.floor(rnd() * 1e12);
    for (let g = 0, count = 1 + Math.floor(rnd() * 3); g < count; g++) {
      groups.push(randomGroup(rnd, n, offset));
      offset = Number(groups[g]!.at(-1)!.offset) + 1;
    }
    own += same(groups, `file ${k} (${groups.length} row groups of ${n})`);
    files++;
  }
  // The archiver's writer must have taken the row groups it can (none has a header here): the test compares something.
  assert.ok(own >= files, `the archiver's writer took only ${own} row groups of ${files}+ files`);
});

test('the edges: a value over a page, empty values, every key null, every time null, offsets near 2^53', () => {
  const rnd = mulberry32(12);
  const base = (n: number): ArchivedRecord[] => randomGroup(mulberry32(n), n, 5);
  const cases: [string, ArchivedRecord[]][] = [
    ['one value of 3 MiB among small ones', base(50).map((r, i) => (i === 20 ? { ...r, value: randomBytes(rnd, 3 << 20) } : r))],
    ['values of 256 KiB, four to a page\'s 1 MiB exactly', base(12).map((r) => ({ ...r, value: randomBytes(rnd, 1 << 18) }))],
    ['empty values', base(300).map((r) => ({ ...r, value: new Uint8Array(0) }))],
    ['every key null', base(300).map((r) => ({ ...r, key: null }))],
    ['every value null', base(300).map((r) => ({ ...r, value: null }))],
    ['every event time null', base(300).map((r) => ({ ...r, eventTime: null }))],
    ['keys of 8 KiB, over a page in all', base(400).map((r, i) => ({ ...r, key: randomBytes(mulberry32(i), 8192) }))],
    ['offsets up to 2^53 - 1', base(200).map((r, i) => ({ ...r, offset: BigInt(Number.MAX_SAFE_INTEGER - 199 + i) }))],
    ['a time at Date\'s limits', base(200).map((r, i) => ({ ...r, eventTime: i % 2 ? 8.64e15 : -8.64e15, timestamp: i % 2 ? -8.64e15 : 8.64e15 }))],
  ];
  for (const [what, rows] of cases) {
    assert.ok(new ArchiveRowGroupWriter(archiveParquetWriter(ParquetWriter, new ByteWriter() as unknown as Writer)).takes(rows), `${what}: taken by the archiver's writer`);
    same([rows], what);
  }
});

test('row groups the archiver leaves to the generic write: headers, offsets past 2^53, a time that is not an integer, over 100,000 rows', () => {
  const rows = randomGroup(mulberry32(13), 200, 0);
  const withHeader = rows.map((r, i) => (i === 7 ? { ...r, headers: [{ key: 'h', value: enc.encode('v') }] } : r));
  const farOffset = rows.map((r, i) => (i === 9 ? { ...r, offset: 2n ** 53n + 5n } : r));
  const fractional = rows.map((r, i) => (i === 3 ? { ...r, eventTime: 1.5 } : r));
  const own = new ArchiveRowGroupWriter(archiveParquetWriter(ParquetWriter, new ByteWriter() as unknown as Writer));
  const tooMany = new Array<ArchivedRecord>(100_001).fill(rows[0]!);
  for (const [what, group] of [['a header', withHeader], ['an offset past 2^53', farOffset], ['a fractional time', fractional], ['over 100,000 rows', tooMany]] as const) {
    assert.equal(own.takes(group), false, what);
  }
  // A file mixing both kinds of row group is still the generic write's bytes.
  assert.equal(same([rows, withHeader, farOffset, rows], 'mixed row groups'), 2);
});

test('through the archive format: the file is the generic bytes, and its records read back as written', async () => {
  const fs = new MemoryFs();
  const rows = [...randomGroup(mulberry32(14), 25_000, 1_000), ...randomGroup(mulberry32(15), 100, 26_000).map((r, i) => (i === 50 ? { ...r, headers: [{ key: 'k', value: null }] } : r))];
  rows.forEach((r, i) => { r.offset = BigInt(1_000 + i); });
  const meta: ArchiveFileMetadata = {
    topic: 't', partition: 0, count: rows.length, firstOffset: 1_000n, lastOffset: BigInt(1_000 + rows.length - 1), nextOffset: BigInt(1_000 + rows.length),
    minEventTime: null, maxEventTime: null, format: 'parquet', eventTimeMissing: 0, untimedMinTimestamp: null, eventTime: 'ts',
  };
  const writer = parquetFormat.createWriter(fs, '/a.parquet');
  for (let i = 0; i < rows.length; i += 777) await writer.write(rows.slice(i, i + 777));
  await writer.finish(meta);
  const written = Buffer.from(fs.files.get('/a.parquet')!);

  const bytes = new ByteWriter() as unknown as Writer;
  const parquet = archiveParquetWriter(ParquetWriter, bytes);
  parquet.compressors = { SNAPPY: theirSnappy };
  for (let i = 0; i < rows.length; i += 10_000) parquet.write({ rowGroupSize: Math.min(10_000, rows.length - i), columnData: archiveColumnData(rows.slice(i, i + 10_000)) });
  assert.equal((await parquetFormat.readMetadata(fs, '/a.parquet', written.length)).count, rows.length);
  parquet.kvMetadata = [{ key: METADATA_KEY, value: JSON.stringify(metadataToJson(meta)) }];
  void parquet.finish();
  assert.ok(written.equals(Buffer.from(bytes.getBytes())), 'the archive file is not the generic write\'s bytes');

  const back: ArchivedRecord[] = [];
  for await (const batch of parquetFormat.readBatches(fs, '/a.parquet', written.length)) back.push(...batch);
  assert.equal(back.length, rows.length);
  for (let i = 0; i < rows.length; i++) {
    const a = back[i]!;
    const b = rows[i]!;
    assert.deepEqual(
      [a.offset, a.timestamp, a.key && Buffer.from(a.key), a.value && Buffer.from(a.value), a.eventTime, a.headers.length],
      [b.offset, b.timestamp, b.key && Buffer.from(b.key), b.value && Buffer.from(b.value), b.eventTime, b.headers.length],
      `record ${i}`,
    );
  }
});
