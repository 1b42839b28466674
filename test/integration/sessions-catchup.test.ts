// `oxbow sessions --stop-at-live` over a Kafka-only backlog of many fetch batches per partition: every offset is read exactly once and the run ends by itself.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';

const PARTITIONS = 4;
/** Far more than one fetch per partition (a fetch brings ~1 MB, about 10k of these records), so the reader must move past its first batch. */
const RECORDS = 120_000;
const bin = resolve('bin/oxbow.js');

function brokers(): string {
  const value = process.env.OXBOW_KAFKA_BROKERS;
  assert.ok(value, 'OXBOW_KAFKA_BROKERS is not set: run `npm test` (it starts Kafka), or `npm run services -- start` and export the lines it prints');
  return value;
}

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let topic: string;

before(async () => {
  kafka = new Kafka({ clientId: 'oxbow-it-catchup', brokers: brokers().split(','), logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  topic = `oxbow-it-catchup-${randomUUID().slice(0, 8)}`;
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }), true);
});

after(async () => {
  await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
  await producer?.disconnect();
  await admin?.disconnect();
});

/** `oxbow sessions --stop-at-live --gap 1m` over `name`, output on stdout; stopped with SIGTERM after `limitMs` (`stopped` says so). */
async function runSessions(name: string, limitMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; stopped: boolean }> {
  const child = spawn(process.execPath, [bin, 'sessions', '--brokers', brokers(), '--topic', name, '--stop-at-live', '--aggregate', 'listening', '--gap', '1m', '--output', '-'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  let stopped = false;
  const limit = setTimeout(() => { stopped = true; child.kill('SIGTERM'); }, limitMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
  clearTimeout(limit);
  return { code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr, stopped };
}

test('a Kafka-only backlog of many batches per partition is read exactly once and --stop-at-live exits 0', { timeout: 90_000 }, async () => {
  // One user per record, each its own one-event session: a lost record is a missing user, a repeated one a session of 2 events.
  const start = Date.UTC(2026, 10, 1);
  const chunk = 5_000;
  for (let i = 0; i < RECORDS; i += chunk) {
    const byPartition: { key: string; value: string; partition: number }[][] = Array.from({ length: PARTITIONS }, () => []);
    for (let j = i; j < Math.min(i + chunk, RECORDS); j++) {
      const userId = `u${j}`;
      byPartition[j % PARTITIONS]!.push({ key: userId, value: JSON.stringify({ userId, ts: start + j * 1000, type: 'song', songId: 's1' }), partition: j % PARTITIONS });
    }
    await producer.sendBatch({ acks: -1, topicMessages: byPartition.map((messages) => ({ topic, messages })) });
  }

  // A stalled reader is the defect under test: stop it after a generous limit so the test fails with what it read instead of hanging.
  const { code, signal, stdout, stderr, stopped } = await runSessions(topic, 90_000);
  const read = /^\s+records read\s+(\S+)/m.exec(stderr)?.[1];
  assert.ok(!stopped, `oxbow sessions stalled: stopped after 90 s having read ${read} records of ${RECORDS}`);
  assert.equal(code, 0, `oxbow sessions did not exit 0 by itself (signal ${signal}, records read ${read}):\n${stderr.slice(-3000)}`);

  const seen = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { retract?: true; key: string; result: { events: number } };
    assert.ok(!r.retract, `unexpected retraction: ${line}`);
    seen.set(r.key, (seen.get(r.key) ?? 0) + r.result.events);
  }
  assert.equal(seen.size, RECORDS, `sessions for ${seen.size} users of ${RECORDS}`);
  for (const [key, events] of seen) assert.equal(events, 1, `${key} was read ${events} times`);
});

test('a record larger than what the reader fetches of a partition at once is read, whole, between its neighbours', { timeout: 90_000 }, async () => {
  // The reader asks for 128 KiB of a partition per fetch; Kafka still returns a larger record batch whole.
  const big = `oxbow-it-catchup-big-${randomUUID().slice(0, 8)}`;
  assert.equal(await admin.createTopics({ topics: [{ topic: big, numPartitions: 1 }], waitForLeaders: true }), true);
  try {
    const start = Date.UTC(2026, 10, 1);
    const event = (userId: string, i: number, pad: number) => JSON.stringify({ userId, ts: start + i * 1000, type: 'song', songId: 's1', pad: 'x'.repeat(pad) });
    for (const [i, pad] of [[0, 10], [1, 600 * 1024], [2, 10], [3, 300 * 1024], [4, 10]] as const) {
      await producer.send({ topic: big, acks: -1, messages: [{ key: `u${i}`, value: event(`u${i}`, i, pad) }] });
    }
    const { code, stdout, stderr } = await runSessions(big, 60_000);
    assert.equal(code, 0, stderr.slice(-3000));
    assert.match(stderr, /^\s+records read\s+5 \(archive 0, kafka 5\)$/m);
    const keys = stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { key: string; result: { events: number } })).map((r) => `${r.key}:${r.result.events}`).sort();
    assert.deepEqual(keys, ['u0:1', 'u1:1', 'u2:1', 'u3:1', 'u4:1']);
  } finally {
    await admin.deleteTopics({ topics: [big] }).catch(() => {});
  }
});
