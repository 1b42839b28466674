// Record keys, values and headers as kafkajs hands them (Buffers, sometimes strings) become the Uint8Arrays oxbow passes
// on, without copying: per-record copies were most of the garbage of reading Kafka.

const encoder = new TextEncoder();

/**
 * kafkajs's own Buffer (a Uint8Array: the record's slice of the fetch), not a copy and not even a new view: a view per
 * key and value was two objects per record for the collector (catch-up about 7 % slower; tools/bench/RESULTS.md).
 * Like a view, it keeps the fetch's buffer alive while the record is held, and its bytes are only read (a Buffer's
 * `slice` would share them where a Uint8Array's copies; oxbow slices no record bytes).
 */
export function toBytes(v: Buffer | string | null | undefined): Uint8Array | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? encoder.encode(v) : v;
}
