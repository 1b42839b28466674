// A Kafka Connect HDFS archive on the real HDFS (Parquet files laid out as the connector writes them, from Kafka's own
// log of the topic), then the live tail in the real Kafka: `oxbow sessions --archive-layout connect --stop-at-live` gives
// the sessions of an offline pass over every event, also when killed mid-archive and restored from its checkpoint.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { generateMusicEvents, type MusicEvent, partitionOf } from '../../src/gen/music-events.js';
import { connectFileBytes, connectFilePath, type ConnectValue } from '../../tools/connect-archive/connect-archive.js';
import { brokers, kafka, kafkaLog, removeArchive, runCli, startCli, uniqueName, webhdfsArchive } from './archive-support.js';
import { killAtCheckpoint, offlineSessions, produceEvents, publishedSessions, summaryValue } from './sessions-support.js';

/** A fresh topic with `partitions` partitions, an HDFS archive root and scratch folders, all removed afterwards. */
async function withTopicAndArchive(prefix: string, partitions: number, fn: (t: { topic: string; archive: string; out: string; cpDir: string }) => Promise<void>): Promise<void> {
  const topic = uniqueName(prefix);
  const archive = webhdfsArchive(`oxbow-it/${topic}`);
  const out = await mkdtemp(join(tmpdir(), `${prefix}-out-`));
  const cpDir = await mkdtemp(join(tmpdir(), `${prefix}-cp-`));
  try {
    await createTopic(kafka(), brokers(), topic, partitions);
    await fn({ topic, archive, out, cpDir });
  } finally {
    await removeArchive(archive);
    await rm(out, { recursive: true, force: true });
    await rm(cpDir, { recursive: true, force: true });
  }
}

/**
 * Runs `common` with checkpoints, kills it by SIGKILL once a checkpoint stands mid-archive, restores it from that
 * checkpoint: the published sessions are `expected`, each once.
 */
async function killedMidArchiveThenRestored(common: string[], out: string, cpDir: string, expected: string[]): Promise<void> {
  const store = new CheckpointStore(new LocalFs(), cpDir);
  const resumable = [...common, '--output', `file://${join(out, 'restored')}`, '--checkpoint-dir', `file://${cpDir}`, '--checkpoint-interval', '0ms', '--prefetch', '1'];
  const first = startCli(resumable);
  const killed = await killAtCheckpoint(first.child, store, (c) => c.id >= 2 && c.positions.every((p) => p.source === 'archive'));
  const r1 = await first.done;
  assert.ok(killed && r1.signal === 'SIGKILL', `the first run ended before it could be killed mid-archive:\n${r1.stderr}`);
  const r2 = await runCli([...resumable, '--from-savepoint', 'latest']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /restored/);
  assert.deepEqual(await publishedSessions(join(out, 'restored')), expected);
}

test('a Connect Parquet archive on HDFS, then live Kafka: the offline sessions, uninterrupted and after a SIGKILL mid-archive', { timeout: 240_000 }, async () => {
  await withTopicAndArchive('oxbow-it-connect', 2, async ({ topic, archive, out, cpDir }) => {
    const history = [...generateMusicEvents({ seed: 23, users: 80, durationMs: 2 * 86_400_000 })];
    await produceEvents(topic, history, (e) => ({ partition: partitionOf(e.userId, 2), key: e.userId }));

    // What the connector would have written: every record of Kafka's log so far, 250 per file, values only.
    const { fs, root } = openArchiveFs(archive);
    const log = await kafkaLog(topic);
    let files = 0;
    for (const [partition, records] of log) {
      for (let i = 0; i < records.length; i += 250) {
        const chunk = records.slice(i, i + 250);
        const values = chunk.map((r) => JSON.parse(r.value!) as ConnectValue);
        await fs.writeFile(connectFilePath(root, { topic, partition, start: chunk[0]!.offset, count: chunk.length, format: 'parquet' }), connectFileBytes('parquet', values));
        files++;
      }
    }
    // The live tail: newer events, only in Kafka.
    const tail = [...generateMusicEvents({ seed: 29, users: 80, start: Date.now() - 3_600_000, durationMs: 3_600_000 })].slice(0, 400);
    await produceEvents(topic, tail, (e) => ({ partition: partitionOf(e.userId, 2), key: e.userId }));
    const everything = [...(await kafkaLog(topic)).values()].flat().map((r) => JSON.parse(r.value!) as MusicEvent);
    const expected = offlineSessions(everything, 30 * 60_000, 'listening');

    const common = ['sessions', '--archive', archive, '--archive-layout', 'connect', '--brokers', brokers(), '--topic', topic,
      '--aggregate', 'listening', '--stop-at-live'];
    const whole = await runCli([...common, '--output', `file://${join(out, 'whole')}`]);
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal(summaryValue(whole.stderr, 'archive files read'), String(files));
    assert.equal(summaryValue(whole.stderr, 'records read'), `${everything.length} (archive ${history.length}, kafka ${tail.length})`);
    assert.deepEqual(await publishedSessions(join(out, 'whole')), expected);

    await killedMidArchiveThenRestored(common, out, cpDir, expected);
  });
});

test('a Connect archive of a transactional topic (markers inside files and between them): positions stand in for offsets, the same sessions after a SIGKILL', { timeout: 240_000 }, async () => {
  await withTopicAndArchive('oxbow-it-connect-tx', 1, async ({ topic, archive, out, cpDir }) => {
    const history = [...generateMusicEvents({ seed: 31, users: 40, durationMs: 86_400_000 })].slice(0, 3000);
    // Transactions of 250 records: Kafka puts a commit marker after each, an offset that holds no record.
    const producer = kafka().producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < history.length; i += 250) {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: history.slice(i, i + 250).map((e) => ({ key: e.userId, value: JSON.stringify(e), partition: 0 })) });
      await tx.commit();
    }
    await producer.disconnect();
    // The connector flushes every 500 records: each file holds two transactions and the marker between them.
    const { fs, root } = openArchiveFs(archive);
    const records = (await kafkaLog(topic)).get(0)!;
    assert.equal(records.length, history.length);
    for (let i = 0; i < records.length; i += 500) {
      const chunk = records.slice(i, i + 500);
      const first = chunk[0]!.offset;
      const count = Number(chunk.at(-1)!.offset - first) + 1;
      assert.ok(count > chunk.length, 'a marker inside the file');
      await fs.writeFile(connectFilePath(root, { topic, partition: 0, start: first, count, format: 'parquet' }), connectFileBytes('parquet', chunk.map((r) => JSON.parse(r.value!) as ConnectValue)));
    }
    const tail = [...generateMusicEvents({ seed: 37, users: 40, start: Date.now() - 3_600_000, durationMs: 3_600_000 })].slice(0, 300);
    await produceEvents(topic, tail, () => ({ partition: 0, key: null }));
    const everything = [...(await kafkaLog(topic)).values()].flat().map((r) => JSON.parse(r.value!) as MusicEvent);
    const expected = offlineSessions(everything, 30 * 60_000, 'listening');

    const common = ['sessions', '--archive', archive, '--archive-layout', 'connect', '--brokers', brokers(), '--topic', topic,
      '--aggregate', 'listening', '--stop-at-live', '--on-gap', 'warn'];
    const whole = await runCli([...common, '--output', `file://${join(out, 'whole')}`]);
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stderr, /placed by their position in the file/);
    // The markers between files (one between each two files) are skipped as named gaps, nothing else.
    assert.equal(summaryValue(whole.stderr, 'offsets skipped in gaps'), String(Math.ceil(history.length / 500) - 1));
    assert.equal(summaryValue(whole.stderr, 'records read'), `${everything.length} (archive ${history.length}, kafka ${tail.length})`);
    assert.deepEqual(await publishedSessions(join(out, 'whole')), expected);

    await killedMidArchiveThenRestored(common, out, cpDir, expected);
  });
});
