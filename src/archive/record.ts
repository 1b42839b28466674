// The archived record, the facts every archive file carries about itself, and the interface a file format implements.

import type { ArchiveFs } from '../archive-fs.js';

export interface ArchivedHeader {
  key: string;
  value: Uint8Array | null;
}

/** One Kafka record, stored losslessly, plus the event time extracted when it was archived. */
export interface ArchivedRecord {
  offset: bigint;
  /** Kafka's record timestamp, epoch ms. */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: ArchivedHeader[];
  /** Epoch ms by the archive's event-time definition; null when the record had no usable time (archived all the same, and counted). */
  eventTime: number | null;
}

/** A record as a replay reads it: all but its headers, which no session reads (the hybrid source's SourceRecord). */
export type ReplayRecord = Omit<ArchivedRecord, 'headers'>;

export type ArchiveFormatName = 'parquet' | 'jsonl.gz';

/** What a file knows about itself (Parquet key-value metadata, the JSONL.gz trailer) and what the partition index lists. */
export interface ArchiveFileMetadata {
  topic: string;
  partition: number;
  count: number;
  /** Offset of the first and last record in the file. */
  firstOffset: bigint;
  lastOffset: bigint;
  /**
   * Where reading continues after this file. It can be above lastOffset + 1 (transaction markers,
   * compaction), and the next file's range starts exactly here, so holes are never reported as gaps.
   */
  nextOffset: bigint;
  minEventTime: number | null;
  maxEventTime: number | null;
  format: ArchiveFormatName;
  /** Records whose event time could not be read. */
  eventTimeMissing: number;
  /**
   * The smallest Kafka timestamp among those records (a profiles topic's tombstones are timed by it); null when every
   * record has an event time, and in files of metadata versions 1 and 2, which did not record it (then unknown).
   */
  untimedMinTimestamp: number | null;
  /**
   * The event-time definition the records' `eventTime` and min/max follow (`ts`, `meta.ts`, `kafka-timestamp`); null
   * in files of metadata version 1, which did not record it.
   */
  eventTime: string | null;
}

/**
 * Version of the metadata JSON: 1 (oxbow 0.1, no `version` field, no `eventTime`), 2 (records `eventTime`), 3 (records
 * `untimedMinTimestamp`). Every version stays readable; a newer one than this oxbow knows is refused rather than half
 * understood.
 */
export const METADATA_VERSION = 3;

/** A streaming writer: records go in batches, bytes leave as they are produced; memory stays at about one row group. */
export interface ArchiveFileWriter {
  write(records: readonly ArchivedRecord[]): Promise<void>;
  /** Bytes handed to the storage so far (for --rotate-bytes). */
  readonly bytesWritten: number;
  /** Writes the metadata and ends the file; resolves when the storage holds every byte. */
  finish(metadata: ArchiveFileMetadata): Promise<void>;
  /** Stops writing and drops what was written (the caller deletes the temp file). */
  abort(reason: Error): Promise<void>;
}

export interface ArchiveFormat {
  readonly name: ArchiveFormatName;
  /** File extension without the leading dot. */
  readonly extension: string;
  /** Opens a writer whose bytes stream into `path` on `fs`. */
  createWriter(fs: ArchiveFs, path: string): ArchiveFileWriter;
  /**
   * The file's records in offset order, in batches. `length`: the file's size when the caller knows it (the index and
   * the folder listing do), which saves asking the storage for it.
   */
  readBatches(fs: ArchiveFs, path: string, length?: number): AsyncIterable<ArchivedRecord[]>;
  /**
   * The file's records as a replay reads them (no headers), in offset order, in batches. A format that reads less this
   * way implements it (Parquet: no headers column, no row objects); `readBatches` serves the others.
   */
  readReplayBatches?(fs: ArchiveFs, path: string, length?: number): AsyncIterable<ReplayRecord[]>;
  /** The file's metadata without reading its records (a range read of the footer/trailer); `length` as above. */
  readMetadata(fs: ArchiveFs, path: string, length?: number): Promise<ArchiveFileMetadata>;
}

/** Folds one record into running metadata facts; used by writers so the facts match exactly what was written. */
export class MetadataAccumulator {
  count = 0;
  firstOffset: bigint | null = null;
  lastOffset: bigint | null = null;
  minEventTime: number | null = null;
  maxEventTime: number | null = null;
  eventTimeMissing = 0;
  untimedMinTimestamp: number | null = null;

  add(record: ArchivedRecord): void {
    this.count++;
    if (this.firstOffset === null) this.firstOffset = record.offset;
    this.lastOffset = record.offset;
    const t = record.eventTime;
    if (t === null) {
      this.eventTimeMissing++;
      if (this.untimedMinTimestamp === null || record.timestamp < this.untimedMinTimestamp) this.untimedMinTimestamp = record.timestamp;
    } else {
      if (this.minEventTime === null || t < this.minEventTime) this.minEventTime = t;
      if (this.maxEventTime === null || t > this.maxEventTime) this.maxEventTime = t;
    }
  }

  toMetadata(topic: string, partition: number, nextOffset: bigint, format: ArchiveFormatName, eventTime: string): ArchiveFileMetadata {
    if (this.firstOffset === null || this.lastOffset === null) throw new Error('metadata of an empty file');
    return {
      topic, partition, count: this.count, firstOffset: this.firstOffset, lastOffset: this.lastOffset, nextOffset,
      minEventTime: this.minEventTime, maxEventTime: this.maxEventTime, format, eventTimeMissing: this.eventTimeMissing, eventTime,
      untimedMinTimestamp: this.untimedMinTimestamp,
    };
  }
}

/** Metadata as JSON text (offsets as decimal strings), shared by both formats and the index. */
export function metadataToJson(m: ArchiveFileMetadata): Record<string, unknown> {
  return {
    version: METADATA_VERSION, topic: m.topic, partition: m.partition, count: m.count,
    firstOffset: m.firstOffset.toString(), lastOffset: m.lastOffset.toString(), nextOffset: m.nextOffset.toString(),
    minEventTime: m.minEventTime, maxEventTime: m.maxEventTime, format: m.format, eventTimeMissing: m.eventTimeMissing,
    eventTime: m.eventTime, untimedMinTimestamp: m.untimedMinTimestamp,
  };
}

function bigintField(o: Record<string, unknown>, name: string): bigint {
  const v = o[name];
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new Error(`field '${name}' is not an offset string`);
  return BigInt(v);
}

function timeField(o: Record<string, unknown>, name: string): number | null {
  const v = o[name];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`field '${name}' is not epoch ms or null`);
  return v;
}

function intField(o: Record<string, unknown>, name: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`field '${name}' is not a count`);
  return v;
}

/** Parses what metadataToJson wrote; throws a plain Error naming the bad field (callers wrap it with the path). */
export function metadataFromJson(value: unknown): ArchiveFileMetadata {
  if (typeof value !== 'object' || value === null) throw new Error('metadata is not an object');
  const o = value as Record<string, unknown>;
  const version = o.version === undefined ? 1 : o.version;
  if (!Number.isSafeInteger(version) || (version as number) < 1) throw new Error(`field 'version' is not a metadata version`);
  if ((version as number) > METADATA_VERSION) {
    throw new Error(`metadata version ${version} was written by a newer oxbow (this one reads up to ${METADATA_VERSION}); upgrade oxbow to read it`);
  }
  if (typeof o.topic !== 'string') throw new Error(`field 'topic' is not a string`);
  if (o.eventTime !== undefined && o.eventTime !== null && typeof o.eventTime !== 'string') throw new Error(`field 'eventTime' is not a definition`);
  if (o.format !== 'parquet' && o.format !== 'jsonl.gz') throw new Error(`field 'format' is not parquet or jsonl.gz`);
  return {
    topic: o.topic, partition: intField(o, 'partition'), count: intField(o, 'count'),
    firstOffset: bigintField(o, 'firstOffset'), lastOffset: bigintField(o, 'lastOffset'), nextOffset: bigintField(o, 'nextOffset'),
    minEventTime: timeField(o, 'minEventTime'), maxEventTime: timeField(o, 'maxEventTime'), format: o.format,
    eventTimeMissing: o.eventTimeMissing === undefined ? 0 : intField(o, 'eventTimeMissing'),
    eventTime: typeof o.eventTime === 'string' ? o.eventTime : null,
    untimedMinTimestamp: timeField(o, 'untimedMinTimestamp'),
  };
}
