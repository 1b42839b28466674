// Fills topics: topic creation and large producer batches, acks from all replicas, one batch at a time, an optional
// rate cap. Used by `oxbow produce`, the benchmarks and the integration tests.

import type { Kafka } from 'kafkajs';
import { createProducer, kafkaCall } from './client.js';
import { fetchTopicOffsets } from './topic-offsets.js';

export interface BulkRecord {
  key: string | null;
  value: string | Buffer | null;
  partition?: number;
  headers?: Record<string, string>;
  /** The record's Kafka timestamp, epoch ms as text; default: the producer's clock. */
  timestamp?: string;
}

/**
 * Creates the topic (no error if it exists) and returns once its partitions serve; `config` maps Kafka topic configs
 * such as cleanup.policy. The wait is the one every offsets question uses (fetchTopicOffsets): kafkajs's own
 * `waitForLeaders` gave up with "no such topic" when the broker's metadata lagged the creation.
 */
export async function createTopic(kafka: Kafka, brokers: string, topic: string, partitions: number, config: Record<string, string> = {}): Promise<void> {
  const admin = kafka.admin();
  await kafkaCall(brokers, 'connecting the admin client', () => admin.connect());
  try {
    await kafkaCall(brokers, `creating topic ${topic}`, () => admin.createTopics({
      waitForLeaders: false,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
    }));
    await fetchTopicOffsets(admin, brokers, topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * What one send holds at most, by default: kafkajs's time per send grows faster than the send (20,000 one-byte records
 * took 1.9 s, 2,000 took 20 ms), and a partition's part of a send must stay under the broker's `message.max.bytes`
 * (1 MiB by default), which 10,000 music events to one partition exceeded (MESSAGE_TOO_LARGE).
 */
const SEND_RECORDS = 2_000;
const SEND_BYTES = 256 * 1024;

/** Sends `count` records built by `make(i)` in batches of at most `batchSize`, in order. */
export async function produceBulk(
  kafka: Kafka, brokers: string, topic: string, count: number, make: (i: number) => BulkRecord, batchSize = SEND_RECORDS,
): Promise<void> {
  function* records(): Generator<BulkRecord> {
    for (let i = 0; i < count; i++) yield make(i);
  }
  await produceRecords(kafka, brokers, topic, records(), { batchSize });
}

/**
 * Sends every record of `records` in batches of at most `batchSize` records (default 2,000) and 256 KiB of keys and
 * values, each once (an idempotent producer) and in order, one batch after another; with `perSecond`, never more than
 * that many records a second. Resolves to how many were sent (all acknowledged).
 */
export async function produceRecords(
  kafka: Kafka, brokers: string, topic: string, records: Iterable<BulkRecord>, options: { batchSize?: number; perSecond?: number } = {},
): Promise<number> {
  const rate = options.perSecond ?? null;
  // A rate cap sends small batches (a tenth of a second's worth), so the records leave evenly.
  const batchSize = rate === null ? options.batchSize ?? SEND_RECORDS : Math.max(1, Math.min(options.batchSize ?? SEND_RECORDS, Math.ceil(rate / 10)));
  // Idempotent: a send retried after a lost answer (a topic whose leaders are still moving) never writes a batch twice.
  const producer = createProducer(kafka);
  await kafkaCall(brokers, 'connecting the producer', () => producer.connect());
  const began = Date.now();
  let sent = 0;
  try {
    let messages: BulkRecord[] = [];
    let bytes = 0;
    const send = async (): Promise<void> => {
      const batch = messages;
      messages = [];
      bytes = 0;
      // One send at a time. kafkajs's idempotent producer keeps a partition's order (and its no-loss, no-duplicate
      // promise) only for sends awaited one after another: with four in flight, a partition's records landed up to
      // three batches out of order (29 minutes of event time in a day of music events), so `--disorder` did not hold.
      await kafkaCall(brokers, `producing to ${topic}`, () => producer.send({ topic, messages: batch, acks: -1 }), 60_000);
      sent += batch.length;
      if (rate !== null) {
        const due = began + (sent * 1000) / rate - Date.now();
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      }
    };
    for (const record of records) {
      messages.push(record);
      bytes += byteLength(record.key) + byteLength(record.value);
      if (messages.length >= batchSize || bytes >= SEND_BYTES) await send();
    }
    if (messages.length > 0) await send();
  } finally {
    await producer.disconnect();
  }
  return sent;
}

function byteLength(v: string | Buffer | null): number {
  return v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}
