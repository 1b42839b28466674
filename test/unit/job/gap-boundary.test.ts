// The sessions job path (hybrid source → decoder → engine) draws the gap boundary as Flink does under bound 0, from the
// archive (file-boundary watermarks) and from Kafka (max - bound - 1), like `oxbow sessionize --bound 0ms`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionWindows } from '../../../src/engine/window-spec.js';
import { parseEventTimeDefinition } from '../../../src/event-time.js';
import { assembleSessionsJob } from '../../../src/job/assemble.js';
import { DEFAULT_MAX_AHEAD_MS } from '../../../src/job/decode.js';
import type { SourceRecord } from '../../../src/source/types.js';
import { MemorySink } from '../../helpers/memory-sink.js';
import { FakeCatalog, FakeLive } from '../source/fakes.js';

const events = [{ userId: 'a', ts: 0 }, { userId: 'b', ts: 999 }, { userId: 'a', ts: 999 }];

function record(offset: number, e: { userId: string; ts: number }, archived: boolean): SourceRecord {
  return { offset: BigInt(offset), timestamp: e.ts, key: null, value: new TextEncoder().encode(JSON.stringify(e)), eventTime: archived ? e.ts : null };
}

async function run(archive: FakeCatalog | null, live: FakeLive | null): Promise<unknown[]> {
  const output = new MemorySink();
  const job = await assembleSessionsJob({
    topic: 't', partitions: [0], windows: sessionWindows({ gapMs: 1000 }), boundMs: 0, stopAtLive: live !== null, checkpointIntervalMs: 60_000,
    event: { keyField: 'userId', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: DEFAULT_MAX_AHEAD_MS },
  }, { archive, live, output, store: null, restore: null, onLate: () => assert.fail('nothing is late') });
  await job.run();
  return output.lines.map((l) => JSON.parse(l) as { key: string; start: number; end: number; result: number }).map((l) => [l.key, l.start, l.end, l.result]).sort();
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
