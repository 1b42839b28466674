// The plain @platformatic/kafka floor, beside bench-consume.ts's kafkajs one: `node bench-consume-platformatic.js
// BROKERS TOPIC` reads the whole topic once (no parsing), prints `records N`, `bytes N` and `maxrss KB`. Report only:
// oxbow itself reads Kafka with kafkajs.

import { randomUUID } from 'node:crypto';
import { Consumer } from '@platformatic/kafka';
import kafkajs from 'kafkajs';

const [brokers, topic] = process.argv.slice(2);
if (!brokers || !topic) {
  process.stderr.write('usage: node dist/tools/bench/bench-consume-platformatic.js BROKERS TOPIC\n');
  process.exit(2);
}
// The end offsets at start are the goal, asked the same way as the kafkajs floor asks them.
const { Kafka, logLevel } = kafkajs;
const admin = new Kafka({ clientId: 'oxbow-bench-platformatic-admin', brokers: brokers.split(','), logLevel: logLevel.ERROR }).admin();
await admin.connect();
const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
await admin.disconnect();
const remaining = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));

const consumer = new Consumer({ groupId: `oxbow-bench-platformatic-${randomUUID()}`, clientId: 'oxbow-bench-platformatic', bootstrapBrokers: brokers.split(',') });
let records = 0;
let bytes = 0;
if (remaining.size > 0) {
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 250 });
  for await (const message of stream) {
    records++;
    bytes += message.value?.length ?? 0;
    if (message.offset + 1n >= (ends.get(message.partition) ?? 0n)) {
      remaining.delete(message.partition);
      if (remaining.size === 0) break;
    }
  }
  await stream.close();
}
await consumer.close(true);
process.stdout.write(`records ${records}\nbytes ${bytes}\nmaxrss ${process.resourceUsage().maxRSS}\n`);
