// The live side of the hybrid source: reads chosen partitions of a topic from exact offsets (kafkajs, seek), pulled batch by batch.

import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { LiveBatch, SourceRecord } from '../../src/source/types.js';
import { decimal, toBytes } from './record-bytes.js';
import { ConnectionError, TopicGrewError, UnavailableError } from '../../src/errors.js';
import { getLogger } from '../../src/logger.js';
import { isRetriableError, retry } from '../../src/retry.js';
import { kafkaCall, mapKafkaError } from './client.js';
import { fetchTopicOffsets } from './topic-offsets.js';

const log = getLogger('kafka-reader');

export interface KafkaPartitionReaderOptions<B> {
  kafka: Kafka;
  brokers: string;
  topic: string;
  /** Batches buffered ahead of the consumer of `next()`; kafkajs waits (heartbeating) when they are full. */
  maxBufferedBatches?: number;
  /** What a fetched batch becomes (default: a LiveBatch of SourceRecords; the reader thread packs instead). */
  collect?: BatchCollector<B>;
  /**
   * The job reads every partition the topic has: once reading, a partition Kafka has beyond those started fails the
   * reader (TopicGrewError) instead of going unread. Seen when the reader next asks Kafka for offsets (the job asks at
   * least every few seconds).
   */
  failOnNewPartitions?: boolean;
}

/**
 * A fetched batch of `partition` as the reader queues it: its messages at or past `from` (those before are what a fetch
 * from before a seek delivered) with `nextOffset` where reading continues. With no message at or past `from`: a batch
 * without records when `nextOffset` is past `from` (the offsets up to it held only markers, aborted or compacted-away
 * records: the job learns it read that far), else null. `last` is the offset of the last message taken (null: none).
 */
export type BatchCollector<B> = (partition: number, messages: KafkaMessage[], from: bigint, nextOffset: bigint) => { batch: B; last: bigint | null } | null;

/** The default collector: a SourceRecord per message, its key and value kafkajs's own Buffers. */
export const collectRecords: BatchCollector<LiveBatch> = (partition, messages, from, nextOffset) => {
  const records: SourceRecord[] = [];
  for (const m of messages) {
    const offset = BigInt(m.offset);
    if (offset < from) continue;
    records.push({ offset, timestamp: decimal(m.timestamp), key: toBytes(m.key), value: toBytes(m.value), eventTime: null });
  }
  if (records.length === 0 && nextOffset <= from) return null;
  return { batch: { partition, records, nextOffset }, last: records.length === 0 ? null : records[records.length - 1]!.offset };
};

/** The partitions Kafka has for a topic, ascending (for a job given no --partitions and no archive). */
export async function listKafkaPartitions(kafka: Kafka, brokers: string, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  const connecting = admin.connect();
  try {
    await kafkaCall(brokers, 'connecting the admin client', () => connecting);
  } catch (err) {
    void connecting.then(() => admin.disconnect(), () => admin.disconnect()).catch(() => {});
    throw err;
  }
  try {
    return (await fetchTopicOffsets(admin, brokers, topic)).map((p) => p.partition);
  } finally {
    await admin.disconnect();
  }
}

/** How long the reader keeps restarting through a Kafka outage before the job fails naming the cause. */
const RESTART_BUDGET_MS = 10 * 60_000;
/** Pause between restart attempts (each attempt itself waits up to kafkajs's connect retries). */
const RESTART_PAUSE_MS = 1000;

/**
 * kafkajs has no manual assignment, so the reader joins a group of its own (a fresh id: no committed offsets,
 * nothing committed ever), starts from the earliest offset and seeks every partition to its exact start. Anything a
 * fetch delivered from before the seek is below the start and dropped here, so a record is neither lost nor repeated.
 *
 * A consumer crash (a broker restart, an outage past kafkajs's retries) is handled here rather than by kafkajs's own
 * restart: kafkajs would rejoin the same group and wait for the dead member's session to expire (tens of seconds after
 * the broker is back). The reader instead starts a new consumer in a new group at the positions it had reached, again
 * and again until Kafka answers (within its budget); a failure that restarting cannot mend fails the reader, and the job
 * stops naming it, its last checkpoint intact.
 */
export class KafkaPartitionReader<B = LiveBatch> {
  /** One admin client, shared by concurrent offset look-ups (a promise, so two callers never connect two clients). */
  private admin: Promise<Admin> | null = null;
  private consumer: Consumer | null = null;
  private readonly queue: B[] = [];
  /** Per partition, the offset after the last record taken: where a new consumer seeks to. */
  private readonly positions = new Map<number, bigint>();
  /** Per partition, how far the job was told it read (markers included): never behind `positions`. */
  private readonly readTo = new Map<number, bigint>();
  /** Per partition, a fetch without records for the job that started past `readTo`, awaiting its repeat after a seek. */
  private readonly unexplained = new Map<number, { first: bigint; next: bigint }>();
  private readonly paused = new Set<number>();
  private wake: (() => void) | null = null;
  private drained: (() => void) | null = null;
  private failure: unknown = null;
  private restarting: Promise<void> | null = null;
  private closed = false;
  /** Bumped per consumer: a batch of a consumer already replaced is dropped. */
  private generation = 0;
  /** Partitions of the topic this job does not read. */
  private others: number[] = [];

  private readonly collect: BatchCollector<B>;

  constructor(private readonly o: KafkaPartitionReaderOptions<B>) {
    this.collect = o.collect ?? (collectRecords as unknown as BatchCollector<B>);
  }

  private adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.o.kafka.admin();
      const connecting = admin.connect();
      this.admin = kafkaCall(this.o.brokers, 'connecting the admin client', () => connecting).then(() => admin, (err: unknown) => {
        // A failed connect is not kept: the next question (after an outage) connects again. One that outlives the call
        // (it timed out) is ended whenever it settles, or its socket would keep the process alive.
        this.admin = null;
        void connecting.then(() => admin.disconnect(), () => admin.disconnect()).catch(() => {});
        throw err;
      });
    }
    return this.admin;
  }

  private async offsets(partitions: number[], which: 'earliest' | 'latest'): Promise<Map<number, bigint>> {
    const all = await fetchTopicOffsets(await this.adminClient(), this.o.brokers, this.o.topic);
    this.checkPartitions(all.map((p) => p.partition));
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
    for (const [p, o] of positions) {
      this.positions.set(p, o);
      this.readTo.set(p, o);
    }
    await this.startConsumer();
  }

  /** A consumer in a fresh group, reading every partition of this job from where the reader stands. */
  private async startConsumer(): Promise<void> {
    const { kafka, brokers, topic } = this.o;
    const generation = ++this.generation;
    const consumer = kafka.consumer({
      groupId: `oxbow-sessions-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 250,
      // kafkajs decodes a whole fetch at once: at its default of 1 MiB a partition, a fetch's messages (about 400 bytes
      // of objects each) outgrew the young generation and were promoted before the job reached them. At 128 KiB a
      // Kafka-only catch-up peaks at half the RSS (118 against 243–268 MB) with a tenth less CPU and no slower.
      // A record batch larger than this still comes whole (Kafka returns at least one batch).
      maxBytesPerPartition: 128 << 10,
      // The group has this one member: a short session lets a rejoin after a broker restart complete in seconds
      // (kafkajs heartbeats at least every second while the reader waits for the job).
      sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 1000,
      // Restarts are the reader's own (a new group); kafkajs's would wait out the old member in the old group.
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 3000, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      if (generation === this.generation) this.onCrash(e.payload.error);
    });
    // kafkajs moves past a fetch that held nothing for the job (markers, aborted records, batches the cleaner emptied)
    // without calling eachBatch; the job still needs to know it read that far, or a partition whose log ends in markers
    // would never be read to its end (--stop-at-live would wait forever, and it would never count as caught up).
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const { partition, batchSize, firstOffset, lastOffset } = e.payload;
      if (generation !== this.generation || batchSize !== 0 || firstOffset === null) return;
      this.passedWithoutRecords(consumer, partition, BigInt(firstOffset), BigInt(lastOffset) + 1n);
    });
    // A rejoin (kafkajs recovering by itself) forgets the fetch positions: no offsets are ever committed, so it would
    // start again from the earliest. Every join seeks each partition back to where the reader stands.
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (generation !== this.generation) return;
      if (joined) this.seekAll(consumer);
      joined = true;
    });
    try {
      await kafkaCall(brokers, 'connecting the consumer', () => consumer.connect());
      await kafkaCall(brokers, `subscribing to ${topic}`, () => consumer.subscribe({ topic, fromBeginning: true }));
      const limit = this.o.maxBufferedBatches ?? 8;
      await kafkaCall(brokers, `reading ${topic}`, () => consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          const p = batch.partition;
          const from = this.positions.get(p);
          // A batch fetched before our seek landed is dropped unresolved: resolving it would move kafkajs off the seek.
          if (generation !== this.generation || from === undefined || this.paused.has(p) || isStale()) return;
          // kafkajs fetches each partition from its last resolved offset: without this it would fetch the first batch again
          // and again (all below `from`, dropped), and the reader would stall after one batch per partition.
          resolveOffset(batch.lastOffset());
          const next = BigInt(batch.lastOffset()) + 1n;
          const taken = this.collect(p, batch.messages, from, next);
          if (taken === null || (taken.last === null && next <= this.readTo.get(p)!)) return;
          if (taken.last !== null) this.positions.set(p, taken.last + 1n);
          this.enqueue(p, taken.batch, next);
          while (this.queue.length >= limit && isRunning() && !isStale()) {
            await new Promise<void>((resolve) => { this.drained = resolve; setTimeout(resolve, 1000); });
            await heartbeat();
          }
        },
      }));
      // Partitions this job does not read are paused so they are never fetched.
      const all = await fetchTopicOffsets(await this.adminClient(), brokers, topic);
      this.others = all.map((x) => x.partition).filter((p) => !this.positions.has(p));
      this.checkPartitions(all.map((x) => x.partition));
      try {
        this.seekAll(consumer);
      } catch (err) {
        // kafkajs's run() resolves even when joining the group failed (the broker went away again): worth another try.
        throw new UnavailableError(`the Kafka consumer of ${topic} did not join its group (${(err as Error).message})`, { cause: err });
      }
    } catch (err) {
      await consumer.disconnect().catch(() => {});
      throw err;
    }
    log.debug('reading Kafka', { topic, positions: [...this.positions].map(([p, o]) => `${p}@${o}`).join(',') });
  }

  private enqueue(partition: number, batch: B, next: bigint): void {
    if (next > this.readTo.get(partition)!) this.readTo.set(partition, next);
    this.unexplained.delete(partition);
    this.queue.push(batch);
    this.wake?.();
  }

  /**
   * A fetch of `partition` whose offsets [first, next) held nothing for the job. Taken when it starts at or before where
   * the job has read to. One that starts past it may be a fetch from before a seek, or follow offsets the cleaner
   * removed whole: the consumer is sent back to where the job has read to, and the same fetch seen again right after
   * that can only have been fetched from there — the offsets in between hold nothing either — and it is taken. (The
   * archiver's partition writer judges such fetches the same way.)
   */
  private passedWithoutRecords(consumer: Consumer, partition: number, first: bigint, next: bigint): void {
    const readTo = this.readTo.get(partition);
    if (readTo === undefined || this.paused.has(partition) || next <= readTo) return;
    const seen = this.unexplained.get(partition);
    if (first > readTo && !(seen !== undefined && seen.first === first && seen.next === next)) {
      this.unexplained.set(partition, { first, next });
      consumer.seek({ topic: this.o.topic, partition, offset: readTo.toString() });
      return;
    }
    const taken = this.collect(partition, [], readTo, next);
    if (taken !== null) this.enqueue(partition, taken.batch, next);
  }

  /** Pauses what the job does not read (or no longer reads) and seeks every partition to where the reader stands. */
  private seekAll(consumer: Consumer): void {
    const topic = this.o.topic;
    const paused = [...this.others, ...this.paused];
    if (paused.length > 0) consumer.pause([{ topic, partitions: paused }]);
    for (const [partition, offset] of this.positions) consumer.seek({ topic, partition, offset: offset.toString() });
  }

  /** The consumer crashed: restart in a new group at the reached positions, or fail for good when restarting cannot help. */
  private onCrash(error: unknown): void {
    if (this.closed || this.failure !== null || this.restarting !== null) return;
    const err = mapKafkaError(error, this.o.brokers, `reading ${this.o.topic}`);
    if (!isRetriableError(err)) {
      this.fail(err);
      return;
    }
    log.warn('the Kafka reader failed; restarting it where it stood', { error: err.message });
    this.restarting = this.restart(err).finally(() => { this.restarting = null; });
  }

  private async restart(cause: Error): Promise<void> {
    try {
      await retry(async ({ attempt }) => {
        const old = this.consumer;
        this.consumer = null;
        this.generation++;
        await old?.disconnect().catch(() => {});
        if (this.closed) return;
        try {
          await this.startConsumer();
        } catch (err) {
          throw mapKafkaError(err, this.o.brokers, `restarting the reader of ${this.o.topic}`);
        }
        log.info('the Kafka reader reads again', { attempt: attempt + 1 });
      }, {
        retries: Infinity, budgetMs: RESTART_BUDGET_MS, initialDelayMs: RESTART_PAUSE_MS, factor: 1, jitter: 0,
        onRetry: ({ error, attempt }) => log.debug('restarting the Kafka reader failed; trying again', { attempt, error: (error as Error).message }),
      });
    } catch (err) {
      if (this.closed) return;
      // Restarting cannot help (not retriable), or the budget ran out while Kafka stayed away.
      const retriable = isRetriableError(err);
      this.fail(retriable ? new ConnectionError(this.o.brokers, `${(err as Error).message} (still failing after ${RESTART_BUDGET_MS / 60_000} minutes of restarts; first failure: ${cause.message})`, { cause: err }) : err);
    }
  }

  /** Under `failOnNewPartitions`, once reading: fails the reader when Kafka has partitions it does not read. */
  private checkPartitions(all: number[]): void {
    if (!this.o.failOnNewPartitions || this.positions.size === 0 || this.closed) return;
    const added = all.filter((p) => !this.positions.has(p));
    if (added.length === 0) return;
    const reads = [...this.positions.keys()].sort((a, b) => a - b).join(',');
    this.fail(new TopicGrewError(`topic ${this.o.topic} now has partitions ${added.join(',')} that this job does not read (it reads ${reads}, all the topic had when it started): their records would never be read. Run the job again from the start (a new output, no --from-savepoint) to read every partition, or continue it with --from-savepoint and --partitions ${reads} to go on without them`));
  }

  private fail(err: unknown): void {
    this.failure ??= err;
    this.wake?.();
  }

  async next(timeoutMs: number): Promise<B | null> {
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
    this.closed = true;
    this.generation++;
    await this.restarting?.catch(() => {});
    await this.consumer?.disconnect().catch(() => {});
    const admin = this.admin;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => {});
    this.consumer = null;
    this.admin = null;
  }
}
