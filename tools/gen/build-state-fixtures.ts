// Writes the samples of the current state formats into fixtures/: engine savepoints (fixtures/savepoints/) and job
// checkpoints (fixtures/checkpoints/), each with what restoring it must give. A sample that exists is never rewritten:
// a released format's samples must keep loading as they are.
// Run: npm run build && node dist/tools/gen/build-state-fixtures.js

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { parquetFormat } from '../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../src/archive/partition-index.js';
import { encodeCheckpoint, type Checkpoint } from '../../src/checkpoint/format.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { sessionWindows } from '../../src/engine/window-spec.js';
import { assembleSessionsJob } from '../../src/job/assemble.js';
import { MemorySink } from '../../test/helpers/memory-sink.js';
import { SessionEngine, type SessionEngineOptions, type SessionResult, type SessionRetraction } from '../../src/engine/index.js';
import { parseEventTimeDefinition } from '../../src/event-time.js';
import { createDecoder, DEFAULT_MAX_AHEAD_MS, type DecodedEvent } from '../../src/job/decode.js';
import { archiveCatalog } from '../../src/source/archive-catalog.js';
import { HybridSource } from '../../src/source/hybrid-source.js';
import { CURRENT_FORMAT_VERSION } from '../../src/state/snapshot-format.js';

const root = resolve('fixtures');
const v = `v${CURRENT_FORMAT_VERSION}`;

async function writeOnce(path: string, text: string): Promise<void> {
  if (existsSync(path)) {
    process.stdout.write(`kept ${path}\n`);
    return;
  }
  await writeFile(path, text);
  process.stdout.write(`wrote ${path}\n`);
}

/** An engine savepoint from a few events, and what finishing its restore emits. */
async function engineSample(name: string, options: SessionEngineOptions, feed: (e: SessionEngine) => void): Promise<void> {
  const engine = new SessionEngine(options, { result: () => {}, retraction: () => {}, late: () => {} });
  feed(engine);
  const snapshot = engine.snapshot();
  const out: unknown[] = [];
  const restored = SessionEngine.restore(JSON.parse(JSON.stringify(snapshot)), options, {
    result: (r: SessionResult) => out.push({ kind: 'result', ...r }),
    retraction: (r: SessionRetraction) => out.push({ kind: 'retract', ...r }),
    late: () => { throw new Error('nothing is late at finish'); },
  });
  restored.finish();
  await writeOnce(`${root}/savepoints/${v}-${name}.json`, JSON.stringify(snapshot) + '\n');
  await writeOnce(`${root}/savepoints/${v}-${name}.expected.json`, JSON.stringify({ options, afterFinish: out }, null, 1) + '\n');
}

/** A job checkpoint taken mid-replay of the sample archive (after `files` files), as `oxbow sessions` writes it. */
async function checkpointSample(name: string, files: number): Promise<void> {
  const options = { gapMs: 30 * 60_000, aggregate: 'listening' };
  const engine = new SessionEngine(options, { result: () => {}, retraction: () => {}, late: () => {} });
  const catalog = archiveCatalog(new LocalFs(), resolve('fixtures/sample-archive'), 'listens', formatRegistry([parquetFormat, jsonlGzFormat]));
  const source = new HybridSource<DecodedEvent>({
    topic: 'listens', partitions: [0, 1], archive: catalog, live: null, boundMs: 30_000, eventTime: 'ts',
    decode: createDecoder({ keyField: 'userId', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: DEFAULT_MAX_AHEAD_MS }),
  });
  let done = 0;
  for await (const step of source.steps()) {
    if (step.kind === 'records') step.decoded.forEach((d) => { if (typeof d !== 'string') engine.processEvent(step.partition, d.key, d.ts, d.event); });
    else if (step.kind === 'watermark') engine.advanceWatermark(step.watermark);
    else if (step.kind === 'file-done' && ++done === files) break;
  }
  const checkpoint: Checkpoint = {
    kind: 'savepoint', id: 1, createdAt: Date.UTC(2026, 10, 28), topic: 'listens', partitions: [0, 1],
    positions: source.positions(), watermarks: source.watermarks.snapshot(), engine: engine.snapshot(), sink: null,
    counters: { records: 0, events: 0, badRecords: 0, finished: 0 },
  };
  await writeOnce(`${root}/checkpoints/${name}.json`, encodeCheckpoint(checkpoint));
}

/**
 * A savepoint of `oxbow sessions --profiles profiles` over the sample archive (checkpoint format 2), taken by the job
 * path itself: the run is stopped (as by SIGTERM) after its `checkpoints`-th checkpoint, mid-replay of both topics.
 */
async function profilesCheckpointSample(name: string, checkpoints: number): Promise<void> {
  const fs = new LocalFs();
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-fixture-'));
  const catalog = (topic: string) => archiveCatalog(fs, resolve('fixtures/sample-archive'), topic, formatRegistry([parquetFormat, jsonlGzFormat]));
  const stop = new AbortController();
  const store = new CheckpointStore(fs, dir);
  const job = await assembleSessionsJob({
    topic: 'listens', partitions: [0, 1], windows: sessionWindows({ gapMs: 30 * 60_000, aggregate: 'listening' }),
    event: { keyField: 'userId', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: DEFAULT_MAX_AHEAD_MS },
    boundMs: 30_000, checkpointIntervalMs: 0, prefetch: 1,
    profiles: { topic: 'profiles', partitions: [0, 1], eventTime: parseEventTimeDefinition('ts') },
  }, {
    archive: catalog('listens'), live: null, output: new MemorySink(), store, restore: null, signal: stop.signal,
    profiles: { archive: catalog('profiles'), live: null }, now: () => Date.UTC(2026, 10, 29),
  });
  job.on('checkpoint', ({ payload }) => { if (payload.id >= checkpoints) stop.abort(); });
  await job.run();
  const saved = await store.latest();
  if (saved?.checkpoint.kind !== 'savepoint' || !saved.checkpoint.profiles) throw new Error('build-state-fixtures: the run left no savepoint with profiles');
  await writeOnce(`${root}/checkpoints/${name}.json`, encodeCheckpoint(saved.checkpoint));
  await rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  await mkdir(`${root}/checkpoints`, { recursive: true });
  // Keyed across partitions: u1's session was opened from partition 0 and extended by partition 1's events.
  await engineSample('listening-keyed-across-partitions', { gapMs: 30_000, allowedLatenessMs: 60_000, aggregate: 'listening', retractions: true }, (e) => {
    e.processEvent(0, 'u1', 1000, { type: 'song' });
    e.processEvent(1, 'u1', 20_000, { type: 'song' });
    e.processEvent(1, 'u2', 100_000, { type: 'search' });
    e.advanceWatermark(40_000);
    e.processEvent(1, 'u1', 45_000, { type: 'song' });
  });
  await engineSample('count-co-partitioned', { gapMs: 60_000, aggregate: 'count', coPartitioned: true }, (e) => {
    e.processEvent(0, 'a', 0, {});
    e.processEvent(0, 'a', 30_000, {});
    e.processEvent(1, 'b', 10_000, {});
    e.advanceWatermark(5000);
  });
  await checkpointSample(`v${CURRENT_FORMAT_VERSION}-listening-mid-replay`, 9);
  await profilesCheckpointSample(`v${CURRENT_FORMAT_VERSION}-listening-profiles-mid-replay`, 12);
}

main().catch((err: unknown) => {
  process.stderr.write(`build-state-fixtures: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
