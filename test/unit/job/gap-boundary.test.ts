// The sessions job path (hybrid source → decoder → engine) draws the gap boundary as Flink does under bound 0, from the
// archive (file-boundary watermarks) and from Kafka (max - bound - 1), like `oxbow sessionize --bound 0ms`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionEngine } from '../../../src/engine/session-engine.js';
import { parseEventTimeDefinition } from '../../../src/event-time.js';
import { createDecoder, DEFAULT_MAX_AHEAD_MS } from '../../../src/job/decode.js';
import { SessionsJob } from '../../../src/job/sessions-job.js';
import type { OutputRecord, OutputSink } from '../../../src/sink/types.js';
import { HybridSource } from '../../../src/source/hybrid-source.js';
import type { SourceRecord } from '../../../src/source/types.js';
import { FakeCatalog, FakeLive } from '../source/fakes.js';

const events = [{ userId: 'a', ts: 0 }, { userId: 'b', ts: 999 }, { userId: 'a', ts: 999 }];

function record(offset: number, e: { userId: string; ts: number }, archived: boolean): SourceRecord {
  return { offset: BigInt(offset), timestamp: e.ts, key: null, value: new TextEncoder().encode(JSON.stringify(e)), eventTime: archived ? e.ts : null };
}

class Collect implements OutputSink {
  readonly description = 'memory';
  readonly lines: OutputRecord[] = [];
  write(line: OutputRecord): void { this.lines.push(line); }
  async prepare(): Promise<unknown> { return null; }
  async commit(): Promise<void> {}
  async recover(): Promise<void> {}
  async checkFresh(): Promise<void> {}
  async close(): Promise<void> {}
}

async function run(archive: FakeCatalog | null, live: FakeLive | null): Promise<unknown[]> {
  const sink = new Collect();
  const engine = new SessionEngine({ gapMs: 1000 }, {
    result: (r) => sink.write({ type: 'session', key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result }),
    retraction: () => assert.fail('no retractions configured'),
    late: () => assert.fail('nothing is late'),
  });
  const source = new HybridSource({
    topic: 't', partitions: [0], archive, live, boundMs: 0, stopAtLive: live !== null, eventTime: 'ts',
    decode: createDecoder({ keyField: 'userId', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: DEFAULT_MAX_AHEAD_MS }),
  });
  await new SessionsJob({ topic: 't', partitions: [0], source, engine, sink, store: null, checkpointIntervalMs: 60_000, restoredFrom: null }).run();
  return sink.lines.map((l) => (l.type === 'session' ? [l.key, l.start, l.end, l.result] : l)).sort();
}

const flink = [['a', 0, 1999, 2], ['b', 999, 1999, 1]];

test('from the archive, one file per event: file-boundary watermarks do not fire a window before its touching event', async () => {
  const catalog = new FakeCatalog();
  events.forEach((e, i) => catalog.add({
    info: { path: `/a/t+0+${i}+${i}.parquet`, partition: 0, startOffset: BigInt(i), endOffset: BigInt(i), nextOffset: BigInt(i + 1), count: 1, minEventTime: e.ts, maxEventTime: e.ts, eventTime: 'ts' },
    records: [record(i, e, true)],
  }));
  assert.deepEqual(await run(catalog, null), flink);
});

test('from Kafka with bound 0: the watermark after an event at 999 is 998, as Flink\'s BoundedOutOfOrdernessWatermarks', async () => {
  const live = new FakeLive(1);
  events.forEach((e, i) => live.log.set(0, [...(live.log.get(0) ?? []), record(i, e, false)]));
  assert.deepEqual(await run(new FakeCatalog(), live), flink);
});
