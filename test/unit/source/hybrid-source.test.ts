// Unit tests of the hybrid source over an in-memory archive and Kafka: alignment, watermarks, gaps, dedup, relisting, exact switch, restore by offset.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventTimeMismatchError, OffsetGapError } from '../../../src/errors.js';
import { HybridSource, type HybridSourceOptions, type SourceStep } from '../../../src/source/hybrid-source.js';
import { FakeCatalog, FakeLive, file, NamedFakeCatalog } from './fakes.js';

// The fakes' records carry their event time; a record without one is a bad record, as the job's decoder would say.
const base = (o: Partial<HybridSourceOptions>): HybridSourceOptions => ({
  topic: 't', partitions: [0, 1], archive: null, live: null, boundMs: 0, eventTime: 'ts',
  decode: (r) => (r.eventTime === null ? 'no event time' : { ts: r.eventTime }), ...o,
});

async function collect(source: HybridSource): Promise<SourceStep[]> {
  const steps: SourceStep[] = [];
  for await (const s of source.steps()) steps.push(s);
  return steps;
}

const offsetsOf = (steps: SourceStep[], partition: number) =>
  steps.flatMap((s) => (s.kind === 'records' && s.partition === partition ? s.records.map((r) => Number(r.offset)) : []));

test('archive alone: files read in event-time order across partitions, each offset once, watermarks at file boundaries', async () => {
  const catalog = new FakeCatalog()
    .add(file(0, 0, [100, 110, 120]))
    .add(file(0, 3, [300, 310]))
    .add(file(1, 0, [200, 210]))
    .add(file(1, 2, [400, 420]));
  const source = new HybridSource(base({ archive: catalog }));
  const steps = await collect(source);
  assert.deepEqual(catalog.reads.map((p) => p.split('/').pop()), ['t+0+0+2.parquet', 't+1+0+1.parquet', 't+0+3+4.parquet', 't+1+2+3.parquet']);
  assert.deepEqual(offsetsOf(steps, 0), [0, 1, 2, 3, 4]);
  assert.deepEqual(offsetsOf(steps, 1), [0, 1, 2, 3]);
  const wms = steps.filter((s) => s.kind === 'watermark').map((s) => (s as { watermark: number }).watermark);
  // p0 after its first file: min(300 - 1, 120 - 1) = 119, but p1 is unread (-inf). After p1's first: min(119, 209).
  // After p0 last: min(309, 209); after p1 last: min(309, 419). Finished partitions leave it; the engine finish() fires the rest.
  assert.deepEqual(wms, [119, 209, 309]);
  assert.ok(wms.every((w, i) => i === 0 || w > wms[i - 1]!));
  assert.deepEqual(source.positions().map((p) => p.nextOffset), [5n, 4n]);
  assert.equal(source.stats.filesDone, 4);
});

test('a hole between archive files stops with OffsetGapError naming partition and range; --on-gap warn counts it', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [1, 2])).add(file(0, 5, [3]));
  await assert.rejects(collect(new HybridSource(base({ partitions: [0], archive: catalog }))), (e: unknown) =>
    e instanceof OffsetGapError && e.partition === 0 && e.from === 2n && e.to === 4n && /partition 0: offsets 2\.\.4 are missing/.test(e.message));
  const source = new HybridSource(base({ partitions: [0], archive: catalog, onGap: 'warn' }));
  const steps = await collect(source);
  assert.deepEqual(offsetsOf(steps, 0), [0, 1, 5]);
  assert.equal(source.stats.gapOffsetsSkipped, 3n);
  assert.ok(steps.some((s) => s.kind === 'gap'));
});

test('overlapping files are read once per offset', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [1, 2, 3, 4])).add(file(0, 2, [3, 4, 5, 6]));
  const source = new HybridSource(base({ partitions: [0], archive: catalog }));
  assert.deepEqual(offsetsOf(await collect(source), 0), [0, 1, 2, 3, 4, 5]);
  assert.equal(source.stats.duplicatesSkipped, 2);
});

test('a corrupt file stops the replay naming it; --on-corrupt skip reports and goes on', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [1, 2])).add(file(0, 2, [3]));
  catalog.corrupt.add(catalog.files.get(0)![0]!.info.path);
  await assert.rejects(collect(new HybridSource(base({ partitions: [0], archive: catalog }))), /t\+0\+0\+1\.parquet: not a Parquet file/);
  const source = new HybridSource(base({ partitions: [0], archive: catalog, onCorrupt: 'skip' }));
  const steps = await collect(source);
  assert.deepEqual(offsetsOf(steps, 0), [2]);
  assert.equal(source.stats.corruptFilesSkipped, 1);
});

test('the switch reads Kafka from the archive next offset exactly, and --stop-at-live ends at the end offsets seen at the switch', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [100, 110])).add(file(1, 0, [100]));
  // Kafka still holds everything from offset 0; the archive ends at 2 and 1.
  const live = new FakeLive(2).append(0, 0, [100, 110, 120, 130, 140]).append(1, 0, [100, 150]);
  const source = new HybridSource(base({ archive: catalog, live, stopAtLive: true }));
  const steps = await collect(source);
  assert.deepEqual([...live.started], [[0, 2n], [1, 1n]]);
  assert.deepEqual(offsetsOf(steps, 0), [0, 1, 2, 3, 4]);
  assert.deepEqual(offsetsOf(steps, 1), [0, 1]);
  const switches = steps.filter((s) => s.kind === 'switch');
  assert.deepEqual(switches.map((s) => s.kind === 'switch' && [s.partition, s.offset, s.endOffset]), [[0, 2n, 5n], [1, 1n, 2n]]);
  assert.deepEqual(source.positions(), [{ partition: 0, source: 'kafka', nextOffset: 5n }, { partition: 1, source: 'kafka', nextOffset: 2n }]);
  assert.equal(source.stats.switchPauseMs.length, 2, 'one switch pause per partition');
  assert.ok(live.closed);
});

test('records produced after the switch are past --stop-at-live and not read', async () => {
  const live = new FakeLive(10).append(0, 0, [1, 2, 3]);
  const catalog = new FakeCatalog().add(file(0, 0, [1]));
  const source = new HybridSource(base({ partitions: [0], archive: catalog, live, stopAtLive: true }));
  const it = source.steps();
  const steps: SourceStep[] = [];
  for await (const s of it) {
    steps.push(s);
    if (s.kind === 'switch') live.append(0, 3, [4, 5]);
  }
  assert.deepEqual(offsetsOf(steps, 0), [0, 1, 2]);
});

test('records Kafka hands back from before the position are skipped and counted, those past --stop-at-live left unread, in one batch', async () => {
  // A reader that hands records from two before where it was asked to start (a fetch in flight while seeking), in one
  // batch reaching past the end offsets seen at the switch.
  class EarlyLive extends FakeLive {
    override async start(positions: Map<number, bigint>): Promise<void> {
      await super.start(new Map([...positions].map(([p, o]) => [p, o - 2n])));
    }
  }
  const live = new EarlyLive(10).append(0, 0, [1, 2, 3, 4, 5, 6]);
  const catalog = new FakeCatalog().add(file(0, 0, [1, 2, 3]));
  const source = new HybridSource(base({ partitions: [0], archive: catalog, live, stopAtLive: true }));
  const steps: SourceStep[] = [];
  for await (const s of source.steps()) {
    steps.push(s);
    if (s.kind === 'switch') live.append(0, 6, [7, 8]);
  }
  assert.deepEqual([...live.started], [[0, 1n]]);
  assert.deepEqual(offsetsOf(steps, 0), [0, 1, 2, 3, 4, 5]);
  assert.equal(source.stats.duplicatesSkipped, 2);
  assert.deepEqual(source.positions(), [{ partition: 0, source: 'kafka', nextOffset: 6n }]);
});

test('Kafka no longer holding the archive next offset is a named gap; warn skips to Kafka earliest and counts', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [1, 2]));
  const live = new FakeLive().append(0, 7, [10, 11]);
  await assert.rejects(collect(new HybridSource(base({ partitions: [0], archive: catalog, live, stopAtLive: true }))), (e: unknown) =>
    e instanceof OffsetGapError && e.from === 2n && e.to === 6n && /retention/.test(e.message));
  const source = new HybridSource(base({ partitions: [0], archive: catalog, live: new FakeLive().append(0, 7, [10, 11]), stopAtLive: true, onGap: 'warn' }));
  assert.deepEqual(offsetsOf(await collect(source), 0), [0, 1, 7, 8]);
  assert.equal(source.stats.gapOffsetsSkipped, 5n);
});

test('when the archive is exhausted it is listed again, and files published meanwhile are read before switching', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [1, 2]));
  const live = new FakeLive().append(0, 0, [1, 2, 3, 4, 5]);
  const source = new HybridSource(base({ partitions: [0], archive: catalog, live, stopAtLive: true }));
  const steps: SourceStep[] = [];
  for await (const s of source.steps()) {
    steps.push(s);
    if (s.kind === 'file-done' && catalog.files.get(0)!.length === 1) catalog.add(file(0, 2, [3, 4]));
  }
  assert.equal(catalog.reads.length, 2);
  assert.deepEqual([...live.started], [[0, 4n]]);
  assert.deepEqual(offsetsOf(steps, 0), [0, 1, 2, 3, 4]);
});

test('a catalogue that tells files past an offset by name is listed again only where names reach past what was read', async () => {
  for (const publish of [false, true]) {
    const catalog = new NamedFakeCatalog().add(file(0, 0, [1, 2])).add(file(1, 0, [1, 2]));
    const source = new HybridSource(base({ partitions: [0, 1], archive: catalog }));
    const steps: SourceStep[] = [];
    for await (const s of source.steps()) {
      steps.push(s);
      if (publish && s.kind === 'file-done' && catalog.files.get(1)!.length === 1) catalog.add(file(1, 2, [3, 4]));
    }
    assert.deepEqual(offsetsOf(steps, 1), publish ? [0, 1, 2, 3] : [0, 1]);
    assert.deepEqual(offsetsOf(steps, 0), [0, 1]);
    // Each partition is listed once; partition 1 a second time, then a third (its new file read), only when one was published.
    assert.deepEqual(catalog.listings, publish ? [0, 1, 1] : [0, 1]);
  }
});

test('restore chooses by offset: a position still inside the archive reads the archive even if Kafka lost it', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [1, 2, 3, 4])).add(file(0, 4, [5, 6]));
  const live = new FakeLive().append(0, 5, [6, 7, 8]);
  live.earliest.set(0, 5n);
  const source = new HybridSource(base({ partitions: [0], archive: catalog, live, stopAtLive: true, positions: new Map([[0, 2n]]) }));
  const steps = await collect(source);
  assert.deepEqual(offsetsOf(steps, 0), [2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...live.started], [[0, 6n]]);
});

test('a restore past the archive goes straight to Kafka; watermarks restored never go back', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [1000, 2000]));
  const live = new FakeLive().append(0, 0, [1000, 2000, 3000, 500]);
  const source = new HybridSource(base({
    partitions: [0], archive: catalog, live, stopAtLive: true, positions: new Map([[0, 3n]]), boundMs: 100,
    watermarks: { job: 2899, partitions: [{ partition: 0, maxEventTime: 3000, watermark: 2899 }] },
  }));
  const steps = await collect(source);
  assert.equal(catalog.reads.length, 0);
  assert.deepEqual(offsetsOf(steps, 0), [3]);
  assert.ok(steps.filter((s) => s.kind === 'watermark').every((s) => s.kind === 'watermark' && s.watermark >= 2899));
});

test('the Kafka phase watermark is max seen - bound - 1 and the archive one is kept until Kafka passes it', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [10_000]));
  const live = new FakeLive(1).append(0, 0, [10_000, 10_500, 30_000, 30_001]);
  const source = new HybridSource(base({ partitions: [0], archive: catalog, live, stopAtLive: true, boundMs: 1000 }));
  const wms = (await collect(source)).filter((s) => s.kind === 'watermark').map((s) => s.kind === 'watermark' && s.watermark);
  assert.deepEqual(wms, [8999, 9499, 28_999]);
});

test('stopping via the abort signal ends the steps with positions of what was handed on', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [1, 2])).add(file(0, 2, [3, 4]));
  const controller = new AbortController();
  const source = new HybridSource(base({ partitions: [0], archive: catalog, signal: controller.signal }));
  const steps: SourceStep[] = [];
  for await (const s of source.steps()) {
    steps.push(s);
    if (s.kind === 'file-done') controller.abort();
  }
  assert.deepEqual(offsetsOf(steps, 0), [0, 1]);
  assert.equal(source.positions()[0]!.nextOffset, 2n);
});

test('the live reader is closed even when every partition is already at its end at the switch', async () => {
  const live = new FakeLive().append(0, 0, [1, 2]);
  const source = new HybridSource(base({ partitions: [0], archive: new FakeCatalog(), live, stopAtLive: true, positions: new Map([[0, 2n]]) }));
  const steps = await collect(source);
  assert.deepEqual(offsetsOf(steps, 0), []);
  assert.equal(live.started.size, 0);
  assert.ok(live.closed, 'an open admin client would keep the process alive');
});

test('archive files that record another event-time definition are refused before any is read, naming both', async () => {
  const catalog = new FakeCatalog().add(file(0, 0, [1, 2], { eventTime: 'kafka-timestamp' }));
  const source = new HybridSource(base({ partitions: [0], archive: catalog }));
  await assert.rejects(collect(source), (e: unknown) => e instanceof EventTimeMismatchError
    && /written with --event-time kafka-timestamp/.test(e.message) && /reads --event-time ts/.test(e.message));
  assert.deepEqual(catalog.reads, []);
});

/** Runs the live phase for `ms`, then stops it; the highest job watermark seen. */
async function liveWatermark(live: FakeLive, ms: number): Promise<number> {
  const controller = new AbortController();
  const source = new HybridSource(base({ live, idleTimeoutMs: 20, pollMs: 5, signal: controller.signal, positions: new Map([[0, 0n], [1, 0n]]) }));
  setTimeout(() => controller.abort(), ms);
  let max = Number.NEGATIVE_INFINITY;
  for await (const s of source.steps()) if (s.kind === 'watermark' && s.watermark > max) max = s.watermark;
  return max;
}

test('a silent Kafka partition with a backlog is never idle: it holds the job watermark; one confirmed at its log end is idle', async () => {
  const times = Array.from({ length: 50 }, (_, i) => (i + 1) * 1000);
  const behind = new FakeLive(5).append(0, 0, times).append(1, 0, [500, 600, 700]);
  // Partition 1 delivered nothing (its fetches stall) though Kafka holds records for it.
  behind.withheld.add(1);
  assert.equal(await liveWatermark(behind, 900), Number.NEGATIVE_INFINITY, 'partition 0 alone never moves the job watermark past the stalled partition 1');

  const caughtUp = new FakeLive(5).append(0, 0, times);
  assert.equal(await liveWatermark(caughtUp, 900), 49_999, 'partition 1 holds nothing and Kafka confirms it: idle, it does not hold the job back');
});

test('untimedFirst: a file whose untimed records carry their smallest Kafka timestamp is read when its time comes, not first; without it, first', async () => {
  // Partition 0's second file holds a record timed only by its Kafka timestamp (3500) beside event times from 3000.
  const untimed = file(0, 2, [3000, 3100], { eventTimeMissing: 1, untimedMinTimestamp: 3500 });
  const order = async (untimedMinTimestamp: number | null) => {
    const catalog = new FakeCatalog()
      .add(file(0, 0, [100, 200]))
      .add({ ...untimed, info: { ...untimed.info, untimedMinTimestamp } })
      .add(file(1, 0, [2000, 2100]));
    await collect(new HybridSource(base({ archive: catalog, untimedFirst: true })));
    return catalog.reads.map((p) => p.split('/').pop());
  };
  assert.deepEqual(await order(3500), ['t+0+0+1.parquet', 't+1+0+1.parquet', 't+0+2+3.parquet']);
  // Not recorded (metadata before version 3): the file may hold anything older, so it is read as early as its offset allows.
  assert.deepEqual(await order(null), ['t+0+0+1.parquet', 't+0+2+3.parquet', 't+1+0+1.parquet']);
});
