// The reader thread's packing: a batch of kafkajs messages, packed for the crossing and unpacked on the job's thread,
// is the batch the in-thread reader makes of the same messages (collectRecords), byte for byte and offset for offset.

import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { test } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { collectRecords } from '../../../../connectors/kafka/partition-reader.js';
import { type PackedBatch, packedBuffers, packMessages, unpackBatch } from '../../../../connectors/kafka/threaded-reader.js';
import type { LiveBatch } from '../../../../src/source/types.js';

function message(offset: string, timestamp: string, key: Buffer | string | null, value: Buffer | string | null): KafkaMessage {
  return { offset, timestamp, key, value, attributes: 0, headers: {}, size: 0 } as unknown as KafkaMessage;
}

/** A batch with plain values (as bytes and as arrays), for comparing. */
function plain(b: LiveBatch | null): unknown {
  if (b === null) return null;
  return {
    partition: b.partition,
    nextOffset: b.nextOffset,
    // Field by field: a packed record's fields are getters, which a spread would not copy.
    records: b.records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, eventTime: r.eventTime, key: r.key === null ? null : [...r.key], value: r.value === null ? null : [...r.value] })),
  };
}

/** Packs, sends through a real port with the transfer list, and unpacks: what the job's thread gets. */
function crossed(partition: number, messages: KafkaMessage[], from: bigint, nextOffset: bigint): LiveBatch | null {
  const packed = packMessages(partition, messages, from, nextOffset);
  if (packed === null) return null;
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(packed.batch, packedBuffers(packed.batch));
  // Transferred, not copied: the thread's arrays are detached after the send.
  assert.equal(packed.batch.bytes.byteLength, 0);
  const got = receiveMessageOnPort(port2)!.message as PackedBatch;
  port1.close();
  return unpackBatch(got);
}

test('a packed batch is what the in-thread reader makes of the same messages', () => {
  const fetched = Buffer.from('....u1{"a":1}..u2{"b":"x"}...u3....');
  const messages = [
    message('7', '1795478399104', fetched.subarray(4, 6), fetched.subarray(6, 13)),
    message('8', '1795478399105', null, Buffer.from('{"c":true}')),
    message('9', '-1', fetched.subarray(15, 17), fetched.subarray(17, 26)),
    message('10', '0', Buffer.alloc(0), null),
    message('12', '1795478399106', 'ключ', '{"d":"é"}'),
    message('13', '1795478399107', fetched.subarray(29, 31), Buffer.alloc(0)),
  ];
  for (const from of [0n, 8n, 9n, 13n]) {
    const want = collectRecords(3, messages, from, 14n);
    const got = crossed(3, messages, from, 14n);
    assert.deepEqual(plain(got), plain(want?.batch ?? null), `from ${from}`);
    assert.equal(packMessages(3, messages, from, 14n)?.last, want?.last, `from ${from}`);
  }
  assert.equal(packMessages(3, messages, 14n, 14n), null);
  // Nothing at or past `from`, but read past it (markers, aborted records): a batch without records saying how far.
  for (const [from, next] of [[14n, 20n], [5n, 9n]] as const) {
    const none = from === 14n ? messages : [];
    const want = collectRecords(3, none, from, next);
    assert.deepEqual(plain(want?.batch ?? null), { partition: 3, nextOffset: next, records: [] });
    assert.deepEqual(plain(crossed(3, none, from, next)), plain(want!.batch));
    assert.equal(packMessages(3, none, from, next)?.last, null);
    assert.equal(want!.last, null);
  }
  assert.equal(collectRecords(3, [], 9n, 9n), null);
  assert.equal(packMessages(3, [], 9n, 9n), null);
});

test('offsets past 2^53 and timestamps of any form stay exact', () => {
  const big = [9007199254740991n, 9007199254740993n, 9223372036854775806n];
  const messages = big.map((o, i) => message(o.toString(), ['1795478399104', '-1', '12345678901234567'][i]!, null, Buffer.from([i])));
  const got = crossed(0, messages, 0n, 9223372036854775807n)!;
  assert.deepEqual(got.records.map((r) => r.offset), big);
  assert.deepEqual(got.records.map((r) => r.timestamp), [1795478399104, -1, 12345678901234567]);
  // Below 2^53 the doubles are exact too, across a whole batch of generated offsets.
  const many = Array.from({ length: 500 }, (_, i) => message(String(4503599627370000 + 3 * i), String(1_700_000_000_000 + i), Buffer.from(`k${i}`), Buffer.from(`v${i}`.repeat(i % 7))));
  assert.deepEqual(plain(crossed(1, many, 0n, 1n)), plain(collectRecords(1, many, 0n, 1n)!.batch));
});
