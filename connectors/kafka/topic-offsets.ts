// Earliest and latest offsets of a topic's partitions, read through the admin client (for resume checks, --until-caught-up, inspect).

import type { Admin } from 'kafkajs';
import { kafkaCall } from './client.js';

export interface PartitionOffsets {
  partition: number;
  /** The log start offset: anything below was deleted by retention. */
  earliest: bigint;
  /** The high watermark: the offset the next produced record gets. */
  latest: bigint;
}

export async function fetchTopicOffsets(admin: Admin, brokers: string, topic: string): Promise<PartitionOffsets[]> {
  const offsets = await kafkaCall(brokers, `reading the offsets of ${topic}`, () => admin.fetchTopicOffsets(topic));
  return offsets
    .map((p) => ({ partition: p.partition, earliest: BigInt(p.low), latest: BigInt(p.high) }))
    .sort((a, b) => a.partition - b.partition);
}
