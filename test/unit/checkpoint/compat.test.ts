// Checkpoint compatibility: every sample in fixtures/checkpoints/ (one per released version, taken mid-replay of the sample archive) restores and completes the replay exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { parquetFormat } from '../../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../../src/archive/partition-index.js';
import { checkCheckpointFits, decodeCheckpoint } from '../../../src/checkpoint/format.js';
import { SessionEngine } from '../../../src/engine/session-engine.js';
import { CURRENT_FORMAT_VERSION } from '../../../src/state/savepoint-format.js';
import { createDecoder, DEFAULT_MAX_AHEAD_MS } from '../../../src/job/decode.js';
import { parseEventTimeDefinition } from '../../../src/event-time.js';
import { SessionsJob } from '../../../src/job/sessions-job.js';
import { outputLine, type OutputRecord, type OutputSink } from '../../../src/sink/types.js';
import { archiveCatalog } from '../../../src/source/archive-catalog.js';
import { HybridSource } from '../../../src/source/hybrid-source.js';

const fs = new LocalFs();
const catalog = archiveCatalog(fs, resolve('fixtures/sample-archive'), 'listens', formatRegistry([parquetFormat, jsonlGzFormat]));
const options = { gapMs: 30 * 60_000, aggregate: 'listening' };

class MemorySink implements OutputSink {
  readonly description = 'memory';
  readonly lines: string[] = [];
  write(r: OutputRecord): void { this.lines.push(outputLine(r)); }
  async prepare(): Promise<unknown> { return null; }
  async commit(): Promise<void> {}
  async recover(): Promise<void> {}
  async checkFresh(): Promise<void> {}
  async close(): Promise<void> {}
}

const dir = resolve('fixtures/checkpoints');
const samples = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('fixtures/checkpoints/ holds a sample of every checkpoint version written so far, with engine snapshots of every format', () => {
  assert.ok(samples.some((f) => f.startsWith('v1-')) && samples.some((f) => f.startsWith(`v${CURRENT_FORMAT_VERSION}-`)), samples.join(', '));
});

for (const file of samples) {
  test(`${file}: restores and the replay from it emits exactly the sessions not yet fired when it was taken`, async () => {
    const path = join(dir, file);
    const saved = decodeCheckpoint(path, await readFile(path, 'utf8'));
    checkCheckpointFits(path, saved, 'listens', [0, 1]);
    const watermark = saved.watermarks.job!;

    const sink = new MemorySink();
    const engine = SessionEngine.restore(saved.engine, options, {
      result: (r) => sink.write({ type: 'session', key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result }),
      retraction: () => assert.fail('no retractions configured'),
      late: () => assert.fail('nothing is late'),
    }, path);
    const source = new HybridSource({
      topic: 'listens', partitions: [0, 1], archive: catalog, live: null, boundMs: 30_000,
      positions: new Map(saved.positions.map((p) => [p.partition, p.nextOffset])), watermarks: saved.watermarks,
      eventTime: 'ts', decode: createDecoder({ keyField: 'userId', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: DEFAULT_MAX_AHEAD_MS }),
    });
    await new SessionsJob({ topic: 'listens', partitions: [0, 1], source, engine, sink, store: null, checkpointIntervalMs: 60_000, restoredFrom: saved }).run();

    // The reference: every archived event through one engine in event-time order; the sessions firing after the watermark.
    const all: string[] = [];
    const offline = new SessionEngine(options, {
      result: (r) => { if (r.end - 1 > watermark) all.push(outputLine({ type: 'session', key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result })); },
      retraction: () => {},
      late: () => {},
    });
    const events: { p: number; e: Record<string, unknown> }[] = [];
    for (const p of [0, 1]) {
      for (const f of await catalog.listFiles(p)) {
        for await (const batch of catalog.readFile(f)) for (const r of batch) events.push({ p, e: JSON.parse(Buffer.from(r.value!).toString('utf8')) as Record<string, unknown> });
      }
    }
    events.sort((a, b) => Number(a.e.ts) - Number(b.e.ts));
    for (const { p, e } of events) offline.processEvent(p, String(e.userId), Number(e.ts), e);
    offline.finish();
    assert.ok(all.length > 100);
    assert.deepEqual([...sink.lines].sort(), all.sort());
  });
}
