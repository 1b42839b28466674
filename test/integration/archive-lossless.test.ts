// The archive is lossless: every field of every record (key and value bytes, headers, Kafka timestamp) read back from
// Parquet on the local fs and on HDFS and from JSONL.gz equals what a plain kafkajs consumer reads from Kafka's log,
// and each record's event time is what the value says, absurd values included. A Kafka timestamp no archive can keep
// exactly stops the archiver with exit 2 naming the record.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { IHeaders, Message } from 'kafkajs';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { loadPartitionIndex } from '../../src/archive/partition-index.js';
import { readArchiveFile } from '../../src/archive/reader.js';
import type { ArchivedRecord } from '../../src/archive/record.js';
import { brokers, formats, kafka, readKafkaLog, removeArchive, runCli, uniqueName, webhdfsArchive } from './archive-support.js';

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

/** A record as read from Kafka by the oracle: the bytes kafkajs hands, headers in its order (repeated keys as arrays). */
interface LoggedRecord {
  offset: bigint;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer }[];
}

/** Every record of the topic as Kafka's log holds it: the bytes kafkajs hands, headers in its order. */
async function rawLog(topic: string): Promise<Map<number, LoggedRecord[]>> {
  return readKafkaLog(topic, (m) => {
    const headers: { key: string; value: Buffer }[] = [];
    for (const [key, v] of Object.entries(m.headers ?? {})) {
      for (const one of Array.isArray(v) ? v : [v]) headers.push({ key, value: Buffer.from(one as Buffer) });
    }
    return { offset: BigInt(m.offset), timestamp: m.timestamp, key: m.key, value: m.value, headers };
  });
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

test('every field of every record survives archiving byte for byte, in Parquet (local fs and HDFS) and JSONL.gz; absurd event times are archived as none and counted', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-lossless-'));
  const topic = uniqueName('oxbow-it-lossless');
  const hdfs = webhdfsArchive(`/oxbow-it/${topic}`);
  try {
    const k = kafka();
    await createTopic(k, brokers(), topic, 2, ANY_TIMESTAMP);
    const producer = k.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const count = 2100;
    for (let i = 0; i < count; i += 300) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 300 }, (_, j) => ({ ...awkwardMessage(i + j), partition: (i + j) % 2 })) });
    }
    await producer.disconnect();
    const log = await rawLog(topic);
    assert.equal([...log.values()].reduce((n, r) => n + r.length, 0), count, 'Kafka holds every record produced');
    const missing = [...log.values()].flat().filter((r) => expectedEventTime(r.value) === null).length;
    assert.ok(missing > 0 && missing < count, 'the topic holds records with and without a usable event time');

    for (const [format, archive] of [['parquet', `file://${dir}/parquet`], ['jsonl.gz', `file://${dir}/jsonl`], ['parquet', hdfs]] as const) {
      const run = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--format', format,
        '--event-time', 'ts', '--until-caught-up', '--rotate-records', '400', '--group', uniqueName(`${topic}-g`)]);
      assert.equal(run.code, 0, `${format} to ${archive}:\n${run.stderr}`);
      const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as { records: number; eventTimeMissing: number };
      assert.deepEqual([summary.records, summary.eventTimeMissing], [count, missing], `${format} to ${archive}: the summary`);
      for (const [partition, records] of log) assertSameRecords(`${format} in ${archive}, partition ${partition}`, await archived(archive, topic, partition), records);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await removeArchive(hdfs);
  }
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
