// The replay's reader of the archive's own columns: a row group of an archive file decoded straight into records whose
// values stay in their page's bytes, for the encodings oxbow's writers use; anything else is left to hyparquet.
//
// hyparquet reads any Parquet file: it decodes INT64 columns through BigInts, assembles optional columns value by value
// through its Dremel walk, and makes a view of every byte array. On a replay of hourly files that was about a third of
// reading and decoding. The archive's schema is fixed (parquet-format.ts) and its writers (row-group-writer.ts and
// hyparquet-writer's generic `write`) use few encodings, so this reader decodes exactly those: DATA_PAGE_V2 pages,
// uncompressed or Snappy, definition levels of width 1, DELTA_BINARY_PACKED INT64 whose values are safe integers (and deltas below 2^52), PLAIN
// INT64, PLAIN byte arrays and RLE_DICTIONARY byte arrays. A row group with any other page, encoding, codec or an INT64
// beyond ±2^53 raises `Unsupported`, and the caller reads that row group with hyparquet, as before. Bytes that break the
// format (a page past its chunk, a length past its page) raise an Error, which the caller reports as a corrupt file.
// test/unit/connectors/parquet/archive-column-reader.test.ts holds it to hyparquet's reading of the same files.

import type { ColumnChunk, FileMetaData, RowGroup } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { ColumnRecord } from '../../src/source/packed-record.js';
import { snappyUncompress } from './snappy.js';

/** The row group uses what this reader does not decode: read it with hyparquet. */
export class Unsupported extends Error {}

/** The top-level columns a replay reads, in the archive schema's order, with their physical type and repetition. */
const COLUMNS = [
  { name: 'offset', type: 'INT64', optional: false },
  { name: 'timestamp', type: 'INT64', optional: false },
  { name: 'key', type: 'BYTE_ARRAY', optional: true },
  { name: 'value', type: 'BYTE_ARRAY', optional: true },
  { name: 'event_time', type: 'INT64', optional: true },
] as const;

/**
 * Whether the file's schema is the archive's as this reader reads it: the five columns among the root's children, of
 * their types and repetitions. A file that is not (an archive written by another writer) is read with hyparquet.
 */
export function readsSchema(footer: FileMetaData): boolean {
  const schema = footer.schema;
  const top = new Map<string, (typeof schema)[number]>();
  // The root's children in order, each followed by its subtree (num_children of its own, depth first).
  let i = 1;
  const skipSubtree = (): void => {
    const e = schema[i++];
    for (let c = 0; c < (e?.num_children ?? 0); c++) skipSubtree();
  };
  for (let c = 0; c < (schema[0]?.num_children ?? 0) && i < schema.length; c++) {
    top.set(schema[i]!.name, schema[i]!);
    skipSubtree();
  }
  return COLUMNS.every((c) => {
    const e = top.get(c.name);
    return e !== undefined && e.type === c.type && e.repetition_type === (c.optional ? 'OPTIONAL' : 'REQUIRED') && !e.num_children;
  });
}

/** The byte range of a row group's columns that a replay reads: one range read for a file not read whole. */
export function replayRange(group: RowGroup): { from: number; to: number } {
  let from = Infinity;
  let to = 0;
  for (const c of COLUMNS) {
    const { start, end } = chunkRange(chunkOf(group, c.name));
    from = Math.min(from, start);
    to = Math.max(to, end);
  }
  return { from, to };
}

function chunkOf(group: RowGroup, name: string): ColumnChunk {
  const chunk = group.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === name);
  if (!chunk?.meta_data) throw new Unsupported(`no column chunk ${name}`);
  return chunk;
}

function chunkRange(chunk: ColumnChunk): { start: number; end: number } {
  const m = chunk.meta_data!;
  const start = Number(m.dictionary_page_offset ?? m.data_page_offset);
  return { start, end: start + Number(m.total_compressed_size) };
}

/** An INT64 column's values as numbers; `present[i]` 0 where row i is null (an optional column). */
interface Int64Column {
  values: Float64Array;
  present: Uint8Array | null;
}

/** A byte-array column: row i is `arrays[i][starts[i]..ends[i])`, or null where `ends[i]` is −1. */
interface BytesColumn {
  arrays: Uint8Array[];
  starts: Int32Array;
  ends: Int32Array;
}

/**
 * The records of row group `group` of a file whose bytes from file position `base` are `bytes` (the whole file, or
 * the group's `replayRange`). Raises Unsupported for what hyparquet must read, an Error for bytes that are not valid.
 */
export function readArchiveRowGroup(file: Uint8Array, base: number, group: RowGroup): ColumnRecord[] {
  // A plain view, so that keys and values of uncompressed pages are Uint8Arrays, as hyparquet's are, not Buffers.
  const bytes = file.constructor === Uint8Array ? file : new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const rows = Number(group.num_rows);
  const offsets = int64Column(bytes, base, chunkOf(group, 'offset'), rows, false);
  const timestamps = int64Column(bytes, base, chunkOf(group, 'timestamp'), rows, false);
  const keys = bytesColumn(bytes, base, chunkOf(group, 'key'), rows);
  const values = bytesColumn(bytes, base, chunkOf(group, 'value'), rows);
  const eventTimes = int64Column(bytes, base, chunkOf(group, 'event_time'), rows, true);
  const records = new Array<ColumnRecord>(rows);
  const o = offsets.values;
  const t = timestamps.values;
  const e = eventTimes.values;
  const present = eventTimes.present;
  for (let i = 0; i < rows; i++) {
    records[i] = new ColumnRecord(
      BigInt(o[i]!), t[i]!, present !== null && present[i] === 0 ? null : e[i]!,
      keys.arrays[i]!, keys.starts[i]!, keys.ends[i]!, values.arrays[i]!, values.starts[i]!, values.ends[i]!,
    );
  }
  return records;
}

/** One data page of a column chunk: its definition levels (null for a required column) and its values' bytes. */
interface Page {
  rows: number;
  present: Uint8Array | null;
  nonNull: number;
  encoding: string;
  data: Uint8Array;
}

/**
 * The pages of a column chunk in order, the dictionary page first when there is one (`onDictionary`). Every page is a
 * DATA_PAGE_V2 whose values are decompressed here; its rows counted against the row group's.
 */
function* pages(bytes: Uint8Array, base: number, chunk: ColumnChunk, rows: number, optional: boolean, onDictionary: (data: Uint8Array, count: number) => void): Generator<Page> {
  const m = chunk.meta_data!;
  if (m.codec !== 'SNAPPY' && m.codec !== 'UNCOMPRESSED') throw new Unsupported(`codec ${m.codec}`);
  const { start, end } = chunkRange(chunk);
  if (start < base || end - base > bytes.length) throw new Error(`column ${m.path_in_schema.join('.')}: its chunk (bytes ${start}-${end}) lies outside the file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = { view, offset: start - base };
  const chunkEnd = end - base;
  let seen = 0;
  while (seen < rows) {
    if (reader.offset >= chunkEnd) throw new Error(`column ${m.path_in_schema.join('.')}: ${seen} of ${rows} rows in its chunk`);
    const header = parquetHeader(reader);
    const dataStart = reader.offset;
    const pageEnd = dataStart + header.compressed_page_size;
    if (pageEnd > chunkEnd) throw new Error(`column ${m.path_in_schema.join('.')}: a page runs past its chunk`);
    reader.offset = pageEnd;
    if (header.type === 'DICTIONARY_PAGE') {
      const d = header.dictionary_page_header;
      if (!d || (d.encoding !== 'PLAIN' && d.encoding !== 'PLAIN_DICTIONARY')) throw new Unsupported(`dictionary encoding ${d?.encoding}`);
      onDictionary(decompress(bytes.subarray(dataStart, pageEnd), header.uncompressed_page_size, m.codec), d.num_values);
      continue;
    }
    const h = header.data_page_header_v2;
    if (header.type !== 'DATA_PAGE_V2' || !h) throw new Unsupported(`page type ${header.type}`);
    if (h.repetition_levels_byte_length !== 0) throw new Unsupported('repetition levels');
    const count = h.num_values;
    const levelsEnd = dataStart + h.definition_levels_byte_length;
    if (levelsEnd > pageEnd || count > rows - seen) throw new Error(`column ${m.path_in_schema.join('.')}: a page's header does not fit it`);
    let present: Uint8Array | null = null;
    let nonNull = count;
    // A page without nulls needs no levels decoded: every row has its value (and a header that lies about it leaves
    // too few values for the rows, which the value decoders refuse).
    if (optional && h.num_nulls !== 0) {
      present = new Uint8Array(count);
      readRleBitPackedHybrid({ view, offset: dataStart }, 1, present, h.definition_levels_byte_length);
      nonNull = 0;
      for (let i = 0; i < count; i++) nonNull += present[i]!;
      if (nonNull !== count - h.num_nulls) throw new Error(`column ${m.path_in_schema.join('.')}: a page's levels count ${count - nonNull} nulls, its header ${h.num_nulls}`);
    } else if (!optional && (h.definition_levels_byte_length !== 0 || h.num_nulls !== 0)) {
      throw new Error(`column ${m.path_in_schema.join('.')}: nulls in a required column`);
    }
    const compressed = bytes.subarray(levelsEnd, pageEnd);
    const size = header.uncompressed_page_size - h.definition_levels_byte_length;
    const data = h.is_compressed === false ? compressed : decompress(compressed, size, m.codec);
    yield { rows: count, present, nonNull, encoding: h.encoding, data };
    seen += count;
  }
}

function decompress(data: Uint8Array, size: number, codec: string): Uint8Array {
  if (codec === 'UNCOMPRESSED') {
    if (data.length !== size) throw new Error(`an uncompressed page of ${data.length} bytes whose header says ${size}`);
    return data;
  }
  return snappyUncompress(data, size);
}

function int64Column(bytes: Uint8Array, base: number, chunk: ColumnChunk, rows: number, optional: boolean): Int64Column {
  const values = new Float64Array(rows);
  const present = optional ? new Uint8Array(rows) : null;
  let row = 0;
  const noDictionary = (): void => {
    throw new Unsupported('a dictionary of INT64');
  };
  for (const page of pages(bytes, base, chunk, rows, optional, noDictionary)) {
    // The page's values are its non-null rows'; they are placed first, then spread over the rows when there are nulls.
    const out = values.subarray(row, row + page.rows);
    if (page.encoding === 'DELTA_BINARY_PACKED') deltaToNumbers(page.data, page.nonNull, out);
    else if (page.encoding === 'PLAIN') plainInt64(page.data, page.nonNull, out);
    else throw new Unsupported(`INT64 encoding ${page.encoding}`);
    if (page.present !== null) {
      present!.set(page.present, row);
      spread(out, page.present, page.nonNull);
    } else if (present !== null) {
      present.fill(1, row, row + page.rows);
    }
    row += page.rows;
  }
  return { values, present };
}

/** Moves the first `nonNull` values of `out` to the rows where `present` is 1, from the end (in place). */
function spread(out: Float64Array, present: Uint8Array, nonNull: number): void {
  let v = nonNull - 1;
  for (let i = present.length - 1; i >= 0 && v < i; i--) {
    if (present[i] === 1) out[i] = out[v--]!;
    else out[i] = 0;
  }
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** An unsigned varint of up to 2^53 at `at.offset` in `data` (LEB128); Unsupported past that. */
function varint(data: Uint8Array, at: { offset: number }): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    if (at.offset >= data.length) throw new Error('a delta-packed page ends inside a number');
    const b = data[at.offset++]!;
    result += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 128;
    if (scale > 2 ** 53) throw new Unsupported('a varint beyond 2^53');
  }
  if (result > SAFE) throw new Unsupported('a varint beyond 2^53');
  return result;
}

function zigzag(data: Uint8Array, at: { offset: number }): number {
  const z = varint(data, at);
  // z / 2 rounded down, negated when odd: exact for every z up to 2^53.
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/**
 * Parquet's DELTA_BINARY_PACKED INT64 values, `count` of them, into `out` as numbers; Unsupported when a miniblock is
 * wider than 52 bits or a value leaves ±2^53 (hyparquet reads those, through BigInts).
 */
export function deltaToNumbers(data: Uint8Array, count: number, out: Float64Array): void {
  const at = { offset: 0 };
  const blockSize = varint(data, at);
  const miniblocks = varint(data, at);
  const total = varint(data, at);
  if (total !== count) throw new Error(`a delta-packed page holds ${total} values where its levels say ${count}`);
  if (count === 0) return;
  if (miniblocks === 0 || blockSize % miniblocks !== 0 || (blockSize / miniblocks) % 8 !== 0) throw new Error(`a delta-packed page's blocks of ${blockSize} in ${miniblocks}`);
  const perMiniblock = blockSize / miniblocks;
  let value = zigzag(data, at);
  out[0] = value;
  let i = 1;
  let pos = at.offset;
  while (i < count) {
    at.offset = pos;
    const minDelta = zigzag(data, at);
    // With |minDelta| and a packed delta each below 2^52, each step is exact or lands past ±2^53 (refused below).
    if (minDelta > 2 ** 52 || minDelta < -(2 ** 52)) throw new Unsupported('a delta beyond 2^52');
    pos = at.offset;
    const widthsAt = pos;
    pos += miniblocks;
    if (pos > data.length) throw new Error('a delta-packed page ends inside a block');
    for (let mb = 0; mb < miniblocks && i < count; mb++) {
      const width = data[widthsAt + mb]!;
      if (width > 52) throw new Unsupported(`a delta miniblock ${width} bits wide`);
      const end = Math.min(i + perMiniblock, count);
      const bytesEnd = pos + (perMiniblock * width) / 8;
      if (bytesEnd > data.length) throw new Error('a delta-packed page ends inside a miniblock');
      if (width === 0) {
        for (; i < end; i++) out[i] = value += minDelta;
      } else if (width <= 24) {
        // Fewer than 8 pending bits and up to 24 wanted fit the 32-bit operators.
        const mask = (1 << width) - 1;
        let buffer = 0;
        let bits = 0;
        let p = pos;
        for (; i < end; i++) {
          while (bits < width) {
            buffer |= data[p++]! << bits;
            bits += 8;
          }
          out[i] = value += minDelta + (buffer & mask);
          buffer >>>= width;
          bits -= width;
        }
      } else {
        // Wider: each value's bits gathered byte by byte as a double, exact below 2^53.
        let bit = pos * 8;
        for (; i < end; i++, bit += width) out[i] = value += minDelta + wideBits(data, bit, width);
      }
      pos = bytesEnd;
    }
  }
  // A value past ±2^53 may have been rounded, and every value after it with it: one beyond is enough to refuse.
  for (let k = 0; k < count; k++) {
    const v = out[k]!;
    if (v > SAFE || v < -SAFE) throw new Unsupported('a delta-packed value beyond 2^53');
  }
}

/** The `width` bits (33 to 52) from bit `bit` of `data`, least significant first, as Parquet packs them. */
function wideBits(data: Uint8Array, bit: number, width: number): number {
  let at = bit >>> 3;
  const shift = bit & 7;
  let result = data[at++]! >>> shift;
  let got = 8 - shift;
  for (; got + 8 <= width; got += 8) result += data[at++]! * 2 ** got;
  if (got < width) result += (data[at]! & ((1 << (width - got)) - 1)) * 2 ** got;
  // The first byte may have held more bits than wanted only when width < 8, which this is never called for.
  return result;
}

/** PLAIN INT64 values (8 bytes little-endian each) as numbers; Unsupported past ±2^53. */
function plainInt64(data: Uint8Array, count: number, out: Float64Array): void {
  if (data.length < count * 8) throw new Error(`a PLAIN INT64 page of ${data.length} bytes for ${count} values`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < count; i++) {
    const n = int64FromWords(view.getInt32(i * 8 + 4, true), view.getUint32(i * 8, true));
    if (n === null) throw new Unsupported('a PLAIN INT64 beyond 2^53');
    out[i] = n;
  }
}

/** An INT64 from its high (signed) and low 32-bit words, as a number: exact up to ±2^53; null past that. */
export function int64FromWords(high: number, low: number): number | null {
  return high >= -0x200000 && high < 0x200000 ? high * 0x100000000 + (low >>> 0) : null;
}

function bytesColumn(bytes: Uint8Array, base: number, chunk: ColumnChunk, rows: number): BytesColumn {
  const arrays = new Array<Uint8Array>(rows);
  const starts = new Int32Array(rows);
  const ends = new Int32Array(rows);
  let dictionary: BytesColumn | null = null;
  const onDictionary = (data: Uint8Array, count: number): void => {
    const d: BytesColumn = { arrays: new Array<Uint8Array>(count).fill(data), starts: new Int32Array(count), ends: new Int32Array(count) };
    plainByteArrays(data, count, d, 0, null);
    dictionary = d;
  };
  let row = 0;
  for (const page of pages(bytes, base, chunk, rows, true, onDictionary)) {
    if (page.encoding === 'PLAIN') {
      for (let i = 0; i < page.rows; i++) arrays[row + i] = page.data;
      plainByteArrays(page.data, page.rows, { arrays, starts, ends }, row, page.present);
    } else if (page.encoding === 'RLE_DICTIONARY' || page.encoding === 'PLAIN_DICTIONARY') {
      const d = dictionary as BytesColumn | null;
      if (d === null) throw new Error('a dictionary-encoded page without a dictionary');
      const data = page.data;
      if (data.length === 0) throw new Error('a dictionary-encoded page without its bit width');
      const indexes = new Int32Array(page.nonNull);
      if (page.nonNull > 0) readRleBitPackedHybrid({ view: new DataView(data.buffer, data.byteOffset, data.byteLength), offset: 1 }, data[0]!, indexes, data.length - 1);
      let v = 0;
      for (let i = 0; i < page.rows; i++) {
        if (page.present !== null && page.present[i] === 0) {
          arrays[row + i] = data;
          ends[row + i] = -1;
          continue;
        }
        const index = indexes[v++]!;
        if (index >= d.starts.length) throw new Error(`dictionary index ${index} of a dictionary of ${d.starts.length}`);
        arrays[row + i] = d.arrays[index]!;
        starts[row + i] = d.starts[index]!;
        ends[row + i] = d.ends[index]!;
      }
    } else {
      throw new Unsupported(`BYTE_ARRAY encoding ${page.encoding}`);
    }
    row += page.rows;
  }
  return { arrays, starts, ends };
}

/** PLAIN byte arrays (a 4-byte little-endian length, then the bytes) of `rows` rows from `row`, nulls where `present` is 0. */
function plainByteArrays(data: Uint8Array, rows: number, out: BytesColumn, row: number, present: Uint8Array | null): void {
  let p = 0;
  for (let i = 0; i < rows; i++) {
    if (present !== null && present[i] === 0) {
      out.ends[row + i] = -1;
      continue;
    }
    if (p + 4 > data.length) throw new Error('a PLAIN byte array page ends inside a length');
    const length = (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
    const start = p + 4;
    p = start + length;
    if (p > data.length) throw new Error('a PLAIN byte array runs past its page');
    out.starts[row + i] = start;
    out.ends[row + i] = p;
  }
}
