// `oxbow produce` against the real broker, then the path a new user takes with it: produce → archive → sessions,
// checked against Kafka's own log and an offline pass over every produced event.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateMusicEvents, generateProfileVersions, type MusicEvent } from '../../src/gen/music-events.js';
import { brokers, kafka, kafkaLog, runCli, uniqueName } from './archive-support.js';
import { offlineSessions, publishedSessions, summaryValue } from './sessions-support.js';

const events = (log: Awaited<ReturnType<typeof kafkaLog>>) => [...log.values()].flat().map((r) => JSON.parse(r.value!) as MusicEvent);

/**
 * Kafka's own log of a topic keyed by user, partition by partition, is the generated events of that partition's users in
 * the generator's order: each once, none lost, none reordered.
 */
async function assertLogIsGenerated(topic: string, want: readonly MusicEvent[]): Promise<void> {
  let total = 0;
  for (const [p, records] of await kafkaLog(topic)) {
    const users = new Set(records.map((r) => r.key));
    const expected = want.filter((e) => users.has(e.userId)).map((e) => JSON.stringify(e));
    const got = records.map((r) => r.value);
    const first = got.findIndex((v, i) => v !== expected[i]);
    assert.equal(first, -1, `partition ${p}: offset ${first} holds ${got[first]}, the generator's next event there is ${expected[first]}`);
    assert.equal(got.length, expected.length, `partition ${p}: every event of its users, none twice`);
    total += got.length;
  }
  assert.equal(total, want.length, 'every generated event is in the topic');
}

test('produce creates the topic and writes generated events keyed by user; --key-by none gives null keys', { timeout: 120_000 }, async () => {
  const topic = uniqueName('oxbow-it-produce');
  const run = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--partitions', '3', '--users', '200', '--duration', '6h', '--limit', '600']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { topic, created: true, records: 600, keyBy: 'userId' });
  const log = await kafkaLog(topic);
  assert.deepEqual([...log.keys()].sort(), [0, 1, 2], 'created with --partitions 3');
  const records = [...log.values()].flat();
  assert.equal(records.length, 600);
  for (const r of records) assert.equal(r.key, (JSON.parse(r.value!) as MusicEvent).userId);
  // Keyed by user: each user's events in one partition.
  const partitionsOf = new Map<string, Set<number>>();
  for (const [p, rs] of log) for (const r of rs) (partitionsOf.get(r.key!) ?? partitionsOf.set(r.key!, new Set()).get(r.key!)!).add(p);
  assert.ok([...partitionsOf.values()].every((s) => s.size === 1));

  const again = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--key-by', 'none', '--limit', '50']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), { topic, created: false, records: 50, keyBy: 'none' });
  const more = [...(await kafkaLog(topic)).values()].flat();
  assert.equal(more.length, 650);
  assert.equal(more.filter((r) => r.key === null).length, 50);

  const bad = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--partitions', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--partitions: '0' is not a whole number >= 1/);
});

test('produce keeps each partition in the generator\'s order over many batches: Kafka\'s log, partition by partition, is the generated events in order', { timeout: 180_000 }, async () => {
  // Fifty sends and more: with several sends in flight, kafkajs's idempotent producer put a partition's records out of
  // order by whole batches, so the topic held far more disorder than --disorder promised.
  const topic = uniqueName('oxbow-it-produce-order');
  const run = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--partitions', '2', '--users', '1500', '--duration', '3d',
    '--start', '2026-01-01T00:00:00Z', '--seed', '4', '--limit', '100000']);
  assert.equal(run.code, 0, run.stderr);
  // The oracle is the generator with the same options, read against Kafka's own log.
  const want = [...generateMusicEvents({ seed: 4, users: 1500, start: Date.UTC(2026, 0, 1), durationMs: 3 * 86_400_000, limit: 100_000 })];
  assert.equal(want.length, 100_000);
  await assertLogIsGenerated(topic, want);
});

test('produce into a single partition: every send stays under the broker\'s message size limit, and all events land once, in order', { timeout: 120_000 }, async () => {
  // 12,000 music events of ten million users (ids of 7 and 8 digits) in one partition: a send of 10,000 records was a
  // batch past the broker's default message.max.bytes of 1 MiB, and the command failed with MESSAGE_TOO_LARGE.
  const topic = uniqueName('oxbow-it-produce-one');
  const run = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--partitions', '1', '--users', '10000000', '--duration', '3d',
    '--start', '2026-02-01T00:00:00Z', '--seed', '9', '--limit', '12000']);
  assert.equal(run.code, 0, run.stderr);
  const want = [...generateMusicEvents({ seed: 9, users: 10_000_000, start: Date.UTC(2026, 1, 1), durationMs: 3 * 86_400_000, limit: 12_000 })];
  assert.equal(want.length, 12_000);
  await assertLogIsGenerated(topic, want);
});

test('produce --profiles-topic writes the same users\' profile versions to a compacted topic: keyed by user, Kafka timestamp = their time, tombstones as null values', { timeout: 120_000 }, async () => {
  const topic = uniqueName('oxbow-it-produce-ev');
  const profilesTopic = uniqueName('oxbow-it-produce-pr');
  const args = ['--users', '80', '--duration', '30d', '--start', '2026-01-01T00:00:00Z', '--seed', '7', '--limit', '500'];
  const run = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--partitions', '2', '--profiles-topic', profilesTopic, ...args]);
  assert.equal(run.code, 0, run.stderr);
  // The oracle is the generator with the same options, not oxbow's report of what it sent.
  const want = [...generateProfileVersions({ seed: 7, users: 80, start: Date.UTC(2026, 0, 1), durationMs: 30 * 86_400_000 })];
  assert.ok(want.some((v) => v.value === null) && want.length > 80, `the generator gives tombstones and changes (${want.length} versions)`);
  assert.deepEqual(JSON.parse(run.stdout), { topic, created: true, records: 500, keyBy: 'userId', profiles: { topic: profilesTopic, created: true, records: want.length } });
  const log = await kafkaLog(profilesTopic);
  assert.deepEqual([...log.keys()].sort(), [0, 1], 'created with --partitions 2');
  const got = [...log.values()].flat();
  const text = (v: { userId: string; ts: number; value: object | null }) => `${v.userId} ${v.ts} ${v.value === null ? 'null' : JSON.stringify(v.value)}`;
  assert.deepEqual(got.map((r) => text({ userId: r.key!, ts: r.timestamp, value: r.value === null ? null : JSON.parse(r.value) as object })).sort(), want.map(text).sort());
  for (const rs of log.values()) {
    // A user's versions sit in one partition, in the generator's (time) order.
    const users = new Set(rs.map((r) => r.key));
    for (const u of users) assert.deepEqual(rs.filter((r) => r.key === u).map((r) => r.timestamp), want.filter((v) => v.userId === u).map((v) => v.ts));
  }
  const admin = kafka().admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({ resources: [{ type: 2, name: profilesTopic, configNames: ['cleanup.policy'] }], includeSynonyms: false });
    assert.equal(described.resources[0]!.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue, 'compact');
  } finally {
    await admin.disconnect();
  }
  const same = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--profiles-topic', topic, '--limit', '1']);
  assert.equal(same.code, 2, same.stderr);
  assert.match(same.stderr, /--profiles-topic: name a topic other than --topic/);
});

test('produce → archive → sessions with the README defaults gives the offline sessions of every produced event', { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-try-'));
  try {
    const topic = uniqueName('oxbow-it-try');
    // Events of the last 12 hours (the default start is now minus --duration), cut at 3000.
    const produced = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--users', '300', '--duration', '12h', '--limit', '3000']);
    assert.equal(produced.code, 0, produced.stderr);
    const archive = `file://${join(dir, 'archive')}`;
    const archived = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--until-caught-up']);
    assert.equal(archived.code, 0, archived.stderr);
    assert.equal((JSON.parse(archived.stdout) as { records: number }).records, 3000);
    // 500 more after the archive, in event time after it (as a live tail is): the sessions read them from Kafka,
    // where the archive ends.
    const live = await runCli(['produce', '--brokers', brokers(), '--topic', topic, '--users', '2000', '--start', String(Date.now()), '--duration', '30m',
      '--seed', '2', '--limit', '500']);
    assert.equal(live.code, 0, live.stderr);
    const out = join(dir, 'out');
    const sessions = await runCli(['sessions', '--archive', archive, '--brokers', brokers(), '--topic', topic, '--aggregate', 'listening',
      '--stop-at-live', '--output', `file://${out}`]);
    assert.equal(sessions.code, 0, sessions.stderr);
    assert.equal(summaryValue(sessions.stderr, 'records read'), '3500 (archive 3000, kafka 500)');
    assert.equal(summaryValue(sessions.stderr, 'late events'), '0');
    // `oxbow produce`'s disorder (5 s) is within the default --bound (30 s): no event comes after the watermark.
    assert.equal(summaryValue(sessions.stderr, 'events behind watermark'), '0');
    const all = events(await kafkaLog(topic));
    assert.equal(all.length, 3500);
    assert.deepEqual(await publishedSessions(out), offlineSessions(all, 30 * 60_000, 'listening'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
