// The small interfaces the hybrid source reads through: an archive catalogue (index + file reader) and a live Kafka partition reader.

/** One committed archive file as the per-partition index describes it (offsets inclusive; nextOffset = where reading resumes). */
export interface ArchiveFileInfo {
  path: string;
  partition: number;
  startOffset: bigint;
  endOffset: bigint;
  nextOffset: bigint;
  count: number;
  minEventTime: number;
  maxEventTime: number;
  /** The event-time definition min/max (and the records' event times) follow; null when the file did not record one. */
  eventTime: string | null;
  /** Records without a stored event time, outside min/max (tombstones when the time is a value field); undefined: unknown. */
  eventTimeMissing?: number;
  /** The smallest Kafka timestamp of those records; null or undefined: none, or unknown (files before metadata version 3). */
  untimedMinTimestamp?: number | null;
}

/** One record as the source hands it on: its offset, event time when known, and the original key/value bytes. */
export interface SourceRecord {
  offset: bigint;
  /** Kafka record timestamp, epoch ms. */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** The event time the archiver stored (by the archive's definition); null when it had none, and for Kafka records. */
  eventTime: number | null;
}

/** What the source needs from an archive: each partition's files (from the index, not by opening them) and their records. */
export interface ArchiveCatalog {
  /** Where the archive lives, for messages. */
  readonly description: string;
  /** Committed files of one partition, in any order; [] when the partition has none. */
  listFiles(partition: number): Promise<ArchiveFileInfo[]>;
  /** The records of one file in offset order, in batches; CorruptFileError names the file when its bytes are bad. */
  readFile(file: ArchiveFileInfo): AsyncIterable<SourceRecord[]>;
  /**
   * The event-time definitions a partition's files record, when the catalogue can say it without listing them (an
   * index); null (or no such method): ask `listFiles`.
   */
  recordedEventTimes?(partition: number): Promise<Set<string> | null>;
  /**
   * False when no file of the partition can hold an offset at or past `offset`, told without a full listing (the file
   * names carry their ranges). A replay that has read a partition up to `offset` asks before listing it again: a year of
   * files is listed once, not once more at the archive's end. No such method: list again.
   */
  holdsFilesFrom?(partition: number, offset: bigint): Promise<boolean>;
}

/** A batch read from one live partition. */
export interface LiveBatch {
  partition: number;
  records: SourceRecord[];
  /** Where reading continues after this batch, past transaction markers too (absent: after its last record). */
  nextOffset?: bigint;
}

/** What the source needs from Kafka: offsets by partition, and reading chosen partitions from chosen offsets (assign + seek). */
export interface LiveReader {
  /** Earliest offset Kafka still holds (log start) per partition. */
  earliestOffsets(partitions: number[]): Promise<Map<number, bigint>>;
  /** End offset (high watermark: next offset to be written) per partition. */
  latestOffsets(partitions: number[]): Promise<Map<number, bigint>>;
  /** Start reading each partition at exactly the given offset. */
  start(positions: Map<number, bigint>): Promise<void>;
  /**
   * The next batch, or null after `timeoutMs` with nothing new (lets the caller update idleness and progress). A reader
   * restarts itself through what it can recover from (a broker restart); it throws what it cannot, naming the cause.
   */
  next(timeoutMs: number): Promise<LiveBatch | null>;
  /** Stop reading a partition (it has reached where --stop-at-live ends it). */
  pause(partition: number): void;
  close(): Promise<void>;
}
