// Adapts the archive's reader API (partition index + file reader) to the source's ArchiveCatalog.

import { uriOf, type ArchiveFs } from '../archive-fs.js';
import { paceHeap } from '../heap-pacer.js';
import { CorruptFileError, UsageError } from '../errors.js';
import { CONNECT_NOT_REPLAYED } from '../archive/connect-files.js';
import { parseFileName } from '../archive/file-name.js';
import { holdsFilesFrom, indexedEventTimes, loadPartitionIndex, type FormatRegistry } from '../archive/partition-index.js';
import { readArchiveFileForReplay } from '../archive/reader.js';
import { FileTable, type FileRow, TableFile } from './file-table.js';
import type { ArchiveCatalog, ArchiveFileInfo, SourceRecord } from './types.js';

/**
 * A file whose records all lack an event time has no min/max: it counts as -Infinity, so alignment reads it at once
 * and it never holds a watermark back after it is read.
 *
 * A partition holding Kafka Connect HDFS files is refused (UsageError): replaying only oxbow's files would silently
 * leave their records out.
 *
 * A file named like one of this partition's files that the index cannot use (truncated, bad footer, metadata that
 * disagrees with its name) stays in the listing as a corrupt file covering its name's range: reading it raises
 * CorruptFileError naming it, so the replay stops on the file itself (or skips it under --on-corrupt skip) instead of
 * reporting the hole it would leave.
 */
export function archiveCatalog(fs: ArchiveFs, root: string, topic: string, formats: FormatRegistry): ArchiveCatalog {
  return {
    description: uriOf(fs, root),
    async listFiles(partition: number): Promise<ArchiveFileInfo[]> {
      const listing = await loadPartitionIndex(fs, root, topic, partition, formats);
      const connect = listing.foreign.filter((f) => f.connect !== undefined);
      if (connect.length > 0) {
        throw new UsageError(`${uriOf(fs, root)}: topic ${topic} partition ${partition} holds ${connect.length} Kafka Connect HDFS file(s), e.g. ${connect[0]!.path}: ${connect[0]!.connect}; ${CONNECT_NOT_REPLAYED}`);
      }
      const corrupt: FileRow[] = [];
      for (const f of listing.foreign) {
        const name = f.path.slice(f.path.lastIndexOf('/') + 1);
        const parsed = parseFileName(name);
        if (!parsed || parsed.topic !== topic || parsed.partition !== partition || !formats.has(parsed.extension)) continue;
        corrupt.push({
          path: f.path, name, startOffset: parsed.startOffset, endOffset: parsed.endOffset, firstOffset: parsed.startOffset, nextOffset: parsed.endOffset + 1n,
          count: 0, minEventTime: null, maxEventTime: null, eventTimeMissing: undefined, untimedMinTimestamp: null, eventTime: null, format: null, length: 0,
          corrupt: f.reason,
        });
      }
      // Index entries go in as they are; the table keeps what a replay needs of them, and they are dropped.
      return new FileTable(topic, partition, [...listing.entries, ...corrupt]).files();
    },
    recordedEventTimes: (partition: number) => indexedEventTimes(fs, root, topic, partition),
    holdsFilesFrom: (partition: number, offset: bigint) => holdsFilesFrom(fs, root, topic, partition, offset),
    async *readFile(file: ArchiveFileInfo): AsyncIterable<SourceRecord[]> {
      const entry = file instanceof TableFile ? file.table.entry(file.row) : null;
      if (entry === null) {
        const reason = (file instanceof TableFile ? file.table.corruptReason(file.row) : null) ?? 'not in the index';
        throw new CorruptFileError(file.path, reason.startsWith(file.path) ? reason : `${file.path}: ${reason}`);
      }
      yield* readArchiveFileForReplay(fs, entry, formats);
    },
  };
}

/**
 * The event-time definitions an archive's files record, over the given partitions (empty: none recorded, as in
 * archives of oxbow 0.1). A job that is not told `--event-time` replays in the archive's own.
 */
export async function recordedEventTimes(catalog: ArchiveCatalog, partitions: readonly number[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const p of partitions) {
    // The index alone when it can say (a listing of a year of files is a stat per file); else the files.
    const indexed = (await catalog.recordedEventTimes?.(p)) ?? null;
    if (indexed !== null) for (const e of indexed) found.add(e);
    else for (const f of await catalog.listFiles(p)) if (f.eventTime !== null) found.add(f.eventTime);
    // Either way a partition's whole index was parsed, and is garbage now.
    paceHeap(true);
  }
  return found;
}
