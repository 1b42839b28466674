// Archiver behaviour against real Kafka: idle rotation, transactional/compacted holes without false gaps, two archivers in one group.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import { assertExactlyOnce, brokers, filledTopic, kafka, readBack, runCli, startCli, topicOffsets, uniqueName } from './archive-support.js';

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

test('a compacted topic written in transactions (some aborted) archives with holes but no false gap', { timeout: 180_000 }, async () => {
  const { uri, cleanup } = await tempArchive();
  try {
    const topic = uniqueName('oxbow-it-compacted');
    const k = kafka();
    await createTopic(k, brokers(), topic, 2, { 'cleanup.policy': 'compact', 'segment.ms': '100', 'min.cleanable.dirty.ratio': '0.01' });
    const producer = k.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let committed = 0;
    for (let t = 0; t < 40; t++) {
      const tx = await producer.transaction();
      const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${(t * 50 + i) % 37}`, value: JSON.stringify({ ts: 1_732_406_400_000 + t * 1000 + i }) }));
      await tx.send({ topic, messages });
      if (t % 4 === 3) await tx.abort();
      else {
        await tx.commit();
        committed += messages.length;
      }
    }
    await producer.disconnect();
    const offsets = await topicOffsets(topic);
    const result = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', uri, '--format', 'jsonl.gz',
      '--rotate-records', '100', '--event-time', 'ts', '--group', `${topic}-g`, '--until-caught-up']);
    assert.equal(result.code, 0, result.stderr);
    const back = await readBack(uri, topic, [0, 1]);
    assert.deepEqual([...back.problems, ...back.gaps], [], 'consecutive files meet exactly (no false gap)');
    const archived = [...back.offsets.values()].reduce((n, o) => n + o.length, 0);
    const total = offsets.reduce((n, o) => n + Number(o.latest - o.earliest), 0);
    assert.ok(archived < total, `the topic has holes (markers, aborted records): ${archived} archived of ${total} offsets`);
    assert.ok(archived <= committed && archived > 0, `archived ${archived}, committed ${committed}`);
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
