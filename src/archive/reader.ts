// The reader API replay and inspect use: topics and partitions of an archive, a partition's files in offset order, a file's records.

import { uriOf, type ArchiveFs } from '../archive-fs.js';
import { CorruptFileError, NotFoundError, UsageError } from '../errors.js';
import { CONNECT_LAYOUT_NOT_READ, connectLayoutFolder } from './connect-files.js';
import { parsePartitionDirName, TEMP_DIR, topicDir, topicsDir, validateTopicName } from './file-name.js';
import { type ArchiveFileEntry, type FormatRegistry, type ListOptions, loadPartitionIndex } from './partition-index.js';
import type { ArchivedRecord, ArchiveFormat, ReplayRecord } from './record.js';

/** Topics that have a folder under `<root>/topics/` (the temp folder excluded). */
export async function listTopics(fs: ArchiveFs, root: string): Promise<string[]> {
  let listing;
  try {
    listing = await fs.list(topicsDir(root));
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    throw err;
  }
  return listing.filter((s) => s.type === 'directory' && s.name !== TEMP_DIR).map((s) => s.name).sort();
}

export interface TopicLayout {
  /** Partition numbers that have a `partition=<p>` folder, ascending. */
  partitions: number[];
  /** Folders of Kafka Connect's time-based or field partitioners (`year=2024`), with what they are; other folders are ignored. */
  connectFolders: { path: string; what: string }[];
}

/** What a topic's folder holds: oxbow's partition folders, and any folders of Kafka Connect's other layouts. */
export async function listTopicLayout(fs: ArchiveFs, root: string, topic: string): Promise<TopicLayout> {
  let listing;
  try {
    listing = await fs.list(topicDir(root, validateTopicName(topic)));
  } catch (err) {
    if (err instanceof NotFoundError) return { partitions: [], connectFolders: [] };
    throw err;
  }
  const layout: TopicLayout = { partitions: [], connectFolders: [] };
  for (const s of listing) {
    if (s.type !== 'directory') continue;
    const p = parsePartitionDirName(s.name);
    if (p !== null) layout.partitions.push(p);
    const what = p === null ? connectLayoutFolder(s.name) : null;
    if (what !== null) layout.connectFolders.push({ path: s.path, what });
  }
  layout.partitions.sort((a, b) => a - b);
  return layout;
}

/**
 * Partition numbers that have a `partition=<p>` folder, ascending. A topic folder that also holds folders of Kafka
 * Connect's other layouts is refused (UsageError), since their records would be left out of a replay.
 */
export async function listTopicPartitions(fs: ArchiveFs, root: string, topic: string): Promise<number[]> {
  const layout = await listTopicLayout(fs, root, topic);
  const first = layout.connectFolders[0];
  if (first !== undefined) {
    throw new UsageError(`${uriOf(fs, root)}: topic ${topic} holds ${first.what} at ${first.path}${layout.connectFolders.length > 1 ? ` and ${layout.connectFolders.length - 1} more` : ''}: ${CONNECT_LAYOUT_NOT_READ}`);
  }
  return layout.partitions;
}

/** A partition's committed files in offset order, from the index (verified against the folder listing). */
export async function listPartitionFiles(
  fs: ArchiveFs, root: string, topic: string, partition: number, formats: FormatRegistry, options: ListOptions = {},
): Promise<ArchiveFileEntry[]> {
  return (await loadPartitionIndex(fs, root, topic, partition, formats, options)).entries;
}

/** The records of one file in offset order, in batches; CorruptFileError when the file disagrees with its entry. */
export async function* readArchiveFile(fs: ArchiveFs, entry: ArchiveFileEntry, formats: FormatRegistry): AsyncIterable<ArchivedRecord[]> {
  yield* checkedRecords(entry, formatOf(entry, formats).readBatches(fs, entry.path, entry.length));
}

/** As readArchiveFile, the records as a replay reads them: without their headers. */
export async function* readArchiveFileForReplay(fs: ArchiveFs, entry: ArchiveFileEntry, formats: FormatRegistry): AsyncIterable<ReplayRecord[]> {
  const format = formatOf(entry, formats);
  yield* checkedRecords(entry, format.readReplayBatches?.(fs, entry.path, entry.length) ?? format.readBatches(fs, entry.path, entry.length));
}

function formatOf(entry: ArchiveFileEntry, formats: FormatRegistry): ArchiveFormat {
  const format = [...formats.values()].find((f) => f.name === entry.format);
  if (!format) throw new CorruptFileError(entry.path, `${entry.path}: no reader for format ${entry.format}`);
  return format;
}

/** A file's batches, held to its entry: offsets increasing, as many records as the entry counts. */
async function* checkedRecords<R extends ReplayRecord>(entry: ArchiveFileEntry, batches: AsyncIterable<R[]>): AsyncIterable<R[]> {
  let count = 0;
  let last = -1n;
  for await (const batch of batches) {
    for (const r of batch) {
      if (r.offset <= last) throw new CorruptFileError(entry.path, `${entry.path}: offset ${r.offset} follows ${last}; records must be in increasing offset order`);
      last = r.offset;
    }
    count += batch.length;
    yield batch;
  }
  if (count !== entry.count) throw new CorruptFileError(entry.path, `${entry.path}: holds ${count} records, its metadata says ${entry.count}`);
}

/**
 * Records of several files of one partition in offset order with overlaps removed: a record whose offset was already
 * yielded is dropped. Two writers can publish overlapping ranges only across a rebalance; their records are identical.
 */
export async function* readPartitionRecords(
  fs: ArchiveFs, entries: readonly ArchiveFileEntry[], formats: FormatRegistry, fromOffset = 0n,
): AsyncIterable<ArchivedRecord[]> {
  let next = fromOffset;
  for (const entry of entries) {
    if (entry.nextOffset <= next) continue;
    for await (const batch of readArchiveFile(fs, entry, formats)) {
      const fresh = batch[0] !== undefined && batch[0].offset >= next ? batch : batch.filter((r) => r.offset >= next);
      if (fresh.length === 0) continue;
      next = fresh[fresh.length - 1]!.offset + 1n;
      yield fresh;
    }
    if (entry.nextOffset > next) next = entry.nextOffset;
  }
}
