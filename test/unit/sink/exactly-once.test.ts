// Replaying the sample archive: results equal one offline pass over all events, and a crash + restore from the latest checkpoint publishes exactly the same output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { parquetFormat } from '../../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../../src/archive/partition-index.js';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import { SessionEngine } from '../../../src/engine/session-engine.js';
import type { SessionSink } from '../../../src/engine/types.js';
import { createDecoder, DEFAULT_MAX_AHEAD_MS } from '../../../src/job/decode.js';
import { parseEventTimeDefinition } from '../../../src/event-time.js';
import { SessionsJob } from '../../../src/job/sessions-job.js';
import { FileSink } from '../../../src/sink/file-sink.js';
import { outputLine, type OutputSink } from '../../../src/sink/types.js';
import { archiveCatalog } from '../../../src/source/archive-catalog.js';
import { HybridSource } from '../../../src/source/hybrid-source.js';
import type { ArchiveCatalog } from '../../../src/source/types.js';
import type { Checkpoint } from '../../../src/checkpoint/format.js';

const archiveRoot = resolve('fixtures/sample-archive');
const fs = new LocalFs();
const catalog = archiveCatalog(fs, archiveRoot, 'listens', formatRegistry([parquetFormat, jsonlGzFormat]));
const engineOptions = { gapMs: 30 * 60_000, aggregate: 'listening' };

function engineSink(out: OutputSink): SessionSink {
  return {
    result: (r) => out.write({ type: 'session', key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result }),
    retraction: (r) => out.write({ type: 'retraction', key: r.key, partition: r.partition, start: r.start, end: r.end }),
    late: () => assert.fail('no event of the sample archive is late'),
  };
}

/** Fails reading the n-th file it is asked for: a crash in the middle of the replay. */
function crashingCatalog(n: number): ArchiveCatalog {
  let reads = 0;
  return {
    description: catalog.description,
    listFiles: (p) => catalog.listFiles(p),
    readFile(file) {
      if (++reads === n) throw new Error('simulated crash');
      return catalog.readFile(file);
    },
  };
}

async function runOnce(outDir: string, cpDir: string, archive: ArchiveCatalog, intervalMs: number): Promise<void> {
  const store = new CheckpointStore(fs, cpDir, 2);
  const latest = await store.latest();
  const sink = new FileSink(fs, outDir);
  const restored: Checkpoint | null = latest?.checkpoint ?? null;
  if (restored) await sink.recover(restored.sink);
  else await sink.checkFresh();
  const engine = restored && restored.engine !== null
    ? SessionEngine.restore(restored.engine, engineOptions, engineSink(sink))
    : new SessionEngine(engineOptions, engineSink(sink));
  const source = new HybridSource({
    topic: 'listens', partitions: [0, 1], archive, live: null, boundMs: 5000, prefetch: 3,
    positions: restored ? new Map(restored.positions.map((p) => [p.partition, p.nextOffset])) : undefined,
    watermarks: restored?.watermarks,
    eventTime: 'ts', decode: createDecoder({ keyField: 'userId', eventTime: parseEventTimeDefinition('ts'), maxAheadMs: DEFAULT_MAX_AHEAD_MS }),
  });
  const job = new SessionsJob({
    topic: 'listens', partitions: [0, 1], source, engine, sink, store, checkpointIntervalMs: intervalMs,
    restoredFrom: restored,
  });
  await job.run();
}

async function published(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith('part-')).sort();
  const lines: string[] = [];
  for (const n of names) lines.push(...(await readFile(join(dir, n), 'utf8')).split('\n').filter(Boolean));
  return lines;
}

/** The reference: every event of the archive through one engine in event-time order, then finish. */
async function offlinePass(): Promise<string[]> {
  const events: { p: number; key: string; ts: number; e: Record<string, unknown> }[] = [];
  for (const p of [0, 1]) {
    for (const f of await catalog.listFiles(p)) {
      for await (const batch of catalog.readFile(f)) {
        for (const r of batch) {
          const e = JSON.parse(Buffer.from(r.value!).toString('utf8')) as Record<string, unknown>;
          events.push({ p, key: String(e.userId), ts: Number(e.ts), e });
        }
      }
    }
  }
  events.sort((a, b) => a.ts - b.ts);
  const lines: string[] = [];
  const engine = new SessionEngine(engineOptions, {
    result: (r) => lines.push(outputLine({ type: 'session', key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result })),
    retraction: () => assert.fail('no retractions configured'),
    late: () => assert.fail('nothing is late in order'),
  });
  for (const x of events) engine.processEvent(x.p, x.key, x.ts, x.e);
  engine.finish();
  return lines;
}

test('replaying the archive gives exactly the sessions of one offline pass, each once', async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  await runOnce(out, cp, catalog, 60_000);
  const got = (await published(out)).sort();
  const want = (await offlinePass()).sort();
  assert.ok(want.length > 300, `the sample should hold hundreds of sessions, got ${want.length}`);
  assert.equal(new Set(got).size, got.length, 'no result published twice');
  assert.deepEqual(got, want);
});

test('crashing twice mid-replay and restoring from the latest checkpoint publishes the same output as an uninterrupted run', async () => {
  const cleanOut = await mkdtemp(join(tmpdir(), 'oxbow-out-'));
  await runOnce(cleanOut, await mkdtemp(join(tmpdir(), 'oxbow-cp-')), catalog, 0);
  const out = await mkdtemp(join(tmpdir(), 'oxbow-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  await assert.rejects(runOnce(out, cp, crashingCatalog(7), 0), /simulated crash/);
  const afterFirst = (await published(out)).length;
  assert.ok(afterFirst > 0, 'the first run published some parts before the crash');
  await assert.rejects(runOnce(out, cp, crashingCatalog(9), 0), /simulated crash/);
  await runOnce(out, cp, catalog, 0);
  assert.deepEqual((await published(out)).sort(), (await published(cleanOut)).sort());
  assert.deepEqual(await readdir(join(out, '_pending')), []);
});
