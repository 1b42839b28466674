// A Parquet file of music events written with hyparquet-writer to the real HDFS reads back equal with hyparquet, through range reads.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { WebHdfsFs } from '../../connectors/hdfs/webhdfs-fs.js';
import type { ArchiveFs } from '../../src/archive-fs.js';

function webhdfsUrl(): string {
  const value = process.env.OXBOW_WEBHDFS_URL;
  assert.ok(value, 'OXBOW_WEBHDFS_URL is not set: run `npm test` (it starts HDFS), or `npm run services -- start` and export the lines it prints');
  return value;
}

/** hyparquet's two-member I/O interface over ArchiveFs.readRange, counting the reads it makes. */
async function asyncBufferOf(fs: ArchiveFs, path: string, reads: Array<[number, number]>): Promise<AsyncBuffer> {
  const status = await fs.stat(path);
  assert.ok(status, `${path} exists`);
  return {
    byteLength: status.length,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end ?? status.length;
      reads.push([start, stop]);
      const bytes = await fs.readRange(path, start, stop);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

const dir = `/oxbow-it/parquet-${randomUUID()}`;
let fs: WebHdfsFs;
before(() => {
  fs = new WebHdfsFs({ url: webhdfsUrl(), user: 'oxbow' });
});
after(async () => {
  if (fs) await fs.delete(dir, { recursive: true });
});

it('a Parquet file written with hyparquet-writer to HDFS reads back equal with hyparquet', { timeout: 120_000 }, async () => {
  const rows = 20_000;
  const start = Date.UTC(2026, 10, 24);
  const types = ['song', 'song', 'song', 'search'];
  const playlists = ['discover-weekly', 'chill', 'focus'];
  const userId = Array.from({ length: rows }, (_, i) => `u${i % 97}`);
  const ts = Array.from({ length: rows }, (_, i) => BigInt(start + i * 1000));
  const type = Array.from({ length: rows }, (_, i) => types[i % types.length]!);
  const songId = Array.from({ length: rows }, (_, i) => (type[i] === 'song' ? `s${i % 500}` : null));
  const playlistId = Array.from({ length: rows }, (_, i) => (type[i] === 'song' ? playlists[i % playlists.length]! : null));
  const file = parquetWriteBuffer({
    columnData: [
      { name: 'userId', data: userId, type: 'STRING', nullable: false },
      { name: 'ts', data: ts, type: 'INT64', nullable: false },
      { name: 'type', data: type, type: 'STRING', nullable: false },
      { name: 'songId', data: songId, type: 'STRING' },
      { name: 'playlistId', data: playlistId, type: 'STRING' },
    ],
    rowGroupSize: 5000,
  });

  const path = `${dir}/topics/music/partition=0/music+0+00000000000000000000+00000000000000019999.parquet`;
  // Stream it in 64 KiB pieces, as the archiver does.
  await fs.writeFile(path, (async function* () {
    const bytes = new Uint8Array(file);
    for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
  })());
  assert.equal((await fs.stat(path))?.length, file.byteLength);

  const reads: Array<[number, number]> = [];
  const buffer = await asyncBufferOf(fs, path, reads);
  // A small first fetch, so the footer really comes from a range at the end of the file.
  const metadata = await parquetMetadataAsync(buffer, { initialFetchSize: 4096 });
  assert.equal(Number(metadata.num_rows), rows);
  assert.equal(metadata.row_groups.length, 4);
  assert.ok(reads.length > 0 && reads.every(([s, e]) => s > 0 && e === file.byteLength), `footer read by range: ${JSON.stringify(reads)}`);

  const back = await parquetReadObjects({ file: buffer, metadata });
  assert.equal(back.length, rows);
  for (let i = 0; i < rows; i++) {
    const row = back[i]!;
    assert.deepEqual(
      [row['userId'], row['ts'], row['type'], row['songId'], row['playlistId']],
      [userId[i], ts[i], type[i], songId[i], playlistId[i]],
      `row ${i}`,
    );
  }

  // Rows from one row group only: the reader asks for that part of the file.
  const middle = await parquetReadObjects({ file: buffer, metadata, rowStart: 10_000, rowEnd: 10_010, columns: ['userId', 'ts'] });
  assert.deepEqual(middle.map((r) => r['userId']), userId.slice(10_000, 10_010));
});
