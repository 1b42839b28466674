// `--archive-layout connect`: a Kafka Connect HDFS archive (Parquet or JSON files, any partitioner) read as the hybrid
// source's ArchiveCatalog. Connect files hold record values only. A record's offset comes from a value field the
// connector's InsertField transform stored (`offsetField`), else from its position: the file's first offset plus the
// records before it, which is its Kafka offset when the file holds as many records as its name spans, and otherwise
// (a compacted or transactional topic) a position within the file that checkpoints and restores still place exactly.

import { joinPath, uriOf, writeAtomically, type ArchiveFs, type FileStatus } from '../../src/archive-fs.js';
import { compareByOffsets, parseFileName, TEMP_DIR, topicDir } from '../../src/archive/file-name.js';
import { CorruptFileError, NotFoundError, OxbowError, UsageError } from '../../src/errors.js';
import { type EventTimeDefinition, eventTimeOfValue } from '../../src/event-time.js';
import { getLogger } from '../../src/logger.js';
import type { ArchiveCatalog, ArchiveFileInfo, SourceRecord } from '../../src/source/types.js';
import { hyparquet, METADATA_KEY, openParquetFile } from '../parquet/parquet-format.js';

/** Kafka's "no timestamp": Connect files keep none, so no event time is held against one. */
const NO_TIMESTAMP = -1;
const log = getLogger('connect-archive');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface ConnectFileInfo extends ArchiveFileInfo {
  format: 'parquet' | 'json';
  length: number;
  /** Records whose value has no usable event time by the definition. */
  eventTimeMissing: number;
  /** The file holds fewer records than its name spans and no offset field tells theirs: offsets are positions. */
  positional: boolean;
}

export interface ConnectCatalogOptions {
  /** The job's event-time definition (a value field: Connect files keep no Kafka timestamps). */
  eventTime: EventTimeDefinition;
  /** A value field holding each record's Kafka offset (the InsertField transform's `offset.field`). */
  offsetField?: string;
}

/** An offset field's value as an offset, or null when it is not a whole number >= 0. */
function offsetValue(v: unknown): bigint | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  return null;
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

/**
 * The records of one file as plain JSON values, in file order; for a JSON file also its lines, each record's value as
 * the connector wrote it (so replay hands those on instead of writing every value out again).
 */
async function fileValues(fs: ArchiveFs, file: ConnectFileInfo): Promise<{ values: unknown[]; lines: string[] | null }> {
  if (file.format === 'json') {
    const text = decoder.decode(await fs.readRange(file.path, 0, file.length));
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const values = lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new CorruptFileError(file.path, `${file.path}: line ${i + 1} is not JSON`);
      }
    });
    return { values, lines };
  }
  const { file: buffer, footer } = await openParquetFile(fs, file.path, file.length, true);
  if (footer.key_value_metadata?.some((e) => e.key === METADATA_KEY)) {
    throw new UsageError(`${file.path} was written by oxbow, not Kafka Connect: replay oxbow's files without --archive-layout connect, and keep the two apart`);
  }
  try {
    const { parquetReadObjects } = await hyparquet();
    return { values: (await parquetReadObjects({ file: buffer, metadata: footer })).map(jsonValue), lines: null };
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

/** Where a partition's cached file facts live: beside `topics/`, in oxbow's own folder, never in Connect's folders. */
export function connectFactsPath(root: string, topic: string, partition: number): string {
  return joinPath(root, '+oxbow', 'connect-facts', topic, `partition=${partition}.json`);
}

/** What listing learns of a file by reading it, kept so the next listing need not read it again. */
interface CachedFacts {
  length: number;
  count: number;
  min: number | null;
  max: number | null;
  missing: number;
  positional: boolean;
}

const FACTS_VERSION = 1;

export interface ConnectCatalog extends ArchiveCatalog {
  /** The partitions the archive's file names hold, ascending. */
  partitions(): Promise<number[]>;
  listFiles(partition: number): Promise<ConnectFileInfo[]>;
}

/**
 * A Connect archive of `topic` under `root`: `topics/<topic>/<folders>/<topic>+<p>+<first>+<last>.(parquet|json)`, where
 * the folders are the default partitioner's `partition=<p>` or the time-based and field partitioners' `name=value`
 * levels; files are grouped by the partition in their names. Event times are read with `eventTime` (the job's
 * definition) when a file is first listed, and kept (connectFactsPath); replay reads each file once more.
 */
export function connectCatalog(fs: ArchiveFs, root: string, topic: string, options: ConnectCatalogOptions): ConnectCatalog {
  const { eventTime, offsetField } = options;
  if (eventTime.path === null) {
    throw new UsageError(`--event-time ${eventTime.text}: Kafka Connect files keep no Kafka timestamps; give the value field that holds the event time (e.g. --event-time ts)`);
  }
  const description = uriOf(fs, root);
  const timeOf = (value: unknown) => eventTimeOfValue(eventTime, value, NO_TIMESTAMP);

  /** A file's facts that its name and size give; the rest (count, event times) is read or cached. */
  function nameFacts(status: FileStatus, partition: number): ConnectFileInfo {
    const parsed = parseFileName(status.name)!;
    if (parsed.extension !== 'parquet' && parsed.extension !== 'json') {
      throw new UsageError(`${status.path}: .${parsed.extension} files are not read; --archive-layout connect reads Connect's Parquet and JSON formats`);
    }
    return {
      path: status.path, partition, startOffset: parsed.startOffset, endOffset: parsed.endOffset, nextOffset: parsed.endOffset + 1n,
      count: 0, minEventTime: Number.NEGATIVE_INFINITY, maxEventTime: Number.NEGATIVE_INFINITY, eventTime: null,
      format: parsed.extension, length: status.length, eventTimeMissing: 0, positional: false,
    };
  }

  /** A file's facts by reading it: its record count, its offsets' fit to its name, its event-time range. */
  async function describe(status: FileStatus, partition: number): Promise<ConnectFileInfo> {
    const info = nameFacts(status, partition);
    const { values } = await fileValues(fs, info);
    offsetsOf(info, values);
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of values) {
      const t = timeOf(v);
      if (t === null) {
        info.eventTimeMissing++;
        continue;
      }
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

  /** A file described by its cached facts (its size matched theirs). */
  function fromFacts(status: FileStatus, partition: number, facts: CachedFacts): ConnectFileInfo {
    return {
      ...nameFacts(status, partition), count: facts.count, eventTimeMissing: facts.missing, positional: facts.positional,
      minEventTime: facts.min ?? Number.NEGATIVE_INFINITY, maxEventTime: facts.max ?? Number.NEGATIVE_INFINITY,
    };
  }

  /**
   * Each record's offset: from the offset field (checked: increasing, from the name's first to its last offset), else
   * from its position. A file with more records than its name spans is damaged; with fewer, positions stand in.
   */
  function offsetsOf(file: ConnectFileInfo, values: unknown[]): bigint[] {
    const span = file.endOffset - file.startOffset + 1n;
    if (offsetField !== undefined) {
      const offsets = values.map((v, i) => {
        const o = offsetValue(typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[offsetField] : undefined);
        if (o === null) throw new UsageError(`${file.path}: record ${i + 1} has no whole-number field '${offsetField}' (--offset-field)`);
        return o;
      });
      const ordered = offsets.every((o, i) => i === 0 || o > offsets[i - 1]!);
      if (!ordered || offsets[0] !== file.startOffset || offsets.at(-1) !== file.endOffset) {
        throw new UsageError(`${file.path}: its '${offsetField}' fields run ${offsets[0]}..${offsets.at(-1)}${ordered ? '' : ' out of order'}, but its name says ${file.startOffset}..${file.endOffset}; is --offset-field the InsertField transform's offset.field?`);
      }
      return offsets;
    }
    if (BigInt(values.length) > span) throw new CorruptFileError(file.path, `${file.path} holds ${values.length} records but its name spans only ${span} offsets`);
    file.positional = BigInt(values.length) < span;
    return values.map((_, i) => file.startOffset + BigInt(i));
  }

  /**
   * The cached facts of a partition's files, for this event-time definition and offset field; empty when there are
   * none or they cannot be read (then the files are read, as without a cache).
   */
  async function cachedFacts(partition: number): Promise<Map<string, CachedFacts>> {
    try {
      const path = connectFactsPath(root, topic, partition);
      const status = await fs.stat(path);
      if (status === null) return new Map();
      const json = JSON.parse(decoder.decode(await fs.readRange(path, 0, status.length))) as { version?: unknown; eventTime?: unknown; offsetField?: unknown; files?: Record<string, CachedFacts> };
      if (json.version !== FACTS_VERSION || json.eventTime !== eventTime.text || json.offsetField !== (offsetField ?? null) || typeof json.files !== 'object') return new Map();
      return new Map(Object.entries(json.files ?? {}));
    } catch (err) {
      log.debug('cached Connect file facts not used', { topic, partition, error: (err as Error).message });
      return new Map();
    }
  }

  /** Best effort: a root oxbow may not write to (a read-only mount, no permission) only costs reading the files again. */
  async function saveFacts(partition: number, files: ConnectFileInfo[]): Promise<void> {
    const facts: Record<string, CachedFacts> = {};
    for (const f of files) {
      facts[f.path.slice(f.path.lastIndexOf('/') + 1)] = {
        length: f.length, count: f.count, missing: f.eventTimeMissing, positional: f.positional,
        min: Number.isFinite(f.minEventTime) ? f.minEventTime : null, max: Number.isFinite(f.maxEventTime) ? f.maxEventTime : null,
      };
    }
    const body = { version: FACTS_VERSION, eventTime: eventTime.text, offsetField: offsetField ?? null, files: facts };
    try {
      await writeAtomically(fs, connectFactsPath(root, topic, partition), encoder.encode(JSON.stringify(body)));
    } catch (err) {
      log.debug('cannot keep Connect file facts; files will be read again next time', { topic, partition, error: (err as Error).message });
    }
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
    async listFiles(partition: number): Promise<ConnectFileInfo[]> {
      const files: ConnectFileInfo[] = [];
      const cached = await cachedFacts(partition);
      let read = 0;
      for (const status of (await byPartition()).get(partition) ?? []) {
        const hit = cached.get(status.name);
        if (hit !== undefined && hit.length === status.length) files.push(fromFacts(status, partition, hit));
        else {
          files.push(await describe(status, partition));
          read++;
        }
      }
      if (read > 0 || cached.size !== files.length) await saveFacts(partition, files);
      files.sort(compareByOffsets);
      const positional = files.filter((f) => f.positional).length;
      if (positional > 0) {
        log.warn('files hold fewer records than their names span (a compacted or transactional topic): records are placed by their position in the file', {
          topic, partition, files: positional, note: 'sessions, checkpoints and the switch to Kafka stay exact; an offset quoted for such a record (dead letters) is its position; --offset-field gives real offsets',
        });
      }
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
      const { values, lines } = await fileValues(fs, f);
      if (values.length !== f.count) throw new CorruptFileError(f.path, `${f.path}: changed since it was listed`);
      const offsets = offsetsOf(f, values);
      yield values.map((v, i) => ({
        offset: offsets[i]!,
        timestamp: NO_TIMESTAMP,
        key: null,
        value: encoder.encode(lines?.[i] ?? JSON.stringify(v)),
        eventTime: timeOf(v),
      }));
    },
  };
}
