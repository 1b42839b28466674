// Archive records drawn at random for the Parquet tests: row groups of every shape the archive meets.

import type { ArchivedRecord } from '../../../../src/archive/record.js';

export type Rnd = () => number;

const enc = new TextEncoder();

export function randomBytes(rnd: Rnd, n: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(n / 4)).map(() => Math.floor(rnd() * 2 ** 32));
  return new Uint8Array(words.buffer, 0, n);
}

/** A row group drawn at random: offsets with holes (some wider than 2^31), times in and out of order, nulls, keys few or many, values small or large. */
export function randomGroup(rnd: Rnd, n: number, firstOffset: number): ArchivedRecord[] {
  const keyNulls = rnd() < 0.5 ? 0 : rnd();
  const valueNulls = rnd() < 0.5 ? 0 : rnd() * 0.5;
  const timeNulls = [0, 0, 0.1, 1][Math.floor(rnd() * 4)]!;
  const users = [1, 40, 20_000][Math.floor(rnd() * 3)]!;
  const bigValues = rnd() < 0.15;
  const binaryKeys = rnd() < 0.2;
  const gaps = rnd() < 0.3;
  const hugeGap = rnd() < 0.1;
  const absurdTimes = rnd() < 0.1;
  const rows: ArchivedRecord[] = [];
  // Large values (pages of one or a few values) in a few rows: a page holds up to 1 MiB of values.
  if (bigValues) n = Math.min(n, 40);
  let offset = firstOffset;
  let ts = 1_732_406_400_000 + Math.floor(rnd() * 1e9);
  for (let i = 0; i < n; i++) {
    ts += absurdTimes ? Math.floor((rnd() - 0.5) * 8e15) : Math.floor((rnd() - 0.3) * 5_000);
    if (absurdTimes) ts = Math.max(-8.64e15, Math.min(8.64e15, ts));
    const user = Math.floor(rnd() * users);
    const size = bigValues ? Math.floor(rnd() ** 2 * 1_500_000) : Math.floor(rnd() * 300);
    rows.push({
      offset: BigInt(offset),
      timestamp: rnd() < 0.01 ? -1 : ts + Math.floor(rnd() * 10),
      key: rnd() < keyNulls ? null : binaryKeys ? randomBytes(rnd, 1 + Math.floor(rnd() * 40)) : enc.encode(`u${user}`),
      value: rnd() < valueNulls ? null : size < 120 ? enc.encode(JSON.stringify({ userId: `u${user}`, ts, type: 'song' }).slice(0, size)) : randomBytes(rnd, size),
      headers: [],
      eventTime: rnd() < timeNulls ? null : ts,
    });
    offset += gaps ? 1 + Math.floor(rnd() ** 3 * 50) : 1;
    if (hugeGap && rnd() < 0.01) offset += 2 ** 33;
  }
  return rows;
}

