// Test records covering the awkward cases: null key/value, binary (non-UTF-8) bytes, headers, missing event time, offset holes.

import type { ArchivedRecord } from '../../../src/archive/record.js';

const enc = new TextEncoder();

export function sampleRecords(first: bigint, count: number, step = 1n): ArchivedRecord[] {
  const out: ArchivedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const offset = first + BigInt(i) * step;
    const ts = 1_732_406_400_000 + i * 1000;
    out.push({
      offset,
      timestamp: ts + 5,
      key: i % 7 === 3 ? null : enc.encode(`u${i % 13}`),
      value: i % 11 === 5 ? null : i % 5 === 2 ? new Uint8Array([0xff, 0x00, 0xfe, i & 0xff]) : enc.encode(JSON.stringify({ userId: `u${i % 13}`, ts, type: 'song' })),
      headers: i % 4 === 0 ? [] : [{ key: 'h', value: enc.encode('v' + i) }, { key: 'bin', value: new Uint8Array([0xc3, 0x28]) }, { key: 'nil', value: null }],
      eventTime: i % 9 === 4 ? null : ts,
    });
  }
  return out;
}
