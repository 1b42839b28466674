// Adapts the archive's reader API (partition index + file reader) to the source's ArchiveCatalog.

import type { ArchiveFs } from '../archive-fs.js';
import type { FormatRegistry } from '../archive/partition-index.js';
import { listPartitionFiles, readArchiveFile } from '../archive/reader.js';
import type { ArchiveFileEntry } from '../archive/partition-index.js';
import type { ArchiveCatalog, ArchiveFileInfo, SourceRecord } from './types.js';

interface CatalogFile extends ArchiveFileInfo {
  entry: ArchiveFileEntry;
}

/**
 * A file whose records all lack an event time has no min/max: it counts as -Infinity, so alignment reads it at once
 * and it never holds a watermark back after it is read.
 */
export function archiveCatalog(fs: ArchiveFs, root: string, topic: string, formats: FormatRegistry): ArchiveCatalog {
  return {
    description: `${fs.description}${root === '/' ? '' : root}`,
    async listFiles(partition: number): Promise<ArchiveFileInfo[]> {
      const entries = await listPartitionFiles(fs, root, topic, partition, formats);
      return entries.map((entry): CatalogFile => ({
        path: entry.path,
        partition,
        startOffset: entry.startOffset,
        endOffset: entry.endOffset,
        nextOffset: entry.nextOffset,
        count: entry.count,
        minEventTime: entry.minEventTime ?? Number.NEGATIVE_INFINITY,
        maxEventTime: entry.maxEventTime ?? Number.NEGATIVE_INFINITY,
        entry,
      }));
    },
    readFile(file: ArchiveFileInfo): AsyncIterable<SourceRecord[]> {
      return readArchiveFile(fs, (file as CatalogFile).entry, formats);
    },
  };
}
