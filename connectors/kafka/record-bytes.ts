// Record keys, values and headers as kafkajs hands them (Buffers, sometimes strings) become the Uint8Arrays oxbow passes
// on, without copying: per-record copies were most of the garbage of reading Kafka. Its offsets and timestamps, decimal
// strings, become numbers.

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

/**
 * The number a decimal string of kafkajs (an offset, a timestamp) holds: digits read in place, which is about half the
 * cost of Number() on the strings kafkajs builds; anything else (a sign, 16 digits or more) is left to Number().
 */
export function decimal(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return Number(s);
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return Number(s);
    v = v * 10 + d;
  }
  return v;
}
