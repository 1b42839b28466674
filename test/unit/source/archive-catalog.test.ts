// The replay's catalogue keeps a partition's files in columns (file-table.ts): what it hands on must be exactly what the
// archive's own index reader says of each file, whatever the names' padding, with unreadable files named when read.

import assert from 'node:assert/strict';
import { cp, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { parquetFormat } from '../../../connectors/parquet/parquet-format.js';
import { CorruptFileError } from '../../../src/errors.js';
import { jsonlGzFormat } from '../../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../../src/archive/partition-index.js';
import { listPartitionFiles } from '../../../src/archive/reader.js';
import { archiveCatalog, recordedEventTimes } from '../../../src/source/archive-catalog.js';
import { FileTable, TableFile } from '../../../src/source/file-table.js';

const formats = formatRegistry([parquetFormat, jsonlGzFormat]);
const fs = new LocalFs();

/** The facts an ArchiveFileInfo carries, as a plain object (a view's are getters). */
const facts = (f: { path: string; partition: number; startOffset: bigint; endOffset: bigint; nextOffset: bigint; count: number; minEventTime: number; maxEventTime: number; eventTime: string | null; eventTimeMissing?: number; untimedMinTimestamp?: number | null }) => ({
  path: f.path, partition: f.partition, startOffset: f.startOffset, endOffset: f.endOffset, nextOffset: f.nextOffset, count: f.count,
  minEventTime: f.minEventTime, maxEventTime: f.maxEventTime, eventTime: f.eventTime, eventTimeMissing: f.eventTimeMissing, untimedMinTimestamp: f.untimedMinTimestamp,
});

async function sampleCopy(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'oxbow-catalog-'));
  await cp(resolve('fixtures/sample-archive'), root, { recursive: true });
  return root;
}

test('every file the catalogue lists carries the facts of the index reader\'s entry, and reads back the entry itself', async () => {
  for (const topic of ['listens', 'profiles']) {
    const root = resolve('fixtures/sample-archive');
    const catalog = archiveCatalog(fs, root, topic, formats);
    for (const p of [0, 1]) {
      const entries = await listPartitionFiles(fs, root, topic, p, formats);
      const files = await catalog.listFiles(p);
      assert.ok(entries.length > 0);
      assert.deepEqual(files.map(facts), entries.map((e) => facts({ ...e, minEventTime: e.minEventTime ?? Number.NEGATIVE_INFINITY, maxEventTime: e.maxEventTime ?? Number.NEGATIVE_INFINITY })));
      for (const [i, f] of files.entries()) {
        assert.ok(f instanceof TableFile);
        assert.deepEqual(f.table.entry(f.row), entries[i], `${topic} partition ${p} file ${i}`);
      }
      // Records come from the file the view names.
      let read = 0;
      for await (const batch of catalog.readFile(files[0]!)) read += batch.length;
      assert.equal(read, entries[0]!.count);
    }
  }
});

test('a file named with other padding keeps its own path; one whose bytes are bad is listed under its name and named when read', async () => {
  const root = await sampleCopy();
  try {
    const dir = join(root, 'topics/listens/partition=0');
    const entries = await listPartitionFiles(fs, root, 'listens', 0, formats);
    const second = entries[1]!;
    const unpadded = join(dir, `listens+0+${second.startOffset}+${second.endOffset}.parquet`);
    await rename(second.path, unpadded);
    const last = entries.at(-1)!;
    const bad = join(dir, `listens+0+${last.nextOffset}+${last.nextOffset + 9n}.parquet`);
    await writeFile(bad, 'not parquet');
    const files = await archiveCatalog(fs, root, 'listens', formats).listFiles(0);
    const byStart = new Map(files.map((f) => [f.startOffset, f]));
    assert.equal(byStart.get(second.startOffset)!.path, unpadded);
    assert.equal(byStart.get(second.startOffset)!.count, second.count);
    const corrupt = byStart.get(last.nextOffset)!;
    assert.equal(corrupt.path, bad);
    assert.equal(corrupt.nextOffset, last.nextOffset + 10n);
    assert.equal(corrupt.minEventTime, Number.NEGATIVE_INFINITY);
    await assert.rejects(async () => {
      for await (const _ of archiveCatalog(fs, root, 'listens', formats).readFile(corrupt)) { /* never reached */ }
    }, (err: unknown) => err instanceof CorruptFileError && err.message.includes(bad));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a table keeps offsets beyond 2^53 exactly, unknown counts of untimed records as unknown, and words once', () => {
  const big = 2n ** 62n;
  const name = (start: bigint) => `t+3+${String(start).padStart(20, '0')}+${String(start + 9n).padStart(20, '0')}.parquet`;
  const row = (start: bigint, eventTime: string | null) => ({
    path: `/a/topics/t/partition=3/${name(start)}`, name: name(start),
    startOffset: start, endOffset: start + 9n, firstOffset: start + 1n, nextOffset: start + 12n, count: 8, minEventTime: 1_700_000_000_123,
    maxEventTime: null, eventTimeMissing: undefined, untimedMinTimestamp: start === big ? 1_700_000_000_050 : null, eventTime, format: 'parquet' as const,
    length: 4096,
  });
  const table = new FileTable('t', 3, [row(big, 'ts'), row(big + 10n, 'kafka-timestamp'), row(big + 20n, 'ts')]);
  const [a, b, c] = table.files();
  assert.deepEqual([a!.startOffset, b!.endOffset, c!.nextOffset], [big, big + 19n, big + 32n]);
  assert.equal(table.firstOffset(0), big + 1n);
  assert.equal(a!.path, row(big, 'ts').path);
  assert.deepEqual([a!.eventTime, b!.eventTime, c!.eventTime], ['ts', 'kafka-timestamp', 'ts']);
  assert.equal(a!.eventTimeMissing, undefined);
  assert.deepEqual([a!.untimedMinTimestamp, b!.untimedMinTimestamp], [1_700_000_000_050, null]);
  assert.equal(a!.minEventTime, 1_700_000_000_123);
  assert.equal(a!.maxEventTime, Number.NEGATIVE_INFINITY);
  assert.equal(table.entry(0)!.maxEventTime, null);
  assert.equal(table.entry(0)!.eventTimeMissing, 0);
});

test('the event-time definitions an archive records come from its index when there is one, else from its files', async () => {
  const root = await sampleCopy();
  try {
    for (const topic of ['listens', 'profiles']) {
      const catalog = archiveCatalog(fs, root, topic, formats);
      const fromFiles = new Set<string>();
      for (const p of [0, 1]) for (const f of await catalog.listFiles(p)) if (f.eventTime !== null) fromFiles.add(f.eventTime);
      assert.deepEqual(await recordedEventTimes(catalog, [0, 1]), fromFiles, topic);
      assert.deepEqual(await catalog.recordedEventTimes!(0), fromFiles, `${topic}: from the index`);
    }
    assert.deepEqual(await recordedEventTimes(archiveCatalog(fs, root, 'profiles', formats), [0, 1]), new Set(['ts']));
    // Without an index the catalogue cannot say; the files are listed (and their metadata read) instead.
    await rm(join(root, 'topics/profiles/partition=0/_oxbow-index.json'));
    const catalog = archiveCatalog(fs, root, 'profiles', formats);
    assert.equal(await catalog.recordedEventTimes!(0), null);
    assert.deepEqual(await recordedEventTimes(catalog, [0]), new Set(['ts']));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('holdsFilesFrom tells from the names alone whether a file reaches an offset: the last file\'s end, one past it, a file published later, any extension, no folder', async () => {
  const root = await sampleCopy();
  try {
    const catalog = archiveCatalog(fs, root, 'listens', formats);
    const files = await catalog.listFiles(0);
    const last = files.at(-1)!;
    assert.equal(await catalog.holdsFilesFrom!(0, last.endOffset), true, 'the last file holds its own end offset');
    assert.equal(await catalog.holdsFilesFrom!(0, last.endOffset + 1n), false, 'nothing past the last file');
    assert.equal(await catalog.holdsFilesFrom!(0, 0n), true);
    const dir = join(root, 'topics/listens/partition=0');
    // Not an archive file of this partition, or ending before the offset: still nothing.
    await writeFile(join(dir, `listens+1+${last.endOffset + 1n}+${last.endOffset + 5n}.parquet`), 'x');
    await writeFile(join(dir, 'notes.txt'), 'x');
    assert.equal(await catalog.holdsFilesFrom!(0, last.endOffset + 1n), false);
    // A file published after the listing, whatever it turns out to be when listed.
    await writeFile(join(dir, `listens+0+${last.endOffset + 1n}+${last.endOffset + 5n}.avro`), 'x');
    assert.equal(await catalog.holdsFilesFrom!(0, last.endOffset + 1n), true);
    assert.equal(await catalog.holdsFilesFrom!(7, 0n), false, 'a partition with no folder holds nothing');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
