// A job reading a whole topic live, while Kafka adds partitions to it: the job's partitions are fixed when it starts, so
// records sent to the new partitions would never be read. It stops with exit 1 naming them; a job given --partitions
// reads those alone and goes on. Both ways of reading Kafka: on the reader's thread and, with
// OXBOW_READER_THREAD=off, on the job's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import type { MusicEvent } from '../../src/gen/music-events.js';
import { brokers, kafka, kafkaLog, startCli, uniqueName } from './archive-support.js';
import { produceEvents } from './sessions-support.js';

const T0 = Date.UTC(2026, 10, 30);

/** `count` search events of user `u<partition>`, one a second from `from` seconds, into that partition (key by user). */
async function produce(topic: string, partition: number, from: number, count: number): Promise<void> {
  const events: MusicEvent[] = Array.from({ length: count }, (_, i) => ({ userId: `u${partition}`, ts: T0 + (from + i) * 1000, type: 'search' }));
  await produceEvents(topic, events, (e) => ({ partition, key: e.userId }));
}

async function growTo(topic: string, count: number): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createPartitions({ topicPartitions: [{ topic, count }] });
  } finally {
    await admin.disconnect();
  }
}

/** Starts a live job and resolves once it has read `records` (its progress line says so), with the run. */
async function liveJob(args: string[], records: number, env: Record<string, string> = {}): Promise<ReturnType<typeof startCli>> {
  let seen!: () => void;
  const read = new Promise<void>((resolve) => (seen = resolve));
  const run = startCli(['sessions', '--brokers', brokers(), ...args, '--aggregate', 'listening', '--gap', '30m', '--progress-interval', '200ms', '--output', '-'], (line) => {
    const m = / records=(\d+)/.exec(line);
    if (m && Number(m[1]) >= records) seen();
  }, env);
  await Promise.race([read, run.done.then((r) => assert.fail(`the job ended before reading ${records} records:\n${r.stderr}`))]);
  return run;
}

test('Kafka adds a partition to a topic a live job reads whole: the job stops with exit 1 naming it; with --partitions it goes on', { timeout: 120_000 }, async () => {
  const topic = uniqueName('oxbow-it-grows');
  await createTopic(kafka(), brokers(), topic, 1);
  await produce(topic, 0, 0, 20);
  const whole = await liveJob(['--topic', topic], 20);
  // The same job reading Kafka on its own thread instead of the reader's thread.
  const inThread = await liveJob(['--topic', topic], 20, { OXBOW_READER_THREAD: 'off' });
  const given = await liveJob(['--topic', topic, '--partitions', '0'], 20);
  try {
    await growTo(topic, 2);
    await produce(topic, 1, 100, 10);
    assert.equal((await kafkaLog(topic)).get(1)?.length, 10, 'Kafka holds the new partition\'s records');

    for (const job of [whole, inThread]) {
      const stopped = await job.done;
      assert.equal(stopped.code, 1, stopped.stderr);
      assert.match(stopped.stderr, new RegExp(`topic ${topic} now has partitions 1 that this job does not read \\(it reads 0, all the topic had when it started\\)`));
      assert.doesNotMatch(stopped.stderr, /^\s+at /m, 'no stack trace');
    }

    // The job given --partitions 0 reads on: it is still running a while after the other stopped, and ends cleanly.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(given.child.exitCode, null, 'the job given --partitions 0 is still running');
    given.child.kill('SIGTERM');
    const ended = await given.done;
    assert.equal(ended.code, 0, ended.stderr);
  } finally {
    for (const job of [whole, inThread, given]) job.child.kill('SIGKILL');
  }
});
