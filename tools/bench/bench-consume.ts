// The plain kafkajs floor: `node bench-consume.js BROKERS TOPIC [--oxbow-decoder]` reads the whole topic once (no
// parsing), prints `records N` and `maxrss KB`. With --oxbow-decoder, kafkajs decodes records with oxbow's record decoder
// (connectors/kafka/record-decoder.ts), as in an oxbow process.

import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { installKafkaDecoding } from '../../connectors/kafka/record-decoder.js';

const [brokers, topic, decoder] = process.argv.slice(2);
if (!brokers || !topic || (decoder !== undefined && decoder !== '--oxbow-decoder')) {
  process.stderr.write('usage: node dist/tools/bench/bench-consume.js BROKERS TOPIC [--oxbow-decoder]\n');
  process.exit(2);
}
if (decoder !== undefined && !installKafkaDecoding().records) {
  process.stderr.write('bench-consume: oxbow\'s record decoder could not be installed (OXBOW_KAFKA_DECODER=kafkajs, or another kafkajs release)\n');
  process.exit(1);
}
const { Kafka, logLevel } = kafkajs;
const kafka = new Kafka({ clientId: 'oxbow-bench-plain', brokers: brokers.split(','), logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
// The end offsets at start are the goal, as `--until-caught-up` and `--stop-at-live` define the end.
const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
await admin.disconnect();
const remaining = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
let records = 0;
let bytes = 0;
const consumer = kafka.consumer({ groupId: `oxbow-bench-plain-${randomUUID()}`, maxWaitTimeInMs: 250 });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await new Promise<void>((resolve, reject) => {
  if (remaining.size === 0) return resolve();
  consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        records++;
        bytes += m.value?.length ?? 0;
      }
      const last = batch.messages[batch.messages.length - 1];
      if (last && BigInt(last.offset) + 1n >= (ends.get(batch.partition) ?? 0n)) {
        remaining.delete(batch.partition);
        if (remaining.size === 0) resolve();
      }
    },
  }).catch(reject);
});
await consumer.disconnect();
process.stdout.write(`records ${records}\nbytes ${bytes}\nmaxrss ${process.resourceUsage().maxRSS}\n`);
