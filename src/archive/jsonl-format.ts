// The JSONL.gz archive format: one JSON record per line, gzip members as it goes, metadata in a fixed-size last gzip member.

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

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes as a UTF-8 string when they are valid UTF-8 (lossless), else base64 with a flag. */
function encodeBytes(bytes: Uint8Array): { text: string; base64: boolean } {
  try {
    return { text: strictUtf8.decode(bytes), base64: false };
  } catch {
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), base64: true };
  }
}

function decodeBytes(text: unknown, base64: unknown, field: string): Uint8Array | null {
  if (text === null || text === undefined) return null;
  if (typeof text !== 'string') throw new Error(`'${field}' is not a string or null`);
  const buf = Buffer.from(text, base64 === true ? 'base64' : 'utf8');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** One record as one JSON line; see docs/archive.md "JSONL.gz" for the fields. */
export function recordToJsonLine(r: ArchivedRecord): string {
  const line: Record<string, unknown> = { offset: r.offset.toString(), timestamp: r.timestamp, key: null, value: null };
  if (r.key) {
    const k = encodeBytes(r.key);
    line.key = k.text;
    if (k.base64) line.keyBase64 = true;
  }
  if (r.value) {
    const v = encodeBytes(r.value);
    line.value = v.text;
    if (v.base64) line.valueBase64 = true;
  }
  line.headers = r.headers.map((h) => {
    if (h.value === null) return { key: h.key, value: null };
    const v = encodeBytes(h.value);
    return v.base64 ? { key: h.key, value: v.text, valueBase64: true } : { key: h.key, value: v.text };
  });
  line.eventTime = r.eventTime;
  return JSON.stringify(line);
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
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(fs: ArchiveFs, path: string) {
    this.channel = new ByteChannel(fs, path);
  }

  get bytesWritten(): number {
    // Pending text is counted uncompressed: a slight overestimate, so --rotate-bytes never overshoots.
    return this.channel.bytes + this.pendingBytes;
  }

  async write(records: readonly ArchivedRecord[]): Promise<void> {
    for (const r of records) {
      const line = recordToJsonLine(r);
      this.pending.push(line);
      this.pendingBytes += line.length + 1;
    }
    if (this.pendingBytes >= MEMBER_BYTES) await this.flushMember();
  }

  private async flushMember(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.pendingBytes = 0;
    const compressed = await gzipAsync(text);
    await this.channel.push(new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.byteLength));
  }

  async finish(metadata: ArchiveFileMetadata): Promise<void> {
    await this.flushMember();
    await this.channel.push(buildTrailer(metadata));
    await this.channel.close();
  }

  async abort(reason: Error): Promise<void> {
    this.pending = [];
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
