// `--output kafka://topic`: session results keyed by user (a re-emission overwrites on a compacted topic), retractions as tombstones.

import type { Kafka, Producer } from 'kafkajs';
import { outputLine, type OutputRecord, type OutputSink } from '../../src/sink/types.js';
import { UsageError } from '../../src/errors.js';
import { createProducer, kafkaCall } from './client.js';
import { listKafkaPartitions } from './partition-reader.js';

/**
 * Records are buffered and sent at each checkpoint (`prepare`), so what Kafka holds is never ahead of a checkpoint by
 * more than one interval; after a restore the same results are sent again under the same keys, which a compacted topic
 * (or any consumer keeping the latest value per key) folds into one.
 */
export class KafkaSink implements OutputSink {
  readonly description: string;
  private producer: Producer | null = null;
  private buffer: { key: string; value: string | null; headers: Record<string, string> }[] = [];
  written = 0;

  constructor(private readonly kafka: Kafka, private readonly brokers: string, private readonly topic: string) {
    this.description = `kafka://${topic}`;
  }

  write(r: OutputRecord): void {
    this.written++;
    if (r.type === 'session') {
      this.buffer.push({ key: r.key, value: outputLine(r), headers: { 'oxbow-start': String(r.start), 'oxbow-end': String(r.end) } });
    } else {
      this.buffer.push({ key: r.key, value: null, headers: { 'oxbow-retract-start': String(r.start), 'oxbow-retract-end': String(r.end) } });
    }
  }

  private async connected(): Promise<Producer> {
    if (!this.producer) {
      // Never create the topic: a mistyped --output must not leave a new topic on the broker.
      const producer = createProducer(this.kafka);
      await kafkaCall(this.brokers, 'connecting the output producer', () => producer.connect());
      this.producer = producer;
    }
    return this.producer;
  }

  async prepare(): Promise<unknown> {
    if (this.buffer.length === 0) return null;
    const producer = await this.connected();
    const messages = this.buffer;
    this.buffer = [];
    for (let i = 0; i < messages.length; i += 1000) {
      const chunk = messages.slice(i, i + 1000);
      await kafkaCall(this.brokers, `writing results to ${this.topic}`, () => producer.send({ topic: this.topic, acks: -1, messages: chunk }));
    }
    return null;
  }

  async commit(): Promise<void> {}

  async recover(): Promise<void> {
    await this.checkTopic();
  }

  async checkFresh(): Promise<void> {
    await this.checkTopic();
  }

  /** The output topic must exist before the job starts (a usage error naming it otherwise), not after a checkpoint interval. */
  private async checkTopic(): Promise<void> {
    try {
      await listKafkaPartitions(this.kafka, this.brokers, this.topic);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      throw new UsageError(`--output ${this.description}: Kafka at ${this.brokers} has no topic ${this.topic}; create it first (compacted, so that a result sent again after a restore replaces the first)`, { cause: err });
    }
  }

  async close(): Promise<void> {
    try {
      await this.prepare();
    } finally {
      // Also after a failed flush (a job closing its output after a failure): the producer's connections must not outlive it.
      await this.producer?.disconnect().catch(() => {});
      this.producer = null;
    }
  }
}
