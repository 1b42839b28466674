// oxbow's Kafka record decoder answers as kafkajs's own: every record, encoded by kafkajs's encoder, decodes to the same
// object (fields, values, order) and leaves the decoder at the same position, whether oxbow decodes it or hands it on.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXACT_HEADERS, type ExactHeader, installKafkaDecoding, type KafkajsDecoder, type RecordBatchContext, recordDecoder, type RecordDecoder } from '../../../../connectors/kafka/record-decoder.js';
import { mulberry32 } from '../../../../src/gen/prng.js';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkajsDecoder;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: bigint | string | number): unknown };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => Encoded;
const recordFile = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
// kafkajs's own, taken before anything is installed in this process.
const kafkajsDecoder = require(recordFile) as RecordDecoder;

interface RecordSpec {
  offsetDelta: number;
  timestampDelta: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | string>;
}

/** The record's bytes as a record batch holds them (its length first), read as the batch decoder reads them. */
function recordBytes(r: RecordSpec): Buffer {
  const encoded = encodeRecord({ ...r, timestampDelta: Long.fromValue(r.timestampDelta) }).buffer;
  return new Decoder(encoded).readVarIntBytes()!;
}

function decodeBoth(ours: RecordDecoder, bytes: Buffer, context: RecordBatchContext): void {
  const a = new Decoder(bytes);
  const b = new Decoder(bytes);
  const expected = kafkajsDecoder(a, context);
  const got = ours(b, context);
  assert.deepStrictEqual(got, expected);
  assert.deepStrictEqual(Object.keys(got as object), Object.keys(expected as object));
  assert.equal(b.offset, a.offset);
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const BASE_OFFSETS = ['0', '1', '4096', '123456789012', String(2 ** 53 - 2 ** 31 - 1), String(2 ** 53 - 2 ** 31), String(2 ** 53 - 1), '9007199254740993', '9223372036854775000'];
const BASE_TIMESTAMPS = ['-1', '0', '1764460800000', '1764460800123', String(-(2 ** 53 - 2 ** 31 - 1)), String(-(2 ** 53 - 2 ** 31)), '99999999999999999', '-99999999999999999'];
const DELTAS = [0n, 1n, -1n, 63n, -64n, 64n, 8191n, -8192n, 2n ** 31n, -(2n ** 31n), 2n ** 48n - 1n, -(2n ** 48n), 2n ** 48n, 2n ** 53n + 3n, -(2n ** 53n + 5n), 2n ** 55n, -(2n ** 62n)];

test('every record decodes to what kafkajs makes of it, on either path', () => {
  const rand = mulberry32(20261130);
  let handedOn = 0;
  const ours = recordDecoder((d, c) => {
    handedOn++;
    return kafkajsDecoder(d, c);
  });
  const runs = 4000;
  for (let i = 0; i < runs; i++) {
    const context: RecordBatchContext = {
      firstOffset: pick(rand, BASE_OFFSETS),
      firstTimestamp: pick(rand, BASE_TIMESTAMPS),
      magicByte: 2,
      isControlBatch: pick(rand, [false, false, true, undefined]),
      timestampType: pick(rand, [0, 0, 0, 1, -1]),
      ...(rand() < 0.8 ? { maxTimestamp: pick(rand, ['1764460899999', '0', '-1']) } : {}),
    };
    // A batch's records share their context, as in a fetch: the decoder keeps the last batch's bases.
    for (let j = 0; j < 5; j++) {
      const delta = rand() < 0.6 ? BigInt(Math.floor(rand() * 20_000) - 10_000) : pick(rand, DELTAS);
      const headers = rand() < 0.1 ? pick<RecordSpec['headers']>(rand, [{ h: Buffer.from('v') }, { h: [Buffer.from('1'), Buffer.from('2')], g: 'x' }]) : {};
      const bytes = (n: number): Buffer | null => pick(rand, [null, Buffer.alloc(0), Buffer.from('ü'.repeat(n)), Buffer.from(`{"userId":"u${n}","ts":${n}}`)]);
      const spec: RecordSpec = { offsetDelta: pick(rand, [j, j, 2 ** 31 - 1, Math.floor(rand() * 1000)]), timestampDelta: delta, key: bytes(j), value: bytes(300 + j), headers };
      decodeBoth(ours, recordBytes(spec), context);
    }
  }
  // Both paths were taken, each by many records (bases past 2^53 and headers are common here, on purpose).
  assert.ok(handedOn > runs * 5 * 0.1, `handed on ${handedOn}`);
  assert.ok(handedOn < runs * 5 * 0.9, `handed on ${handedOn}`);
});

/** Kafka's varint (zigzag) encoding of `n`, written in the test. */
function varint(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

/** The record's bytes with these headers, in this order: kafkajs's encoder takes headers as an object, so they are written here. */
function recordWithHeaders(r: Omit<RecordSpec, 'headers'>, headers: ExactHeader[]): Buffer {
  const plain = recordBytes({ ...r, headers: {} });
  assert.equal(plain[plain.length - 1], 0); // the header count, last
  const field = (b: Buffer | null): Buffer[] => (b === null ? [varint(-1)] : [varint(b.length), b]);
  return Buffer.concat([plain.subarray(0, plain.length - 1), varint(headers.length), ...headers.flatMap((h) => [...field(h.key), ...field(h.value)])]);
}

test('a record with headers carries them as the log holds them: in order, each key\'s bytes', () => {
  const rand = mulberry32(7_301);
  const KEYS = ['trace', 'b', 'a', '2', '1', '__proto__', '', 'ü', 'constructor'].map((k) => Buffer.from(k));
  const BAD_KEYS = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('x\u0000y')];
  const ours = recordDecoder(kafkajsDecoder);
  let interleaved = 0;
  for (let i = 0; i < 3000; i++) {
    const headers: ExactHeader[] = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => ({
      key: rand() < 0.1 ? pick(rand, BAD_KEYS) : pick(rand, KEYS),
      value: pick(rand, [null, Buffer.alloc(0), Buffer.from('v'), Buffer.from([0xff, 0x00]), Buffer.from(String(i))]),
    }));
    const keys = headers.map((h) => h.key!.toString('latin1'));
    if (keys.some((k, j) => j > 0 && k !== keys[j - 1] && keys.indexOf(k) < j)) interleaved++;
    // Plain bases and bases past 2^53: oxbow's own path and kafkajs's both give the exact headers.
    const context: RecordBatchContext = { firstOffset: pick(rand, ['7', '9007199254740993']), firstTimestamp: '1764460800000', magicByte: 2, isControlBatch: false, timestampType: 0 };
    const bytes = recordWithHeaders({ offsetDelta: i % 50, timestampDelta: pick(rand, [5n, 2n ** 55n]), key: Buffer.from('k'), value: Buffer.from('{}') }, headers);
    const a = new Decoder(bytes);
    const b = new Decoder(bytes);
    const expected = kafkajsDecoder(a, context);
    const got = ours(b, context) as Record<typeof EXACT_HEADERS, ExactHeader[]>;
    assert.deepStrictEqual(got, expected);
    assert.equal(b.offset, a.offset);
    assert.deepStrictEqual(got[EXACT_HEADERS], headers);
    assert.equal(Object.keys(got).includes(String(EXACT_HEADERS)), false);
  }
  assert.ok(interleaved > 300, `interleaved ${interleaved}`);
  // A record without headers carries none.
  const plain = ours(new Decoder(recordBytes({ offsetDelta: 0, timestampDelta: 0n, key: null, value: null, headers: {} })), { firstOffset: '0', firstTimestamp: '0', magicByte: 2 });
  assert.equal((plain as Record<symbol, unknown>)[EXACT_HEADERS], undefined);
});

test('a batch of plain records is decoded by oxbow alone', () => {
  let handedOn = 0;
  const ours = recordDecoder((d, c) => {
    handedOn++;
    return kafkajsDecoder(d, c);
  });
  const context: RecordBatchContext = { firstOffset: '1000', firstTimestamp: '1764460800000', magicByte: 2, isControlBatch: false, timestampType: 0, maxTimestamp: '1764460801000' };
  for (let i = 0; i < 100; i++) {
    decodeBoth(ours, recordBytes({ offsetDelta: i, timestampDelta: BigInt(i * 7 - 50), key: Buffer.from(`u${i}`), value: Buffer.from('{}'), headers: {} }), context);
  }
  assert.equal(handedOn, 0);
});

test('installed, kafkajs\'s record batch decoder decodes with oxbow\'s records', async () => {
  assert.deepEqual(installKafkaDecoding(), { records: true, batchBounds: true });
  assert.deepEqual(installKafkaDecoding(), { records: true, batchBounds: true });
  assert.notEqual(require(recordFile), kafkajsDecoder);
  const { RecordBatch: encodeBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (b: object) => Promise<Encoded> };
  const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: KafkajsDecoder) => Promise<{ records: Array<{ batchContext: RecordBatchContext }> }>;
  const { Types } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };
  const specs: RecordSpec[] = Array.from({ length: 50 }, (_, i) => ({
    offsetDelta: i,
    timestampDelta: BigInt((i % 7) * 1000 - 3000),
    key: i % 5 === 0 ? null : Buffer.from(`user-${i}`),
    value: Buffer.from(JSON.stringify({ userId: `user-${i}`, ts: i })),
    headers: (i % 9 === 0 ? { trace: Buffer.from(String(i)) } : {}) as RecordSpec['headers'],
  }));
  for (const compression of [Types.None, Types.GZIP]) {
    const encoded = await encodeBatch({
      compression,
      firstOffset: Long.fromValue('42'),
      firstTimestamp: 1764460800000,
      maxTimestamp: 1764460803000,
      lastOffsetDelta: 49,
      records: specs.map((s) => encodeRecord({ ...s, timestampDelta: Long.fromValue(s.timestampDelta) })),
    });
    const { records } = await decodeBatch(new Decoder(encoded.buffer));
    assert.equal(records.length, specs.length);
    records.forEach((r, i) => {
      const expected = kafkajsDecoder(new Decoder(recordBytes(specs[i]!)), r.batchContext);
      assert.deepStrictEqual(r, expected);
    });
  }
});

test('kafkajs keeps decoding records under OXBOW_KAFKA_DECODER=kafkajs (batches keep their bounds), and nothing is installed once its batch decoder is loaded', () => {
  const module = fileURLToPath(new URL('../../../../connectors/kafka/record-decoder.js', import.meta.url));
  const run = (prelude: string, env: NodeJS.ProcessEnv): unknown =>
    JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', `${prelude}\nconst { installKafkaDecoding } = await import(${JSON.stringify(module)});\nprocess.stdout.write(JSON.stringify(installKafkaDecoding()));`], { env: { ...process.env, ...env }, encoding: 'utf8' }));
  assert.deepEqual(run('', { OXBOW_KAFKA_DECODER: '' }), { records: true, batchBounds: true });
  assert.deepEqual(run('', { OXBOW_KAFKA_DECODER: 'kafkajs' }), { records: false, batchBounds: true });
  const loadBatchDecoder = `import { createRequire } from 'node:module'; createRequire(${JSON.stringify(module)})('kafkajs/src/protocol/recordBatch/v0/decoder.js');`;
  assert.deepEqual(run(loadBatchDecoder, { OXBOW_KAFKA_DECODER: '' }), { records: false, batchBounds: false });
});
