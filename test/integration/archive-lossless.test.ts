// The archive is lossless: every field of every record (key and value bytes, headers, Kafka timestamp) read back from
// Parquet on the local fs and on HDFS and from JSONL.gz equals what plain consumers read from Kafka's log (kafkajs for
// bytes and timestamps; @platformatic/kafka for headers, which it hands in the log's order where kafkajs groups them by
// key), and each record's event time is what the value says, absurd values included. A Kafka timestamp or a header key
// no archive can keep exactly stops the archiver with exit 2 naming the record.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Consumer, Producer } from '@platformatic/kafka';
import type { IHeaders, Message, Producer as KafkajsProducer } from 'kafkajs';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { loadPartitionIndex } from '../../src/archive/partition-index.js';
import { readArchiveFile } from '../../src/archive/reader.js';
import type { ArchivedRecord } from '../../src/archive/record.js';
import { brokers, formats, kafka, readKafkaLog, removeArchive, runCli, startCli, topicOffsets, uniqueName, webhdfsArchive } from './archive-support.js';

/** A topic taking record timestamps of any time (Kafka 4 refuses those > 1 h ahead by default) and deleting none by age. */
const ANY_TIMESTAMP = { 'message.timestamp.after.max.ms': '9223372036854775807', 'retention.ms': '-1' };
const BASE_MS = 1_732_406_400_000;

/** The i-th record: every kind of key, value and headers an archive must keep byte for byte. */
function awkwardMessage(i: number): Message {
  const keys = [null, Buffer.from([0xff, 0x00, i & 0xff]), Buffer.alloc(0), `u${i % 50}`, `ü-${i % 9}`, 'k"\\\n'];
  const values = [
    null, // a tombstone
    Buffer.from([0xc3, 0x28, 0x80, i & 0xff]), // not UTF-8
    Buffer.alloc(0),
    JSON.stringify({ ts: 1e300, i }), // no time anyone can hold
    JSON.stringify({ ts: -1e19, i }),
    JSON.stringify({ ts: '2024-11-24T00:00:00Z', s: 'a"b\\c\n\u0001é😀\u2028\ufeff', i }),
    'not json {',
    JSON.stringify({ ts: BASE_MS + i + 0.75, userId: `u${i % 50}` }),
    JSON.stringify({ userId: `u${i % 50}`, ts: BASE_MS + i, s: 'x"y', i }),
    `{"ts":${BASE_MS + i},"ts":1}`, // a repeated field: JSON.parse takes the last one
  ];
  const headers: (IHeaders | undefined)[] = [undefined, { trace: `t${i}` }, { bin: Buffer.from([0xff, 0xfe, 0x00]) }, { dup: ['a', 'b'], other: 'c' }, { empty: '' }];
  const timestamps = ['0', '1', '253402300799999', String(BASE_MS + i)];
  return {
    key: keys[i % keys.length] ?? null,
    value: values[i % values.length] ?? null,
    headers: headers[i % headers.length],
    timestamp: timestamps[i % 7 < 3 ? i % 7 : 3],
  };
}

/** A record as read from Kafka by the oracles: the bytes kafkajs hands, headers in the log's order. */
interface LoggedRecord {
  offset: bigint;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer }[];
}

/**
 * Each record's headers as Kafka's log holds them, per partition and offset, read by a plain @platformatic/kafka
 * consumer (it hands headers as [key, value] pairs in order; a null value as empty bytes, and no test here writes one).
 */
async function logHeaders(topic: string): Promise<Map<string, [Buffer, Buffer][]>> {
  const remaining = new Map((await topicOffsets(topic)).filter((o) => o.latest > o.earliest).map((o) => [o.partition, BigInt(o.latest)]));
  const out = new Map<string, [Buffer, Buffer][]>();
  if (remaining.size === 0) return out;
  const consumer = new Consumer({ groupId: uniqueName('oxbow-it-oracle'), clientId: 'oxbow-it-oracle', bootstrapBrokers: brokers().split(',') });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 200 });
    for await (const m of stream) {
      out.set(`${m.partition}/${m.offset}`, [...m.headers.entries()] as [Buffer, Buffer][]);
      if (m.offset + 1n >= remaining.get(m.partition)!) remaining.delete(m.partition);
      if (remaining.size === 0) break;
    }
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return out;
}

/** Every record of the topic as Kafka's log holds it: bytes and timestamps from kafkajs, headers from `logHeaders`. */
async function rawLog(topic: string): Promise<Map<number, LoggedRecord[]>> {
  const headers = await logHeaders(topic);
  const log = await readKafkaLog(topic, (m): LoggedRecord => ({ offset: BigInt(m.offset), timestamp: m.timestamp, key: m.key, value: m.value, headers: [] }));
  for (const [partition, records] of log) {
    for (const r of records) {
      const pairs = headers.get(`${partition}/${r.offset}`);
      assert.ok(pairs, `the header oracle read ${partition}/${r.offset}`);
      r.headers = pairs.map(([key, value]) => ({ key: key.toString('utf8'), value: Buffer.from(value) }));
    }
  }
  return log;
}

/** Headers whose order kafkajs cannot keep: keys interleaved, integer-like keys after others, a key named `__proto__`. */
function orderedHeaders(i: number): Map<Buffer, Buffer> {
  const entries: [string, string][] = [['b', `1-${i}`], ['a', '2'], ['b', '3'], ['2', '4'], ['1', '5'], ['__proto__', '6'], ['a', ''], ['ü', '8']];
  return new Map(entries.slice(i % 3).map(([key, value]) => [Buffer.from(key), Buffer.from(value)]));
}

async function produceRaw(topic: string, messages: { partition: number; key: string; value: string; headers?: Map<Buffer, Buffer>; timestamp: bigint }[]): Promise<void> {
  const producer = new Producer({ clientId: 'oxbow-it-raw', bootstrapBrokers: brokers().split(',') });
  try {
    await producer.send({ acks: -1, messages: messages.map((m) => ({ ...m, topic, key: Buffer.from(m.key), value: Buffer.from(m.value) })) });
  } finally {
    await producer.close();
  }
}

/**
 * The event time a value holds under `--event-time ts`, worked out here from JSON.parse: a number is epoch ms without
 * its fraction, and none beyond ±(2^53 − 1); an ISO-8601 string is its instant; anything else has none.
 */
function expectedEventTime(value: Buffer | null): number | null {
  if (value === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value));
  } catch {
    return null;
  }
  const ts = (parsed as { ts?: unknown } | null)?.ts;
  if (typeof ts === 'number') return Number.isSafeInteger(Math.trunc(ts)) ? Math.trunc(ts) : null;
  if (typeof ts === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(ts)) return Date.parse(ts);
  return null;
}

/** Every record the archive's files hold for a partition, in offset order (the files as the folder lists them). */
async function archived(archive: string, topic: string, partition: number): Promise<ArchivedRecord[]> {
  const { fs, root } = openArchiveFs(archive);
  const listing = await loadPartitionIndex(fs, root, topic, partition, formats);
  const out: ArchivedRecord[] = [];
  for (const entry of listing.entries) for await (const batch of readArchiveFile(fs, entry, formats)) out.push(...batch);
  return out;
}

function assertSameRecords(what: string, got: ArchivedRecord[], log: LoggedRecord[]): void {
  assert.equal(got.length, log.length, `${what}: ${got.length} records archived, Kafka's log holds ${log.length}`);
  for (let i = 0; i < log.length; i++) {
    const k = log[i]!;
    const a = got[i]!;
    const at = `${what}, offset ${k.offset}`;
    assert.equal(a.offset, k.offset, `${what}: position ${i} holds offset ${a.offset}, Kafka's log has ${k.offset}`);
    assert.equal(String(a.timestamp), k.timestamp, `${at}: timestamp`);
    assert.deepEqual(a.key === null ? null : Buffer.from(a.key), k.key, `${at}: key bytes`);
    assert.deepEqual(a.value === null ? null : Buffer.from(a.value), k.value, `${at}: value bytes`);
    assert.deepEqual(a.headers.map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })), k.headers, `${at}: headers`);
    assert.equal(a.eventTime, expectedEventTime(k.value), `${at}: event time of ${k.value?.toString('utf8')}`);
  }
}

/**
 * Runs `body` with a new 2-partition topic taking any timestamp, a connected kafkajs producer, a scratch folder and an
 * HDFS archive path; disconnects the producer (if `body` has not) and removes the folder and the HDFS archive after.
 */
async function withTopic(prefix: string, body: (t: { dir: string; topic: string; hdfs: string; producer: KafkajsProducer }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const topic = uniqueName(`oxbow-it-${prefix}`);
  const hdfs = webhdfsArchive(`/oxbow-it/${topic}`);
  const k = kafka();
  const producer = k.producer({ allowAutoTopicCreation: false });
  try {
    await createTopic(k, brokers(), topic, 2, ANY_TIMESTAMP);
    await producer.connect();
    await body({ dir, topic, hdfs, producer });
  } finally {
    await producer.disconnect().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    await removeArchive(hdfs);
  }
}

test('every field of every record survives archiving byte for byte, in Parquet (local fs and HDFS) and JSONL.gz; absurd event times are archived as none and counted', { timeout: 240_000 }, async () => {
  await withTopic('lossless', async ({ dir, topic, hdfs, producer }) => {
    const count = 2100;
    for (let i = 0; i < count; i += 300) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 300 }, (_, j) => ({ ...awkwardMessage(i + j), partition: (i + j) % 2 })) });
    }
    await producer.disconnect();
    const ordered = 60;
    await produceRaw(topic, Array.from({ length: ordered }, (_, i) => ({
      partition: i % 2, key: `u${i % 5}`, value: JSON.stringify({ ts: BASE_MS + count + i }), headers: orderedHeaders(i), timestamp: BigInt(BASE_MS + count + i),
    })));
    const log = await rawLog(topic);
    assert.equal([...log.values()].reduce((n, r) => n + r.length, 0), count + ordered, 'Kafka holds every record produced');
    assert.deepEqual(log.get(0)!.at(-1)!.headers.map((h) => h.key), ['b', 'a', 'b', '2', '1', '__proto__', 'a', 'ü'].slice(58 % 3), 'the header oracle reads headers in the order produced');
    const missing = [...log.values()].flat().filter((r) => expectedEventTime(r.value) === null).length;
    assert.ok(missing > 0 && missing < count, 'the topic holds records with and without a usable event time');

    for (const [format, archive] of [['parquet', `file://${dir}/parquet`], ['jsonl.gz', `file://${dir}/jsonl`], ['parquet', hdfs]] as const) {
      const run = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--format', format,
        '--event-time', 'ts', '--until-caught-up', '--rotate-records', '400', '--group', uniqueName(`${topic}-g`)]);
      assert.equal(run.code, 0, `${format} to ${archive}:\n${run.stderr}`);
      const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as { records: number; eventTimeMissing: number };
      assert.deepEqual([summary.records, summary.eventTimeMissing], [count + ordered, missing], `${format} to ${archive}: the summary`);
      for (const [partition, records] of log) assertSameRecords(`${format} in ${archive}, partition ${partition}`, await archived(archive, topic, partition), records);
    }
  });
});

test('records without headers, which the archiver writes as Parquet row groups of its own (docs/archive.md), survive byte for byte too, values over a page included', { timeout: 240_000 }, async () => {
  await withTopic('lossless-plain', async ({ dir, topic, hdfs, producer }) => {
    const count = 2100;
    let sent = 0;
    for (let i = 0; i < count; i += 300) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 300 }, (_, j) => ({ ...awkwardMessage(i + j), headers: undefined, partition: (i + j) % 2 })) });
      sent += 300;
      // Values of 300 KB among the small ones, one record batch each: a page of values ends at about 1 MiB.
      for (let b = 0; b < 2; b++, sent++) {
        const value = Buffer.alloc(300_000 + i + b, `${i}:${b};`);
        await producer.send({ topic, acks: -1, messages: [{ key: `big-${i}-${b}`, value, partition: b, timestamp: String(BASE_MS + i) }] });
      }
    }
    await producer.disconnect();
    const log = await rawLog(topic);
    assert.equal([...log.values()].reduce((n, r) => n + r.length, 0), sent, 'Kafka holds every record produced');
    assert.ok([...log.values()].flat().every((r) => r.headers.length === 0), 'no record has a header');
    const missing = [...log.values()].flat().filter((r) => expectedEventTime(r.value) === null).length;

    for (const archive of [`file://${dir}/parquet`, hdfs]) {
      const run = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--format', 'parquet',
        '--event-time', 'ts', '--until-caught-up', '--rotate-records', '700', '--group', uniqueName(`${topic}-g`)]);
      assert.equal(run.code, 0, `parquet to ${archive}:\n${run.stderr}`);
      const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as { records: number; eventTimeMissing: number };
      assert.deepEqual([summary.records, summary.eventTimeMissing], [sent, missing], `parquet to ${archive}: the summary`);
      for (const [partition, records] of log) assertSameRecords(`parquet in ${archive}, partition ${partition}`, await archived(archive, topic, partition), records);
    }
  });
});

test('a Kafka timestamp beyond 2^53 ms (produced in nanoseconds) stops the archiver with exit 2 naming the record; nothing from it on is archived', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-lossless-'));
  try {
    const topic = uniqueName('oxbow-it-nanos');
    const k = kafka();
    await createTopic(k, brokers(), topic, 1, ANY_TIMESTAMP);
    const producer = k.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ key: 'u1', value: JSON.stringify({ ts: BASE_MS + i }), timestamp: String(BASE_MS + i) })) });
    await producer.send({ topic, acks: -1, messages: [{ key: 'u1', value: JSON.stringify({ ts: BASE_MS + 50 }), timestamp: `${BASE_MS + 50}000123` }] });
    await producer.send({ topic, acks: -1, messages: [{ key: 'u1', value: JSON.stringify({ ts: BASE_MS + 51 }), timestamp: String(BASE_MS + 51) }] });
    await producer.disconnect();
    const [bad] = (await rawLog(topic)).get(0)!.filter((r) => r.timestamp.length > 16);
    assert.ok(bad, 'Kafka holds the record stamped in nanoseconds');

    const archive = `file://${dir}`;
    const run = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--format', 'parquet',
      '--until-caught-up', '--rotate-records', '20', '--group', uniqueName(`${topic}-g`)]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`${topic}/0 offset ${bad.offset}: its Kafka timestamp ${bad.timestamp} is beyond`));
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    const records = await archived(archive, topic, 0);
    assert.ok(records.every((r) => r.offset < bad.offset), 'nothing at or after the record is archived');
    assert.deepEqual(records.map((r) => r.offset), records.map((_, i) => BigInt(i)), 'what is archived is the log from its start, each offset once');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a header key that is not UTF-8 text stops the archiver with exit 2 naming the record, as do headers kafkajs decoded; nothing from it on is archived', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-lossless-'));
  try {
    const topic = uniqueName('oxbow-it-header-key');
    await createTopic(kafka(), brokers(), topic, 1, ANY_TIMESTAMP);
    await produceRaw(topic, Array.from({ length: 40 }, (_, i) => ({
      partition: 0, key: 'u1', value: JSON.stringify({ ts: BASE_MS + i }), timestamp: BigInt(BASE_MS + i),
      ...(i === 10 ? { headers: new Map([[Buffer.from('trace'), Buffer.from('ok')]]) } : {}),
      ...(i === 30 ? { headers: new Map([[Buffer.from('trace'), Buffer.from('ok')], [Buffer.from([0x6b, 0xff]), Buffer.from('v')]]) } : {}),
    })));
    const records = await rawLog(topic);
    const withHeaders = records.get(0)!.filter((r) => r.headers.length > 0).map((r) => r.offset);
    assert.deepEqual(withHeaders, [10n, 30n], 'Kafka holds headers at offsets 10 and 30');

    const cases: { env: Record<string, string>; offset: bigint; message: RegExp }[] = [
      { env: {}, offset: 30n, message: /offset 30: its header #2's key is not UTF-8 text \(base64 a\/8=\), and an archive keeps header keys as text/ },
      { env: { OXBOW_KAFKA_DECODER: 'kafkajs' }, offset: 10n, message: /offset 10: its headers were decoded by kafkajs, which loses their order/ },
    ];
    for (const { env, offset, message } of cases) {
      const archive = `file://${dir}/${offset}`;
      const run = await startCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--format', 'parquet',
        '--until-caught-up', '--rotate-records', '5', '--group', uniqueName(`${topic}-g`)], undefined, env).done;
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`${topic}/0 ${message.source}`));
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
      const got = await archived(archive, topic, 0);
      assert.ok(got.every((r) => r.offset < offset), 'nothing at or after the record is archived');
      assert.deepEqual(got.map((r) => r.offset), got.map((_, i) => BigInt(i)), 'what is archived is the log from its start, each offset once');
      assertSameRecords(`up to offset ${offset}`, got, records.get(0)!.slice(0, got.length));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
