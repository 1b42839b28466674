// Shared by the archive integration tests: service addresses, topics filled in bulk, the CLI as a child process, read-back checks.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { createKafka } from '../../connectors/kafka/client.js';
import { createTopic, produceBulk } from '../../connectors/kafka/bulk-producer.js';
import { fetchTopicOffsets } from '../../connectors/kafka/topic-offsets.js';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { parquetFormat } from '../../connectors/parquet/parquet-format.js';
import { jsonlGzFormat } from '../../src/archive/jsonl-format.js';
import { formatRegistry, loadPartitionIndex } from '../../src/archive/partition-index.js';
import { parseFileName } from '../../src/archive/file-name.js';
import { readArchiveFile } from '../../src/archive/reader.js';
import type { PartitionOffsets } from '../../src/archive/archive-source.js';
import { servicesConfig } from '../../tools/services/config.js';

export const formats = formatRegistry([parquetFormat, jsonlGzFormat]);
export const OXBOW_BIN = fileURLToPath(new URL('../../../bin/oxbow.js', import.meta.url));

export function brokers(): string {
  const value = process.env.OXBOW_KAFKA_BROKERS;
  assert.ok(value, 'OXBOW_KAFKA_BROKERS is not set: run `npm test` (it starts Kafka), or `npm run services -- start` and export the lines it prints');
  return value;
}

export function webhdfsUrl(): string {
  const value = process.env.OXBOW_WEBHDFS_URL;
  assert.ok(value, 'OXBOW_WEBHDFS_URL is not set: run `npm test` (it starts HDFS), or `npm run services -- start` and export the lines it prints');
  return value;
}

/** `http://host:port` → `webhdfs://host:port/<path>`. */
export function webhdfsArchive(path: string): string {
  const url = new URL(webhdfsUrl());
  return `webhdfs://${url.host}/${path.replace(/^\//, '')}`;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function kafka(): Kafka {
  return createKafka({ brokers: brokers(), clientId: 'oxbow-it' });
}

/** A new topic filled with `count` keyed music events (`ts` = a fixed base + i seconds). */
export async function filledTopic(prefix: string, partitions: number, count: number, config: Record<string, string> = {}): Promise<string> {
  const topic = uniqueName(prefix);
  const k = kafka();
  await createTopic(k, brokers(), topic, partitions, config);
  await produceBulk(k, brokers(), topic, count, (i) => ({
    key: `u${i % 1000}`,
    value: JSON.stringify({ userId: `u${i % 1000}`, ts: 1_732_406_400_000 + i * 1000, type: 'song', songId: `s${i % 97}`, i }),
    headers: i % 10 === 0 ? { trace: `t${i}` } : undefined,
  }), 20_000);
  return topic;
}

export async function topicOffsets(topic: string): Promise<PartitionOffsets[]> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await fetchTopicOffsets(admin, brokers(), topic);
  } finally {
    await admin.disconnect();
  }
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `oxbow <args>`; `onLine` sees each stderr line as it comes (to kill at chosen moments). */
export function startCli(args: string[], onLine?: (line: string, child: ChildProcess) => void, env: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [OXBOW_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr += line + '\n';
    onLine?.(line, child);
  });
  const done = new Promise<CliRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Starts a command with `--metrics 127.0.0.1:0` and resolves to the URL it logs once it serves. */
export function startWithMetrics(args: string[]): { url: Promise<string>; run: ReturnType<typeof startCli> } {
  let found: (url: string) => void;
  const url = new Promise<string>((resolve) => (found = resolve));
  const run = startCli([...args, '--metrics', '127.0.0.1:0'], (line) => {
    const m = /serving metrics url=(\S+)/.exec(line);
    if (m) found(m[1]!);
  });
  return { url: Promise.race([url, run.done.then((r) => assert.fail(`the command ended before serving metrics:\n${r.stderr}`))]), run };
}

export async function runCli(args: string[]): Promise<CliRun> {
  return startCli(args).done;
}

export interface ReadBack {
  /** Offsets per partition in the order the files hold them (files in offset order). */
  offsets: Map<number, bigint[]>;
  /** Each record's value (UTF-8) per partition, in the same order as `offsets`. */
  values: Map<number, (string | null)[]>;
  files: number;
  problems: string[];
  /** Files that do not start where the previous one ended: `<file> starts at X, previous file ended at Y`. */
  gaps: string[];
}

/**
 * Reads every record of every file back (not trusting the index for contents), checks each file's name parses and its
 * metadata matches its records, and that consecutive files meet (start = previous nextOffset).
 */
export async function readBack(archive: string, topic: string, partitions: number[]): Promise<ReadBack> {
  const { fs, root } = openArchiveFs(archive);
  const out: ReadBack = { offsets: new Map(), values: new Map(), files: 0, problems: [], gaps: [] };
  for (const p of partitions) {
    const listing = await loadPartitionIndex(fs, root, topic, p, formats);
    for (const f of listing.foreign) out.problems.push(`foreign file ${f.path}: ${f.reason}`);
    const offsets: bigint[] = [];
    const values: (string | null)[] = [];
    let prevNext: bigint | null = null;
    for (const e of listing.entries) {
      out.files++;
      const parsed = parseFileName(e.name);
      if (!parsed || parsed.topic !== topic || parsed.partition !== p) out.problems.push(`name does not parse: ${e.name}`);
      if (prevNext !== null && e.startOffset !== prevNext) out.gaps.push(`${e.name} starts at ${e.startOffset}, previous file ended at ${prevNext}`);
      prevNext = e.nextOffset;
      const fresh = await formats.get(parsed?.extension ?? '')!.readMetadata(fs, e.path);
      const mine: bigint[] = [];
      let minT: number | null = null;
      let maxT: number | null = null;
      for await (const batch of readArchiveFile(fs, e, formats)) {
        for (const r of batch) {
          mine.push(r.offset);
          values.push(r.value === null ? null : Buffer.from(r.value).toString('utf8'));
          if (r.eventTime !== null) {
            minT = minT === null || r.eventTime < minT ? r.eventTime : minT;
            maxT = maxT === null || r.eventTime > maxT ? r.eventTime : maxT;
          }
        }
      }
      if (mine.length !== fresh.count) out.problems.push(`${e.name}: ${mine.length} records, metadata says ${fresh.count}`);
      if (mine[0] !== fresh.firstOffset || mine[mine.length - 1] !== fresh.lastOffset) out.problems.push(`${e.name}: first/last offset differ from metadata`);
      if (fresh.nextOffset <= fresh.lastOffset) out.problems.push(`${e.name}: next offset ${fresh.nextOffset} not above last`);
      if (minT !== fresh.minEventTime || maxT !== fresh.maxEventTime) out.problems.push(`${e.name}: event-time range differs from metadata`);
      if (mine[0]! < e.startOffset || mine[mine.length - 1] !== e.endOffset) out.problems.push(`${e.name}: records outside the name's range`);
      for (const o of mine) offsets.push(o);
    }
    out.offsets.set(p, offsets);
    out.values.set(p, values);
  }
  return out;
}

/** Kafka's own log of a topic, record by record: what an archive of it must hold, offset by offset. */
export type KafkaLog = Map<number, { offset: bigint; key: string | null; value: string | null; timestamp: number }[]>;

/**
 * Reads every record Kafka holds for the topic now, from each partition's log start to its high watermark, with a
 * plain kafkajs consumer of a fresh group (kafkajs's own decoder): the independent oracle the archive is compared with
 * (never oxbow's index). `pick` keeps what a test compares of each record.
 */
export async function readKafkaLog<T>(topic: string, pick: (m: KafkaMessage) => T): Promise<Map<number, T[]>> {
  const offsets = await topicOffsets(topic);
  const log = new Map(offsets.map((o) => [o.partition, [] as T[]]));
  const remaining = new Set(offsets.filter((o) => o.latest > o.earliest).map((o) => o.partition));
  if (remaining.size === 0) return log;
  const consumer = kafka().consumer({ groupId: uniqueName('oxbow-it-oracle'), allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const end = new Map(offsets.map((o) => [o.partition, o.latest]));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} back from Kafka took more than 120 s; still missing partitions ${[...remaining].join(',')}`)), 120_000);
      consumer.run({
        eachBatch: async ({ batch }) => {
          const records = log.get(batch.partition)!;
          for (const m of batch.messages) if (BigInt(m.offset) < end.get(batch.partition)!) records.push(pick(m));
          if (BigInt(batch.lastOffset()) + 1n >= end.get(batch.partition)!) remaining.delete(batch.partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return log;
}

/** A record batch as Kafka's own log holds it: its first and last offset, and how many records are left in it. */
export interface LogBatch {
  first: bigint;
  last: bigint;
  records: number;
}

/**
 * The record batches of a partition, read from the segment files of the broker that `npm run services` runs (its data
 * folder under the services' state folder): what the log cleaner left, seen without any Kafka client in between. A
 * batch is its 61-byte header (first offset, length, …, last offset delta at byte 23, record count at byte 57) and its
 * records; the next batch follows it.
 */
export async function logBatches(topic: string, partition: number): Promise<LogBatch[]> {
  const dir = join((await servicesConfig()).stateDir, 'kafka', 'data', `${topic}-${partition}`);
  // The cleaner replaces segment files as it goes: a file gone between listing and reading means listing again.
  for (let attempt = 0; ; attempt++) {
    try {
      return await segmentBatches(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 20) throw err;
    }
  }
}

/**
 * Waits (up to 120 s) until Kafka's own log shows, in one of `partitions`, a batch the log cleaner emptied (no producer
 * writes a batch without records) that starts at or past `from` of its partition (default 0), and returns each such
 * partition with that batch. The cleaner cleans one log at a time, every topic's of the broker: the first partition to
 * show one is enough to set the trap. Fails the test when none does.
 */
export async function emptiedBatches(topic: string, partitions: Iterable<number>, from: ReadonlyMap<number, bigint> = new Map()): Promise<{ partition: number; batch: LogBatch; afterS: number }[]> {
  const began = Date.now();
  const wanted = [...partitions];
  for (;;) {
    const found: { partition: number; batch: LogBatch; afterS: number }[] = [];
    for (const partition of wanted) {
      const batch = (await logBatches(topic, partition)).find((b) => b.records === 0 && b.first >= (from.get(partition) ?? 0n));
      if (batch) found.push({ partition, batch, afterS: Math.round((Date.now() - began) / 1000) });
    }
    if (found.length > 0) return found;
    assert.ok(Date.now() - began < 120_000, `Kafka's log cleaner emptied no batch of ${topic} partitions ${wanted.join(',')} within 120 s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function segmentBatches(dir: string): Promise<LogBatch[]> {
  const out: LogBatch[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.log')).sort()) {
    const bytes = await readFile(join(dir, name));
    for (let at = 0; at + 61 <= bytes.length;) {
      const length = bytes.readInt32BE(at + 8);
      if (at + 12 + length > bytes.length) break;
      const first = bytes.readBigInt64BE(at);
      out.push({ first, last: first + BigInt(bytes.readInt32BE(at + 23)), records: bytes.readInt32BE(at + 57) });
      at += 12 + length;
    }
  }
  return out.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
}

/** Kafka's log with each record's offset, key and value as UTF-8 text, and timestamp. */
export async function kafkaLog(topic: string): Promise<KafkaLog> {
  return readKafkaLog(topic, (m) => ({
    offset: BigInt(m.offset), key: m.key === null ? null : m.key.toString('utf8'), value: m.value === null ? null : m.value.toString('utf8'), timestamp: Number(m.timestamp),
  }));
}

/**
 * Asserts the archive holds exactly Kafka's records: every offset once, in order, with the same value; no file problems,
 * and consecutive files meeting exactly unless `gaps` lists where they may not (a skipped retention gap).
 */
export function assertArchiveEqualsLog(back: ReadBack, log: KafkaLog, what = 'the archive', gaps: string[] = []): void {
  assert.deepEqual(back.problems, [], `${what}: file problems`);
  assert.deepEqual(back.gaps, gaps, `${what}: files that do not meet`);
  for (const [p, records] of log) {
    const got = back.offsets.get(p) ?? [];
    const values = back.values.get(p) ?? [];
    for (let i = 0; i < Math.max(got.length, records.length); i++) {
      if (got[i] !== records[i]?.offset) {
        assert.fail(`${what}, partition ${p}: position ${i} holds offset ${got[i] ?? '(nothing)'}, Kafka's log has ${records[i]?.offset ?? '(nothing)'} (${got.length} archived, ${records.length} in Kafka)`);
      }
      if (values[i] !== records[i]!.value) assert.fail(`${what}, partition ${p}: offset ${got[i]} holds another value than Kafka's`);
    }
  }
}

/** A producer that keeps writing numbered records until stopped, retrying through broker outages; stop() resolves with the count sent. */
export function keepProducing(topic: string, partitions: number, perSecond: number): { stop: () => Promise<number>; sent: () => number } {
  const producer = kafka().producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, retry: { retries: 30, maxRetryTime: 2000 } });
  let running = true;
  let sent = 0;
  const loop = (async () => {
    await producer.connect();
    const batch = Math.max(1, Math.round(perSecond / 10));
    while (running) {
      const messages = Array.from({ length: batch }, (_, k) => {
        const i = sent + k;
        return { key: `u${i % 97}`, value: JSON.stringify({ userId: `u${i % 97}`, ts: 1_732_406_400_000 + i * 100, i }), partition: i % partitions };
      });
      try {
        await producer.send({ topic, messages, acks: -1 });
        sent += messages.length;
      } catch {
        // The broker is down or restarting: try the same records again shortly.
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    sent: () => sent,
    stop: async () => {
      running = false;
      await loop;
      await producer.disconnect().catch(() => {});
      return sent;
    },
  };
}

/** Asserts each partition's archive holds exactly the offsets [0, latest), each once, in order. */
export function assertExactlyOnce(back: ReadBack, offsets: PartitionOffsets[]): void {
  assert.deepEqual([...back.problems, ...back.gaps], []);
  for (const o of offsets) {
    const got = back.offsets.get(o.partition) ?? [];
    const expected = Number(o.latest - o.earliest);
    assert.equal(got.length, expected, `partition ${o.partition}: ${got.length} records archived, Kafka holds ${expected}`);
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== o.earliest + BigInt(i)) assert.fail(`partition ${o.partition}: position ${i} holds offset ${got[i]}, expected ${o.earliest + BigInt(i)} (a gap or a duplicate)`);
    }
  }
}

/** Removes an archive the test made (HDFS scratch space is shared with other tests). */
export async function removeArchive(archive: string): Promise<void> {
  const { fs, root } = openArchiveFs(archive);
  await fs.delete(root, { recursive: true }).catch(() => false);
}
