// Proves the real Kafka works for oxbow's client: 10,000 keyed records into a new 4-partition topic come back through a consumer group, every offset exactly once.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const RECORDS = 10_000;
const PARTITIONS = 4;
const USERS = 500;

function brokers(): string[] {
  const value = process.env.OXBOW_KAFKA_BROKERS;
  assert.ok(
    value !== undefined && value !== '',
    'OXBOW_KAFKA_BROKERS is not set: run `npm test` (it starts Kafka), or `npm run services -- start` and export the lines it prints',
  );
  return value.split(',');
}

test('kafkajs produces 10,000 keyed records to a 4-partition topic and a consumer group reads every offset exactly once', { timeout: 180_000 }, async () => {
  const kafka = new Kafka({ clientId: 'oxbow-kafka-smoke', brokers: brokers(), logLevel: logLevel.NOTHING });
  const topic = `oxbow-smoke-${randomUUID()}`;
  const groupId = `${topic}-group`;
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId });
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }), true);

    // Produce: record i carries key user-(i % USERS) and value i.
    await producer.connect();
    for (let batch = 0; batch < RECORDS; batch += 1000) {
      const messages = Array.from({ length: 1000 }, (_, j) => {
        const i = batch + j;
        return { key: `user-${i % USERS}`, value: String(i) };
      });
      const acks = await producer.send({ topic, messages, acks: -1 });
      assert.ok(acks.length > 0);
    }
    const highWater = new Map<number, bigint>();
    for (const p of await admin.fetchTopicOffsets(topic)) highWater.set(p.partition, BigInt(p.high));
    const total = [...highWater.values()].reduce((a, b) => a + b, 0n);
    assert.equal(total, BigInt(RECORDS), 'the partitions together hold every produced record');
    assert.ok([...highWater.values()].filter((n) => n > 0n).length > 1, 'keys spread over more than one partition');

    // Consume with a group: each (partition, offset) must arrive once, each value once, each key always from one partition.
    const seen = new Map<number, Set<bigint>>();
    const keyPartition = new Map<string, number>();
    const values = new Set<number>();
    const duplicates: string[] = [];
    const misplaced: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let unique = 0;
    await new Promise<void>((resolveAll, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const offset = BigInt(message.offset);
            const offsets = seen.get(partition) ?? new Set<bigint>();
            seen.set(partition, offsets);
            if (offsets.has(offset)) {
              duplicates.push(`${partition}@${offset}`);
              return;
            }
            offsets.add(offset);
            const key = message.key?.toString() ?? '';
            const where = keyPartition.get(key);
            if (where === undefined) keyPartition.set(key, partition);
            // Collected, not asserted here: a throw inside eachMessage makes kafkajs redeliver instead of failing the test.
            else if (where !== partition) misplaced.push(`${key} in partitions ${where} and ${partition}`);
            values.add(Number(message.value?.toString()));
            unique += 1;
            if (unique === RECORDS) resolveAll();
          },
        })
        .catch(reject);
    });
    await consumer.commitOffsets([...highWater.keys()].map((partition) => ({ topic, partition, offset: String(highWater.get(partition)) })));

    assert.deepEqual(duplicates, [], 'no offset delivered twice');
    assert.deepEqual(misplaced, [], 'a key always lives in one partition');
    assert.equal(values.size, RECORDS, 'every produced value came back');
    for (const [partition, high] of highWater) {
      const offsets = seen.get(partition) ?? new Set<bigint>();
      assert.equal(BigInt(offsets.size), high, `partition ${partition}: one delivery per offset 0..${high - 1n}`);
      for (let o = 0n; o < high; o += 1n) assert.ok(offsets.has(o), `partition ${partition} offset ${o} was never delivered`);
    }
    assert.equal(keyPartition.size, USERS);

    // The group's committed offsets are the partitions' ends: the group really consumed the topic.
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const { partition, offset } of committed[0]?.partitions ?? []) assert.equal(BigInt(offset), highWater.get(partition));
    assert.equal(committed[0]?.partitions.length, PARTITIONS);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
});
