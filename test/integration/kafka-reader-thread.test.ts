// The Kafka reader on its own thread (connectors/kafka/threaded-reader.ts) against the real broker: what it hands the
// job is Kafka's log from the asked offset on, record for record (null keys and values, transactions with aborted
// records and markers included), held against a plain kafkajs consumer's reading of the log (the thread decodes with
// oxbow's record decoder, the oracle with kafkajs's), on the thread started early or, when that one ended, a new one; and a reader that cannot reach Kafka fails the job naming the brokers.

import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { once } from 'node:events';
import { test } from 'node:test';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import { startReaderThreadEarly, ThreadedPartitionReader } from '../../connectors/kafka/threaded-reader.js';
import { WorkerFailure } from '../../src/errors.js';
import { brokers, kafka, kafkaLog, type KafkaLog, uniqueName } from './archive-support.js';

const decoder = new TextDecoder();
const { CompressionTypes } = kafkajs;

/**
 * Everything the reader hands on from `starts`, until each partition has been read past `lastOffsets` (its last record in
 * the oracle), and then for one more second: anything more (a record twice, one past the log) shows in the result.
 */
async function readAll(reader: ThreadedPartitionReader, starts: Map<number, bigint>, lastOffsets: Map<number, bigint>): Promise<KafkaLog> {
  const log: KafkaLog = new Map([...starts.keys()].map((p) => [p, []]));
  const readTo = new Map(starts);
  await reader.start(starts);
  const deadline = Date.now() + 60_000;
  let quietUntil = Infinity;
  while (Date.now() < quietUntil) {
    if (quietUntil === Infinity && [...readTo].every(([p, o]) => o > lastOffsets.get(p)!)) quietUntil = Date.now() + 1000;
    assert.ok(Date.now() < deadline, `the reader stalled at ${[...readTo].map(([p, o]) => `${p}@${o}`).join(',')}`);
    const batch = await reader.next(200);
    if (batch === null) continue;
    for (const r of batch.records) {
      log.get(batch.partition)!.push({ offset: r.offset, key: r.key === null ? null : decoder.decode(r.key), value: r.value === null ? null : decoder.decode(r.value), timestamp: r.timestamp });
    }
    const last = batch.records[batch.records.length - 1];
    const next = batch.nextOffset ?? (last ? last.offset + 1n : 0n);
    if (next > readTo.get(batch.partition)!) readTo.set(batch.partition, next);
  }
  return log;
}

test('the reader thread hands on Kafka\'s log exactly, from the log start and from an offset inside it', { timeout: 180_000 }, async () => {
  const topic = uniqueName('oxbow-it-reader-thread');
  const k = kafka();
  await createTopic(k, brokers(), topic, 2);
  const producer = k.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let t = 0; t < 30; t++) {
    const tx = await producer.transaction();
    await tx.send({
      topic,
      messages: Array.from({ length: 400 }, (_, i) => {
        const n = t * 400 + i;
        return {
          partition: n % 2,
          key: n % 11 === 0 ? null : `user-${n % 97}`,
          // Tombstones, empty values and text beyond ASCII among ordinary events.
          value: n % 13 === 0 ? null : n % 17 === 0 ? '' : JSON.stringify({ userId: `user-${n % 97}`, ts: 1_732_406_400_000 + n, note: n % 5 === 0 ? 'é✓' : 'x'.repeat(n % 300) }),
        };
      }),
    });
    if (t % 5 === 4) await tx.abort();
    else await tx.commit();
  }
  await producer.disconnect();

  const oracle = await kafkaLog(topic);
  const lastOffsets = new Map([...oracle].map(([p, records]) => [p, records[records.length - 1]!.offset]));
  const reader = new ThreadedPartitionReader({ client: { brokers: brokers(), clientId: 'oxbow-it-reader-thread' }, topic });
  try {
    assert.deepEqual(await reader.earliestOffsets([0, 1]), new Map([[0, 0n], [1, 0n]]));
    // The log ends in an aborted transaction and its marker: past the oracle's last record.
    const ends = await reader.latestOffsets([0, 1]);
    for (const p of [0, 1]) assert.ok(ends.get(p)! > lastOffsets.get(p)! + 1n, `partition ${p} ends at ${ends.get(p)}`);
    assert.deepEqual(await readAll(reader, new Map([[0, 0n], [1, 0n]]), lastOffsets), oracle);
  } finally {
    await reader.close();
  }

  // From an offset inside the log: nothing before it, everything after.
  const middle = new Map([0, 1].map((p) => [p, oracle.get(p)![Math.floor(oracle.get(p)!.length / 3)]!.offset]));
  const second = new ThreadedPartitionReader({ client: { brokers: brokers(), clientId: 'oxbow-it-reader-thread' }, topic });
  try {
    const log = await readAll(second, middle, lastOffsets);
    assert.deepEqual(log, new Map([...oracle].map(([p, records]) => [p, records.filter((r) => r.offset >= middle.get(p)!)])));
  } finally {
    await second.close();
  }
});

test('records decoded by oxbow on the thread are kafkajs\'s: timestamps far apart in a batch, log-append time, gzip, headers', { timeout: 180_000 }, async () => {
  // The thread decodes with oxbow's record decoder (connectors/kafka/record-decoder.ts), this test's consumer with
  // kafkajs's own. Each send is one record batch a partition: its records' timestamp deltas span from 0 to 1970 (six
  // varlong bytes), some records carry headers (kafkajs decodes those), and one topic stamps log-append time.
  const now = Date.now();
  const stamps = [now, 0, now - 1, 1, 2 ** 31, now - 2 ** 31, 86_400_000, now - 3_600_000];
  const k = kafka();
  for (const [name, config] of [['create-time', {}], ['log-append-time', { 'message.timestamp.type': 'LogAppendTime' }]] as const) {
    const topic = uniqueName(`oxbow-it-reader-decoder-${name}`);
    await createTopic(k, brokers(), topic, 2, config);
    const producer = k.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let send = 0; send < 6; send++) {
      await producer.send({
        topic,
        compression: send % 2 === 0 ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: Array.from({ length: 300 }, (_, i) => ({
          partition: i % 2,
          key: i % 7 === 0 ? null : `user-${i % 31}`,
          value: i % 19 === 0 ? null : JSON.stringify({ userId: `user-${i % 31}`, n: send * 300 + i }),
          timestamp: String(stamps[(send + i) % stamps.length]),
          ...(i % 10 === 3 ? { headers: { trace: `t-${i}`, hop: [`a${i}`, `b${i}`] } } : {}),
        })),
      });
    }
    await producer.disconnect();
    const oracle = await kafkaLog(topic);
    const lastOffsets = new Map([...oracle].map(([p, records]) => [p, records[records.length - 1]!.offset]));
    const reader = new ThreadedPartitionReader({ client: { brokers: brokers(), clientId: 'oxbow-it-reader-thread' }, topic });
    try {
      const log = await readAll(reader, new Map([[0, 0n], [1, 0n]]), lastOffsets);
      assert.deepEqual(log, oracle);
      const timestamps = new Set([...log.values()].flat().map((r) => r.timestamp));
      // The topics hold what the test means them to: every stamp sent, or the broker's own append times.
      if (name === 'create-time') assert.deepEqual([...timestamps].sort((a, b) => a - b), [...stamps].sort((a, b) => a - b));
      else assert.ok([...timestamps].every((t) => t >= now - 60_000), `log-append times ${[...timestamps].slice(0, 3).join(',')}`);
    } finally {
      await reader.close();
    }
  }
});

test('a reader thread that cannot reach Kafka fails the job with the reader\'s message and exit code', { timeout: 60_000 }, async () => {
  // Nothing listens on port 1: the thread's reader gives up after kafkajs's retries, and the job's thread gets that failure.
  const reader = new ThreadedPartitionReader({ client: { brokers: '127.0.0.1:1', clientId: 'oxbow-it-reader-thread' }, topic: 'none' });
  try {
    await assert.rejects(reader.earliestOffsets([0]), (e: unknown) => {
      assert.ok(e instanceof WorkerFailure, String(e));
      assert.match(e.message, /cannot reach Kafka at 127\.0\.0\.1:1/);
      assert.equal(e.exitCode, 1);
      return true;
    });
  } finally {
    await reader.close();
  }
});

test('the thread started early serves the first reader; one that ended before a reader took it is replaced by a new thread', { timeout: 120_000 }, async () => {
  const topic = uniqueName('oxbow-it-reader-early');
  const k = kafka();
  await createTopic(k, brokers(), topic, 1);
  const producer = k.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: 300 }, (_, i) => ({ key: `user-${i % 7}`, value: JSON.stringify({ userId: `user-${i % 7}`, ts: 1_732_406_400_000 + i }) })) });
  await producer.disconnect();
  const oracle = await kafkaLog(topic);
  const lastOffsets = new Map([[0, oracle.get(0)![oracle.get(0)!.length - 1]!.offset]]);
  const client = { brokers: brokers(), clientId: 'oxbow-it-reader-thread' };

  // Taken: the reader reads on the early thread, and that thread ends when the reader closes.
  const early = startReaderThreadEarly();
  const exited = once(early, 'exit');
  const first = new ThreadedPartitionReader({ client, topic });
  try {
    assert.deepEqual(await readAll(first, new Map([[0, 0n]]), lastOffsets), oracle);
  } finally {
    await first.close();
  }
  await exited;

  // Gone before a reader took it (as when its start failed): the next reader starts a thread of its own.
  const dead = startReaderThreadEarly();
  assert.notEqual(dead, early, 'a taken thread is not offered again');
  await dead.terminate();
  const second = new ThreadedPartitionReader({ client, topic });
  try {
    assert.deepEqual(await readAll(second, new Map([[0, 0n]]), lastOffsets), oracle);
  } finally {
    await second.close();
  }
});
