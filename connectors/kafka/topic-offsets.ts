// Earliest and latest offsets of a topic's partitions, read through the admin client (for resume checks, --until-caught-up, inspect).

import type { Admin } from 'kafkajs';
import type { PartitionOffsets } from '../../src/archive/archive-source.js';
import { UnknownTopicError } from '../../src/errors.js';
import { retry } from '../../src/retry.js';
import { redactCredentials } from '../../src/redact.js';
import { kafkaCall } from './client.js';

/**
 * How long a topic missing from the broker's topic list is looked for again before it is reported missing: a topic
 * created a moment ago on another broker may take this long to appear in the metadata of the one asked.
 */
const TOPIC_APPEAR_MS = 3_000;

class TopicNotListed extends Error {}

/**
 * Fails within seconds with a UsageError when Kafka has no such topic. Asking for a missing topic's offsets directly
 * makes kafkajs retry its metadata for about 15 s (a warning each time) before it gives up; the topic list answers at once.
 */
export async function assertTopicExists(admin: Admin, brokers: string, topic: string): Promise<void> {
  try {
    await retry(async () => {
      const topics = await kafkaCall(brokers, 'listing topics', () => admin.listTopics());
      if (!topics.includes(topic)) throw new TopicNotListed();
    }, { isRetriable: (err) => err instanceof TopicNotListed, retries: Infinity, budgetMs: TOPIC_APPEAR_MS, initialDelayMs: 250, maxDelayMs: 1000, jitter: 0 });
  } catch (err) {
    if (!(err instanceof TopicNotListed)) throw err;
    throw new UnknownTopicError(topic, `Kafka at ${redactCredentials(brokers)} has no such topic ${topic}; create it or check --topic`);
  }
}

/** How long a topic whose partitions have no serving leader yet (just created, or in an election) is waited for. */
const LEADER_WAIT_MS = 30_000;

/**
 * Kafka error types that mean "a partition has no serving leader yet". A freshly created topic answers with these for a
 * moment (kafkajs's fetchTopicOffsets gives up on them at once); they are waited out, not reported.
 */
const LEADER_PENDING = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER', 'REPLICA_NOT_AVAILABLE']);

function leaderPending(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && LEADER_PENDING.has(type)) return true;
    // A leader of -1 in kafkajs's metadata: it refreshes its metadata before throwing this, so the retry sees the new leader.
    if (e.name === 'KafkaJSBrokerNotFound') return true;
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Topics each admin client has seen listed: the check runs once per client and topic, not on every periodic question. */
const listed = new WeakMap<Admin, Set<string>>();

export async function fetchTopicOffsets(admin: Admin, brokers: string, topic: string): Promise<PartitionOffsets[]> {
  let seen = listed.get(admin);
  if (!seen?.has(topic)) {
    await assertTopicExists(admin, brokers, topic);
    if (!seen) listed.set(admin, (seen = new Set()));
    seen.add(topic);
  }
  // Not a leader election, or one that did not end in time: reported as is (kafkaCall named the topic and what to check).
  const offsets = await retry(() => kafkaCall(brokers, `reading the offsets of ${topic}`, () => admin.fetchTopicOffsets(topic)), {
    isRetriable: leaderPending, retries: Infinity, budgetMs: LEADER_WAIT_MS, initialDelayMs: 100, maxDelayMs: 2000, jitter: 0,
  });
  return offsets
    .map((p) => ({ partition: p.partition, earliest: BigInt(p.low), latest: BigInt(p.high) }))
    .sort((a, b) => a.partition - b.partition);
}
