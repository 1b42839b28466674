// Membership in a Kafka consumer group, for the partitions alone: a parallel `oxbow sessions` (docs/scaling.md) lets the
// group protocol divide a topic's partitions among its workers, and reads them itself (archive, then Kafka by assign).
// Nothing is fetched through this consumer: every assigned partition is paused at once and offsets are never committed.

import type { Consumer, Kafka } from 'kafkajs';
import { OxbowError } from '../../src/errors.js';
import { kafkaCall, mapKafkaError } from './client.js';

export interface GroupMemberHandlers {
  /** A (re)join handed this member these partitions of the topic. */
  onAssigned(partitions: number[]): void;
  /** A rebalance began: the member's partitions may go to others; publishing must stop until the next assignment. */
  onRevoking(): void;
  /** The consumer failed and will not restart. */
  onFatal(err: Error): void;
}

export interface GroupMemberOptions {
  kafka: Kafka;
  brokers: string;
  groupId: string;
  topic: string;
  /** How long the group waits for a silent member before its partitions move (Kafka's session timeout). */
  sessionTimeoutMs: number;
}

export class GroupMember {
  private consumer: Consumer | null = null;

  constructor(private readonly o: GroupMemberOptions) {}

  async start(handlers: GroupMemberHandlers): Promise<void> {
    const { topic } = this.o;
    const consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      sessionTimeout: this.o.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(this.o.sessionTimeoutMs / 10)),
      rebalanceTimeout: Math.max(this.o.sessionTimeoutMs, 10_000),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000, restartOnFailure: async () => true },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const partitions = e.payload.memberAssignment[topic] ?? [];
      if (partitions.length > 0) consumer.pause([{ topic, partitions }]);
      handlers.onAssigned([...partitions].sort((a, b) => a - b));
    });
    consumer.on(consumer.events.REBALANCING, () => handlers.onRevoking());
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) handlers.onRevoking();
      else handlers.onFatal(mapKafkaError(e.payload.error, this.o.brokers, `the membership of group ${this.o.groupId}`));
    });
    try {
      await kafkaCall(this.o.brokers, 'connecting the group member', () => consumer.connect());
      await kafkaCall(this.o.brokers, `joining group ${this.o.groupId}`, () => consumer.subscribe({ topic, fromBeginning: true }));
      await kafkaCall(this.o.brokers, 'starting the group member', () => consumer.run({
        autoCommit: false,
        // Never reached while every partition is paused; a batch fetched before the pause is ignored.
        eachBatch: async () => {},
      }));
    } catch (err) {
      await consumer.disconnect().catch(() => {});
      this.consumer = null;
      throw err instanceof OxbowError ? err : mapKafkaError(err, this.o.brokers, `joining group ${this.o.groupId}`);
    }
  }

  /** Leaves the group: its partitions go to the other members at once. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect().catch(() => {});
  }
}
