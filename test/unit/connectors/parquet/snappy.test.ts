// oxbow's Snappy compressor against hyparquet-writer's (the oracle: its bytes must be the same) and hyparquet's
// decompressor (the bytes must come back).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snappyUncompress } from 'hyparquet';
import { snappyCompress as theirs } from 'hyparquet-writer/src/snappy.js';
import { snappyCompress, snappyCompressReused } from '../../../../connectors/parquet/snappy.js';
import { mulberry32 } from '../../../../src/gen/prng.js';

function check(input: Uint8Array, what: string): void {
  const ours = snappyCompress(input);
  assert.deepEqual(Buffer.from(ours), Buffer.from(theirs(input)), `${what}: not hyparquet-writer's bytes`);
  const back = new Uint8Array(input.length);
  snappyUncompress(ours, back);
  assert.deepEqual(Buffer.from(back), Buffer.from(input), `${what}: does not decompress to the input`);
}

test('short inputs around the literal-only margin, and empty input', () => {
  const rnd = mulberry32(1);
  for (let n = 0; n <= 70; n++) {
    check(new Uint8Array(n).map(() => Math.floor(rnd() * 3)), `${n} bytes of 3 symbols`);
    check(new Uint8Array(n), `${n} zero bytes`);
  }
});

test('pages like the archive writes: music events, offsets, long runs, incompressible bytes', () => {
  const events = Buffer.from(Array.from({ length: 10_000 }, (_, i) =>
    '\0\0\0\0' + JSON.stringify({ userId: `u${i % 20_000}`, ts: 1_732_406_400_000 + i * 250, type: 'song', songId: `s${i % 5000}`, playlistId: `pl${i % 40}` })).join(''));
  check(new Uint8Array(events), 'a page of 10,000 music events');
  // Runs longer than 68 bytes take several copies; a literal past 2^16 bytes takes the 3- and 4-byte length forms.
  check(new Uint8Array(300_000).fill(7), '300,000 equal bytes');
  const rnd = mulberry32(2);
  check(new Uint8Array(200_000).map(() => Math.floor(rnd() * 256)), '200,000 random bytes');
  const far = new Uint8Array(140_000).map(() => Math.floor(rnd() * 256));
  far.copyWithin(100_000, 0, 20_000); // a repeat further back than a copy can reach
  check(far, 'a repeat 100,000 bytes back');
});

test('random inputs of every shape match hyparquet-writer byte for byte', () => {
  const rnd = mulberry32(3);
  for (let k = 0; k < 600; k++) {
    const n = Math.floor(rnd() ** 3 * 150_000);
    const alphabet = 1 + Math.floor(rnd() * 255);
    const repeat = rnd();
    const input = new Uint8Array(n);
    for (let i = 0; i < n; i++) input[i] = i > 8 && rnd() < repeat ? input[i - 1 - Math.floor(rnd() * 8)]! : Math.floor(rnd() * alphabet);
    check(input, `input ${k} (${n} bytes, ${alphabet} symbols)`);
  }
});

test('the reused output array gives the same bytes, for pages growing, shrinking and past its 2 MiB limit', () => {
  const rnd = mulberry32(4);
  for (const n of [10, 70_000, 1_500_000, 30, 3_000_000, 1_000_000, 0, 2_000_000]) {
    const input = new Uint8Array(n);
    for (let i = 0; i < n; i++) input[i] = i > 8 && rnd() < 0.7 ? input[i - 1 - Math.floor(rnd() * 8)]! : Math.floor(rnd() * 40);
    const ours = snappyCompressReused(input);
    assert.deepEqual(Buffer.from(ours), Buffer.from(theirs(input)), `${n} bytes: not hyparquet-writer's bytes`);
  }
});
