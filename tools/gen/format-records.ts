// The records every archive-format sample holds: text and binary keys and values, nulls, repeated and null headers, an
// offset hole, an offset above 2^53, a record without event time. Written by each format version's own writer.

import type { ArchivedRecord } from '../../src/archive/record.js';

const text = (s: string) => new TextEncoder().encode(s);

export const FORMAT_SAMPLE = { topic: 'listens', partition: 3, nextOffset: 9007199254740995n };

export function formatSampleRecords(): ArchivedRecord[] {
  return [
    { offset: 0n, timestamp: 1732406400000, key: text('u1'), value: text('{"userId":"u1","ts":1732406400000}'), headers: [{ key: 'trace', value: text('abc') }], eventTime: 1732406400000 },
    { offset: 1n, timestamp: 1732406400050, key: null, value: null, headers: [], eventTime: null },
    { offset: 5n, timestamp: 1732406400100, key: new Uint8Array([0xff, 0x00, 0x10]), value: new Uint8Array([0xc3, 0x28]), headers: [{ key: 'k', value: null }, { key: 'k', value: text('v2') }], eventTime: 1732406400123 },
    { offset: 9007199254740993n, timestamp: 1732406401000, key: text('u2'), value: text('{"userId":"u2","ts":"2024-11-24T00:00:01Z"}'), headers: [], eventTime: 1732406401000 },
  ];
}

/** A record as the expected JSON of a sample holds it: offsets as decimal strings, bytes as base64. */
export function recordJson(r: ArchivedRecord): Record<string, unknown> {
  const b64 = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('base64'));
  return {
    offset: r.offset.toString(), timestamp: r.timestamp, key: b64(r.key), value: b64(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: b64(h.value) })), eventTime: r.eventTime,
  };
}
