// What a partition's archive covers: offset ranges, gaps, overlaps, event-time range, and how it lines up with Kafka's offsets.

import type { ArchiveFileEntry, ForeignFile } from './partition-index.js';

export interface OffsetRange {
  /** Inclusive. */
  from: bigint;
  to: bigint;
}

export interface PartitionCoverage {
  topic: string;
  partition: number;
  files: number;
  records: number;
  bytes: number;
  /** The first offset the archive covers and where it ends (next offset to read); null when there are no files. */
  start: bigint | null;
  end: bigint | null;
  minEventTime: number | null;
  maxEventTime: number | null;
  eventTimeMissing: number;
  gaps: OffsetRange[];
  overlaps: (OffsetRange & { files: [string, string] })[];
  foreign: ForeignFile[];
  indexState: string;
  kafka?: KafkaComparison;
}

export interface KafkaComparison {
  earliest: bigint;
  latest: bigint;
  /** Offsets Kafka still holds that the archive also holds. */
  archivedAndInKafka: OffsetRange | null;
  /** Offsets only Kafka holds (not archived yet). */
  onlyInKafka: OffsetRange | null;
  /** Offsets retention already deleted that the archive lacks: lost for good. */
  deletedAndMissing: OffsetRange[];
}

/** What coverage reads of a file: its name, offsets, records, size and event times (oxbow's index entries, or Connect's files). */
export type CoverageFile = Pick<ArchiveFileEntry, 'name' | 'startOffset' | 'endOffset' | 'nextOffset' | 'count' | 'length' | 'eventTimeMissing' | 'minEventTime' | 'maxEventTime'>
  & { format: string; eventTime: string | null };

/** Coverage from a partition's entries (offset order): a gap is a start above the highest next offset so far, an overlap one below it. */
export function partitionCoverage(
  topic: string, partition: number, entries: readonly CoverageFile[], foreign: ForeignFile[] = [], indexState = 'fresh',
): PartitionCoverage {
  const c: PartitionCoverage = {
    topic, partition, files: entries.length, records: 0, bytes: 0, start: null, end: null,
    minEventTime: null, maxEventTime: null, eventTimeMissing: 0, gaps: [], overlaps: [], foreign, indexState,
  };
  let end: bigint | null = null;
  let endFile = '';
  for (const e of entries) {
    c.records += e.count;
    c.bytes += e.length;
    c.eventTimeMissing += e.eventTimeMissing;
    if (e.minEventTime !== null && (c.minEventTime === null || e.minEventTime < c.minEventTime)) c.minEventTime = e.minEventTime;
    if (e.maxEventTime !== null && (c.maxEventTime === null || e.maxEventTime > c.maxEventTime)) c.maxEventTime = e.maxEventTime;
    if (end === null) {
      c.start = e.startOffset;
    } else if (e.startOffset > end) {
      c.gaps.push({ from: end, to: e.startOffset - 1n });
    } else if (e.startOffset < end) {
      c.overlaps.push({ from: e.startOffset, to: (e.nextOffset < end ? e.nextOffset : end) - 1n, files: [endFile, e.name] });
    }
    if (end === null || e.nextOffset > end) {
      end = e.nextOffset;
      endFile = e.name;
    }
  }
  c.end = end;
  return c;
}

function clip(r: OffsetRange, from: bigint, to: bigint): OffsetRange | null {
  const a = r.from > from ? r.from : from;
  const b = r.to < to ? r.to : to;
  return a <= b ? { from: a, to: b } : null;
}

/** Lines the archive up with Kafka's earliest (log start) and latest (high watermark) offsets. */
export function compareWithKafka(c: PartitionCoverage, earliest: bigint, latest: bigint): KafkaComparison {
  const start = c.start ?? earliest;
  const end = c.end ?? start;
  // What the archive lacks below `latest`: before its start, its gaps, after its end.
  const missing: OffsetRange[] = [];
  if (c.start !== null && c.start > 0n) missing.push({ from: 0n, to: c.start - 1n });
  missing.push(...c.gaps);
  if (end < latest) missing.push({ from: end, to: latest - 1n });
  if (c.start === null && latest > 0n) missing.splice(0, missing.length, { from: 0n, to: latest - 1n });
  const deletedAndMissing = earliest > 0n ? missing.map((r) => clip(r, 0n, earliest - 1n)).filter((r): r is OffsetRange => r !== null) : [];
  const onlyFrom = end > earliest ? end : earliest;
  return {
    earliest, latest,
    archivedAndInKafka: c.start === null ? null : clip({ from: start, to: end - 1n }, earliest, latest - 1n),
    onlyInKafka: onlyFrom < latest ? { from: onlyFrom, to: latest - 1n } : null,
    deletedAndMissing,
  };
}
