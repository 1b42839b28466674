// `--archive-layout connect`: a Kafka Connect HDFS archive (default partitioner, Parquet or JSON files) read as the
// hybrid source's ArchiveCatalog. Connect files hold record values only; a record's offset is its file's first offset
// plus its position, which is exact only when the file holds as many records as its name spans: any other file is
// refused by name (compacted or transactional topics leave holes that positions cannot place).

import { parquetReadObjects } from 'hyparquet';
import { uriOf, type ArchiveFs, type FileStatus } from '../../src/archive-fs.js';
import { compareByOffsets, parseFileName, TEMP_DIR, topicDir } from '../../src/archive/file-name.js';
import { CorruptFileError, NotFoundError, OxbowError, UsageError } from '../../src/errors.js';
import { type EventTimeDefinition, eventTimeOfValue } from '../../src/event-time.js';
import type { ArchiveCatalog, ArchiveFileInfo, SourceRecord } from '../../src/source/types.js';
import { METADATA_KEY, openParquetFile } from '../parquet/parquet-format.js';

/** Kafka's "no timestamp": Connect files keep none, so no event time is held against one. */
const NO_TIMESTAMP = -1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface ConnectFileInfo extends ArchiveFileInfo {
  format: 'parquet' | 'json';
  length: number;
}

/** A value as JSON would have it: int64 columns come back as bigint, timestamp columns as Date. */
function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonValue(x)]));
  }
  return v;
}

/** The records of one file as plain JSON values, in file order. */
async function fileValues(fs: ArchiveFs, file: ConnectFileInfo): Promise<unknown[]> {
  if (file.format === 'json') {
    const text = decoder.decode(await fs.readRange(file.path, 0, file.length));
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    return lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new CorruptFileError(file.path, `${file.path}: line ${i + 1} is not JSON`);
      }
    });
  }
  const { file: buffer, footer } = await openParquetFile(fs, file.path, file.length, true);
  if (footer.key_value_metadata?.some((e) => e.key === METADATA_KEY)) {
    throw new UsageError(`${file.path} was written by oxbow, not Kafka Connect: replay oxbow's files without --archive-layout connect, and keep the two apart`);
  }
  try {
    return (await parquetReadObjects({ file: buffer, metadata: footer })).map(jsonValue);
  } catch (err) {
    if (err instanceof OxbowError) throw err;
    throw new CorruptFileError(file.path, `${file.path}: cannot read its rows: ${(err as Error).message}`, { cause: err });
  }
}

/** Every file under `dir`, in any depth of folders (`partition=0`, `year=2024/month=11`, `2024/11/24`, `country=PL`). */
async function walk(fs: ArchiveFs, dir: string): Promise<FileStatus[]> {
  let listing: FileStatus[];
  try {
    listing = await fs.list(dir);
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    throw err;
  }
  const out: FileStatus[] = [];
  for (const status of listing) {
    if (status.type === 'file') out.push(status);
    else if (status.name !== TEMP_DIR) out.push(...await walk(fs, status.path));
  }
  return out;
}

export interface ConnectCatalog extends ArchiveCatalog {
  /** The partitions the archive's file names hold, ascending. */
  partitions(): Promise<number[]>;
}

/**
 * A Connect archive of `topic` under `root`: `topics/<topic>/<folders>/<topic>+<p>+<first>+<last>.(parquet|json)`, where
 * the folders are the default partitioner's `partition=<p>` or the time-based and field partitioners' `name=value`
 * levels; files are grouped by the partition in their names. Event times are read with `eventTime` (the job's
 * definition) when files are listed: each file's records are read once for its range, and again when replayed.
 */
export function connectCatalog(fs: ArchiveFs, root: string, topic: string, eventTime: EventTimeDefinition): ConnectCatalog {
  if (eventTime.path === null) {
    throw new UsageError(`--event-time ${eventTime.text}: Kafka Connect files keep no Kafka timestamps; give the value field that holds the event time (e.g. --event-time ts)`);
  }
  const description = uriOf(fs, root);
  const timeOf = (value: unknown) => eventTimeOfValue(eventTime, value, NO_TIMESTAMP);

  async function describe(status: FileStatus, partition: number): Promise<ConnectFileInfo> {
    const parsed = parseFileName(status.name);
    if (parsed === null || parsed.topic !== topic || parsed.partition !== partition) {
      throw new UsageError(`${status.path}: not a Kafka Connect file of ${topic} partition ${partition} (<topic>+<partition>+<first offset>+<last offset>.<ext>)`);
    }
    if (parsed.extension !== 'parquet' && parsed.extension !== 'json') {
      throw new UsageError(`${status.path}: .${parsed.extension} files are not read; --archive-layout connect reads Connect's Parquet and JSON formats`);
    }
    const info: ConnectFileInfo = {
      path: status.path, partition, startOffset: parsed.startOffset, endOffset: parsed.endOffset, nextOffset: parsed.endOffset + 1n,
      count: 0, minEventTime: Number.NEGATIVE_INFINITY, maxEventTime: Number.NEGATIVE_INFINITY, eventTime: null,
      format: parsed.extension, length: status.length,
    };
    const values = await fileValues(fs, info);
    const span = parsed.endOffset - parsed.startOffset + 1n;
    if (BigInt(values.length) !== span) {
      throw new UsageError(`${status.path} holds ${values.length} records but its name spans ${span} offsets, so its records' offsets cannot be known `
        + '(a compacted or transactional topic); --archive-layout connect replays only archives whose files hold every offset they name (docs/archive.md)');
    }
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of values) {
      const t = timeOf(v);
      if (t === null) continue;
      if (t < min) min = t;
      if (t > max) max = t;
    }
    info.count = values.length;
    if (max >= min) {
      info.minEventTime = min;
      info.maxEventTime = max;
    }
    return info;
  }

  let tree: Promise<Map<number, FileStatus[]>> | undefined;
  /** The topic's files by the partition their names give, walked once. */
  const byPartition = () => (tree ??= walk(fs, topicDir(root, topic)).then((files) => {
    const out = new Map<number, FileStatus[]>();
    for (const status of files) {
      const parsed = parseFileName(status.name);
      if (parsed === null || parsed.topic !== topic) {
        throw new UsageError(`${status.path}: not a Kafka Connect file of topic ${topic} (<topic>+<partition>+<first offset>+<last offset>.<ext>); --archive-layout connect reads a root of Connect's files alone`);
      }
      (out.get(parsed.partition) ?? out.set(parsed.partition, []).get(parsed.partition)!).push(status);
    }
    return out;
  }));

  return {
    description,
    async partitions(): Promise<number[]> {
      return [...(await byPartition()).keys()].sort((a, b) => a - b);
    },
    async listFiles(partition: number): Promise<ArchiveFileInfo[]> {
      const files: ConnectFileInfo[] = [];
      for (const status of (await byPartition()).get(partition) ?? []) files.push(await describe(status, partition));
      files.sort(compareByOffsets);
      // Files of one partition from several folders must not claim the same offsets.
      for (let i = 1; i < files.length; i++) {
        if (files[i]!.startOffset <= files[i - 1]!.endOffset) {
          throw new UsageError(`${files[i]!.path} and ${files[i - 1]!.path} both name offsets ${files[i]!.startOffset}..${files[i - 1]!.endOffset} of partition ${partition}; an archive of one connector holds each offset once`);
        }
      }
      return files;
    },
    async *readFile(file: ArchiveFileInfo): AsyncIterable<SourceRecord[]> {
      const f = file as ConnectFileInfo;
      const values = await fileValues(fs, f);
      if (BigInt(values.length) !== f.endOffset - f.startOffset + 1n) throw new CorruptFileError(f.path, `${f.path}: changed since it was listed`);
      yield values.map((v, i) => ({
        offset: f.startOffset + BigInt(i),
        timestamp: NO_TIMESTAMP,
        key: null,
        value: encoder.encode(JSON.stringify(v)),
        eventTime: timeOf(v),
      }));
    },
  };
}
