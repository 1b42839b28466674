// `oxbow archive` ends promptly on every error path (no client left open keeps it alive), and a topic just created is waited for.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { produceBulk } from '../../connectors/kafka/bulk-producer.js';
import { fetchTopicOffsets } from '../../connectors/kafka/topic-offsets.js';
import { assertExactlyOnce, brokers, kafka, readBack, runCli, topicOffsets, uniqueName } from './archive-support.js';

async function tempArchive(): Promise<{ uri: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-exit-'));
  return { uri: `file://${dir}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

// Each run must end on its own: a hang (an open consumer or admin socket) is caught by the test timeout, not by a timer here.
for (const untilCaughtUp of [false, true]) {
  const mode = untilCaughtUp ? 'with --until-caught-up (fails reading offsets)' : 'without --until-caught-up (fails subscribing)';
  test(`a topic Kafka does not have: the process exits with code 2 naming it, ${mode}`, { timeout: 90_000 }, async () => {
    const { uri, cleanup } = await tempArchive();
    try {
      const topic = uniqueName('oxbow-it-missing');
      const result = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', uri, '--group', `${topic}-g`,
        ...(untilCaughtUp ? ['--until-caught-up'] : [])]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`oxbow: .*no such topic .*${topic}.*check --topic`));
      assert.equal(result.stdout, '');
    } finally {
      await cleanup();
    }
  });
}

test('the offsets of a topic created a moment ago are read once its leaders serve it, not reported as an error', { timeout: 90_000 }, async () => {
  const k = kafka();
  const creator = k.admin();
  const reader = k.admin();
  await Promise.all([creator.connect(), reader.connect()]);
  try {
    for (let i = 0; i < 3; i++) {
      const topic = uniqueName('oxbow-it-fresh');
      // Not waiting for leaders is the point: the broker answers NOT_LEADER_FOR_PARTITION until it serves the partitions.
      await creator.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 4, replicationFactor: 1 }] });
      const offsets = await fetchTopicOffsets(reader, brokers(), topic);
      assert.deepEqual(offsets.map((o) => [o.partition, o.earliest, o.latest]), [[0, 0n, 0n], [1, 0n, 0n], [2, 0n, 0n], [3, 0n, 0n]]);
    }
  } finally {
    await Promise.all([creator.disconnect(), reader.disconnect()]);
  }
});

test('a topic created and filled a moment ago is archived completely and the process exits 0', { timeout: 90_000 }, async () => {
  const { uri, cleanup } = await tempArchive();
  const k = kafka();
  const admin = k.admin();
  await admin.connect();
  try {
    const topic = uniqueName('oxbow-it-created');
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] });
    await produceBulk(k, brokers(), topic, 100, (i) => ({ key: `k${i}`, value: JSON.stringify({ ts: 1_732_406_400_000 + i }) }));
    const result = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', uri, '--group', `${topic}-g`,
      '--until-caught-up', '--event-time', 'ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { records: 100, files: 2, eventTimeMissing: 0, foreignFiles: 0, retentionGaps: [] });
    assertExactlyOnce(await readBack(uri, topic, [0, 1]), await topicOffsets(topic));
  } finally {
    await admin.disconnect();
    await cleanup();
  }
});
