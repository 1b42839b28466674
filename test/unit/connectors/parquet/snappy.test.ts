// oxbow's Snappy compressor against hyparquet-writer's (the oracle: its bytes must be the same) and hyparquet's
// decompressor (the bytes must come back); oxbow's decompressor against hyparquet's (the same bytes back, and never an
// answer where hyparquet's refuses).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snappyUncompress as hyparquetUncompress } from 'hyparquet';
import { snappyCompress as theirs } from 'hyparquet-writer/src/snappy.js';
import { snappyCompress, snappyCompressReused, snappyUncompress } from '../../../../connectors/parquet/snappy.js';
import { mulberry32 } from '../../../../src/gen/prng.js';

function check(input: Uint8Array, what: string): void {
  const ours = snappyCompress(input);
  assert.deepEqual(Buffer.from(ours), Buffer.from(theirs(input)), `${what}: not hyparquet-writer's bytes`);
  const back = new Uint8Array(input.length);
  hyparquetUncompress(ours, back);
  assert.deepEqual(Buffer.from(back), Buffer.from(input), `${what}: does not decompress to the input`);
  assert.deepEqual(Buffer.from(snappyUncompress(ours, input.length)), Buffer.from(input), `${what}: oxbow's decompressor does not give the input back`);
}

/** hyparquet's decompressor's answer, or the Error it throws. */
function hyparquetAnswer(input: Uint8Array, length: number): Uint8Array | Error {
  try {
    const out = new Uint8Array(length);
    hyparquetUncompress(input, out);
    return out;
  } catch (err) {
    return err as Error;
  }
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

test('an input that is a view into a larger array reads its own bytes only', () => {
  const rnd = mulberry32(5);
  const around = new Uint8Array(300_000).map(() => Math.floor(rnd() * 4));
  for (const [start, n] of [[0, 100_000], [3, 70_001], [150_001, 149_999], [299_990, 10], [7, 15]] as const) {
    check(around.subarray(start, start + n), `${n} bytes from ${start} of a larger array`);
  }
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

test('a damaged page: the decompressor gives what hyparquet\'s gives, or refuses; never an answer where hyparquet\'s refuses', () => {
  const rnd = mulberry32(6);
  const page = new Uint8Array(Buffer.from(Array.from({ length: 300 }, (_, i) => JSON.stringify({ userId: `u${i % 7}`, ts: i * 250, songId: `s${i % 50}` })).join('')));
  const good = snappyCompress(page).slice();
  let refused = 0;
  let answered = 0;
  for (let k = 0; k < 4000; k++) {
    const bad = good.slice(0, k % 5 === 0 ? Math.floor(rnd() * good.length) : good.length);
    for (let m = 1 + Math.floor(rnd() * 3); m > 0 && bad.length > 0; m--) bad[Math.floor(rnd() * bad.length)] = Math.floor(rnd() * 256);
    const length = k % 7 === 0 ? page.length + Math.floor(rnd() * 40) - 20 : page.length;
    const theirs = hyparquetAnswer(bad, length);
    let ours: Uint8Array | Error;
    try {
      ours = snappyUncompress(bad, length);
    } catch (err) {
      ours = err as Error;
    }
    if (ours instanceof Error) {
      refused++;
      continue;
    }
    answered++;
    assert.ok(!(theirs instanceof Error), `damaged page ${k}: answered where hyparquet's refuses (${theirs instanceof Error ? theirs.message : ''})`);
    assert.deepEqual(Buffer.from(ours), Buffer.from(theirs), `damaged page ${k}: not hyparquet's bytes`);
  }
  // Both outcomes occur, or the test proves nothing.
  assert.ok(refused > 100 && answered > 100, `refused ${refused}, answered ${answered}`);
});

test('the forms no oxbow writer makes: a 4-byte offset, literal lengths of 2 to 4 bytes, a run copied over itself', () => {
  const lit = (bytes: number[]): number[] => [(bytes.length - 1) << 2, ...bytes];
  const text = Array.from({ length: 20 }, (_, i) => 65 + i);
  // 20 literal bytes; a 4-byte-offset copy of 10 from 20 back; a 2-byte-offset copy of 30 from 1 back (a run).
  const stream = [50, ...lit(text), 3 + (9 << 2), 20, 0, 0, 0, 2 + (29 << 2), 1, 0];
  const expected = [...text, ...text.slice(0, 10), ...new Array<number>(30).fill(text[9]!)];
  // Literal lengths in the 1-, 2-, 3- and 4-byte forms (tags 60 to 63).
  for (const [tag, bytes] of [[60, [9]], [61, [9, 0]], [62, [9, 0, 0]], [63, [9, 0, 0, 0]]] as const) {
    const body = Array.from({ length: 10 }, (_, i) => 97 + i);
    const input = new Uint8Array([10, tag << 2, ...bytes, ...body]);
    assert.deepEqual(Buffer.from(snappyUncompress(input, 10)), Buffer.from(body), `literal tag ${tag}`);
    assert.deepEqual(hyparquetAnswer(input, 10), new Uint8Array(body), `literal tag ${tag} (hyparquet)`);
  }
  const input = new Uint8Array(stream);
  assert.deepEqual(Buffer.from(snappyUncompress(input, expected.length)), Buffer.from(expected));
  assert.deepEqual(hyparquetAnswer(input, expected.length), new Uint8Array(expected));
  assert.throws(() => snappyUncompress(input, expected.length - 1), /longer than its header/);
  assert.throws(() => snappyUncompress(input, expected.length + 1), /premature end/);
});
