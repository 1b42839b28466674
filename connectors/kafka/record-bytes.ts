// Record keys, values and headers as kafkajs hands them (Buffers, sometimes strings) become the Uint8Arrays oxbow passes
// on, without copying: per-record copies were most of the garbage of reading Kafka.

const encoder = new TextEncoder();

/** A view onto kafkajs's buffer, not a copy: the buffer is the record's own slice and lives as long as the record does. */
export function toBytes(v: Buffer | string | null | undefined): Uint8Array | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? encoder.encode(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
