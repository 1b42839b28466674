// The archiver's Kafka side with kafkajs: a consumer group member that delivers per-partition batches, seeks, and commits informational offsets.

import { isUtf8 } from 'node:buffer';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { ArchiveSource, PartitionOffsets, FetchedRecord, SourceBatch, SourceHandlers, TopicPartition } from '../../src/archive/archive-source.js';
import type { ArchivedHeader, ArchivedRecord } from '../../src/archive/record.js';
import { decimal, toBytes } from './record-bytes.js';
import { EXACT_HEADERS, type ExactHeader, installKafkaDecoding } from './record-decoder.js';
import { BadRecordError, OxbowError } from '../../src/errors.js';
import { getLogger } from '../../src/logger.js';
import { kafkaCall, mapKafkaError } from './client.js';
import { fetchTopicOffsets } from './topic-offsets.js';

const log = getLogger('kafka-source');

/** A member that stops heartbeating for this long is out of the group (and its partitions go to the others). */
const SESSION_TIMEOUT_MS = 30_000;
/** How long a rebalance waits for the group's members to join again (kafkajs's default, stated). */
const REBALANCE_TIMEOUT_MS = 60_000;
/**
 * How long joining the group may take before the archiver gives up naming Kafka. A member that vanished without leaving
 * (an archiver killed, or the broker restarted under it) stays in the group until its session expires, and a join waits
 * for it up to the rebalance timeout: an archiver restarted at once after a kill with the same --group joined after
 * 29 s, at the edge of the 30 s every other Kafka call gets.
 */
const JOIN_TIMEOUT_MS = REBALANCE_TIMEOUT_MS + SESSION_TIMEOUT_MS;

export interface KafkaArchiveSourceOptions {
  kafka: Kafka;
  brokers: string;
  groupId: string;
  /** Partitions processed in parallel by one process (each partition stays sequential). */
  partitionsConsumedConcurrently?: number;
}

/**
 * The headers of every record that has none: one frozen array, not one per record (a million records kept an array
 * each alive for a row group, to be promoted and collected in the old generation).
 */
const NO_HEADERS: ArchivedHeader[] = Object.freeze([]) as unknown as ArchivedHeader[];

/**
 * A record's headers as its archived record keeps them, from the exact headers oxbow's record decoder gives it
 * (connectors/kafka/record-decoder.ts), or why they cannot be archived exactly.
 */
function toHeaders(m: KafkaMessage): ArchivedHeader[] | string {
  const exact = (m as unknown as { [EXACT_HEADERS]?: ExactHeader[] })[EXACT_HEADERS];
  if (exact === undefined) {
    // for-in rather than Object.keys: most records have no headers, and keys allocated an array for each of them.
    for (const key in m.headers) if (Object.prototype.hasOwnProperty.call(m.headers, key)) return 'its headers were decoded by kafkajs, which loses their order (oxbow\'s record decoder is not in place: unset OXBOW_KAFKA_DECODER, and keep kafkajs at the release package-lock.json names)';
    return NO_HEADERS;
  }
  const out: ArchivedHeader[] = new Array(exact.length);
  for (let i = 0; i < exact.length; i++) {
    const { key, value } = exact[i]!;
    if (key === null || !isUtf8(key)) return `its header #${i + 1}'s key is ${key === null ? 'null' : `not UTF-8 text (base64 ${key.toString('base64')})`}, and an archive keeps header keys as text`;
    out[i] = { key: key.toString('utf8'), value };
  }
  return out;
}

/** Kafka errors of a heartbeat that mean "this member's assignment is over": another member may own its partitions now. */
const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'FENCED_INSTANCE_ID']);

function isRebalance(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && REBALANCE_ERRORS.has(type);
}

/** How often a batch whose archiving is slow (storage stalls and retries) still heartbeats, so the group keeps this member. */
const KEEP_ALIVE_MS = 3000;

export class KafkaArchiveSource implements ArchiveSource {
  private readonly o: KafkaArchiveSourceOptions;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  /** Set by close(): a start() or admin connect still under way must not leave a client open behind it. */
  private closed = false;

  constructor(options: KafkaArchiveSourceOptions) {
    this.o = options;
    // Before this source's first fetch: the exact headers an archive keeps come from oxbow's record decoder, and a batch
    // the log cleaner emptied is passed, not fetched forever (batch-bounds.ts).
    installKafkaDecoding();
  }

  private async getAdmin(): Promise<Admin> {
    if (this.closed) throw new OxbowError('CLOSED', 'the Kafka source was closed');
    if (!this.admin) {
      const admin = this.o.kafka.admin();
      try {
        await kafkaCall(this.o.brokers, 'connecting the admin client', () => admin.connect());
      } catch (err) {
        // kafkaCall may have timed out while the connect goes on: end it, or its socket keeps the process alive.
        await admin.disconnect().catch(() => {});
        throw err;
      }
      if (this.closed) {
        await admin.disconnect().catch(() => {});
        throw new OxbowError('CLOSED', 'the Kafka source was closed');
      }
      this.admin = admin;
    }
    return this.admin;
  }

  async fetchOffsets(topic: string): Promise<PartitionOffsets[]> {
    return fetchTopicOffsets(await this.getAdmin(), this.o.brokers, topic);
  }

  async start(topics: string[], handlers: SourceHandlers): Promise<void> {
    if (this.closed) throw new OxbowError('CLOSED', 'the Kafka source was closed');
    const consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      sessionTimeout: SESSION_TIMEOUT_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      heartbeatInterval: 3000,
      maxBytesPerPartition: 1 << 20,
      maxBytes: 8 << 20,
      // A caught-up fetch waits at most this long: it bounds how long stopping takes, at a few idle fetches a second.
      maxWaitTimeInMs: 500,
      // A mistyped topic must not be created by the metadata requests of the archiver itself.
      allowAutoTopicCreation: false,
      // A broker restart crashes the consumer; restarting rejoins the group, and every join positions each partition anew.
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000, restartOnFailure: async () => true },
    });
    this.consumer = consumer;
    const { GROUP_JOIN, REBALANCING, END_BATCH_PROCESS, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, (e) => {
      const assignment: TopicPartition[] = [];
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        // Nothing of the new assignment is fetched until the archiver has read where each partition's archive ends
        // and seeks there: the group's committed offset (ahead, behind, or reset) never decides where archiving starts.
        if (partitions.length > 0) consumer.pause([{ topic, partitions }]);
        for (const partition of partitions) assignment.push({ topic, partition });
      }
      handlers.onAssigned(assignment);
    });
    consumer.on(REBALANCING, () => handlers.onRevoking());
    consumer.on(CRASH, (e) => {
      const err = mapKafkaError(e.payload.error, this.o.brokers, 'consuming');
      if (e.payload.restart) {
        log.warn('the Kafka consumer failed; restarting it and resuming from the archive', { error: err.message });
        handlers.onRevoking();
      } else {
        handlers.onFatal(err);
      }
    });
    // kafkajs does not hand eachBatch a fetch that held only control records, aborted or compacted-away records; the
    // archiver still needs to learn that those offsets were passed, or it would wait for them. kafkajs does not say
    // where such a fetch started, so it is delivered with an unknown fetch offset and its first offset.
    consumer.on(END_BATCH_PROCESS, (e) => {
      const { topic, partition, firstOffset, lastOffset, highWatermark, batchSize } = e.payload as unknown as {
        topic: string; partition: number; firstOffset: string | null; lastOffset: string; highWatermark: string; batchSize: number;
      };
      if (batchSize !== 0 || firstOffset === null) return;
      void handlers.onBatch({
        topic, partition, fetchedOffset: null, firstOffset: BigInt(firstOffset), nextOffset: BigInt(lastOffset) + 1n,
        highWatermark: BigInt(highWatermark), records: [],
      }).catch((err: unknown) => handlers.onFatal(err as Error));
    });
    try {
      await kafkaCall(this.o.brokers, 'connecting the consumer', () => consumer.connect());
      for (const topic of topics) {
        await kafkaCall(this.o.brokers, `subscribing to ${topic}`, () => consumer.subscribe({ topic, fromBeginning: true }));
      }
      if (this.closed) throw new OxbowError('CLOSED', 'the Kafka source was closed while starting');
      await kafkaCall(this.o.brokers, 'joining the consumer group', () => consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: this.o.partitionsConsumedConcurrently ?? 4,
        eachBatch: (payload) => this.eachBatch(payload, handlers),
      }), JOIN_TIMEOUT_MS);
    } catch (err) {
      // A consumer half started (connected, or connecting after kafkaCall gave up on it) holds sockets and timers.
      await consumer.disconnect().catch(() => {});
      if (this.consumer === consumer) this.consumer = null;
      throw err;
    }
    if (this.closed) await consumer.disconnect().catch(() => {});
  }

  private async eachBatch({ batch, isStale, isRunning, heartbeat }: EachBatchPayload, handlers: SourceHandlers): Promise<void> {
    // A batch fetched before a seek took effect is stale: the archiver asked for other offsets.
    if (isStale() || !isRunning()) return;
    // Built with the archived record's full shape (eventTime is filled in by the partition writer): adding the field
    // later gave every record a second, out-of-object property store.
    let refused = null as { offset: string; why: string } | null;
    const records: FetchedRecord[] = batch.messages.map((m): ArchivedRecord => {
      const timestamp = decimal(m.timestamp);
      // The archive keeps a Kafka timestamp as epoch ms in a number: beyond 2^53 it would be rounded, silently.
      if (!Number.isSafeInteger(timestamp)) refused ??= { offset: m.offset, why: `its Kafka timestamp ${m.timestamp} is beyond ±(2^53 − 1) ms (about 285,000 years; was it produced in micro- or nanoseconds?), which an archive cannot keep exactly` };
      let headers = toHeaders(m);
      if (typeof headers === 'string') {
        refused ??= { offset: m.offset, why: headers };
        headers = NO_HEADERS;
      }
      // A BigInt made from a number costs half of one parsed from the string; past 2^53 the string is parsed, exactly.
      const offset = decimal(m.offset);
      return { offset: Number.isSafeInteger(offset) ? BigInt(offset) : BigInt(m.offset), timestamp, key: toBytes(m.key), value: toBytes(m.value), headers, eventTime: null };
    });
    if (refused) {
      handlers.onFatal(new BadRecordError(`${batch.topic}/${batch.partition} offset ${refused.offset}: ${refused.why}: archiving stops, and the archive of this partition ends before it`));
      return;
    }
    const first = batch.firstOffset();
    const out: SourceBatch = {
      topic: batch.topic,
      partition: batch.partition,
      fetchedOffset: BigInt((batch as unknown as { fetchedOffset: string }).fetchedOffset),
      firstOffset: first === null ? null : BigInt(first),
      nextOffset: (batch as unknown as { isEmptyIncludingFiltered(): boolean }).isEmptyIncludingFiltered() ? null : BigInt(batch.lastOffset()) + 1n,
      highWatermark: BigInt(batch.highWatermark),
      records,
    };
    // kafkajs heartbeats only between batches: a batch held up by a storage stall (HDFS paused or restarting) would let
    // the session time out and the group take the partitions away. A rebalance the heartbeat reports fences at once.
    const keepAlive = setInterval(() => {
      heartbeat().catch((err: unknown) => {
        if (isRebalance(err)) handlers.onRevoking();
      });
    }, KEEP_ALIVE_MS);
    try {
      await handlers.onBatch(out);
    } finally {
      clearInterval(keepAlive);
    }
  }

  seek(topic: string, partition: number, offset: bigint): void {
    const consumer = this.consumer;
    if (!consumer) return;
    consumer.seek({ topic, partition, offset: offset.toString() });
    // A newly assigned partition waits, paused, for this first seek.
    consumer.resume([{ topic, partitions: [partition] }]);
  }

  async commit(topic: string, partition: number, nextOffset: bigint): Promise<void> {
    await this.consumer?.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop().catch((err: unknown) => log.debug('consumer stop failed', { error: (err as Error).message }));
  }

  async close(): Promise<void> {
    this.closed = true;
    const consumer = this.consumer;
    this.consumer = null;
    const admin = this.admin;
    this.admin = null;
    await Promise.all([
      consumer ? consumer.disconnect().catch((err: unknown) => log.debug('consumer disconnect failed', { error: (err as Error).message })) : undefined,
      admin ? admin.disconnect().catch(() => {}) : undefined,
    ]);
  }
}
