// Writes generated music records (events, profile versions) into an oxbow archive with the archiver's own writer
// (PartitionWriter): one file per partition per event-time period.

import type { ArchiveFs } from '../../src/archive-fs.js';
import { parseEventTimeDefinition } from '../../src/event-time.js';
import { jsonlGzFormat } from '../../src/archive/jsonl-format.js';
import { formatRegistry } from '../../src/archive/partition-index.js';
import { PartitionWriter } from '../../src/archive/partition-writer.js';
import type { ArchiveFormat } from '../../src/archive/record.js';
import { parquetFormat } from '../../connectors/parquet/parquet-format.js';
import { partitionOf, type MusicEvent, type ProfileVersion } from '../../src/gen/music-events.js';

/** What the archive needs of a generated item: its user (the partition) and time (the file period, the Kafka timestamp). */
type Generated = { userId: string; ts: number };

/** The record of an item: its key (UTF-8 text) and value (JSON text, null for a tombstone). */
export type ToRecord<T> = (item: T) => { key: string; value: unknown };

/** Events as the sample's listens were archived: an empty key, the event as the value. */
export const eventRecord: ToRecord<MusicEvent> = (event) => ({ key: '', value: event });

/** Profile versions as a compacted topic holds them: keyed by the user, a tombstone's value null. */
export const profileRecord: ToRecord<ProfileVersion> = (version) => ({ key: version.userId, value: version.value });

export interface MusicArchiveOptions<T extends Generated> {
  fs: ArchiveFs;
  root: string;
  topic: string;
  partitions: number;
  /** Items in arrival (= offset) order; each goes to partitionOf(userId), with Kafka timestamp ts. */
  items: Iterable<T>;
  record: ToRecord<T>;
  /** A new file starts when an item's time crosses a multiple of this period (1 h gives hourly files). */
  periodMs: number;
  format?: 'parquet' | 'jsonl.gz';
  /** First offset of every partition (an archive of a topic whose early records retention already deleted). */
  firstOffset?: bigint;
  /** Called with every record as it is archived (tests keep the truth). */
  onRecord?: (partition: number, offset: bigint, item: T) => void;
}

export interface MusicArchiveResult {
  files: number;
  records: number;
  /** Next offset per partition: where Kafka continues after the archive. */
  nextOffsets: bigint[];
}

const encoder = new TextEncoder();

export async function writeMusicArchive<T extends Generated>(o: MusicArchiveOptions<T>): Promise<MusicArchiveResult> {
  const format: ArchiveFormat = o.format === 'jsonl.gz' ? jsonlGzFormat : parquetFormat;
  const formats = formatRegistry([parquetFormat, jsonlGzFormat]);
  const controller = new AbortController();
  const writers: PartitionWriter[] = [];
  const next: bigint[] = [];
  const period: number[] = [];
  for (let p = 0; p < o.partitions; p++) {
    const w = new PartitionWriter({
      fs: o.fs, root: o.root, topic: o.topic, partition: p, format, formats,
      // Files are cut by event-time period below; the writer's own limits only guard against a runaway file.
      rotation: { records: 10_000_000, bytes: 2 ** 40, intervalMs: 2 ** 40 },
      eventTime: parseEventTimeDefinition('ts'),
      signal: controller.signal,
      storageRetry: { retries: 3 },
      // The "topic" begins at firstOffset: a first batch above the archive's end starts the archive there.
      logStartOffset: async () => o.firstOffset ?? 0n,
    });
    await w.init();
    w.positioned = true;
    writers.push(w);
    next.push(w.archiveEnd > (o.firstOffset ?? 0n) ? w.archiveEnd : (o.firstOffset ?? 0n));
    period.push(Number.NaN);
  }
  let files = 0;
  let records = 0;
  const pending: { offset: bigint; key: Uint8Array; value: Uint8Array | null; ts: number }[][] = writers.map(() => []);
  const flush = async (p: number, publish: boolean): Promise<void> => {
    const batch = pending[p]!;
    if (batch.length > 0) {
      const first = batch[0]!.offset;
      const last = batch[batch.length - 1]!.offset;
      await writers[p]!.handleBatch({
        topic: o.topic, partition: p, fetchedOffset: first, firstOffset: first, nextOffset: last + 1n, highWatermark: last + 1n,
        records: batch.map((r) => ({ offset: r.offset, timestamp: r.ts, key: r.key, value: r.value, headers: [] })),
      });
      pending[p] = [];
    }
    if (publish && (await writers[p]!.publish('interval'))) files++;
  };
  for (const item of o.items) {
    const p = partitionOf(item.userId, o.partitions);
    const bucket = Math.floor(item.ts / o.periodMs);
    if (!Number.isNaN(period[p]!) && bucket > period[p]!) await flush(p, true);
    if (Number.isNaN(period[p]!) || bucket > period[p]!) period[p] = bucket;
    const offset = next[p]!;
    next[p] = offset + 1n;
    const { key, value } = o.record(item);
    // A tombstone's value is null, so the writer stores a null event time for it (no `ts` field to read).
    pending[p]!.push({ offset, key: encoder.encode(key), value: value === null ? null : encoder.encode(JSON.stringify(value)), ts: item.ts });
    o.onRecord?.(p, offset, item);
    records++;
    if (pending[p]!.length >= 5000) await flush(p, false);
  }
  for (let p = 0; p < o.partitions; p++) await flush(p, true);
  return { files, records, nextOffsets: next };
}
