// The JSONL.gz archive format: one JSON record per line, gzip members as it goes, metadata in a fixed-size last gzip member.

import { isUtf8 } from 'node:buffer';
import { promisify } from 'node:util';
import { createGunzip, deflateRawSync, gzip } from 'node:zlib';
import type { ArchiveFs } from '../archive-fs.js';
import { CorruptFileError, OxbowError } from '../errors.js';
import { ByteChannel } from './byte-channel.js';
import {
  type ArchivedHeader, type ArchivedRecord, type ArchiveFileMetadata, type ArchiveFileWriter, type ArchiveFormat,
  metadataFromJson, metadataToJson,
} from './record.js';

const gzipAsync = promisify(gzip);

/** Uncompressed bytes gathered before one gzip member is written: large enough to compress well, small enough to bound memory. */
const MEMBER_BYTES = 1 << 20;
/** Records per batch handed to readers. */
const READ_BATCH = 10_000;
/** Bytes per range read while streaming a file back. */
const READ_CHUNK = 8 << 20;

/**
 * The trailer is a complete, empty gzip member whose FEXTRA field (subfield id `OX`) holds the metadata JSON, padded with
 * spaces to a fixed size. Every gzip tool reads the file as if it were not there; oxbow finds it with one range read of the tail.
 */
const TRAILER_JSON_BYTES = 1024;
const EMPTY_DEFLATE = new Uint8Array(deflateRawSync(Buffer.alloc(0)));
const TRAILER_BYTES = 10 + 2 + 4 + TRAILER_JSON_BYTES + EMPTY_DEFLATE.byteLength + 8;

function buildTrailer(metadata: ArchiveFileMetadata): Uint8Array {
  const json = Buffer.from(JSON.stringify(metadataToJson(metadata)), 'utf8');
  if (json.byteLength > TRAILER_JSON_BYTES) throw new Error(`metadata of ${json.byteLength} bytes does not fit the ${TRAILER_JSON_BYTES}-byte trailer`);
  const out = Buffer.alloc(TRAILER_BYTES, 0x20);
  let i = 0;
  out.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255], 0); // magic, deflate, FLG=FEXTRA, MTIME=0, XFL=0, OS=unknown
  i = 10;
  out.writeUInt16LE(4 + TRAILER_JSON_BYTES, i); i += 2;
  out.set([0x4f, 0x58], i); i += 2; // 'O','X'
  out.writeUInt16LE(TRAILER_JSON_BYTES, i); i += 2;
  out.set(json, i); i += TRAILER_JSON_BYTES;
  out.set(EMPTY_DEFLATE, i); i += EMPTY_DEFLATE.byteLength;
  out.writeUInt32LE(0, i); out.writeUInt32LE(0, i + 4); // CRC32 and size of no data
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function parseTrailer(path: string, bytes: Uint8Array): ArchiveFileMetadata {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.byteLength !== TRAILER_BYTES || b[0] !== 0x1f || b[1] !== 0x8b || b[3] !== 4 || b[12] !== 0x4f || b[13] !== 0x58) {
    throw new CorruptFileError(path, `${path}: no oxbow metadata trailer at the end of the JSONL.gz file (truncated, or not written by oxbow)`);
  }
  const text = b.subarray(16, 16 + TRAILER_JSON_BYTES).toString('utf8').trimEnd();
  try {
    const metadata = metadataFromJson(JSON.parse(text));
    if (metadata.format !== 'jsonl.gz') throw new Error(`format is ${metadata.format}`);
    return metadata;
  } catch (err) {
    throw new CorruptFileError(path, `${path}: bad metadata trailer: ${(err as Error).message}`, { cause: err });
  }
}

/** Bytes as a UTF-8 string when they are valid UTF-8 (lossless), else base64 with a flag (header values). */
function encodeBytes(bytes: Uint8Array): { text: string; base64: boolean } {
  return isUtf8(bytes)
    ? { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), base64: false }
    : { text: base64Of(bytes), base64: true };
}

function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function decodeBytes(text: unknown, base64: unknown, field: string): Uint8Array | null {
  if (text === null || text === undefined) return null;
  if (typeof text !== 'string') throw new Error(`'${field}' is not a string or null`);
  const buf = Buffer.from(text, base64 === true ? 'base64' : 'utf8');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The headers as their JSON array (docs/archive.md "JSONL.gz"); most records have none. */
function headersJson(headers: readonly ArchivedHeader[]): string {
  if (headers.length === 0) return '[]';
  return JSON.stringify(headers.map((h) => {
    if (h.value === null) return { key: h.key, value: null };
    const v = encodeBytes(h.value);
    return v.base64 ? { key: h.key, value: v.text, valueBase64: true } : { key: h.key, value: v.text };
  }));
}

/** A finite number as JSON writes it (JSON has no NaN or Infinity: null, as JSON.stringify gives). */
const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/** JSON.stringify's escape of each byte below 0x80 that needs one (`"`, `\\`, below 0x20), as bytes; empty for the others. */
const ESCAPES: Uint8Array[] = Array.from({ length: 0x80 }, (_, b) => {
  const short: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };
  const text = short[b] ?? (b < 0x20 ? `\\u00${b.toString(16).padStart(2, '0')}` : '');
  return new Uint8Array(Buffer.from(text, 'latin1'));
});
/** 1 for the bytes ESCAPES rewrites: the copy loop tests one typed-array entry per byte. */
const ESCAPED = Uint8Array.from({ length: 0x100 }, (_, b) => (b < 0x80 && ESCAPES[b]!.length > 0 ? 1 : 0));

/**
 * Writes records as JSON lines straight into bytes: the line JSON.stringify makes of the record's JSON object (docs/
 * archive.md "JSONL.gz"), byte for byte, without a string per value, an object per line or a string per line. Valid
 * UTF-8 keys and values are copied with JSON's escapes applied to their bytes (valid UTF-8 holds no lone surrogate,
 * the only other thing JSON.stringify escapes); others are written as base64. Over 1M music events this took the
 * archiver's line making from 2.2 s to 1.1 s of its thread's CPU (docs/archive.md, "Benchmark").
 */
export class JsonLineEncoder {
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Bytes written since the last take(). */
  get length(): number {
    return this.pos;
  }

  /** The lines written so far; the encoder starts a new buffer (the bytes returned are the caller's). */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(Math.max(this.capacity, this.pos));
    this.pos = 0;
    return out;
  }

  /** Appends one record's line and its newline. */
  append(r: ArchivedRecord): void {
    const keyB64 = r.key !== null && !isUtf8(r.key) ? base64Of(r.key) : null;
    const valueB64 = r.value !== null && !isUtf8(r.value) ? base64Of(r.value) : null;
    const headers = headersJson(r.headers);
    // Bound: every byte escaped as \u00XX, plus the fixed text and the numbers.
    this.ensure(160 + 6 * ((r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0)) + (keyB64?.length ?? 0) + (valueB64?.length ?? 0) + 3 * headers.length);
    this.ascii('{"offset":"');
    const offset = Number(r.offset);
    if (Number.isSafeInteger(offset) && offset >= 0) this.digits(offset);
    else this.ascii(r.offset.toString());
    this.ascii('","timestamp":');
    this.number(r.timestamp);
    this.ascii(',"key":');
    if (keyB64 !== null) this.quotedAscii(keyB64);
    else if (r.key === null) this.ascii('null');
    else this.quotedBytes(r.key);
    this.ascii(',"value":');
    if (valueB64 !== null) this.quotedAscii(valueB64);
    else if (r.value === null) this.ascii('null');
    else this.quotedBytes(r.value);
    // The flags follow the value: JSON.stringify lists an object's fields in the order they were added.
    if (keyB64 !== null) this.ascii(',"keyBase64":true');
    if (valueB64 !== null) this.ascii(',"valueBase64":true');
    this.ascii(',"headers":');
    if (headers === '[]') this.ascii(headers);
    else this.pos += this.buf.write(headers, this.pos, 'utf8');
    this.ascii(',"eventTime":');
    if (r.eventTime === null) this.ascii('null');
    else this.number(r.eventTime);
    this.buf[this.pos++] = 0x7d; // }
    this.buf[this.pos++] = 0x0a; // newline
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.byteLength) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.byteLength, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** A number as JSON.stringify writes it; a safe integer of 0 or more without making a string. */
  private number(n: number): void {
    if (Number.isSafeInteger(n) && n >= 0) this.digits(n);
    else this.ascii(jsonNumber(n));
  }

  /** The decimal digits of a safe integer of 0 or more, in two parts below 10^8 so that the digits come from int32 arithmetic. */
  private digits(n: number): void {
    if (n < 1e8) {
      this.uint(n, 0);
      return;
    }
    const high = Math.floor(n / 1e8);
    this.uint(high, 0);
    this.uint(n - high * 1e8, 8);
  }

  /** `v` (below 10^8) with at least `width` digits, zeros in front. */
  private uint(v: number, width: number): void {
    let length = v < 1e4 ? (v < 10 ? 1 : v < 100 ? 2 : v < 1e3 ? 3 : 4) : v < 1e6 ? (v < 1e5 ? 5 : 6) : v < 1e7 ? 7 : 8;
    if (length < width) length = width;
    const buf = this.buf;
    let at = this.pos + length - 1;
    this.pos += length;
    for (let i = 0; i < length; i++) {
      const q = (v / 10) | 0;
      buf[at--] = 0x30 + v - q * 10;
      v = q;
    }
  }

  /** A string of ASCII characters (field names, base64, numbers that are not safe integers). */
  private ascii(text: string): void {
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
    this.pos = pos;
  }

  private quotedAscii(text: string): void {
    this.buf[this.pos++] = 0x22;
    this.ascii(text);
    this.buf[this.pos++] = 0x22;
  }

  /** Valid UTF-8 as a JSON string: `"`, `\` and bytes below 0x20 escaped, all other bytes copied. */
  private quotedBytes(bytes: Uint8Array): void {
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = 0x22;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (ESCAPED[b] === 0) {
        buf[pos++] = b;
      } else {
        const escape = ESCAPES[b]!;
        for (let j = 0; j < escape.length; j++) buf[pos++] = escape[j]!;
      }
    }
    buf[pos++] = 0x22;
    this.pos = pos;
  }
}

/** One record as one JSON line (without its newline); see docs/archive.md "JSONL.gz" for the fields. */
export function recordToJsonLine(r: ArchivedRecord): string {
  const encoder = new JsonLineEncoder(256);
  encoder.append(r);
  const bytes = encoder.take();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength - 1).toString('utf8');
}

export function recordFromJsonLine(text: string): ArchivedRecord {
  const o = JSON.parse(text) as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) throw new Error('line is not a JSON object');
  if (typeof o.offset !== 'string' || !/^\d+$/.test(o.offset)) throw new Error(`'offset' is not a decimal string`);
  if (typeof o.timestamp !== 'number') throw new Error(`'timestamp' is not a number`);
  if (!Array.isArray(o.headers)) throw new Error(`'headers' is not an array`);
  const headers: ArchivedHeader[] = o.headers.map((h: unknown) => {
    const hh = h as Record<string, unknown>;
    if (typeof hh?.key !== 'string') throw new Error(`a header has no string 'key'`);
    return { key: hh.key, value: decodeBytes(hh.value, hh.valueBase64, 'headers.value') };
  });
  const eventTime = o.eventTime;
  if (eventTime !== null && eventTime !== undefined && typeof eventTime !== 'number') throw new Error(`'eventTime' is not a number or null`);
  return {
    offset: BigInt(o.offset), timestamp: o.timestamp,
    key: decodeBytes(o.key, o.keyBase64, 'key'), value: decodeBytes(o.value, o.valueBase64, 'value'),
    headers, eventTime: (eventTime as number | null | undefined) ?? null,
  };
}

class JsonlWriter implements ArchiveFileWriter {
  private readonly channel: ByteChannel;
  private readonly lines = new JsonLineEncoder(MEMBER_BYTES + (MEMBER_BYTES >> 3));
  /**
   * The member being compressed (on zlib's thread pool) and pushed while the next one fills: at most one, so memory
   * stays at two members. Its failure surfaces at the next flush or at finish().
   */
  private inFlight: Promise<void> | null = null;
  private inFlightBytes = 0;

  constructor(fs: ArchiveFs, path: string) {
    this.channel = new ByteChannel(fs, path);
  }

  get bytesWritten(): number {
    // Lines not yet compressed are counted uncompressed: a slight overestimate, so --rotate-bytes never overshoots.
    return this.channel.bytes + this.inFlightBytes + this.lines.length;
  }

  async write(records: readonly ArchivedRecord[]): Promise<void> {
    for (const r of records) this.lines.append(r);
    if (this.lines.length >= MEMBER_BYTES) await this.flushMember();
  }

  /** Hands the lines written so far to gzip as one member, after the member before it has reached the channel. */
  private async flushMember(): Promise<void> {
    await this.settle();
    if (this.lines.length === 0) return;
    this.inFlightBytes = this.lines.length;
    const compressing = gzipAsync(this.lines.take());
    const pushed = compressing.then((c) => this.channel.push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength)));
    // Observed by the next settle(); until then Node must not report it as unhandled.
    pushed.catch(() => {});
    this.inFlight = pushed;
  }

  /** Waits for the member in flight; its error is this writer's. */
  private async settle(): Promise<void> {
    const pending = this.inFlight;
    if (!pending) return;
    this.inFlight = null;
    try {
      await pending;
    } finally {
      this.inFlightBytes = 0;
    }
  }

  async finish(metadata: ArchiveFileMetadata): Promise<void> {
    await this.flushMember();
    await this.settle();
    await this.channel.push(buildTrailer(metadata));
    await this.channel.close();
  }

  async abort(reason: Error): Promise<void> {
    this.lines.take();
    await this.settle().catch(() => {});
    await this.channel.fail(reason);
  }
}

async function* rangeChunks(fs: ArchiveFs, path: string, length: number): AsyncIterable<Uint8Array> {
  for (let start = 0; start < length; start += READ_CHUNK) {
    yield await fs.readRange(path, start, Math.min(length, start + READ_CHUNK));
  }
}

/** The file's size: the one the caller knows, else the storage's answer. */
async function sizeOf(fs: ArchiveFs, path: string, known: number | undefined): Promise<number> {
  if (known !== undefined) return known;
  const status = await fs.stat(path);
  if (!status) throw new CorruptFileError(path, `${path}: the archive file does not exist`);
  return status.length;
}

async function* readJsonlBatches(fs: ArchiveFs, path: string, length?: number): AsyncIterable<ArchivedRecord[]> {
  const gunzip = createGunzip();
  const source = rangeChunks(fs, path, await sizeOf(fs, path, length));
  // Feed the compressed ranges in the background; errors surface through the gunzip stream.
  void (async () => {
    try {
      for await (const chunk of source) {
        if (!gunzip.write(chunk)) await new Promise<void>((resolve) => gunzip.once('drain', resolve));
      }
      gunzip.end();
    } catch (err) {
      gunzip.destroy(err as Error);
    }
  })();
  let rest = '';
  let batch: ArchivedRecord[] = [];
  let lineNo = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        lineNo++;
        if (line.length === 0) continue;
        try {
          batch.push(recordFromJsonLine(line));
        } catch (err) {
          throw new CorruptFileError(path, `${path}: line ${lineNo} is not an archived record: ${(err as Error).message}`, { cause: err });
        }
        if (batch.length >= READ_BATCH) {
          yield batch;
          batch = [];
        }
      }
    }
  } catch (err) {
    // Storage errors (connection, not found) keep their class so callers can retry; only zlib's errors mean bad bytes.
    if (err instanceof OxbowError) throw err;
    throw new CorruptFileError(path, `${path}: cannot decompress: ${(err as Error).message}`, { cause: err });
  }
  if (rest.length > 0) throw new CorruptFileError(path, `${path}: the last line is cut off (truncated file)`);
  if (batch.length > 0) yield batch;
}

export const jsonlGzFormat: ArchiveFormat = {
  name: 'jsonl.gz',
  extension: 'jsonl.gz',
  createWriter: (fs, path) => new JsonlWriter(fs, path),
  readBatches: readJsonlBatches,
  async readMetadata(fs, path, length) {
    const size = await sizeOf(fs, path, length);
    if (size < TRAILER_BYTES) throw new CorruptFileError(path, `${path}: ${size} bytes is too short for an oxbow JSONL.gz file`);
    return parseTrailer(path, await fs.readRange(path, size - TRAILER_BYTES, size));
  },
};
