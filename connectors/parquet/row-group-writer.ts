// One row group of the archive's fixed schema, written into a hyparquet-writer ParquetWriter: the same bytes and the
// same footer entries as its generic `write`, without its per-value generic work on the columns that carry the bytes.
//
// hyparquet-writer encodes any schema: every value goes through its Dremel walk, a range check of INT64 values against
// BigInt bounds, generic statistics and a page writer that appends each byte array through a growing buffer. For the
// archiver that was about 1 µs of its thread per record, more than Snappy. The archive's schema is fixed
// (parquet-format.ts), so its columns are encoded here straight from the records: offsets and times delta-packed as
// numbers, keys and values copied into one reused page array. What hyparquet-writer decides is left to its own
// functions, so that the bytes cannot drift from its: whether the keys take a dictionary (`useDictionary`), the
// dictionary page, page headers, the run-length encoding of levels, and the header columns (empty lists here, written
// by its column writer given their levels). A row group this writer does not take (see `takes`) is written by the
// generic `write`. Either way the file is byte for byte what the generic `write` makes, which the unit test
// test/unit/connectors/parquet/row-group-writer.test.ts holds over row groups of every shape.

import type { ColumnChunk, SchemaElement } from 'hyparquet';
import type { ParquetWriter, Writer } from 'hyparquet-writer';
import { writeColumn } from 'hyparquet-writer/src/column.js';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { deltaBinaryPack } from 'hyparquet-writer/src/delta.js';
import { useDictionary, writeDictionaryPage } from 'hyparquet-writer/src/dictionary.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import type { ArchivedRecord } from '../../src/archive/record.js';

type ColumnEncoder = Parameters<typeof writeColumn>[0]['column'];
type Compressor = (input: Uint8Array) => Uint8Array;

/** hyparquet-writer's defaults, which the generic `write` uses: a data page ends once it holds this many value bytes. */
const PAGE_SIZE = 1 << 20;
/** The most the kept page array grows to: a page under PAGE_SIZE and its values' lengths. */
const PAGE_LIMIT = 2 << 20;
/**
 * The most rows this writer takes in a row group (the archive writes 10,000): an INT64 column or a key column's
 * dictionary indexes then fit one page (8 or 4 bytes a row, under PAGE_SIZE), as they do in the generic `write`.
 */
const MAX_ROWS = 100_000;
const DELTA_BLOCK = 128;
const MINIBLOCKS = 4;
const MINIBLOCK = DELTA_BLOCK / MINIBLOCKS;

/** The archive schema's leaf columns, by the names hyparquet-writer gives them. */
interface Leaves {
  offset: ColumnEncoder;
  timestamp: ColumnEncoder;
  key: ColumnEncoder;
  value: ColumnEncoder;
  headerKey: ColumnEncoder;
  headerValue: ColumnEncoder;
  eventTime: ColumnEncoder;
}

function leafEncoder(schema: SchemaElement[], path: number[], codec: ColumnEncoder['codec'], compressors: ColumnEncoder['compressors'], stats: boolean): ColumnEncoder {
  const schemaPath = [schema[0]!, ...path.map((i) => schema[i]!)];
  return {
    columnName: schemaPath.slice(1).map((s) => s.name).join('.'),
    element: schemaPath[schemaPath.length - 1]!,
    schemaPath,
    codec,
    compressors,
    stats,
    statisticsTruncateLength: undefined,
    pageSize: PAGE_SIZE,
    dictionarySize: undefined,
    columnIndex: false,
    offsetIndex: true,
    encoding: undefined,
    bloomFilter: undefined,
  } as ColumnEncoder;
}

/**
 * Writes the archive's row groups into `parquet`, whose schema must be the archive schema laid out as parquet-format.ts
 * declares it (root; offset, timestamp, key, value, headers.list.element.{key, value}, event_time).
 */
export class ArchiveRowGroupWriter {
  private readonly leaves: Leaves;
  private readonly compress: Compressor;
  /** A key or value page is assembled here before it is compressed; grown up to PAGE_LIMIT, never shrunk. */
  private page = new Uint8Array(1 << 16);
  private pageView = new DataView(this.page.buffer);
  private readonly deltas = new Float64Array(DELTA_BLOCK);
  /** Definition levels of a page, and an INT64 column's delta-packed values, encoded; reused. */
  private readonly levels = new ScratchWriter();
  private readonly deltaPage = new ScratchWriter();
  /** The offsets of the rows `takes` accepted, as numbers. */
  private offsets = new Float64Array(0);
  private taken: readonly ArchivedRecord[] | null = null;
  private readonly widths = new Uint8Array(MINIBLOCKS);

  constructor(private readonly parquet: ParquetWriter) {
    const { schema, codec, compressors, statistics } = parquet;
    const names = schema.map((s) => s.name).join(',');
    if (names !== 'root,offset,timestamp,key,value,headers,list,element,key,value,event_time') throw new Error(`not the archive schema: ${names}`);
    const compress = compressors[codec];
    if (!compress) throw new Error(`no compressor for ${codec}`);
    this.compress = compress;
    const leaf = (path: number[], stats: boolean): ColumnEncoder => leafEncoder(schema, path, codec, compressors, stats);
    this.leaves = {
      offset: leaf([1], statistics),
      timestamp: leaf([2], statistics),
      key: leaf([3], false),
      value: leaf([4], false),
      headerKey: leaf([5, 6, 7, 8], false),
      headerValue: leaf([5, 6, 7, 9], false),
      eventTime: leaf([10], statistics),
    };
  }

  /**
   * Whether `write` takes these rows: at most MAX_ROWS, no record with a header, every offset, timestamp and event
   * time a safe integer. Otherwise the generic `write` must (which refuses a time that is not an integer, as before).
   * It keeps the offsets as numbers for `write`, which must be called next with the same rows.
   */
  takes(rows: readonly ArchivedRecord[]): boolean {
    const n = rows.length;
    if (n === 0 || n > MAX_ROWS) return false;
    if (this.offsets.length < n) this.offsets = new Float64Array(Math.max(n, this.offsets.length * 2));
    const offsets = this.offsets;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      const offset = Number(r.offset);
      // Past 2^53 the conversion rounds, and a rounded offset is not a safe integer.
      if (r.headers.length > 0 || !Number.isSafeInteger(offset) || !Number.isSafeInteger(r.timestamp)) return false;
      if (r.eventTime !== null && !Number.isSafeInteger(r.eventTime)) return false;
      offsets[i] = offset;
    }
    this.taken = rows;
    return true;
  }

  /** Writes `rows`, which `takes` has just accepted, as one row group; then flushes the writer as the generic `write` does. */
  write(rows: readonly ArchivedRecord[]): void | Promise<void> {
    if (rows !== this.taken) throw new Error('ArchiveRowGroupWriter.write: rows not accepted by takes() just before');
    this.taken = null;
    const n = rows.length;
    const writer = this.parquet.writer;
    const groupStart = writer.offset;
    const chunks: ColumnChunk[] = [];
    const add = (result: ReturnType<typeof writeColumn>): void => {
      chunks.push(result.chunk);
      this.parquet.pendingIndexes.push(result);
    };

    const numbers = new Float64Array(n);
    add(this.int64Column(this.leaves.offset, this.offsets.subarray(0, n), null, n));
    for (let i = 0; i < n; i++) numbers[i] = rows[i]!.timestamp;
    add(this.int64Column(this.leaves.timestamp, numbers, null, n));

    const present = new Uint8Array(n);
    const bytes = new Array<Uint8Array | null>(n);
    for (let i = 0; i < n; i++) {
      const key = rows[i]!.key;
      bytes[i] = key;
      present[i] = key === null ? 0 : 1;
    }
    add(this.bytesColumn(this.leaves.key, bytes, present, false));
    for (let i = 0; i < n; i++) {
      const value = rows[i]!.value;
      bytes[i] = value;
      present[i] = value === null ? 0 : 1;
    }
    add(this.bytesColumn(this.leaves.value, bytes, present, true));

    // No record has a header: each row is an empty list, one undefined leaf value at levels 0 in both leaf columns.
    const zeros = new Array<number>(n).fill(0);
    const none = new Array<undefined>(n).fill(undefined);
    add(writeColumn({ writer, column: this.leaves.headerKey, pageData: { values: none, definitionLevels: zeros, repetitionLevels: zeros, maxDefinitionLevel: 1 } }));
    add(writeColumn({ writer, column: this.leaves.headerValue, pageData: { values: none, definitionLevels: zeros, repetitionLevels: zeros, maxDefinitionLevel: 2 } }));

    let nonNull = 0;
    for (let i = 0; i < n; i++) {
      const t = rows[i]!.eventTime;
      if (t !== null) numbers[nonNull++] = t;
      present[i] = t === null ? 0 : 1;
    }
    add(this.int64Column(this.leaves.eventTime, numbers.subarray(0, nonNull), nonNull < n ? present : null, n));

    let uncompressed = 0n;
    for (const c of chunks) uncompressed += c.meta_data?.total_uncompressed_size ?? 0n;
    this.parquet.num_rows += BigInt(n);
    this.parquet.row_groups.push({ columns: chunks, total_byte_size: uncompressed, num_rows: BigInt(n), total_compressed_size: BigInt(writer.offset - groupStart) });
    return writer.flush?.();
  }

  /**
   * An INT64 column of `values` (the non-null ones, in row order; safe integers), delta-packed in one data page.
   * `present` gives the definition levels of an optional column (null when every row has a value).
   */
  private int64Column(column: ColumnEncoder, values: Float64Array, present: Uint8Array | null, rows: number): ReturnType<typeof writeColumn> {
    const writer = this.parquet.writer;
    const optional = column.element.repetition_type === 'OPTIONAL';
    const start = writer.offset;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const page = this.deltaPage;
    page.offset = 0;
    this.deltaPack(page, values);
    const levels = optional ? (present ?? new Uint8Array(rows).fill(1)) : null;
    const uncompressed = this.dataPage(levels, 0, rows, rows - values.length, 'DELTA_BINARY_PACKED', page.bytes());
    const empty = values.length === 0;
    const chunk = this.chunk(column, start, {
      type: 'INT64', encodings: ['DELTA_BINARY_PACKED'], rows, uncompressed, dataAt: start,
      statistics: column.stats
        ? { min_value: empty ? undefined : BigInt(min), max_value: empty ? undefined : BigInt(max), null_count: BigInt(rows - values.length), nan_count: undefined }
        : undefined,
      encodingStats: column.stats ? [{ page_type: 'DATA_PAGE_V2', encoding: 'DELTA_BINARY_PACKED', count: 1 }] : undefined,
    });
    return { chunk, columnIndex: undefined, offsetIndex: undefined, bloomFilter: undefined };
  }

  /**
   * Parquet's DELTA_BINARY_PACKED of `values`, as hyparquet-writer packs them: blocks of 128 in 4 miniblocks. Deltas
   * are packed as numbers when they fit in 32 bits; a column with a wider delta is handed to hyparquet-writer's packer
   * as BigInts.
   */
  private deltaPack(out: ScratchWriter, values: Float64Array): void {
    for (let i = 1; i < values.length; i++) {
      const d = values[i]! - values[i - 1]!;
      if (d > 0x7fffffff || d < -0x80000000) {
        deltaBinaryPack(out as unknown as Writer, Array.from(values, (v) => BigInt(v)), 'INT64');
        return;
      }
    }
    const count = values.length;
    out.appendVarInt(DELTA_BLOCK);
    out.appendVarInt(MINIBLOCKS);
    out.appendVarInt(count);
    if (count === 0) {
      out.appendVarInt(0);
      return;
    }
    out.appendZigZag(values[0]!);
    const deltas = this.deltas;
    const widths = this.widths;
    for (let index = 1; index < count;) {
      const blockEnd = Math.min(index + DELTA_BLOCK, count);
      const size = blockEnd - index;
      let minDelta = Infinity;
      for (let i = 0; i < size; i++) {
        const d = values[index + i]! - values[index + i - 1]!;
        deltas[i] = d;
        if (d < minDelta) minDelta = d;
      }
      out.appendZigZag(minDelta);
      for (let mb = 0; mb < MINIBLOCKS; mb++) {
        let maxAdjusted = 0;
        const end = Math.min((mb + 1) * MINIBLOCK, size);
        for (let i = mb * MINIBLOCK; i < end; i++) if (deltas[i]! - minDelta > maxAdjusted) maxAdjusted = deltas[i]! - minDelta;
        widths[mb] = 32 - Math.clz32(maxAdjusted); // maxAdjusted < 2^32
      }
      out.appendBytes(widths);
      for (let mb = 0; mb < MINIBLOCKS; mb++) {
        const width = widths[mb]!;
        if (width === 0) continue;
        const mbStart = mb * MINIBLOCK;
        const mbEnd = Math.min(mbStart + MINIBLOCK, size);
        let buffer = 0;
        let used = 0;
        if (width <= 24) {
          // Up to 24 bits and fewer than 8 pending fit the 32-bit operators.
          for (let i = 0; i < MINIBLOCK; i++) {
            buffer |= (mbStart + i < mbEnd ? deltas[mbStart + i]! - minDelta : 0) << used;
            used += width;
            while (used >= 8) {
              out.appendUint8(buffer);
              buffer >>>= 8;
              used -= 8;
            }
          }
        } else {
          // Adjusted deltas are below 2^32; with fewer than 8 bits pending the sum stays below 2^40, exact in a double.
          for (let i = 0; i < MINIBLOCK; i++) {
            buffer += (mbStart + i < mbEnd ? deltas[mbStart + i]! - minDelta : 0) * 2 ** used;
            used += width;
            while (used >= 8) {
              out.appendUint8(buffer % 0x100);
              buffer = Math.floor(buffer / 0x100);
              used -= 8;
            }
          }
        }
      }
      index = blockEnd;
    }
  }

  /**
   * An optional byte-array column (the key or the value) as hyparquet-writer writes it: a dictionary when its own
   * `useDictionary` chooses one (never for `value`, whose encoding is PLAIN), else PLAIN pages of about PAGE_SIZE value
   * bytes, split where its `getPageBoundaries` splits them.
   */
  private bytesColumn(column: ColumnEncoder, values: readonly (Uint8Array | null)[], present: Uint8Array, plainOnly: boolean): ReturnType<typeof writeColumn> {
    const writer = this.parquet.writer;
    const n = values.length;
    const start = writer.offset;
    const { dictionary, indexes } = plainOnly ? {} : useDictionary(values as Uint8Array[], 'BYTE_ARRAY', undefined, undefined, undefined, false);
    let uncompressed = 0;
    let dictionaryAt: number | undefined;
    let dataAt = start;
    const locations: { offset: bigint; compressed_page_size: number; first_row_index: bigint }[] = [];
    if (dictionary && indexes) {
      dictionaryAt = start;
      uncompressed += writeDictionaryPage(writer, column, dictionary);
      dataAt = writer.offset;
      // The indexes of the rows with a key, bit-packed at the width of the largest; one page (takes() bounds a row group).
      const packed = new Int32Array(n);
      let count = 0;
      let max = 0;
      for (let i = 0; i < n; i++) {
        if (present[i] === 0) continue;
        const index = indexes[i]!;
        packed[count++] = index;
        if (index > max) max = index;
      }
      const page = new ScratchWriter();
      const width = Math.ceil(Math.log2(max + 1));
      page.appendUint8(width);
      writeRleBitPackedHybrid(page as unknown as Writer, packed.subarray(0, count), width);
      uncompressed += this.dataPage(present, 0, n, n - count, 'RLE_DICTIONARY', page.bytes());
    } else {
      for (let from = 0; from < n;) {
        // A page ends before the value that brings it to PAGE_SIZE bytes, once it holds at least one value.
        let end = from;
        let bytes = 0;
        let pageBytes = 0;
        let nulls = 0;
        for (; end < n; end++) {
          const v = values[end]!;
          const size = v === null ? 0 : v.byteLength;
          if (bytes + size >= PAGE_SIZE && end > from) break;
          bytes += size;
          if (v === null) nulls++;
          else pageBytes += 4 + size;
        }
        // A page is under PAGE_SIZE, or one larger value: that one gets an array of its own, not kept.
        if (pageBytes > this.page.length && pageBytes <= PAGE_LIMIT) {
          this.page = new Uint8Array(Math.min(PAGE_LIMIT, Math.max(pageBytes, this.page.length * 2)));
          this.pageView = new DataView(this.page.buffer);
        }
        const page = pageBytes <= this.page.length ? this.page : new Uint8Array(pageBytes);
        const view = page === this.page ? this.pageView : new DataView(page.buffer);
        let at = 0;
        for (let i = from; i < end; i++) {
          const v = values[i]!;
          if (v === null) continue;
          view.setUint32(at, v.byteLength, true);
          page.set(v, at + 4);
          at += 4 + v.byteLength;
        }
        const pageOffset = writer.offset;
        uncompressed += this.dataPage(present, from, end, nulls, 'PLAIN', page.subarray(0, at));
        locations.push({ offset: BigInt(pageOffset), compressed_page_size: writer.offset - pageOffset, first_row_index: BigInt(from) });
        from = end;
      }
    }
    const chunk = this.chunk(column, start, {
      type: 'BYTE_ARRAY', encodings: dictionaryAt === undefined ? ['PLAIN'] : ['PLAIN', 'RLE_DICTIONARY'], rows: n, uncompressed, dataAt, dictionaryAt,
    });
    return { chunk, columnIndex: undefined, offsetIndex: locations.length > 1 ? { page_locations: locations } as never : undefined, bloomFilter: undefined };
  }

  /** A column chunk's footer entry, in the shape and with the fields hyparquet-writer's column writer gives it. */
  private chunk(column: ColumnEncoder, start: number, c: {
    type: 'INT64' | 'BYTE_ARRAY'; encodings: string[]; rows: number; uncompressed: number; dataAt: number; dictionaryAt?: number;
    statistics?: object; encodingStats?: object[];
  }): ColumnChunk {
    return {
      meta_data: {
        type: c.type,
        encodings: c.encodings,
        path_in_schema: [column.columnName],
        codec: column.codec,
        num_values: BigInt(c.rows),
        total_compressed_size: BigInt(this.parquet.writer.offset - start),
        total_uncompressed_size: BigInt(c.uncompressed),
        data_page_offset: BigInt(c.dataAt),
        dictionary_page_offset: c.dictionaryAt === undefined ? undefined : BigInt(c.dictionaryAt),
        statistics: c.statistics,
        encoding_stats: c.encodingStats,
        geospatial_statistics: undefined,
      } as never,
      file_offset: BigInt(start),
    };
  }

  /**
   * One DATA_PAGE_V2 of a flat column: rows `from` to `end`, `present` their definition levels (null for a required
   * column, which has none), `data` the encoded values. Returns its uncompressed size with its header, as
   * hyparquet-writer counts it.
   */
  private dataPage(present: Uint8Array | null, from: number, end: number, nulls: number, encoding: 'PLAIN' | 'RLE_DICTIONARY' | 'DELTA_BINARY_PACKED', data: Uint8Array): number {
    const writer = this.parquet.writer;
    const levels = this.levels;
    levels.offset = 0;
    const defLength = present === null ? 0 : writeRleBitPackedHybrid(levels as unknown as Writer, present.subarray(from, end), 1);
    const compressed = this.compress(data);
    const pageOffset = writer.offset;
    writePageHeader(writer, {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: levels.offset + data.length,
      compressed_page_size: levels.offset + compressed.length,
      data_page_header_v2: {
        num_values: end - from,
        num_nulls: nulls,
        num_rows: end - from,
        encoding,
        definition_levels_byte_length: defLength,
        repetition_levels_byte_length: 0,
        is_compressed: true,
      },
    } as Parameters<typeof writePageHeader>[1]);
    const size = writer.offset - pageOffset + levels.offset + data.length;
    writer.appendBytes(levels.bytes());
    writer.appendBytes(compressed);
    return size;
  }
}

/**
 * A small growing byte buffer with the part of hyparquet-writer's `Writer` its level and delta encoders call
 * (`appendUint8`, `appendVarInt`, `appendZigZag`, `appendVarBigInt`, `appendBytes`, `ensure`, `offset`), for levels
 * and delta pages.
 */
class ScratchWriter {
  buffer = new ArrayBuffer(256);
  view = new DataView(this.buffer);
  private array = new Uint8Array(this.buffer);
  offset = 0;

  ensure(size: number): void {
    if (this.offset + size <= this.array.length) return;
    const grown = new Uint8Array(Math.max(this.array.length * 2, this.offset + size));
    grown.set(this.array.subarray(0, this.offset));
    this.array = grown;
    this.buffer = grown.buffer;
    this.view = new DataView(this.buffer);
  }

  appendUint8(b: number): void {
    if (this.offset === this.array.length) this.ensure(1);
    this.array[this.offset++] = b & 0xff;
  }

  appendBytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.array.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  /** An unsigned varint of a non-negative safe integer (hyparquet-writer's takes 32-bit ones). */
  appendVarInt(v: number): void {
    while (v >= 0x80) {
      this.appendUint8((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.appendUint8(v);
  }

  /** The zigzag varint of a safe integer or a BigInt: what hyparquet-writer writes for an INT64. */
  appendZigZag(v: number | bigint): void {
    if (typeof v === 'bigint') this.appendVarBigInt(v >= 0n ? v * 2n : -v * 2n - 1n);
    else this.appendVarInt(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  appendVarBigInt(v: bigint): void {
    while (v >= 0x80n) {
      this.appendUint8(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.appendUint8(Number(v));
  }

  bytes(): Uint8Array {
    return this.array.subarray(0, this.offset);
  }
}
