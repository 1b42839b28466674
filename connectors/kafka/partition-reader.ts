// The live side of the hybrid source: reads chosen partitions of a topic from exact offsets (kafkajs, seek), pulled batch by batch.

import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { LiveBatch, LiveReader, SourceRecord } from '../../src/source/types.js';
import { getLogger } from '../../src/logger.js';
import { kafkaCall, mapKafkaError } from './client.js';
import { fetchTopicOffsets } from './topic-offsets.js';

const log = getLogger('kafka-reader');

export interface KafkaPartitionReaderOptions {
  kafka: Kafka;
  brokers: string;
  topic: string;
  /** Batches buffered ahead of the consumer of `next()`; kafkajs waits (heartbeating) when they are full. */
  maxBufferedBatches?: number;
}

/** The partitions Kafka has for a topic, ascending (for a job given no --partitions and no archive). */
export async function listKafkaPartitions(kafka: Kafka, brokers: string, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  await kafkaCall(brokers, 'connecting the admin client', () => admin.connect());
  try {
    return (await fetchTopicOffsets(admin, brokers, topic)).map((p) => p.partition);
  } finally {
    await admin.disconnect();
  }
}

/**
 * kafkajs has no manual assignment, so the reader joins a group of its own (a fresh id: no committed offsets,
 * nothing committed ever), starts from the earliest offset and seeks every partition to its exact start. Anything a
 * fetch delivered from before the seek is below the start and dropped here, so a record is neither lost nor repeated.
 */
export class KafkaPartitionReader implements LiveReader {
  /** One admin client, shared by concurrent offset look-ups (a promise, so two callers never connect two clients). */
  private admin: Promise<Admin> | null = null;
  private consumer: Consumer | null = null;
  private readonly queue: LiveBatch[] = [];
  private readonly positions = new Map<number, bigint>();
  private readonly paused = new Set<number>();
  private wake: (() => void) | null = null;
  private drained: (() => void) | null = null;
  private failure: unknown = null;

  constructor(private readonly o: KafkaPartitionReaderOptions) {}

  private adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.o.kafka.admin();
      this.admin = kafkaCall(this.o.brokers, 'connecting the admin client', () => admin.connect()).then(() => admin);
    }
    return this.admin;
  }

  private async offsets(partitions: number[], which: 'earliest' | 'latest'): Promise<Map<number, bigint>> {
    const all = await fetchTopicOffsets(await this.adminClient(), this.o.brokers, this.o.topic);
    const out = new Map<number, bigint>();
    for (const p of all) if (partitions.includes(p.partition)) out.set(p.partition, p[which]);
    return out;
  }

  earliestOffsets(partitions: number[]): Promise<Map<number, bigint>> {
    return this.offsets(partitions, 'earliest');
  }

  latestOffsets(partitions: number[]): Promise<Map<number, bigint>> {
    return this.offsets(partitions, 'latest');
  }

  async start(positions: Map<number, bigint>): Promise<void> {
    const { kafka, brokers, topic } = this.o;
    for (const [p, o] of positions) this.positions.set(p, o);
    const consumer = kafka.consumer({ groupId: `oxbow-sessions-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
    this.consumer = consumer;
    await kafkaCall(brokers, 'connecting the consumer', () => consumer.connect());
    await kafkaCall(brokers, `subscribing to ${topic}`, () => consumer.subscribe({ topic, fromBeginning: true }));
    const limit = this.o.maxBufferedBatches ?? 8;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        const p = batch.partition;
        const from = this.positions.get(p);
        // A batch fetched before our seek landed is dropped unresolved: resolving it would move kafkajs off the seek.
        if (from === undefined || this.paused.has(p) || isStale()) return;
        // kafkajs fetches each partition from its last resolved offset: without this it would fetch the first batch again
        // and again (all below `from`, dropped), and the reader would stall after one batch per partition.
        resolveOffset(batch.lastOffset());
        const records: SourceRecord[] = [];
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < from) continue;
          records.push({
            offset,
            timestamp: Number(m.timestamp),
            key: m.key ? new Uint8Array(m.key) : null,
            value: m.value ? new Uint8Array(m.value) : null,
            eventTime: null,
          });
        }
        if (records.length === 0) return;
        this.positions.set(p, records[records.length - 1]!.offset + 1n);
        this.queue.push({ partition: p, records });
        this.wake?.();
        while (this.queue.length >= limit && isRunning() && !isStale()) {
          await new Promise<void>((resolve) => { this.drained = resolve; setTimeout(resolve, 1000); });
          await heartbeat();
        }
      },
    }).catch((err: unknown) => { this.failure = mapKafkaError(err, brokers, `reading ${topic}`); this.wake?.(); });
    // Partitions this job does not read are paused so they are never fetched.
    const all = await fetchTopicOffsets(await this.adminClient(), brokers, topic);
    const others = all.map((x) => x.partition).filter((p) => !positions.has(p));
    if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    for (const [partition, offset] of positions) consumer.seek({ topic, partition, offset: offset.toString() });
    log.debug('reading Kafka', { topic, positions: [...positions].map(([p, o]) => `${p}@${o}`).join(',') });
  }

  async next(timeoutMs: number): Promise<LiveBatch | null> {
    if (this.failure) throw this.failure;
    let batch = this.queue.shift();
    if (!batch) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = null;
      if (this.failure) throw this.failure;
      batch = this.queue.shift();
    }
    if (this.queue.length < (this.o.maxBufferedBatches ?? 8)) this.drained?.();
    return batch ?? null;
  }

  pause(partition: number): void {
    this.paused.add(partition);
    this.consumer?.pause([{ topic: this.o.topic, partitions: [partition] }]);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => {});
    const admin = this.admin;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => {});
    this.consumer = null;
    this.admin = null;
  }
}
