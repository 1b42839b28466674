// Savepoint compatibility: a version-1 savepoint taken mid-replay of the sample archive (kept in savepoint-v1.json) still restores and completes the replay exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { parquetFormat } from '../../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../../src/archive/partition-index.js';
import { checkCheckpointFits, decodeCheckpoint } from '../../../src/checkpoint/format.js';
import { SessionEngine } from '../../../src/engine/session-engine.js';
import { eventTimeFromValue } from '../../../src/job/decode.js';
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

test('a version-1 savepoint restores and the replay from it emits exactly the sessions not yet fired when it was taken', async () => {
  const path = resolve('test/unit/checkpoint/savepoint-v1.json');
  const saved = decodeCheckpoint(path, await readFile(path, 'utf8'));
  assert.equal(saved.kind, 'savepoint');
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
    eventTimeOf: (r) => eventTimeFromValue(r, 'ts'),
  });
  await new SessionsJob({ topic: 'listens', partitions: [0, 1], source, engine, sink, store: null, checkpointIntervalMs: 60_000, restoredFrom: saved, keyField: 'userId', timeField: 'ts' }).run();

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
