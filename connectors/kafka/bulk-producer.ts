// Fills topics quickly for benchmarks and integration tests: topic creation and large producer batches, acks from all replicas.

import type { Kafka } from 'kafkajs';
import { kafkaCall } from './client.js';

export interface BulkRecord {
  key: string | null;
  value: string | Buffer | null;
  partition?: number;
  headers?: Record<string, string>;
  timestamp?: string;
}

/** Creates the topic (no error if it exists); `config` maps Kafka topic configs such as cleanup.policy. */
export async function createTopic(kafka: Kafka, brokers: string, topic: string, partitions: number, config: Record<string, string> = {}): Promise<void> {
  const admin = kafka.admin();
  await kafkaCall(brokers, 'connecting the admin client', () => admin.connect());
  try {
    await kafkaCall(brokers, `creating topic ${topic}`, () => admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
    }));
  } finally {
    await admin.disconnect();
  }
}

/** Sends `count` records built by `make(i)` in batches of `batchSize`, a few batches in flight at once. */
export async function produceBulk(
  kafka: Kafka, brokers: string, topic: string, count: number, make: (i: number) => BulkRecord, batchSize = 10_000,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await kafkaCall(brokers, 'connecting the producer', () => producer.connect());
  try {
    const inFlight: Promise<unknown>[] = [];
    for (let start = 0; start < count; start += batchSize) {
      const messages: BulkRecord[] = [];
      for (let i = start; i < Math.min(count, start + batchSize); i++) messages.push(make(i));
      inFlight.push(kafkaCall(brokers, `producing to ${topic}`, () => producer.send({ topic, messages, acks: -1 }), 60_000));
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
}
