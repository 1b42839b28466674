// `oxbow sessions` gives the sessions of one offline pass over every produced event, on topics as users have them:
// keyed by another field (or by nothing), archived with the README's defaults, with an event from a broken clock in the
// live tail, written in transactions and compacted. The oracle is the engine fed every produced (committed) event in
// event-time order, keyed by user.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import { generateMusicEvents, partitionOf, type MusicEvent } from '../../src/gen/music-events.js';
import { brokers, emptiedBatches, kafka, removeArchive, runCli, startCli, topicOffsets, uniqueName, webhdfsArchive } from './archive-support.js';
import { offlineSessions, produceEvents, publishedSessions, summaryValue } from './sessions-support.js';

const PARTITIONS = 4;
const events = [...generateMusicEvents({ seed: 23, users: 60, durationMs: 2 * 86_400_000, maxDisorderMs: 5000 })];
const cut = Math.floor(events.length * 0.7);
const byUser = (e: MusicEvent) => ({ key: e.userId, partition: partitionOf(e.userId, PARTITIONS) });

async function topicWith(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await createTopic(kafka(), brokers(), topic, PARTITIONS);
  return topic;
}

const sessionsArgs = (topic: string, archive: string, out: string, ...more: string[]) => ['sessions', '--archive', archive, '--brokers', brokers(),
  '--topic', topic, '--aggregate', 'listening', '--gap', '30m', '--bound', '10s', '--stop-at-live', '--output', `file://${out}`, ...more];

test('a topic keyed by song, with null keys too, archived to HDFS and then live: the offline sessions per user; --co-partitioned stops naming the key and partitions', { timeout: 300_000 }, async () => {
  const topic = await topicWith('oxbow-it-by-song');
  // A user's events spread over every partition: songs go where their song id hashes, every tenth record has no key.
  const bySong = (e: MusicEvent, i: number) => (e.type === 'song' && i % 10 !== 0
    ? { key: e.songId, partition: partitionOf(e.songId, PARTITIONS) }
    : { key: null, partition: i % PARTITIONS });
  const archive = webhdfsArchive(`/oxbow-it/${topic}`);
  const out = await mkdtemp(join(tmpdir(), 'oxbow-it-by-song-'));
  try {
    await produceEvents(topic, events.slice(0, cut), bySong);
    const archived = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--group', `${topic}-g`, '--until-caught-up', '--rotate-records', '150']);
    assert.equal(archived.code, 0, archived.stderr);
    await produceEvents(topic, events.slice(cut), (e, i) => bySong(e, cut + i));

    const run = await runCli(sessionsArgs(topic, archive, join(out, 'all')));
    assert.equal(run.code, 0, run.stderr);
    const want = offlineSessions(events, 30 * 60_000, 'listening');
    assert.ok(want.length > 200, `${want.length} reference sessions`);
    assert.deepEqual(await publishedSessions(join(out, 'all')), want);
    assert.equal(summaryValue(run.stderr, 'late events'), '0');
    assert.equal(summaryValue(run.stderr, 'records read'), `${events.length} (archive ${cut}, kafka ${events.length - cut})`);

    const asserted = await runCli(sessionsArgs(topic, archive, join(out, 'co'), '--co-partitioned'));
    assert.equal(asserted.code, 2, asserted.stderr);
    assert.match(asserted.stderr, /--co-partitioned: key 'u\d+' has an open session from partition \d and an event in partition \d; the topic does not keep each key in one partition/);
  } finally {
    await removeArchive(archive);
    await rm(out, { recursive: true, force: true });
  }
});

test('the README\'s commands with their defaults agree on event time; a replay in another clock is refused naming both definitions', { timeout: 300_000 }, async () => {
  const topic = await topicWith('oxbow-it-defaults');
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-defaults-'));
  const archive = `file://${dir}/archive`;
  try {
    await produceEvents(topic, events, byUser);
    // The README's archive command (no event-time option), with rotation small enough for many files.
    const archived = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--group', `${topic}-g`, '--until-caught-up', '--rotate-records', '200']);
    assert.equal(archived.code, 0, archived.stderr);
    const want = offlineSessions(events, 30 * 60_000, 'listening');
    const replay = (name: string, ...more: string[]) => runCli(['sessions', '--archive', archive, '--aggregate', 'listening', '--gap', '30m', '--output', `file://${dir}/${name}`, ...more]);
    for (const [name, more] of [['default', []], ['explicit', ['--event-time', 'ts']], ['old-spelling', ['--time-field', 'ts']]] as const) {
      const run = await replay(name, ...more);
      assert.equal(run.code, 0, `${name}:\n${run.stderr}`);
      assert.deepEqual(await publishedSessions(join(dir, name)), want, name);
      assert.equal(summaryValue(run.stderr, 'late events'), '0', name);
      assert.equal(summaryValue(run.stderr, 'events behind watermark'), '0', name);
    }
    const other = await replay('other-clock', '--event-time', 'kafka-timestamp');
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /written with --event-time ts .*this job reads --event-time kafka-timestamp/);
    // Appending files of another clock to the archive is refused too.
    const mixed = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--group', `${topic}-g2`, '--until-caught-up', '--event-time', 'kafka-timestamp']);
    assert.equal(mixed.code, 2, mixed.stderr);
    assert.match(mixed.stderr, /written with --event-time ts .*this run uses --event-time kafka-timestamp/);

    for (const command of ['archive', 'sessions', 'sessionize']) {
      const help = await runCli([command, '--help']);
      assert.equal(help.code, 0);
      // The option's block: from its flags to the next option's.
      const block = /\n {2}--event-time <field\|kafka-timestamp>[^]*?(?=\n {2}-)/.exec(help.stdout)?.[0] ?? '';
      assert.match(block, /\(default: "ts"\)/, `${command} --help:\n${help.stdout}`);
      assert.doesNotMatch(help.stdout, /--time-field/, `${command} --help shows one option name`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an event from the year 2999 in the live tail goes to the dead-letter output and is counted; every other session is unaffected', { timeout: 300_000 }, async () => {
  const topic = await topicWith('oxbow-it-2999');
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-2999-'));
  const archive = `file://${dir}/archive`;
  try {
    await produceEvents(topic, events.slice(0, cut), byUser);
    const archived = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--group', `${topic}-g`, '--until-caught-up', '--rotate-records', '300']);
    assert.equal(archived.code, 0, archived.stderr);
    const tail = events.slice(cut);
    const broken: MusicEvent = { userId: 'u7', ts: Date.UTC(2999, 0, 1), type: 'song', songId: 's1' };
    const middle = Math.floor(tail.length / 2);
    await produceEvents(topic, [...tail.slice(0, middle), broken, ...tail.slice(middle)], byUser);

    const dead = join(dir, 'dead.jsonl');
    const run = await runCli([...sessionsArgs(topic, archive, join(dir, 'out')), '--dead-letter', dead]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await publishedSessions(join(dir, 'out')), offlineSessions(events, 30 * 60_000, 'listening'));
    assert.equal(summaryValue(run.stderr, 'bad records'), '1');
    assert.equal(summaryValue(run.stderr, 'late events'), '0');
    const letters = (await readFile(dead, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { reason: string; value: string });
    assert.equal(letters.length, 1);
    assert.deepEqual(JSON.parse(letters[0]!.value), broken);
    assert.match(letters[0]!.reason, /event time 2999-01-01T00:00:00\.000Z is more than 1h ahead of its Kafka record timestamp/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a topic written in transactions, some aborted, compacted, its log ending in a batch the cleaner emptied and a marker: archived and then live, the offline sessions of the committed events, and --stop-at-live ends', { timeout: 420_000 }, async (t) => {
  const topic = uniqueName('oxbow-it-transactions');
  await createTopic(kafka(), brokers(), topic, PARTITIONS, { 'cleanup.policy': 'compact', 'segment.ms': '100', 'min.cleanable.dirty.ratio': '0.01' });
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-transactions-'));
  const archive = `file://${dir}/archive`;
  // Each event keyed by itself, so compaction removes no committed event; in its user's partition.
  const chunks: MusicEvent[][] = [];
  for (let i = 0; i < events.length; i += 250) chunks.push(events.slice(i, i + 250));
  const aborted = (n: number) => n % 4 === 3 || n === chunks.length - 1;
  const producer = kafka().producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
  /** Where each partition's log ended before the last transaction. */
  let lastBegins = new Map<number, bigint>();
  const produce = async (from: number, to: number) => {
    for (let n = from; n < to; n++) {
      if (n === chunks.length - 1) lastBegins = new Map((await topicOffsets(topic)).map((o) => [o.partition, o.latest]));
      const tx = await producer.transaction();
      await tx.send({ topic, messages: chunks[n]!.map((e, i) => ({ key: `${e.userId}/${n}/${i}`, partition: partitionOf(e.userId, PARTITIONS), value: JSON.stringify(e) })) });
      // The last one is aborted after a pause longer than segment.ms: its marker starts a segment of its own, and the
      // cleaner empties the batch before it (kept for the producer's state).
      if (n === chunks.length - 1) await new Promise((r) => setTimeout(r, 500));
      await (aborted(n) ? tx.abort() : tx.commit());
    }
  };
  try {
    await producer.connect();
    const half = Math.floor(chunks.length / 2);
    await produce(0, half);
    const archived = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--group', `${topic}-g`, '--until-caught-up', '--rotate-records', '300']);
    assert.equal(archived.code, 0, archived.stderr);
    await produce(half, chunks.length);
    await producer.disconnect();

    // Kafka's own log shows the trap set: in a partition the last transaction wrote to, its batch emptied by the cleaner.
    const last = new Set(chunks[chunks.length - 1]!.map((e) => partitionOf(e.userId, PARTITIONS)));
    const emptied = await emptiedBatches(topic, last, lastBegins);
    t.diagnostic(`after ${emptied[0]!.afterS} s the cleaner had emptied the last batch of partitions ${emptied.map((e) => e.partition).join(',')} of ${[...last].join(',')}`);

    const committed = chunks.filter((_, n) => !aborted(n)).flat();
    const want = offlineSessions(committed, 30 * 60_000, 'listening');
    assert.ok(want.length > 200, `${want.length} reference sessions`);
    for (const [name, env] of [['reader thread', {}], ['no reader thread', { OXBOW_READER_THREAD: 'off' }]] as const) {
      const out = join(dir, name.replace(/ /g, '-'));
      const run = startCli(sessionsArgs(topic, archive, out), undefined, env);
      const stuck = setTimeout(() => run.child.kill('SIGKILL'), 120_000);
      const result = await run.done.finally(() => clearTimeout(stuck));
      assert.equal(result.code, 0, `${name}: exit ${result.code ?? result.signal} (killed if it had not ended within 120 s):\n${result.stderr}`);
      assert.deepEqual(await publishedSessions(out), want, name);
      assert.equal(summaryValue(result.stderr, 'late events'), '0');
      assert.match(summaryValue(result.stderr, 'records read'), new RegExp(`^${committed.length} \\(archive \\d+, kafka \\d+\\)$`));
    }
  } finally {
    await producer.disconnect().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
});
