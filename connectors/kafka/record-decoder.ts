// oxbow's decoder of the records inside a Kafka record batch, put in kafkajs's place when an oxbow process starts.
//
// kafkajs decodes each record's timestamp and offset through its BigInt `Long`: the batch's first offset and timestamp,
// kept as decimal strings, are parsed again for every record, the delta added, and the sum printed back to a string;
// the timestamp's varlong is read a byte at a time through `Long`s. On a Kafka catch-up that was most of what the reader
// did per record. This decoder gives every record the same object kafkajs's gives (the same fields, values and order)
// with plain numbers wherever they are exact: the batch's bases are parsed once, a varlong of up to 7 bytes is read as a
// number, and a sum that stays a safe integer is printed with `String`. Anything else (a record with headers, a varlong
// of 8 bytes or more, a base or sum past 2^53) is handed to kafkajs's own decoder, so the answer is always kafkajs's.
//
// kafkajs hands a record's headers as an object keyed by header key, which is not the record Kafka holds: headers of
// different keys lose their order (and integer-like keys sort first), and a key's bytes are decoded as UTF-8 with
// replacement characters. Every record with headers therefore also carries, under the non-enumerable EXACT_HEADERS
// property, its headers as Kafka's log holds them: in order, each key's bytes. The archiver archives those.
//
// kafkajs loads its record decoders at the first fetch and keeps a reference, so the decoder is installed once per
// thread, before any fetch: by the `oxbow` command, a parallel job's worker process and the Kafka reader's thread. It is
// written against one kafkajs release and installs only over that one; `OXBOW_KAFKA_DECODER=kafkajs` keeps kafkajs's.
// The same install wraps kafkajs's record batch decoder so that every batch keeps its bounds (batch-bounds.ts): that
// one is not a matter of speed but of never hanging on a batch the log cleaner emptied, and is installed either way.

import { createRequire } from 'node:module';
import { getLogger } from '../../src/logger.js';
import { type BatchDecoder, withBatchBounds } from './batch-bounds.js';

const require = createRequire(import.meta.url);
const log = getLogger('kafka');

/** The kafkajs release whose record decoder this one stands in for (its record format is Kafka's record batch v2). */
export const KAFKAJS_RELEASE = '2.2.4';

/** kafkajs's protocol Decoder, as far as a record uses it. */
export interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
}

/** One header as Kafka's log holds it: the key's bytes (null for a key of length −1, which no Kafka client writes). */
export interface ExactHeader {
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * The property under which a decoded record with headers carries them as `ExactHeader[]`, in the log's order. It is
 * not enumerable, so the record still compares equal to kafkajs's; `Symbol.for`, so every copy of this module in a
 * thread names the same property.
 */
export const EXACT_HEADERS: unique symbol = Symbol.for('oxbow.kafka.exactHeaders') as never;

/** What kafkajs's record batch decoder hands each record (recordBatch/v0/decoder.js). */
export interface RecordBatchContext {
  firstOffset: string;
  firstTimestamp: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  maxTimestamp?: string;
}

export type RecordDecoder = (decoder: KafkajsDecoder, batchContext?: RecordBatchContext) => unknown;

const LOG_APPEND_TIME = 1;

/** The largest record delta (an int32 varint) added to a safe base: bases up to this stay exact. */
const SAFE_BASE = Number.MAX_SAFE_INTEGER - 2 ** 31;

function safeBase(decimal: string): number {
  const n = Number(decimal);
  return Number.isSafeInteger(n) && Math.abs(n) <= SAFE_BASE ? n : NaN;
}

/** The position of a record's header count, the record starting at `start`: past its attributes, timestamp and offset deltas, key and value. */
function headersPosition(buf: Buffer, start: number): number {
  let pos = start + 1;
  while (buf[pos++]! >= 0x80); // timestamp delta
  while (buf[pos++]! >= 0x80); // offset delta
  for (let field = 0; field < 2; field++) {
    let zigzag = 0;
    let scale = 1;
    let byte = 0x80;
    while (byte >= 0x80) {
      byte = buf[pos++]!;
      zigzag += (byte & 0x7f) * scale;
      scale *= 128;
    }
    if (zigzag % 2 === 0) pos += zigzag / 2; // a length of −1 (zigzag 1) is a null key or value
  }
  return pos;
}

/**
 * kafkajs's answer for a record, given `EXACT_HEADERS` when the record has headers. `headersAt`, when known, is the
 * position of its header count; the decoder ends where kafkajs's ends.
 */
function withExactHeaders(kafkajs: RecordDecoder, decoder: KafkajsDecoder, batchContext: RecordBatchContext, headersAt = -1): unknown {
  const start = decoder.offset;
  const record = kafkajs(decoder, batchContext) as object;
  const end = decoder.offset;
  decoder.offset = headersAt >= 0 ? headersAt : headersPosition(decoder.buffer, start);
  const count = decoder.readVarInt();
  if (count > 0) {
    const headers: ExactHeader[] = new Array(count);
    for (let i = 0; i < count; i++) headers[i] = { key: decoder.readVarIntBytes(), value: decoder.readVarIntBytes() };
    Object.defineProperty(record, EXACT_HEADERS, { value: headers });
  }
  decoder.offset = end;
  return record;
}

/**
 * A record decoder that answers as `kafkajs` does (given here, so the two can be compared): the common record (no
 * headers, its numbers exact as doubles) is decoded here, every other one by `kafkajs`, and a record with headers
 * carries them exactly under `EXACT_HEADERS` too.
 */
export function recordDecoder(kafkajs: RecordDecoder): RecordDecoder {
  // The bases of the batch last seen: a batch's records are decoded one after another with the same context object.
  let context: RecordBatchContext | null = null;
  let baseOffset = NaN;
  let baseTimestamp = NaN;
  return (decoder, batchContext = {} as RecordBatchContext) => {
    if (batchContext !== context) {
      context = batchContext;
      baseOffset = safeBase(batchContext.firstOffset);
      baseTimestamp = safeBase(batchContext.firstTimestamp);
    }
    const start = decoder.offset;
    const buf = decoder.buffer;
    let pos = start;
    const attributes = buf.readInt8(pos++);
    // The timestamp delta: a zigzag varlong, exact as a number up to 7 bytes (49 bits).
    let zigzag = 0;
    let scale = 1;
    let byte = 0x80;
    for (let i = 0; i < 7 && byte >= 0x80; i++) {
      byte = buf[pos++]!;
      zigzag += (byte & 0x7f) * scale;
      scale *= 128;
    }
    if (byte >= 0x80 || Number.isNaN(baseOffset)) return withExactHeaders(kafkajs, decoder, batchContext);
    let timestamp: string;
    if (batchContext.timestampType === LOG_APPEND_TIME && batchContext.maxTimestamp) {
      timestamp = batchContext.maxTimestamp;
    } else {
      // A NaN base (past 2^53) makes the sum NaN, which is not a safe integer either.
      const sum = baseTimestamp + (zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2);
      if (!Number.isSafeInteger(sum)) return withExactHeaders(kafkajs, decoder, batchContext);
      timestamp = String(sum);
    }
    decoder.offset = pos;
    const offsetDelta = decoder.readVarInt();
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    const headersAt = decoder.offset;
    const headerCount = decoder.readVarInt();
    if (headerCount > 0) {
      decoder.offset = start;
      return withExactHeaders(kafkajs, decoder, batchContext, headersAt);
    }
    return {
      magicByte: batchContext.magicByte,
      attributes,
      timestamp,
      offset: String(baseOffset + offsetDelta),
      key,
      value,
      headers: {},
      isControlRecord: batchContext.isControlBatch === undefined ? false : batchContext.isControlBatch,
      batchContext,
    };
  };
}

/** What `installKafkaDecoding` put in place in this thread. */
export interface KafkaDecoding {
  /** oxbow's record decoder decodes records (else kafkajs's). */
  records: boolean;
  /** Record batches carry their bounds (connectors/kafka/batch-bounds.ts). */
  batchBounds: boolean;
}

let installed: KafkaDecoding | null = null;

/**
 * Puts oxbow's decoding in kafkajs's place in this thread, before kafkajs has decoded a record batch: every batch keeps
 * its bounds (batch-bounds.ts), and records are decoded by oxbow's record decoder. The record decoder stays out (and
 * kafkajs decodes records) under `OXBOW_KAFKA_DECODER=kafkajs` or over a kafkajs release other than KAFKAJS_RELEASE;
 * neither is put in place once kafkajs has loaded its record batch decoder.
 */
export function installKafkaDecoding(): KafkaDecoding {
  if (installed !== null) return installed;
  installed = { records: false, batchBounds: false };
  const batchFile = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');
  const recordFile = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
  if (require.cache[batchFile] !== undefined) {
    log.debug('kafkajs decodes record batches: its record batch decoder was loaded before oxbow\'s decoding could be installed');
    return installed;
  }
  const release = (require('kafkajs/package.json') as { version: string }).version;
  if (process.env.OXBOW_KAFKA_DECODER === 'kafkajs') {
    log.debug('kafkajs decodes records: OXBOW_KAFKA_DECODER=kafkajs');
  } else if (release !== KAFKAJS_RELEASE) {
    log.debug('kafkajs decodes records: oxbow\'s record decoder is written for another release', { kafkajs: release, written_for: KAFKAJS_RELEASE });
  } else {
    // Before the batch decoder is loaded: it takes the record decoder when it loads.
    const kafkajs = require(recordFile) as RecordDecoder;
    require.cache[recordFile]!.exports = recordDecoder(kafkajs);
    installed.records = true;
  }
  const decodeBatch = require(batchFile) as BatchDecoder;
  require.cache[batchFile]!.exports = withBatchBounds(decodeBatch);
  installed.batchBounds = true;
  return installed;
}
