// A source record whose key and value lie in one array shared by its batch: no view, no BigInt per record until asked.

import type { SourceRecord } from './types.js';

/**
 * One record of a batch packed into shared arrays (the Kafka reader's thread sends batches so). The key and value are
 * `bytes[keyStart..keyEnd)` and `bytes[valueStart..valueEnd)` (an end of −1: null); `key`, `value` and `offset` are made
 * when first read, and a decoder that scans reads the value in place (`valueStart`, `valueEnd`) without a view. A view
 * and a BigInt per record were most of the garbage of a Kafka catch-up's job thread.
 */
export class PackedRecord implements SourceRecord {
  constructor(
    /** The batch's offsets: exact doubles below 2^53, else BigInts. */
    private readonly offsets: Float64Array | BigInt64Array,
    private readonly index: number,
    readonly timestamp: number,
    readonly bytes: Uint8Array,
    private readonly keyStart: number,
    private readonly keyEnd: number,
    readonly valueStart: number,
    readonly valueEnd: number,
  ) {}

  get offset(): bigint {
    const o = this.offsets[this.index]!;
    return typeof o === 'bigint' ? o : BigInt(o);
  }

  get key(): Uint8Array | null {
    return this.keyEnd < 0 ? null : this.bytes.subarray(this.keyStart, this.keyEnd);
  }

  get value(): Uint8Array | null {
    return this.valueEnd < 0 ? null : this.bytes.subarray(this.valueStart, this.valueEnd);
  }

  /** Kafka records carry no stored event time. */
  get eventTime(): null {
    return null;
  }
}
