// Kafka chores of the benchmarks: scratch topics, producing music events, filling offsets fast, and finding kcat.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createKafka, kafkaCall } from '../../connectors/kafka/client.js';
import { createTopic, produceBulk } from '../../connectors/kafka/bulk-producer.js';
import type { PartitionOffsets } from '../../src/archive/archive-source.js';
import { fetchTopicOffsets } from '../../connectors/kafka/topic-offsets.js';

export function benchKafka(brokers: string): Kafka {
  return createKafka({ brokers, clientId: 'oxbow-bench' });
}

/** A fresh topic with a recognisable name, so a crashed run's leftovers are easy to find and delete. */
export async function scratchTopic(kafka: Kafka, brokers: string, what: string, partitions: number): Promise<string> {
  const topic = `oxbow-bench-${what}-${randomUUID().slice(0, 8)}`;
  await createTopic(kafka, brokers, topic, partitions);
  return topic;
}

export async function deleteTopic(kafka: Kafka, brokers: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await kafkaCall(brokers, 'connecting the admin client', () => admin.connect());
  try {
    await kafkaCall(brokers, `deleting topic ${topic}`, () => admin.deleteTopics({ topics: [topic] }));
  } finally {
    await admin.disconnect();
  }
}

export async function topicOffsets(kafka: Kafka, brokers: string, topic: string): Promise<PartitionOffsets[]> {
  const admin = kafka.admin();
  await kafkaCall(brokers, 'connecting the admin client', () => admin.connect());
  try {
    return await fetchTopicOffsets(admin, brokers, topic);
  } finally {
    await admin.disconnect();
  }
}

export async function topicExists(kafka: Kafka, brokers: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await kafkaCall(brokers, 'connecting the admin client', () => admin.connect());
  try {
    return (await kafkaCall(brokers, 'listing topics', () => admin.listTopics())).includes(topic);
  } finally {
    await admin.disconnect();
  }
}

/** Moves each partition's log start to `offsets` (what retention does): Kafka then holds only what follows. */
export async function deleteRecordsBelow(kafka: Kafka, brokers: string, topic: string, offsets: bigint[]): Promise<void> {
  const admin = kafka.admin();
  await kafkaCall(brokers, 'connecting the admin client', () => admin.connect());
  try {
    // kafkajs finds partition leaders from cached metadata, which a fresh admin client lacks.
    await kafkaCall(brokers, `reading the metadata of ${topic}`, () => admin.fetchTopicMetadata({ topics: [topic] }));
    await kafkaCall(brokers, `deleting records of ${topic}`, () => admin.deleteTopicRecords({
      topic, partitions: offsets.map((o, partition) => ({ partition, offset: o.toString() })),
    }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Music events to their users' partitions, in order per partition: through kcat when installed (keys after a tab,
 * fast), else kafkajs with large batches. Values are JSON and never hold a raw tab.
 */
export async function produceRecords(kafka: Kafka, brokers: string, topic: string, records: readonly { partition: number; key: string; value: string }[]): Promise<void> {
  const kcat = findKcat();
  if (!kcat) {
    await produceBulk(kafka, brokers, topic, records.length, (i) => records[i]!);
    return;
  }
  const byPartition = new Map<number, string[]>();
  for (const r of records) {
    let lines = byPartition.get(r.partition);
    if (!lines) byPartition.set(r.partition, (lines = []));
    lines.push(`${r.key}\t${r.value}\n`);
  }
  for (const [p, lines] of byPartition) {
    for (let i = 0; i < lines.length; i += 200_000) {
      await runKcat(kcat, ['-P', '-b', brokers, '-t', topic, '-p', String(p), '-K', '\t', '-X', 'linger.ms=50', '-X', 'batch.num.messages=100000'], lines.slice(i, i + 200_000).join(''));
    }
  }
}

/** The kcat binary on PATH, or null: the native floor is optional, the suite says "kcat not installed" without it. */
export function findKcat(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of ['kcat', 'kafkacat']) {
      const file = path.join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

function runKcat(kcat: string, args: string[], input: string | null, discardStdout = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(kcat, args, { stdio: [input === null ? 'ignore' : 'pipe', discardStdout ? 'ignore' : 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`bench: kcat ${args.join(' ')} exited ${code}: ${stderr.slice(-800)}`))));
    if (input !== null) child.stdin!.end(input);
  });
}

/**
 * Advances partition p's end offset by counts[p] with one-byte filler records, so that an archive written straight to
 * storage (offsets 0..n-1) meets Kafka at the right offset. kcat does it natively (a million records a second); kafkajs
 * about a hundred thousand (sends of 2,000), which is why quick runs stay small without kcat.
 */
export async function fillOffsets(kafka: Kafka, brokers: string, topic: string, counts: readonly bigint[]): Promise<void> {
  const kcat = findKcat();
  for (let p = 0; p < counts.length; p++) {
    let left = Number(counts[p]!);
    if (kcat) {
      const chunk = 1_000_000;
      while (left > 0) {
        const n = Math.min(chunk, left);
        await runKcat(kcat, ['-P', '-b', brokers, '-t', topic, '-p', String(p), '-X', 'linger.ms=50', '-X', 'batch.num.messages=100000'], 'x\n'.repeat(n));
        left -= n;
      }
    } else {
      await produceBulk(kafka, brokers, topic, left, () => ({ key: null, value: 'x', partition: p }));
    }
  }
  const got = await topicOffsets(kafka, brokers, topic);
  for (let p = 0; p < counts.length; p++) {
    const end = got.find((o) => o.partition === p)?.latest;
    if (end !== counts[p]) throw new Error(`bench: filling ${topic} partition ${p} reached offset ${end}, expected ${counts[p]}`);
  }
}

/** kcat consuming the whole topic to /dev/null (`-e`: exit at the end of every partition); returns its wall seconds. */
export async function kcatConsume(kcat: string, brokers: string, topic: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  await runKcat(kcat, ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'fetch.wait.max.ms=50'], null, true);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
