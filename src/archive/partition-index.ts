// The per-partition index `_oxbow-index.json`: each committed file's facts, verified against the folder listing, rebuilt from the files when stale.

import { mapConcurrently } from '../concurrency.js';
import { randomUUID } from 'node:crypto';
import { joinPath, listNames, readChunks, writeAtomically, type ArchiveFs, type FileStatus } from '../archive-fs.js';
import { AlreadyExistsError, CorruptFileError, NotFoundError } from '../errors.js';
import { getLogger } from '../logger.js';
import { connectFileKind } from './connect-files.js';
import { compareByOffsets, fileExtension, parseFileName, partitionDir, tempPartitionDir } from './file-name.js';
import { type ArchiveFileMetadata, type ArchiveFormat, type ArchiveFormatName, metadataFromJson, metadataToJson } from './record.js';

const log = getLogger('archive-index');

/** Leading `_`: Hadoop tools (Hive, Spark) skip such files, so the index never shows up as data. */
export const INDEX_FILE_NAME = '_oxbow-index.json';
export const INDEX_VERSION = 1;

/** One committed archive file, as replay and inspect see it. Offsets inclusive; ranges of consecutive files meet at nextOffset. */
export interface ArchiveFileEntry {
  path: string;
  name: string;
  topic: string;
  partition: number;
  /** The range in the file name. */
  startOffset: bigint;
  endOffset: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  nextOffset: bigint;
  count: number;
  minEventTime: number | null;
  maxEventTime: number | null;
  eventTimeMissing: number;
  /** The smallest Kafka timestamp of the records without an event time; null: none, or unknown (metadata before version 3). */
  untimedMinTimestamp: number | null;
  format: ArchiveFormatName;
  /** The event-time definition of the file's event times; null for files that did not record it (metadata version 1). */
  eventTime: string | null;
  /** File size in bytes when indexed: a changed size marks the entry stale. */
  length: number;
}

/** A file in a partition folder that is not a readable archive file of that partition: reported and skipped. */
export interface ForeignFile {
  path: string;
  reason: string;
  /** Set when the file is another writer's archive file (Kafka Connect HDFS): what it is (connect-files.ts). */
  connect?: string;
}

export interface PartitionListing {
  entries: ArchiveFileEntry[];
  foreign: ForeignFile[];
  /** How the index was found: `fresh` matched the folder, `stale` needed changes, `missing`/`unreadable` was rebuilt. */
  indexState: 'fresh' | 'stale' | 'missing' | 'unreadable' | 'no-folder';
  /** Files whose metadata had to be read because the index lacked them or was outdated. */
  filesRead: number;
}

export interface ListOptions {
  /** Write the corrected index back when it was missing or stale (the archiver does; read-only tools leave the folder alone). */
  repair?: boolean;
  /**
   * Check the last file's index entry against the file's own metadata (one footer read): the archive's end, where
   * archiving resumes and replay switches to Kafka, never rests on the index alone. Default true.
   */
  verifyLast?: boolean;
  /** Parallel metadata reads while rebuilding. */
  concurrency?: number;
}

/** Formats by file extension; the caller decides which codecs exist (Parquet lives in connectors/). */
export type FormatRegistry = ReadonlyMap<string, ArchiveFormat>;

export function formatRegistry(formats: readonly ArchiveFormat[]): FormatRegistry {
  return new Map(formats.map((f) => [f.extension, f]));
}

function entryFromMetadata(status: FileStatus, m: ArchiveFileMetadata, startOffset: bigint, endOffset: bigint): ArchiveFileEntry {
  return {
    path: status.path, name: status.name, topic: m.topic, partition: m.partition, startOffset, endOffset,
    firstOffset: m.firstOffset, lastOffset: m.lastOffset, nextOffset: m.nextOffset, count: m.count,
    minEventTime: m.minEventTime, maxEventTime: m.maxEventTime, eventTimeMissing: m.eventTimeMissing, format: m.format,
    eventTime: m.eventTime, untimedMinTimestamp: m.untimedMinTimestamp, length: status.length,
  };
}

export function entryToJson(e: ArchiveFileEntry): Record<string, unknown> {
  return {
    name: e.name, length: e.length, startOffset: e.startOffset.toString(), endOffset: e.endOffset.toString(),
    ...metadataToJson({ ...e }),
  };
}

function entryFromJson(dir: string, o: unknown): ArchiveFileEntry {
  const r = o as Record<string, unknown>;
  if (typeof r?.name !== 'string' || typeof r.length !== 'number') throw new Error('an index entry lacks name or length');
  const parsed = parseFileName(r.name);
  if (!parsed) throw new Error(`index entry '${r.name}' is not an archive file name`);
  const m = metadataFromJson(r);
  return entryFromMetadata(
    { path: joinPath(dir, r.name), name: r.name, type: 'file', length: r.length, modificationTime: 0 },
    m, parsed.startOffset, parsed.endOffset,
  );
}

async function readIndex(fs: ArchiveFs, dir: string): Promise<Map<string, ArchiveFileEntry> | 'missing' | 'unreadable'> {
  // A year of hourly files makes an index of megabytes: read in chunks (see ArchiveFs.readChunks), decoded as they come.
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of readChunks(fs, joinPath(dir, INDEX_FILE_NAME))) text += decoder.decode(chunk, { stream: true });
    text += decoder.decode();
  } catch (err) {
    if (err instanceof NotFoundError) return 'missing';
    throw err;
  }
  try {
    const doc = JSON.parse(text) as { version?: unknown; files?: unknown };
    if (doc.version !== INDEX_VERSION || !Array.isArray(doc.files)) throw new Error(`unknown index version ${String(doc.version)}`);
    return new Map(doc.files.map((f) => {
      const e = entryFromJson(dir, f);
      return [e.name, e] as const;
    }));
  } catch (err) {
    log.warn('partition index unreadable; rebuilding it from the files', { path: joinPath(dir, INDEX_FILE_NAME), error: (err as Error).message });
    return 'unreadable';
  }
}

/**
 * The event-time definitions a partition's index records, without listing the folder or opening a file; null when the
 * partition has no usable index (the caller lists the files instead). An index behind its folder may lack a newer
 * file's definition: replay checks every listed file's definition again before it reads any.
 */
export async function indexedEventTimes(fs: ArchiveFs, root: string, topic: string, partition: number): Promise<Set<string> | null> {
  const indexed = await readIndex(fs, partitionDir(root, topic, partition));
  if (!(indexed instanceof Map)) return null;
  const found = new Set<string>();
  for (const e of indexed.values()) if (e.eventTime !== null) found.add(e.eventTime);
  return found;
}

/**
 * Whether a partition folder holds a file whose name's range reaches `offset` or beyond, from the names alone (no
 * index, no stat per file): a replay that has read everything below `offset` asks this before listing the partition
 * again, since a file with records it has not read is named by a range that ends at or past it. Any extension counts
 * (a full listing then decides what the file is); a missing folder holds none.
 */
export async function holdsFilesFrom(fs: ArchiveFs, root: string, topic: string, partition: number, offset: bigint): Promise<boolean> {
  let names: string[];
  try {
    names = await listNames(fs, partitionDir(root, topic, partition));
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
  return names.some((name) => {
    const parsed = parseFileName(name);
    return parsed !== null && parsed.topic === topic && parsed.partition === partition && parsed.endOffset >= offset;
  });
}

/** Checks facts (a file's own metadata, or an index entry) against the file's name and folder; the reason they cannot be true, or null. */
function checkMetadata(topic: string, partition: number, start: bigint, end: bigint, m: ArchiveFileMetadata): string | null {
  if (m.topic !== topic || m.partition !== partition) return `its metadata says topic ${m.topic} partition ${m.partition}`;
  if (m.lastOffset !== end) return `its metadata says last offset ${m.lastOffset}, its name ${end}`;
  if (m.firstOffset < start) return `its metadata says first offset ${m.firstOffset}, below the name's start ${start}`;
  if (m.firstOffset > m.lastOffset) return `its metadata says first offset ${m.firstOffset}, above its last offset ${m.lastOffset}`;
  if (m.nextOffset <= m.lastOffset) return `its next offset ${m.nextOffset} is not above its last offset`;
  if (m.count <= 0) return `it claims ${m.count} records`;
  if (BigInt(m.count) > m.lastOffset - m.firstOffset + 1n) return `it claims ${m.count} records, more than its offsets ${m.firstOffset}..${m.lastOffset} hold`;
  return null;
}

/** True when two descriptions of one file agree on every fact replay and resume rely on. */
function sameFacts(a: ArchiveFileEntry, b: ArchiveFileEntry): boolean {
  return a.firstOffset === b.firstOffset && a.lastOffset === b.lastOffset && a.nextOffset === b.nextOffset && a.count === b.count
    && a.minEventTime === b.minEventTime && a.maxEventTime === b.maxEventTime && a.eventTimeMissing === b.eventTimeMissing && a.format === b.format
    && a.eventTime === b.eventTime && a.untimedMinTimestamp === b.untimedMinTimestamp;
}

interface ReadJob {
  status: FileStatus;
  start: bigint;
  end: bigint;
  format: ArchiveFormat;
}

/**
 * Lists a partition's committed files in offset order, from the index when it matches the folder listing (names and sizes)
 * and its facts can be true, reading the metadata of files the index lacks, of entries that contradict their name or their
 * neighbour, and of the last file. Foreign files are named in `foreign` and logged, never used.
 */
export async function loadPartitionIndex(
  fs: ArchiveFs, root: string, topic: string, partition: number, formats: FormatRegistry, options: ListOptions = {},
): Promise<PartitionListing> {
  const dir = partitionDir(root, topic, partition);
  let listing: FileStatus[];
  try {
    listing = await fs.list(dir);
  } catch (err) {
    if (err instanceof NotFoundError) return { entries: [], foreign: [], indexState: 'no-folder', filesRead: 0 };
    throw err;
  }
  const indexed = await readIndex(fs, dir);
  const known = indexed instanceof Map ? indexed : new Map<string, ArchiveFileEntry>();
  const entries: ArchiveFileEntry[] = [];
  const foreign: ForeignFile[] = [];
  const toRead: ReadJob[] = [];
  let changed = !(indexed instanceof Map);
  let filesRead = 0;
  const seen = new Set<string>();
  /** Entries taken from the index without opening their file. */
  const fromIndex = new Set<ArchiveFileEntry>();

  for (const status of listing) {
    if (status.name === INDEX_FILE_NAME) continue;
    if (status.type !== 'file') {
      foreign.push({ path: status.path, reason: 'a folder inside a partition folder' });
      continue;
    }
    const hit = known.get(status.name);
    // An entry is used only when its file has that name and size and its facts can be true of a file of that name
    // (the entry's offsets are its name's; the name's topic and partition are this folder's).
    if (hit && hit.length === status.length && status.name.startsWith(`${topic}+${partition}+`) && formats.has(fileExtension(status.name))
      && checkMetadata(topic, partition, hit.startOffset, hit.endOffset, hit) === null) {
      seen.add(status.name);
      const entry = hit.path === status.path ? hit : { ...hit, path: status.path };
      entries.push(entry);
      fromIndex.add(entry);
      continue;
    }
    const parsed = parseFileName(status.name);
    if (!parsed) {
      foreign.push({ path: status.path, reason: 'the name is not <topic>+<partition>+<start>+<end>.<ext>' });
      continue;
    }
    if (parsed.topic !== topic || parsed.partition !== partition) {
      foreign.push({ path: status.path, reason: `the name is for topic ${parsed.topic} partition ${parsed.partition}` });
      continue;
    }
    const format = formats.get(parsed.extension);
    if (!format) {
      const connect = connectFileKind(parsed);
      foreign.push({ path: status.path, reason: connect ?? `no reader for extension .${parsed.extension} (known: ${[...formats.keys()].join(', ')})`, ...(connect === null ? {} : { connect }) });
      continue;
    }
    seen.add(status.name);
    toRead.push({ status, start: parsed.startOffset, end: parsed.endOffset, format });
  }
  for (const name of known.keys()) if (!seen.has(name)) changed = true;
  if (toRead.length > 0) changed = true;

  const readFacts = async (job: ReadJob): Promise<ArchiveFileEntry | null> => {
    try {
      const m = await job.format.readMetadata(fs, job.status.path, job.status.length);
      const problem = checkMetadata(topic, partition, job.start, job.end, m);
      if (problem === null) return entryFromMetadata(job.status, m, job.start, job.end);
      foreign.push({ path: job.status.path, reason: problem });
    } catch (err) {
      if (!(err instanceof CorruptFileError)) throw err;
      const connect = connectFileKind(parseFileName(job.status.name)!, err);
      foreign.push({ path: job.status.path, reason: err.message, ...(connect === null ? {} : { connect }) });
    }
    return null;
  };
  for (const e of await mapConcurrently(toRead, options.concurrency ?? 8, readFacts)) if (e) entries.push(e);
  filesRead += toRead.length;

  // Entries from the index that disagree with a neighbour (a next offset beyond the next file's start), and the last
  // file, are checked against the files themselves: replay's duplicate filter and the archiver's resume point use them.
  entries.sort(compareByOffsets);
  const suspects = entries.filter((e, i) => fromIndex.has(e) && (
    (i + 1 < entries.length && e.nextOffset > entries[i + 1]!.startOffset) || (i === entries.length - 1 && (options.verifyLast ?? true))));
  const suspectNames = new Set(suspects.map((e) => e.name));
  const statusOf = new Map(listing.filter((st) => suspectNames.has(st.name)).map((st) => [st.name, st] as const));
  const checked = await mapConcurrently(suspects, options.concurrency ?? 8, async (e) => {
    const parsed = parseFileName(e.name)!;
    return readFacts({ status: statusOf.get(e.name)!, start: parsed.startOffset, end: parsed.endOffset, format: formats.get(parsed.extension)! });
  });
  suspects.forEach((e, i) => {
    const actual = checked[i] ?? null;
    if (actual !== null && sameFacts(e, actual)) return;
    log.warn('a partition index entry disagrees with its file; using the file\'s own facts', {
      path: e.path, index: { nextOffset: e.nextOffset.toString(), count: e.count }, file: actual ? { nextOffset: actual.nextOffset.toString(), count: actual.count } : 'unreadable',
    });
    changed = true;
    entries.splice(entries.indexOf(e), 1, ...(actual ? [actual] : []));
  });
  filesRead += suspects.length;

  for (const f of foreign) log.warn('skipping a file that is not part of the archive', { path: f.path, reason: f.reason });
  const indexState = indexed instanceof Map ? (changed ? 'stale' : 'fresh') : indexed;
  if (changed && options.repair) await writePartitionIndex(fs, root, topic, partition, entries);
  return { entries, foreign, indexState, filesRead };
}

/**
 * Replaces the index: written in full to a temp file, then renamed into place. Between the delete and the rename a crash
 * leaves no index, which the next reader rebuilds from the files; a half-written index is never visible.
 */
export async function writePartitionIndex(fs: ArchiveFs, root: string, topic: string, partition: number, entries: readonly ArchiveFileEntry[]): Promise<void> {
  const dir = partitionDir(root, topic, partition);
  const doc = { version: INDEX_VERSION, topic, partition, files: [...entries].sort(compareByOffsets).map(entryToJson) };
  const tmp = joinPath(tempPartitionDir(root, topic, partition), `${INDEX_FILE_NAME}.${randomUUID()}`);
  const target = joinPath(dir, INDEX_FILE_NAME);
  try {
    await writeAtomically(fs, target, new TextEncoder().encode(JSON.stringify(doc, null, 1) + '\n'), tmp);
  } catch (err) {
    if (err instanceof AlreadyExistsError) {
      // Another writer replaced it between our delete and rename; its copy is as good, and a stale one is rebuilt on read.
      log.debug('partition index replaced concurrently', { path: target });
      return;
    }
    throw err;
  }
}
