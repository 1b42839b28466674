// Archiver behaviour against real Kafka: idle rotation, transactional/compacted holes without false gaps, two archivers in one group.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import { assertExactlyOnce, brokers, emptiedBatches, filledTopic, kafka, readBack, runCli, startCli, topicOffsets, uniqueName } from './archive-support.js';

async function tempArchive(): Promise<{ uri: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-behaviour-'));
  return { uri: `file://${dir}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

test('an idle partition publishes its records after --rotate-interval, while the archiver keeps running; SIGTERM closes cleanly', { timeout: 120_000 }, async () => {
  const { uri, cleanup } = await tempArchive();
  try {
    const topic = await filledTopic('oxbow-it-idle', 1, 10);
    let sawIntervalPublish = false;
    const { child, done } = startCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', uri, '--format', 'parquet',
      '--rotate-interval', '2s', '--rotate-records', '1000000', '--group', `${topic}-g`], (line, c) => {
      if (/published .*records=10 reason=interval/.test(line)) {
        sawIntervalPublish = true;
        c.kill('SIGTERM');
      }
    });
    const result = await done;
    assert.ok(sawIntervalPublish, `no interval publish seen:\n${result.stderr}`);
    assert.equal(child.exitCode, 0, result.stderr);
    assertExactlyOnce(await readBack(uri, topic, [0]), await topicOffsets(topic));
  } finally {
    await cleanup();
  }
});

test('a compacted topic written in transactions (some aborted) archives with holes but no false gap, also past the batches the log cleaner emptied', { timeout: 240_000 }, async (t) => {
  const { uri, cleanup } = await tempArchive();
  try {
    const topic = uniqueName('oxbow-it-compacted');
    const k = kafka();
    await createTopic(k, brokers(), topic, 2, { 'cleanup.policy': 'compact', 'segment.ms': '100', 'min.cleanable.dirty.ratio': '0.01' });
    const producer = k.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    /** Per key, the newest committed value: compaction never removes it, so the archive must hold it. */
    const newest = new Map<string, string>();
    const abortedValues = new Set<string>();
    let committed = 0;
    const TRANSACTIONS = 40;
    for (let n = 0; n < TRANSACTIONS; n++) {
      const tx = await producer.transaction();
      const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${(n * 50 + i) % 37}`, value: JSON.stringify({ ts: 1_732_406_400_000 + n * 1000 + i }) }));
      await tx.send({ topic, messages });
      if (n % 4 === 3) {
        // The last transaction is aborted after a pause longer than segment.ms: its marker starts a new segment, so the
        // cleaner cleans the segment holding the aborted records. The producer's last data batch is kept, emptied.
        if (n === TRANSACTIONS - 1) await new Promise((r) => setTimeout(r, 500));
        await tx.abort();
        for (const m of messages) abortedValues.add(m.value);
      } else {
        await tx.commit();
        committed += messages.length;
        for (const m of messages) newest.set(m.key, m.value);
      }
    }
    await producer.disconnect();
    const offsets = await topicOffsets(topic);
    // Kafka's own log shows the trap set before anything archives: a batch of the last transaction that the cleaner
    // emptied (no producer writes a batch without records). kafkajs alone fetches such a batch again forever.
    const emptied = await emptiedBatches(topic, [0, 1]);
    t.diagnostic(`batches emptied by the cleaner after ${emptied[0]!.afterS} s: ${emptied.map((e) => `${e.partition}: ${e.batch.first}..${e.batch.last}`).join(', ')}`);

    // The archive of ~1,200 records takes seconds; one stuck on an emptied batch would wait forever.
    const run = startCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', uri, '--format', 'jsonl.gz',
      '--rotate-records', '100', '--event-time', 'ts', '--group', `${topic}-g`, '--until-caught-up']);
    const stuck = setTimeout(() => run.child.kill('SIGKILL'), 90_000);
    const result = await run.done.finally(() => clearTimeout(stuck));
    assert.equal(result.code, 0, `the archiver: exit ${result.code ?? result.signal} (killed if it had not caught up within 90 s):\n${result.stderr}`);
    const back = await readBack(uri, topic, [0, 1]);
    assert.deepEqual([...back.problems, ...back.gaps], [], 'consecutive files meet exactly (no false gap)');
    const archived = [...back.offsets.values()].reduce((n, o) => n + o.length, 0);
    const total = offsets.reduce((n, o) => n + Number(o.latest - o.earliest), 0);
    assert.ok(archived < total, `the topic has holes (markers, aborted records): ${archived} archived of ${total} offsets`);
    assert.ok(archived <= committed && archived > 0, `archived ${archived}, committed ${committed}`);
    // The produced records are the oracle: nothing aborted is archived, and every key's newest committed value is.
    const values = [...back.values.values()].flat();
    assert.deepEqual(values.filter((v) => v !== null && abortedValues.has(v)), [], 'no aborted record is archived');
    const held = new Set(values);
    assert.deepEqual([...newest].filter(([, v]) => !held.has(v)).map(([key]) => key), [], 'every key\'s newest committed value is archived');
    const inspect = await runCli(['inspect', '--archive', uri, '--topic', topic, '--brokers', brokers(), '--json']);
    assert.equal(inspect.code, 0, inspect.stdout + inspect.stderr);
    for (const line of inspect.stdout.trim().split('\n')) {
      const r = JSON.parse(line) as { gaps: unknown[]; kafka: { onlyInKafka: unknown; deletedAndMissing: unknown[] } };
      assert.deepEqual([r.gaps, r.kafka.onlyInKafka, r.kafka.deletedAndMissing], [[], null, []]);
    }
  } finally {
    await cleanup();
  }
});

test('two archivers in one group split the partitions and end with no gap and no duplicate', { timeout: 120_000 }, async () => {
  const { uri, cleanup } = await tempArchive();
  try {
    const topic = await filledTopic('oxbow-it-group', 4, 200_000);
    const args = ['archive', '--brokers', brokers(), '--topic', topic, '--archive', uri, '--format', 'parquet',
      '--rotate-records', '5000', '--event-time', 'ts', '--group', `${topic}-shared`, '--until-caught-up'];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ra = JSON.parse(a.stdout) as { records: number };
    const rb = JSON.parse(b.stdout) as { records: number };
    assertExactlyOnce(await readBack(uri, topic, [0, 1, 2, 3]), await topicOffsets(topic));
    assert.ok(ra.records + rb.records >= 200_000, `both together archived ${ra.records} + ${rb.records}`);
  } finally {
    await cleanup();
  }
});

test('an archiver killed (SIGKILL) and started again at once with the same --group joins once the dead member is gone, and the archive holds every offset once', { timeout: 180_000 }, async (t) => {
  const { uri, cleanup } = await tempArchive();
  try {
    const topic = await filledTopic('oxbow-it-rejoin', 2, 50_000);
    const args = ['archive', '--brokers', brokers(), '--topic', topic, '--archive', uri, '--format', 'parquet',
      '--rotate-records', '5000', '--event-time', 'ts', '--group', `${topic}-g`];
    // Killed right after its first file: it never leaves the group, which holds it until its session expires.
    const first = startCli(args, (line, child) => {
      if (/ published /.test(line)) child.kill('SIGKILL');
    });
    const killed = await first.done;
    assert.equal(first.child.signalCode, 'SIGKILL', killed.stderr);
    const began = Date.now();
    const again = await runCli([...args, '--until-caught-up']);
    assert.equal(again.code, 0, again.stderr);
    t.diagnostic(`the second archiver joined and caught up in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    assertExactlyOnce(await readBack(uri, topic, [0, 1]), await topicOffsets(topic));
  } finally {
    await cleanup();
  }
});
