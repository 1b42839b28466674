// Source records whose value lies in an array shared with other records: no view per record until asked, and a decoder
// that scans reads the value in place. A view and a BigInt per record were most of the garbage of a job's thread.

import type { SourceRecord } from './types.js';

/**
 * A record whose value is `bytes[valueStart..valueEnd)` (an end of −1: null) of an array it shares with its batch. A
 * decoder that scans reads it there (`valueStart`, `valueEnd`); `value` makes a view when first read.
 */
export abstract class InPlaceRecord implements SourceRecord {
  constructor(
    readonly timestamp: number,
    readonly bytes: Uint8Array,
    readonly valueStart: number,
    readonly valueEnd: number,
  ) {}

  abstract readonly offset: bigint;
  abstract readonly key: Uint8Array | null;
  abstract readonly eventTime: number | null;

  get value(): Uint8Array | null {
    return this.valueEnd < 0 ? null : this.bytes.subarray(this.valueStart, this.valueEnd);
  }
}

/**
 * One record of a Kafka batch packed into shared arrays (the Kafka reader's thread sends batches so). The key is
 * `bytes[keyStart..keyEnd)` too; `key` and `offset` are made when first read.
 */
export class PackedRecord extends InPlaceRecord {
  constructor(
    /** The batch's offsets: exact doubles below 2^53, else BigInts. */
    private readonly offsets: Float64Array | BigInt64Array,
    private readonly index: number,
    timestamp: number,
    bytes: Uint8Array,
    private readonly keyStart: number,
    private readonly keyEnd: number,
    valueStart: number,
    valueEnd: number,
  ) {
    super(timestamp, bytes, valueStart, valueEnd);
  }

  get offset(): bigint {
    const o = this.offsets[this.index]!;
    return typeof o === 'bigint' ? o : BigInt(o);
  }

  get key(): Uint8Array | null {
    return this.keyEnd < 0 ? null : this.bytes.subarray(this.keyStart, this.keyEnd);
  }

  /** Kafka records carry no stored event time. */
  get eventTime(): null {
    return null;
  }
}

/**
 * One record of an archive file's row group as the archive's column reader decodes it (connectors/parquet): its value
 * in place in its page's bytes, its key in its own page's or dictionary's (`keyBytes[keyStart..keyEnd)`).
 */
export class ColumnRecord extends InPlaceRecord {
  constructor(
    readonly offset: bigint,
    timestamp: number,
    readonly eventTime: number | null,
    private readonly keyBytes: Uint8Array,
    private readonly keyStart: number,
    private readonly keyEnd: number,
    bytes: Uint8Array,
    valueStart: number,
    valueEnd: number,
  ) {
    super(timestamp, bytes, valueStart, valueEnd);
  }

  get key(): Uint8Array | null {
    return this.keyEnd < 0 ? null : this.keyBytes.subarray(this.keyStart, this.keyEnd);
  }
}
