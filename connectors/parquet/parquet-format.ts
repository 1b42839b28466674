// The Parquet archive format (hyparquet + hyparquet-writer): typed columns, snappy, row groups streamed out, metadata in the footer.

import type { AsyncBuffer, Compressors, FileMetaData } from 'hyparquet';
import type { ColumnSource, ParquetWriter, SchemaElement, Writer } from 'hyparquet-writer';
import type { ArchiveFs } from '../../src/archive-fs.js';
import { ByteChannel } from '../../src/archive/byte-channel.js';
import {
  type ArchivedRecord, type ArchiveFileMetadata, type ArchiveFileWriter, type ArchiveFormat, metadataFromJson, metadataToJson, type ReplayRecord,
} from '../../src/archive/record.js';
import { CorruptFileError, ForeignFormatError, OxbowError } from '../../src/errors.js';
import { int64FromWords, readArchiveRowGroup, readsSchema, replayRange, Unsupported } from './archive-column-reader.js';
import { ArchiveRowGroupWriter } from './row-group-writer.js';
import { snappyCompressReused, snappyUncompress } from './snappy.js';

/**
 * hyparquet and hyparquet-writer, loaded when a Parquet file is first read or written (about 70 ms of start-up): a job
 * that touches no Parquet, such as a catch-up from Kafka alone, does not wait for them.
 */
let reader: Promise<typeof import('hyparquet')> | null = null;
let writer: Promise<typeof import('hyparquet-writer')> | null = null;
export const hyparquet = (): Promise<typeof import('hyparquet')> => (reader ??= import('hyparquet'));
const hyparquetWriter = (): Promise<typeof import('hyparquet-writer')> => (writer ??= import('hyparquet-writer'));

/** Key of the archive metadata JSON in the Parquet key-value metadata. */
export const METADATA_KEY = 'oxbow.archive';

/** A row group is written when it holds this many records or bytes, whichever comes first: memory stays bounded per open file. */
const ROW_GROUP_RECORDS = 10_000;
const ROW_GROUP_BYTES = 16 << 20;
/** Per-record overhead estimate (offset, timestamps, levels) added to key/value/header bytes for --rotate-bytes. */
const RECORD_OVERHEAD = 24;

const schema: SchemaElement[] = [
  { name: 'root', num_children: 6 },
  { name: 'offset', type: 'INT64', repetition_type: 'REQUIRED' },
  { name: 'timestamp', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'REQUIRED' },
  { name: 'key', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
  { name: 'value', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
  { name: 'headers', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'REQUIRED', num_children: 2 },
  { name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'value', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
  { name: 'event_time', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'OPTIONAL' },
];

/**
 * A row group of archive records as hyparquet-writer's generic `write` takes it: the columns, their encodings and
 * statistics. The archiver's own row-group writer (row-group-writer.ts) makes the same bytes for most row groups; this
 * writes the others, and is what the row-group writer's test holds it to.
 */
export function archiveColumnData(rows: readonly ArchivedRecord[]): ColumnSource[] {
  return [
    // Offsets climb by one: delta encoding stores them in a few bits and skips a useless dictionary attempt.
    { name: 'offset', data: rows.map((r) => r.offset), encoding: 'DELTA_BINARY_PACKED' },
    // Times climb nearly in step with offsets: delta encoding, not a dictionary of values nearly all distinct (measured
    // on 200,000 music events: files 25 % smaller, 5.57 to 4.17 MB).
    { name: 'timestamp', data: rows.map((r) => BigInt(r.timestamp)), encoding: 'DELTA_BINARY_PACKED' },
    // Min/max of opaque bytes helps no query and costs time; offsets and times keep theirs for row-group pruning.
    { name: 'key', data: rows.map((r) => r.key), statistics: false },
    // Values are nearly all distinct: no dictionary (keys and header names, few and repeated, keep theirs).
    { name: 'value', data: rows.map((r) => r.value), statistics: false, encoding: 'PLAIN' },
    { name: 'headers', data: rows.map((r) => r.headers), statistics: false },
    { name: 'event_time', data: rows.map((r) => (r.eventTime === null ? null : BigInt(r.eventTime))), encoding: 'DELTA_BINARY_PACKED' },
  ];
}

/** A new ParquetWriter of the archive schema into `bytes`: snappy by oxbow's compressor, statistics on. */
export function archiveParquetWriter(ParquetWriterClass: typeof ParquetWriter, bytes: Writer): ParquetWriter {
  // The file metadata is only known at the end, but the writer takes it up front; it reads kvMetadata in finish().
  // oxbow's Snappy compressor: hyparquet-writer's bytes, faster (connectors/parquet/snappy.ts). Its output array is
  // reused: every page writer, hyparquet-writer's and the row-group writer's, appends a compressed page to the file's
  // buffer before it compresses the next.
  return new ParquetWriterClass({
    writer: bytes, schema, codec: 'SNAPPY', compressors: { SNAPPY: snappyCompressReused }, statistics: true, kvMetadata: [], createdBy: 'oxbow',
  });
}

class ParquetFileWriter implements ArchiveFileWriter {
  private readonly channel: ByteChannel;
  private writer: ParquetWriter | null = null;
  private rowGroups: ArchiveRowGroupWriter | null = null;
  private rows: ArchivedRecord[] = [];
  private pendingBytes = 0;

  constructor(fs: ArchiveFs, path: string) {
    this.channel = new ByteChannel(fs, path);
  }

  /** The file's Parquet writer, made at its first row group. */
  private async parquetWriter(): Promise<ParquetWriter> {
    if (this.writer) return this.writer;
    const { ByteWriter, ParquetWriter } = await hyparquetWriter();
    const bytes = new ByteWriter(1 << 20) as unknown as Writer & { index: number };
    // Every row group leaves for the storage as soon as it is encoded; the buffer is then reused.
    bytes.flush = () => {
      const chunk = bytes.getBytes().slice();
      bytes.index = 0;
      return this.channel.push(chunk);
    };
    bytes.finish = () => bytes.flush!();
    this.writer = archiveParquetWriter(ParquetWriter, bytes);
    return this.writer;
  }

  get bytesWritten(): number {
    return this.channel.bytes + this.pendingBytes;
  }

  async write(records: readonly ArchivedRecord[]): Promise<void> {
    for (const r of records) {
      this.rows.push(r);
      let size = RECORD_OVERHEAD + (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0);
      for (const h of r.headers) size += h.key.length + (h.value?.byteLength ?? 0) + 8;
      this.pendingBytes += size;
      if (this.rows.length >= ROW_GROUP_RECORDS || this.pendingBytes >= ROW_GROUP_BYTES) await this.flushRowGroup();
    }
  }

  private async flushRowGroup(): Promise<void> {
    const rows = this.rows;
    if (rows.length === 0) return;
    this.rows = [];
    this.pendingBytes = 0;
    const parquet = await this.parquetWriter();
    this.rowGroups ??= new ArchiveRowGroupWriter(parquet);
    if (this.rowGroups.takes(rows)) {
      await this.rowGroups.write(rows);
    } else {
      await parquet.write({ rowGroupSize: rows.length, columnData: archiveColumnData(rows) });
    }
  }

  async finish(metadata: ArchiveFileMetadata): Promise<void> {
    await this.flushRowGroup();
    if (!this.writer) throw new Error('a Parquet archive file needs at least one record');
    this.writer.kvMetadata = [{ key: METADATA_KEY, value: JSON.stringify(metadataToJson(metadata)) }];
    await this.writer.finish();
    await this.channel.close();
  }

  async abort(reason: Error): Promise<void> {
    this.rows = [];
    await this.channel.fail(reason);
  }
}

/** hyparquet's two-member I/O interface over an ArchiveFs file: every slice is one range read. */
function asyncBuffer(fs: ArchiveFs, path: string, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const bytes = await fs.readRange(path, start, end ?? byteLength);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

/** Files up to this size are read whole, in one range read, when their records are wanted: one open and read. */
const WHOLE_FILE_BYTES = 8 << 20;

/** The whole file in memory: its bytes, and served as an AsyncBuffer. */
async function wholeFile(fs: ArchiveFs, path: string, byteLength: number): Promise<{ file: AsyncBuffer; bytes: Uint8Array }> {
  const bytes = await fs.readRange(path, 0, byteLength);
  if (bytes.byteLength !== byteLength) throw new CorruptFileError(path, `${path}: ${bytes.byteLength} bytes where the listing said ${byteLength}; the file changed while being read`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { file: { byteLength, slice: async (start: number, end?: number) => buffer.slice(start, end ?? byteLength) }, bytes };
}

/**
 * The file's footer, and the file to read its rows from. `length` (from the index or the listing) saves a stat;
 * `forRows`: a small file is then read whole at once, instead of a range read per footer and column chunk (most
 * archive files are small: an hourly file of a month's replay holds ~150 records), and its bytes are `bytes`.
 */
export async function openParquetFile(
  fs: ArchiveFs, path: string, length?: number, forRows = false,
): Promise<{ file: AsyncBuffer; footer: FileMetaData; bytes?: Uint8Array }> {
  let byteLength = length;
  if (byteLength === undefined) {
    const status = await fs.stat(path);
    if (!status) throw new CorruptFileError(path, `${path}: the archive file does not exist`);
    byteLength = status.length;
  }
  const whole = forRows && byteLength <= WHOLE_FILE_BYTES ? await wholeFile(fs, path, byteLength) : null;
  const file = whole?.file ?? asyncBuffer(fs, path, byteLength);
  try {
    // 64 KiB covers the footer of an archive file in one range read; hyparquet reads more only when it is larger.
    return { file, footer: await (await hyparquet()).parquetMetadataAsync(file, { initialFetchSize: 1 << 16 }), bytes: whole?.bytes };
  } catch (err) {
    if (err instanceof OxbowError) throw err;
    throw new CorruptFileError(path, `${path}: not a readable Parquet file: ${(err as Error).message}`, { cause: err });
  }
}

function metadataOf(path: string, footer: FileMetaData): ArchiveFileMetadata {
  const kv = footer.key_value_metadata?.find((e) => e.key === METADATA_KEY);
  if (!kv?.value) {
    const writer = footer.key_value_metadata?.some((e) => e.key === 'parquet.avro.schema' || e.key === 'writer.model.name') ? ' (parquet-avro wrote it, as Kafka Connect HDFS does)' : '';
    throw new ForeignFormatError(path, `${path}: no '${METADATA_KEY}' key-value metadata: not written by oxbow${writer}`);
  }
  try {
    const m = metadataFromJson(JSON.parse(kv.value));
    if (m.format !== 'parquet') throw new Error(`format is ${m.format}`);
    if (BigInt(m.count) !== footer.num_rows) throw new Error(`count ${m.count} but the file has ${footer.num_rows} rows`);
    return m;
  } catch (err) {
    throw new CorruptFileError(path, `${path}: bad '${METADATA_KEY}' metadata: ${(err as Error).message}`, { cause: err });
  }
}

function asTime(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  throw new Error(`a time column holds ${typeof v}`);
}

function asBytes(v: unknown): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return new TextEncoder().encode(v);
  throw new Error(`a bytes column holds ${typeof v}`);
}

function toRecord(row: Record<string, unknown>): ArchivedRecord {
  const offset = row.offset;
  if (typeof offset !== 'bigint') throw new Error(`offset is ${typeof offset}`);
  const headers = (row.headers as { key: string; value: unknown }[] | null | undefined) ?? [];
  return {
    offset,
    timestamp: asTime(row.timestamp),
    key: asBytes(row.key),
    value: asBytes(row.value),
    headers: headers.map((h) => ({ key: String(h.key), value: asBytes(h.value) })),
    eventTime: row.event_time === null || row.event_time === undefined ? null : asTime(row.event_time),
  };
}

/** Millisecond timestamps stay numbers: the records want epoch ms, and a Date per value only costs time and garbage. */
const EPOCH_MS = { timestampFromMilliseconds: (millis: bigint) => Number(millis) };
/** Pages are decompressed by oxbow's Snappy decompressor (connectors/parquet/snappy.ts), hyparquet's answers, faster. */
const DECOMPRESSORS: Compressors = { SNAPPY: snappyUncompress };

async function* readParquetBatches(fs: ArchiveFs, path: string, length?: number): AsyncIterable<ArchivedRecord[]> {
  const { file, footer } = await openParquetFile(fs, path, length, true);
  const { parquetReadObjects } = await hyparquet();
  let rowStart = 0;
  // One row group at a time keeps memory at one row group however large the file is.
  for (const group of footer.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata: footer, rowStart, rowEnd, utf8: false, parsers: EPOCH_MS, compressors: DECOMPRESSORS });
    } catch (err) {
      if (err instanceof OxbowError) throw err;
      throw new CorruptFileError(path, `${path}: cannot read rows ${rowStart}-${rowEnd}: ${(err as Error).message}`, { cause: err });
    }
    let records: ArchivedRecord[];
    try {
      records = rows.map(toRecord);
    } catch (err) {
      throw new CorruptFileError(path, `${path}: ${(err as Error).message}`, { cause: err });
    }
    yield records;
    rowStart = rowEnd;
  }
}

/** The columns a replay reads: all but the headers. */
const REPLAY_COLUMNS = ['offset', 'timestamp', 'key', 'value', 'event_time'] as const;
type ReplayColumn = (typeof REPLAY_COLUMNS)[number];

/**
 * The footer as a replay reads it: the two time columns as plain INT64, without their TIMESTAMP_MILLIS annotation.
 * hyparquet converts an annotated column through `Array.from` of its BigInt64Array and a call per value (4.5 % of a
 * replay's profile); plain, the column comes as the BigInt64Array, whose values `int64At` reads as numbers.
 */
function timesAsInt64(footer: FileMetaData): FileMetaData {
  const plain = (e: SchemaElement): SchemaElement => {
    if (e.type !== 'INT64' || (e.name !== 'timestamp' && e.name !== 'event_time')) return e;
    const { converted_type: _c, logical_type: _l, ...rest } = e;
    return rest;
  };
  return { ...footer, schema: footer.schema.map(plain) };
}

/** BigInt64Arrays read as 32-bit words are little-endian here, as on every platform Node runs on; checked, not assumed. */
const LITTLE_ENDIAN = new Uint8Array(new BigInt64Array([1n]).buffer)[0] === 1;

/**
 * Value `i` of a BigInt64Array as a number, from its two 32-bit words (no BigInt made): exact up to ±2^53, where every
 * time an archive holds lies; a value beyond is converted as `Number` of the BigInt converts it (rounded, as before).
 */
function int64At(values: BigInt64Array, words: Int32Array, i: number): number {
  return int64FromWords(words[2 * i + 1]!, words[2 * i]!) ?? Number(values[i]!);
}

/**
 * The file's records as a replay reads them, one row group at a time. The archive's column reader
 * (archive-column-reader.ts) decodes a row group of the encodings oxbow writes straight into records whose values stay
 * in their pages; any other row group is read with hyparquet (`hyparquetReplayRows`).
 */
async function* readParquetReplayBatches(fs: ArchiveFs, path: string, length?: number): AsyncIterable<ReplayRecord[]> {
  const { file, footer, bytes } = await openParquetFile(fs, path, length, true);
  const own = readsSchema(footer);
  let rowStart = 0;
  for (const group of footer.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let records: ReplayRecord[] | null = null;
    if (own) {
      let part = bytes;
      let base = 0;
      if (part === undefined) {
        // A file too large to read whole: the row group's columns but the headers, in one range read.
        let range: { from: number; to: number } | null = null;
        try {
          range = replayRange(group);
        } catch (err) {
          if (!(err instanceof Unsupported)) throw err;
        }
        if (range !== null && range.from >= 0 && range.to <= file.byteLength && range.from < range.to) {
          part = await fs.readRange(path, range.from, range.to);
          base = range.from;
        }
      }
      if (part !== undefined) {
        try {
          records = readArchiveRowGroup(part, base, group);
        } catch (err) {
          if (!(err instanceof Unsupported)) {
            throw new CorruptFileError(path, `${path}: cannot read rows ${rowStart}-${rowEnd}: ${(err as Error).message}`, { cause: err });
          }
        }
      }
    }
    yield records ?? await hyparquetReplayRows(path, file, footer, rowStart, rowEnd);
    rowStart = rowEnd;
  }
}

/**
 * Rows `rowStart` to `rowEnd` (one row group) read with hyparquet: its columns but the headers decoded as columns (no
 * row objects, and no assembly of the nested headers column), then a record per row. Over the replay benchmark's
 * hourly files it took 13–15 % less CPU than reading rows (docs/replay.md, "Reading Parquet").
 */
async function hyparquetReplayRows(path: string, file: AsyncBuffer, footer: FileMetaData, rowStart: number, rowEnd: number): Promise<ReplayRecord[]> {
  const { parquetRead } = await hyparquet();
  const metadata = LITTLE_ENDIAN ? timesAsInt64(footer) : footer;
  const rows = rowEnd - rowStart;
  const columns: Record<ReplayColumn, unknown[]> = { offset: new Array(rows), timestamp: new Array(rows), key: new Array(rows), value: new Array(rows), event_time: new Array(rows) };
  const filled = { offset: 0, timestamp: 0, key: 0, value: 0, event_time: 0 };
  const from = rowStart;
  try {
    await parquetRead({
      file, metadata, rowStart, rowEnd, columns: [...REPLAY_COLUMNS], utf8: false, parsers: EPOCH_MS, compressors: DECOMPRESSORS,
      // A column comes in chunks (a page each), placed by the file's row number.
      onChunk: ({ columnName, columnData, rowStart: at }) => {
        const name = columnName as ReplayColumn;
        const out = columns[name];
        const first = Math.max(at, from);
        const last = Math.min(at + columnData.length, rowEnd);
        if (name !== 'offset' && columnData instanceof BigInt64Array) {
          // A time column without nulls: its values as numbers (with nulls, or dictionary-encoded, it is an array).
          const words = new Int32Array(columnData.buffer, columnData.byteOffset, columnData.length * 2);
          for (let row = first; row < last; row++) out[row - from] = int64At(columnData, words, row - at);
        } else {
          for (let row = first; row < last; row++) out[row - from] = columnData[row - at];
        }
        filled[name] += Math.max(0, last - first);
      },
    });
    for (const name of REPLAY_COLUMNS) if (filled[name] !== rows) throw new Error(`column ${name} holds ${filled[name]} of the ${rows} rows`);
  } catch (err) {
    if (err instanceof OxbowError) throw err;
    throw new CorruptFileError(path, `${path}: cannot read rows ${rowStart}-${rowEnd}: ${(err as Error).message}`, { cause: err });
  }
  const records = new Array<ReplayRecord>(rows);
  try {
    for (let i = 0; i < rows; i++) {
      const offset = columns.offset[i];
      if (typeof offset !== 'bigint') throw new Error(`offset is ${typeof offset}`);
      const eventTime = columns.event_time[i];
      records[i] = {
        offset,
        timestamp: asTime(columns.timestamp[i]),
        key: asBytes(columns.key[i]),
        value: asBytes(columns.value[i]),
        eventTime: eventTime === null || eventTime === undefined ? null : asTime(eventTime),
      };
    }
  } catch (err) {
    throw new CorruptFileError(path, `${path}: ${(err as Error).message}`, { cause: err });
  }
  return records;
}

export const parquetFormat: ArchiveFormat = {
  name: 'parquet',
  extension: 'parquet',
  createWriter: (fs, path) => new ParquetFileWriter(fs, path),
  readBatches: readParquetBatches,
  readReplayBatches: readParquetReplayBatches,
  async readMetadata(fs, path, length) {
    const { footer } = await openParquetFile(fs, path, length);
    return metadataOf(path, footer);
  },
};
