// What the archiver needs from Kafka, as an interface: src/ stays free of kafkajs, and tests drive the archiver with a fake.

import type { ArchivedHeader } from './record.js';

/** One Kafka record as fetched for archiving (the replay's record, with its event time, is `SourceRecord` in src/source/). */
export interface FetchedRecord {
  offset: bigint;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: ArchivedHeader[];
}

/** One fetch of one partition, control records and aborted transactions already removed from `records`. */
export interface SourceBatch {
  topic: string;
  partition: number;
  /**
   * The offset the fetch asked for. The archiver takes a batch as the archive's continuation only when this is where the
   * archive ends, so a batch from an old position (fetched before a seek took effect) is never mistaken for a jump.
   * null when the client cannot say: a fetch that held only transaction markers, aborted or compacted-away records
   * (then `firstOffset` is the first offset it saw, which may lie above the offset asked for).
   */
  fetchedOffset: bigint | null;
  /** The first offset the fetch returned (a record, a marker or an aborted record); null when it returned nothing. */
  firstOffset: bigint | null;
  /** Where the next fetch continues (past control records too); null when the fetch held nothing at all. */
  nextOffset: bigint | null;
  highWatermark: bigint;
  records: FetchedRecord[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface PartitionOffsets {
  partition: number;
  /** The log start offset: anything below was deleted by retention. */
  earliest: bigint;
  /** The high watermark: the offset the next produced record gets. */
  latest: bigint;
}

export interface SourceHandlers {
  /**
   * A (re)join finished with these partitions; everything held before the join is void. The source fetches none of
   * them until the archiver positions each one with seek() — so where reading starts comes from the archive, never
   * from the group's committed offsets. Called synchronously, before the first fetch of the new assignment.
   */
  onAssigned(partitions: TopicPartition[]): void;
  /** A rebalance started: stop publishing at once, another member may get any partition. Called synchronously. */
  onRevoking(): void;
  /** Batches of one partition arrive one at a time, in order; the next fetch waits for the promise. */
  onBatch(batch: SourceBatch): Promise<void>;
  /** The source failed for good (after its own retries). */
  onFatal(error: Error): void;
}

export interface ArchiveSource {
  /** Joins the group, subscribes to the topics and starts delivering batches; resolves once running. */
  start(topics: string[], handlers: SourceHandlers): Promise<void>;
  /** The next fetch of this partition starts at `offset`; a partition waiting to be positioned after its assignment starts fetching. */
  seek(topic: string, partition: number, offset: bigint): void;
  /** Records progress in the consumer group (informational: the archive is the truth). */
  commit(topic: string, partition: number, nextOffset: bigint): Promise<void>;
  /** Earliest (log start) and latest offsets of every partition of a topic, asked of Kafka now. */
  fetchOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Stops fetching; resolves when no onBatch runs any more. commit() still works until close(). */
  stop(): Promise<void>;
  /** Leaves the group and disconnects. */
  close(): Promise<void>;
}
