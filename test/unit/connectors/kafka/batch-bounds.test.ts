// Record batches keep their bounds: kafkajs's consumer, handed the batches the log cleaner leaves (emptied, or ending
// before their last offset), moves past each to its last offset + 1 and hands the application only real records.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { type BatchDecoder, type DecodedBatch, withBatchBounds } from '../../../../connectors/kafka/batch-bounds.js';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: bigint | string | number): unknown };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => Encoded;
const { RecordBatch: encodeBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (b: object) => Promise<Encoded> };
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as BatchDecoder;
const { Types } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };
/** kafkajs's consumer's view of one fetch of one partition: what it hands the application and where it goes on. */
const Batch = require('kafkajs/src/consumer/batch.js') as new (topic: string, fetchedOffset: string, data: object) => {
  messages: Array<{ offset: string }>;
  isEmpty(): boolean;
  isEmptyDueToFiltering(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
};

/** A batch as the broker sends it: `offsets` are its records' offsets (the others compacted away), `last` its last offset. */
async function brokerBatch(first: number, last: number, offsets: number[], options: { compression?: number; transactional?: boolean } = {}): Promise<Buffer> {
  const encoded = await encodeBatch({
    compression: options.compression ?? Types.None,
    firstOffset: Long.fromValue(first),
    firstTimestamp: 1764460800000,
    maxTimestamp: 1764460800000,
    lastOffsetDelta: last - first,
    producerId: Long.fromValue(7),
    producerEpoch: 0,
    firstSequence: 0,
    ...(options.transactional ? { transactional: true } : {}),
    records: offsets.map((o) => encodeRecord({ offsetDelta: o - first, timestampDelta: Long.fromValue(0), key: Buffer.from(`k${o}`), value: Buffer.from(`{"n":${o}}`), headers: {} })),
  });
  return encoded.buffer;
}

async function decode(decodeBatch: BatchDecoder, bytes: Buffer): Promise<DecodedBatch> {
  return decodeBatch(new Decoder(bytes));
}

/** kafkajs's consumer Batch over these decoded batches, fetched from `fetched`. */
function fetch(fetched: number, batches: DecodedBatch[], abortedTransactions: object[] = []) {
  return new Batch('t', String(fetched), { partition: 0, highWatermark: '1000', abortedTransactions, messages: batches.flatMap((b) => b.records) });
}

const bounded = withBatchBounds(kafkajsDecodeBatch);

test('a batch the cleaner emptied: kafkajs alone neither hands on nor moves past it; with its bounds it moves to its last offset + 1', async () => {
  for (const compression of [Types.None, Types.GZIP]) {
    const bytes = await brokerBatch(882, 904, [], { compression });
    // kafkajs's own decoding: nothing at all, so its consumer stays at 882 and fetches it again.
    const plain = fetch(882, [await decode(kafkajsDecodeBatch, bytes)]);
    assert.equal(plain.isEmptyDueToFiltering(), false);
    assert.equal(plain.firstOffset(), null);
    const ours = fetch(882, [await decode(bounded, bytes)]);
    assert.deepEqual(ours.messages, []);
    assert.equal(ours.isEmptyDueToFiltering(), true, 'kafkajs resolves the fetch');
    assert.equal(ours.firstOffset(), '882');
    assert.equal(ours.lastOffset(), '904');
    // Fetched from inside the batch: its first bound is before the fetch, its last still moves the consumer on.
    const inside = fetch(890, [await decode(bounded, bytes)]);
    assert.equal(inside.firstOffset(), '904');
    assert.equal(inside.lastOffset(), '904');
  }
  // A batch of one offset gets one bound.
  assert.equal((await decode(bounded, await brokerBatch(50, 50, []))).records.length, 1);
});

test('a batch whose last records were compacted away ends at its last offset; its records are handed on as they are', async () => {
  const bytes = await brokerBatch(100, 140, [100, 103, 120]);
  const plain = fetch(100, [await decode(kafkajsDecodeBatch, bytes)]);
  const ours = fetch(100, [await decode(bounded, bytes)]);
  assert.deepEqual(ours.messages, plain.messages);
  assert.deepEqual(ours.messages.map((m) => m.offset), ['100', '103', '120']);
  assert.equal(plain.lastOffset(), '120');
  assert.equal(ours.lastOffset(), '140');
  // A batch whose last record is at its last offset is left as it is.
  const whole = await brokerBatch(200, 202, [200, 201, 202]);
  assert.deepEqual(await decode(bounded, whole), await decode(kafkajsDecodeBatch, whole));
});

test('the emptied last batch of an aborted transaction: nothing handed on, the consumer moves past it', async () => {
  const emptied = await decode(bounded, await brokerBatch(882, 904, [], { transactional: true }));
  assert.ok((emptied.records[0] as unknown as { batchContext: { inTransaction: boolean } }).batchContext.inTransaction, 'the bounds keep the batch\'s context');
  const aborted = fetch(882, [emptied], [{ producerId: '7', firstOffset: '882' }]);
  assert.deepEqual(aborted.messages, []);
  assert.equal(aborted.isEmptyDueToFiltering(), true);
  assert.equal(aborted.lastOffset(), '904');
});
