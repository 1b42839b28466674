// The archiver against a fake Kafka and an in-memory fs: exactly once, resume, holes without false gaps, storage outages, idle rotation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Archiver, type ArchiverOptions } from '../../../src/archive/archiver.js';
import { jsonlGzFormat } from '../../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../../src/archive/partition-index.js';
import { listPartitionFiles, readArchiveFile } from '../../../src/archive/reader.js';
import { parquetFormat } from '../../../connectors/parquet/parquet-format.js';
import type { PartitionOffsets, SourceHandlers } from '../../../src/archive/archive-source.js';
import { OffsetGapError, UnavailableError, UsageError } from '../../../src/errors.js';
import { FakeSource } from './fake-source.js';
import { MemoryFs } from './memory-fs.js';

const formats = formatRegistry([jsonlGzFormat, parquetFormat]);

function options(fs: MemoryFs, source: FakeSource, over: Partial<ArchiverOptions> = {}): ArchiverOptions {
  return {
    fs, root: '/arch', topics: ['t'], format: jsonlGzFormat, formats, source, eventTime: 'ts', untilCaughtUp: true,
    rotation: { records: 300, bytes: 1 << 30, intervalMs: 60_000 }, storageRetry: { retries: 3, sleep: async () => {} }, ...over,
  };
}

/** Reads every file back (not trusting the index) and returns each partition's offsets in file order. */
async function archivedOffsets(fs: MemoryFs, partitions: number): Promise<bigint[][]> {
  const out: bigint[][] = [];
  for (let p = 0; p < partitions; p++) {
    const entries = await listPartitionFiles(fs, '/arch', 't', p, formats);
    const offsets: bigint[] = [];
    let prevNext: bigint | null = null;
    for (const e of entries) {
      if (prevNext !== null) assert.equal(e.startOffset, prevNext, `partition ${p}: ${e.name} starts where the previous file ended (no false gap)`);
      prevNext = e.nextOffset;
      for await (const batch of readArchiveFile(fs, e, formats)) offsets.push(...batch.map((r) => r.offset));
    }
    out.push(offsets);
  }
  return out;
}

const range = (from: number, to: number, step = 1): bigint[] => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => BigInt(from + i * step));

test('three partitions are archived exactly once, and a second run resumes where the files end', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(70);
  for (let p = 0; p < 3; p++) source.produce('t', p, range(0, 1000));
  const summary = await new Archiver(options(fs, source)).run();
  assert.equal(summary.recordsArchived, 3000);
  assert.deepEqual(await archivedOffsets(fs, 3), [range(0, 1000), range(0, 1000), range(0, 1000)]);
  const files = await listPartitionFiles(fs, '/arch', 't', 0, formats);
  assert.deepEqual(files.map((f) => f.count), [300, 300, 300, 100]);
  assert.equal(files[0]!.minEventTime, 1_732_406_400_000);
  assert.ok(source.commits.some((c) => c.partition === 0 && c.offset === 1000n), 'group offsets committed after publish');

  for (let p = 0; p < 3; p++) source.produce('t', p, range(1000, 1500));
  const again = new FakeSource(70);
  again.logs.set('t', source.logs.get('t')!);
  const second = await new Archiver(options(fs, again, { format: parquetFormat })).run();
  assert.equal(second.recordsArchived, 1500, 'only the new records are archived');
  assert.deepEqual(await archivedOffsets(fs, 3), [range(0, 1500), range(0, 1500), range(0, 1500)]);
});

test('offset holes (compaction) never show as gaps: each file starts at the previous next offset', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(33);
  source.produce('t', 0, range(5, 2000, 7));
  await new Archiver(options(fs, source, { rotation: { records: 50, bytes: 1 << 30, intervalMs: 60_000 } })).run();
  const [offsets] = await archivedOffsets(fs, 1);
  assert.deepEqual(offsets, range(5, 2000, 7));
});

test('a storage outage mid-file loses and duplicates nothing', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(40);
  source.produce('t', 0, range(0, 2000));
  let writes = 0;
  fs.beforeOp = (op, path) => {
    if (op === 'writeFile' && path.includes('+tmp') && !path.includes('index') && ++writes % 3 === 2) throw new UnavailableError('safe mode (test)');
  };
  await new Archiver(options(fs, source)).run();
  assert.deepEqual(await archivedOffsets(fs, 1), [range(0, 2000)]);
});

test('an idle partition publishes its open file within the rotation interval', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(100);
  source.produce('t', 0, range(0, 10));
  const archiver = new Archiver(options(fs, source, { untilCaughtUp: false, rotation: { records: 1000, bytes: 1 << 30, intervalMs: 50 } }));
  const published = new Promise<number>((resolve) => archiver.on('file-published', (e) => resolve(e.payload.entry.count)));
  const run = archiver.run();
  assert.equal(await published, 10);
  await archiver.stop();
  await run;
  assert.deepEqual(await archivedOffsets(fs, 1), [range(0, 10)]);
});

test('progress reports each partition: archived (published) up to, read up to, Kafka\'s log end and the lag', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(100);
  source.produce('t', 0, range(0, 250));
  source.produce('t', 1, range(0, 40));
  let clock = 0;
  const archiver = new Archiver(options(fs, source, {
    untilCaughtUp: false, progressIntervalMs: 1000, now: () => clock,
    rotation: { records: 200, bytes: 1 << 30, intervalMs: 60_000 },
  }));
  const reports: import('../../../src/archive/archiver.js').ArchiveProgress[] = [];
  archiver.on('progress', (e) => reports.push(e.payload));
  const run = archiver.run();
  const until = async (done: () => boolean): Promise<void> => {
    while (!done()) {
      clock += 1000;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const reached = (p0: bigint, p1: bigint) => () => reports.some((r) => r.partitions.length === 2 && r.partitions[0]!.readTo === p0 && r.partitions[1]!.readTo === p1);
  // Every record read (the open files hold the rest of them) and reported.
  await until(reached(250n, 40n));
  const settled = reports.at(-1)!;
  assert.deepEqual(settled.partitions.map((x) => [x.partition, x.archivedTo, x.readTo, x.logEnd, x.lag]), [
    [0, 200n, 250n, 250n, 50n],
    [1, 0n, 40n, 40n, 40n],
  ]);
  assert.equal(settled.recordsArchived, 200);
  // 100 more records on partition 1: the next reports count them per second of the (fake) clock.
  const before = reports.length;
  source.produce('t', 1, range(40, 140));
  await until(reached(250n, 140n));
  await archiver.stop();
  await run;
  assert.ok(reports.slice(before).some((r) => r.recordsPerSecond > 0), 'records per second from the offsets read between reports');
  assert.equal(reports.at(-1)!.partitions[1]!.lag, 140n - reports.at(-1)!.partitions[1]!.archivedTo);
});

test('stop publishes the open file; oxbow\'s leftover temp files are removed on start, Kafka Connect\'s are left alone', async () => {
  const fs = new MemoryFs();
  const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
  const own = `/arch/topics/+tmp/+oxbow/t/partition=0/${uuid}.jsonl.gz`;
  const legacyOwn = `/arch/topics/+tmp/t/partition=0/${uuid}.parquet`;
  const legacyIndex = `/arch/topics/+tmp/t/partition=0/_oxbow-index.json.${uuid}`;
  const connect = `/arch/topics/+tmp/t/partition=0/${uuid}_tmp.parquet`;
  const other = '/arch/topics/+tmp/t/partition=0/dead.jsonl.gz';
  for (const path of [own, legacyOwn, legacyIndex, connect, other]) await fs.writeFile(path, new Uint8Array([1, 2]));
  const source = new FakeSource(100);
  source.produce('t', 0, range(0, 25));
  const archiver = new Archiver(options(fs, source, { untilCaughtUp: false, rotation: { records: 1000, bytes: 1 << 30, intervalMs: 600_000 } }));
  const resumed = new Promise<void>((resolve) => archiver.on('partition-resumed', () => resolve()));
  const run = archiver.run();
  await resumed;
  for (const path of [own, legacyOwn, legacyIndex]) assert.equal(fs.files.has(path), false, `${path} is oxbow's and was removed`);
  for (const path of [connect, other]) assert.equal(fs.files.has(path), true, `${path} is not provably oxbow's and was kept`);
  // Let the fake deliver its records, then stop: the open file must be committed, not left half-visible.
  while (!(archiver as unknown as { slots: Map<string, { writer: { nextExpected: bigint } }> }).slots.get('t\u00000')?.writer.nextExpected) await new Promise((r) => setImmediate(r));
  await archiver.stop();
  await run;
  const [offsets] = await archivedOffsets(fs, 1);
  assert.deepEqual(offsets, range(0, 25));
  assert.deepEqual([...fs.files.keys()].filter((k) => k.includes('+tmp')).sort(), [connect, other].sort());
});

test('after a storage failure, batches still in flight from the old position are dropped, not taken for a retention gap', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(40);
  source.staleAfterSeek = true;
  source.produce('t', 0, range(0, 3000));
  let writes = 0;
  fs.beforeOp = (op, path) => {
    if (op === 'writeFile' && path.includes('+tmp') && !path.includes('index') && ++writes % 4 === 3) throw new UnavailableError('DataNode stalled (test)');
  };
  const summary = await new Archiver(options(fs, source)).run();
  assert.deepEqual(summary.retentionGaps, [], 'Kafka still held every offset: no gap');
  assert.deepEqual(await archivedOffsets(fs, 1), [range(0, 3000)]);
  assert.equal(summary.recordsArchived, 3000, 'records of discarded files are not counted');
});

test('the group offset is never where archiving starts: each partition is positioned at the archive end on assignment', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(100);
  source.produce('t', 0, range(0, 500));
  await new Archiver(options(fs, source)).run();
  // Nothing new in the topic: a second location with the same (fake) group archives everything, and finishes.
  const second = new MemoryFs();
  const again = new FakeSource(100);
  again.logs.set('t', source.logs.get('t')!);
  const summary = await new Archiver(options(second, again)).run();
  assert.equal(summary.recordsArchived, 500);
  assert.deepEqual(again.seeks.slice(0, 1), [{ topic: 't', partition: 0, offset: 0n }], 'positioned at the (empty) archive\'s end before any fetch');
  assert.deepEqual(await archivedOffsets(second, 1), [range(0, 500)]);
});

test('offsets deleted by retention before they were archived stop the run naming the range; --on-retention-gap skip records it and goes on', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(100);
  source.produce('t', 0, range(0, 1000));
  await new Archiver(options(fs, source)).run();
  source.produce('t', 0, range(1000, 2000));
  source.deleteBefore('t', 0, 1500n);
  const failing = new FakeSource(100);
  failing.logs.set('t', source.logs.get('t')!);
  failing.deleteBefore('t', 0, 1500n);
  await assert.rejects(new Archiver(options(fs, failing)).run(), (err: unknown) =>
    err instanceof OffsetGapError && err.from === 1000n && err.to === 1499n && /1000\.\.1499/.test(err.message) && /--on-retention-gap skip/.test(err.message));
  assert.deepEqual(await archivedOffsets(fs, 1), [range(0, 1000)], 'nothing past the gap, nothing lost before it');

  const skipping = new FakeSource(100);
  skipping.logs.set('t', source.logs.get('t')!);
  skipping.deleteBefore('t', 0, 1500n);
  const fs2 = fs;
  const summary = await new Archiver(options(fs2, skipping, { onRetentionGap: 'skip' })).run();
  assert.deepEqual(summary.retentionGaps, [{ topic: 't', partition: 0, from: 1000n, to: 1499n }]);
  const entries = await listPartitionFiles(fs2, '/arch', 't', 0, formats);
  assert.equal(entries[entries.length - 1]!.nextOffset, 2000n);
  const offsets: bigint[] = [];
  for (const e of entries) for await (const batch of readArchiveFile(fs2, e, formats)) offsets.push(...batch.map((r) => r.offset));
  assert.deepEqual(offsets, [...range(0, 1000), ...range(1500, 2000)]);
});

test('retention deleting what a discarded file held, while the archiver runs, is found by the refetch and named exactly', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(100);
  source.produce('t', 0, range(0, 1000));
  let published = 0;
  let failed = false;
  fs.beforeOp = (op, path) => {
    if (op === 'rename' && path.includes('+tmp') && !path.includes('index')) published++;
    // The second file fails while being written; meanwhile retention deletes everything below 700.
    if (op === 'writeFile' && path.includes('+tmp') && !path.includes('index') && published === 1 && !failed) {
      failed = true;
      source.deleteBefore('t', 0, 700n);
      throw new UnavailableError('DataNode gone (test)');
    }
  };
  const summary = await new Archiver(options(fs, source, { onRetentionGap: 'skip' })).run();
  assert.deepEqual(summary.retentionGaps, [{ topic: 't', partition: 0, from: 300n, to: 699n }]);
  const entries = await listPartitionFiles(fs, '/arch', 't', 0, formats);
  const offsets: bigint[] = [];
  for (const e of entries) for await (const batch of readArchiveFile(fs, e, formats)) offsets.push(...batch.map((r) => r.offset));
  assert.deepEqual(offsets, [...range(0, 300), ...range(700, 1000)]);
});

test('an archive begun after retention already deleted the topic\'s first offsets starts at the log start without a gap', async () => {
  const fs = new MemoryFs();
  const source = new FakeSource(100);
  source.produce('t', 0, range(0, 800));
  source.deleteBefore('t', 0, 300n);
  const summary = await new Archiver(options(fs, source)).run();
  assert.deepEqual(summary.retentionGaps, []);
  assert.deepEqual(await archivedOffsets(fs, 1), [range(300, 800)]);
});

/** Retention runs right after the archiver positions the partition: the fetch resets to the log start and brings nothing. */
class RetentionAfterSeek extends FakeSource {
  constructor(private readonly deleteTo: bigint) {
    super(100);
  }
  override seek(topic: string, partition: number, offset: bigint): void {
    super.seek(topic, partition, offset);
    this.deleteBefore(topic, partition, this.deleteTo);
  }
}

test('retention deleting every offset still to archive after the partition was positioned ends --until-caught-up: a gap named, not an endless wait', { timeout: 30_000 }, async () => {
  const fs = new MemoryFs();
  const first = new FakeSource(100);
  first.produce('t', 0, range(0, 500));
  await new Archiver(options(fs, first)).run();
  // 500..999 arrive, and Kafka deletes them all just as the second run positions the partition: no fetch brings a record.
  const failing = new RetentionAfterSeek(1000n);
  failing.logs.set('t', first.logs.get('t')!);
  failing.produce('t', 0, range(500, 1000));
  await assert.rejects(new Archiver(options(fs, failing)).run(), (err: unknown) => err instanceof OffsetGapError && err.from === 500n && err.to === 999n);
  assert.deepEqual(await archivedOffsets(fs, 1), [range(0, 500)], 'what was archived before the gap is kept');
  const skipping = new RetentionAfterSeek(1000n);
  skipping.logs.set('t', failing.logs.get('t')!);
  const summary = await new Archiver(options(fs, skipping, { onRetentionGap: 'skip' })).run();
  assert.deepEqual(summary.retentionGaps, [{ topic: 't', partition: 0, from: 500n, to: 999n }]);
});

/** A source that counts what was opened and closed, and can fail or hold one startup step. */
class TrackedSource extends FakeSource {
  started = 0;
  closed = 0;
  failFetch: Error | null = null;
  failStart: Error | null = null;
  /** When set, fetchOffsets waits for this promise (a slow broker during startup). */
  holdFetch: Promise<void> | null = null;
  override async fetchOffsets(topic: string): Promise<PartitionOffsets[]> {
    if (this.holdFetch) await this.holdFetch;
    if (this.failFetch) throw this.failFetch;
    return super.fetchOffsets(topic);
  }
  override async start(topics: string[], h: SourceHandlers): Promise<void> {
    this.started++;
    if (this.failStart) throw this.failStart;
    return super.start(topics, h);
  }
  override async close(): Promise<void> {
    this.closed++;
  }
}

// The CLI process ends only when every client is closed: each failure before consuming starts must still close the source.
test('a failure while reading offsets or starting the consumer rejects run() and closes the source', async () => {
  for (const step of ['fetch', 'start'] as const) {
    const source = new TrackedSource();
    source.produce('t', 0, range(0, 10));
    const failure = new UsageError(`no such topic (${step})`);
    if (step === 'fetch') source.failFetch = failure;
    else source.failStart = failure;
    await assert.rejects(new Archiver(options(new MemoryFs(), source)).run(), failure);
    assert.ok(source.closed >= 1, `${step}: the source was not closed`);
  }
});

test('stop() while startup still reads offsets ends run() with a summary, closes the source and never starts consuming', async () => {
  const source = new TrackedSource();
  source.produce('t', 0, range(0, 10));
  let release!: () => void;
  source.holdFetch = new Promise((resolve) => (release = resolve));
  const archiver = new Archiver(options(new MemoryFs(), source));
  const run = archiver.run();
  const stopped = archiver.stop();
  release();
  const summary = await run;
  assert.equal((await stopped).recordsArchived, 0);
  assert.equal(summary.recordsArchived, 0);
  assert.equal(source.started, 0);
  assert.ok(source.closed >= 1);
});
