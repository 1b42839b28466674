// `oxbow archive` ends promptly on every error path (no client left open keeps it alive), and a topic just created is waited for.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { produceBulk } from '../../connectors/kafka/bulk-producer.js';
import { fetchTopicOffsets } from '../../connectors/kafka/topic-offsets.js';
import { assertExactlyOnce, brokers, filledTopic, kafka, readBack, runCli, topicOffsets, uniqueName, webhdfsUrl } from './archive-support.js';

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
      await assertNotCreated(topic);
    } finally {
      await cleanup();
    }
  });
}

/** The broker creates topics on request (auto.create.topics.enable is on by default): no oxbow client may ask it to. */
async function assertNotCreated(topic: string): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    assert.ok(!(await admin.listTopics()).includes(topic), `the mistyped topic ${topic} was created on the broker`);
  } finally {
    await admin.disconnect();
  }
}

test('a mistyped topic given to sessions (input or --output kafka://) and inspect is a usage error naming it, and nothing is created on the broker', { timeout: 90_000 }, async () => {
  const { uri, cleanup } = await tempArchive();
  try {
    const topic = uniqueName('oxbow-it-typo');
    const sessions = await runCli(['sessions', '--brokers', brokers(), '--topic', topic, '--stop-at-live']);
    assert.equal(sessions.code, 2, sessions.stderr);
    assert.match(sessions.stderr, new RegExp(`oxbow: .*${topic}`));
    const inspect = await runCli(['inspect', '--archive', uri, '--brokers', brokers(), '--topic', topic]);
    assert.notEqual(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stderr + inspect.stdout, new RegExp(topic));
    const input = await filledTopic('oxbow-it-typo-in', 1, 10);
    const output = await runCli(['sessions', '--brokers', brokers(), '--topic', input, '--stop-at-live', '--output', `kafka://${topic}`]);
    assert.equal(output.code, 2, output.stderr);
    assert.match(output.stderr, new RegExp(`--output kafka://${topic}: Kafka at .* has no topic ${topic}; create it first`));
    await assertNotCreated(topic);
  } finally {
    await cleanup();
  }
});

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
    // Kafka's own log is the oracle: what the broker holds is what the archive must hold (the producer's count is not).
    const offsets = await topicOffsets(topic);
    const held = offsets.reduce((n, o) => n + Number(o.latest - o.earliest), 0);
    assert.equal(held, 100, 'the idempotent producer wrote each record once');
    assert.deepEqual(JSON.parse(result.stdout), { records: held, files: 2, eventTimeMissing: 0, foreignFiles: 0, retentionGaps: [] });
    assertExactlyOnce(await readBack(uri, topic, [0, 1]), offsets);
  } finally {
    await admin.disconnect();
    await cleanup();
  }
});

test('two archives of one topic with the default group each archive every partition, run at the same time', { timeout: 120_000 }, async () => {
  const first = await tempArchive();
  const second = await tempArchive();
  try {
    const topic = await filledTopic('oxbow-it-two-archives', 4, 400);
    const args = (uri: string) => ['archive', '--brokers', brokers(), '--topic', topic, '--archive', uri, '--until-caught-up', '--event-time', 'ts'];
    const [a, b] = await Promise.all([runCli(args(first.uri)), runCli(args(second.uri))]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const offsets = await topicOffsets(topic);
    assertExactlyOnce(await readBack(first.uri, topic, [0, 1, 2, 3]), offsets);
    assertExactlyOnce(await readBack(second.uri, topic, [0, 1, 2, 3]), offsets);
    // Each named its group, and the groups differ.
    const groups = [a, b].map((r) => /group=(\S+)/.exec(r.stderr)?.[1]);
    assert.ok(groups[0] && groups[1] && groups[0] !== groups[1], `groups: ${groups.join(', ')}`);
  } finally {
    await first.cleanup();
    await second.cleanup();
  }
});

test('a webhdfs:// URI on the NameNode RPC port is a usage error naming that port, within seconds, for inspect and archive', { timeout: 90_000 }, async () => {
  // The NameNode says where its RPC server listens; WebHDFS is on another port.
  const jmx = await fetch(`${webhdfsUrl()}/jmx?qry=Hadoop:service=NameNode,name=NameNodeStatus`);
  const hostAndPort = ((await jmx.json()) as { beans: { HostAndPort: string }[] }).beans[0]!.HostAndPort;
  const rpc = `webhdfs://127.0.0.1:${hostAndPort.split(':').pop()}/oxbow-it-rpc`;
  const topic = await filledTopic('oxbow-it-rpc', 1, 10);
  for (const args of [['inspect', '--archive', rpc], ['archive', '--brokers', brokers(), '--topic', topic, '--archive', rpc, '--until-caught-up', '--event-time', 'ts']]) {
    const started = Date.now();
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
    assert.match(result.stderr, /Hadoop RPC \(IPC\) port, not WebHDFS/, args[0]);
    assert.ok(Date.now() - started < 30_000, `${args[0]} took ${Date.now() - started} ms`);
  }
});
