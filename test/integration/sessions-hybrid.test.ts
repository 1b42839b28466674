// `oxbow sessions` against the real Kafka and HDFS: archive + Kafka equals one offline pass, retention gaps are named, SIGKILL + restore publishes the same output.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { SessionEngine } from '../../src/engine/session-engine.js';
import { outputLine } from '../../src/sink/types.js';
import { generateMusicEvents, partitionOf, type MusicEvent } from '../../src/gen/music-events.js';
import { killAtCheckpoint } from './sessions-support.js';

const PARTITIONS = 4;
const bin = resolve('bin/oxbow.js');

function env(name: 'OXBOW_KAFKA_BROKERS' | 'OXBOW_WEBHDFS_URL'): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run \`npm test\` (it starts Kafka and HDFS), or \`npm run services -- start\` and export the lines it prints`);
  return value;
}

function hdfsUri(path: string): string {
  const url = new URL(env('OXBOW_WEBHDFS_URL'));
  return `webhdfs://${url.host}${path}`;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<Run>((resolveRun) => child.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr })));
  return { child, done };
}

async function oxbow(args: string[]): Promise<Run> {
  return start(args).done;
}

let kafka: Kafka;
let admin: Admin;
let producer: Producer;

before(async () => {
  kafka = new Kafka({ clientId: 'oxbow-it-sessions', brokers: env('OXBOW_KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
  env('OXBOW_WEBHDFS_URL');
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

after(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
});

async function createTopic(partitions: number): Promise<string> {
  const topic = `oxbow-it-sessions-${randomUUID().slice(0, 8)}`;
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true }), true);
  return topic;
}

/** Produces events in order, each to its user's partition, so offsets follow the generator's order per partition. */
async function produce(topic: string, events: MusicEvent[], partitions: number): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const byPartition = new Map<number, { key: string; value: string }[]>();
    for (const e of events.slice(i, i + 500)) {
      const p = partitionOf(e.userId, partitions);
      const list = byPartition.get(p) ?? [];
      list.push({ key: e.userId, value: JSON.stringify(e) });
      byPartition.set(p, list);
    }
    await producer.sendBatch({ acks: -1, topicMessages: [...byPartition].map(([p, messages]) => ({ topic, messages: messages.map((m) => ({ ...m, partition: p })) })) });
  }
}

async function archive(topic: string, root: string, rotateRecords: number): Promise<void> {
  const run = await oxbow(['archive', '--brokers', env('OXBOW_KAFKA_BROKERS'), '--topic', topic, '--archive', hdfsUri(root),
    '--event-time', 'ts', '--until-caught-up', '--rotate-records', String(rotateRecords), '--group', `${topic}-archiver`]);
  assert.equal(run.code, 0, `oxbow archive failed:\n${run.stderr}`);
}

/** The reference: every event through one engine in event-time order, then the end of input. */
function offlinePass(events: MusicEvent[], partitions: number): string[] {
  const lines: string[] = [];
  const engine = new SessionEngine({ gapMs: 30 * 60_000, aggregate: 'listening' }, {
    result: (r) => lines.push(outputLine({ type: 'session', key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result })),
    retraction: () => assert.fail('no retractions configured'),
    late: () => assert.fail('nothing is late in event-time order'),
  });
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) engine.processEvent(partitionOf(e.userId, partitions), e.userId, e.ts, e as unknown as Record<string, unknown>);
  engine.finish();
  return lines.sort();
}

async function published(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith('part-')).sort();
  const lines: string[] = [];
  for (const n of names) lines.push(...(await readFile(join(dir, n), 'utf8')).split('\n').filter(Boolean));
  return lines.sort();
}

function summaryValue(stderr: string, label: string): string {
  const m = new RegExp(`^\\s+${label}\\s+(.*)$`, 'm').exec(stderr);
  assert.ok(m, `no '${label}' in the summary:\n${stderr}`);
  return m[1]!.trim();
}

const events = [...generateMusicEvents({ seed: 17, users: 80, durationMs: 2 * 86_400_000, maxDisorderMs: 5000 })];
const historyCut = Math.floor(events.length * 0.7);

let topic: string;
let archiveRoot: string;
let cleanOutput: string;

test('archive + Kafka with --stop-at-live emits exactly the sessions of one offline pass, each once, every offset read once', { timeout: 180_000 }, async () => {
  topic = await createTopic(PARTITIONS);
  archiveRoot = `/oxbow-it/sessions-${randomUUID().slice(0, 8)}`;
  await produce(topic, events.slice(0, historyCut), PARTITIONS);
  await archive(topic, archiveRoot, 40);
  await produce(topic, events.slice(historyCut), PARTITIONS);

  cleanOutput = await mkdtemp(join(tmpdir(), 'oxbow-it-out-'));
  const run = await oxbow(['sessions', '--archive', hdfsUri(archiveRoot), '--brokers', env('OXBOW_KAFKA_BROKERS'), '--topic', topic,
    '--aggregate', 'listening', '--gap', '30m', '--bound', '10s', '--stop-at-live', '--output', `file://${cleanOutput}`]);
  assert.equal(run.code, 0, run.stderr);
  const got = await published(cleanOutput);
  const want = offlinePass(events, PARTITIONS);
  assert.ok(want.length > 200);
  assert.equal(new Set(got).size, got.length, 'no session published twice');
  assert.deepEqual(got, want);
  // Every offset exactly once: archive + Kafka records add up to what was produced, none read twice, none late.
  assert.equal(summaryValue(run.stderr, 'records read'), `${events.length} (archive ${historyCut}, kafka ${events.length - historyCut})`);
  assert.equal(summaryValue(run.stderr, 'late events'), '0');
  assert.equal(summaryValue(run.stderr, 'offsets skipped in gaps'), '0');
});

test('SIGKILL in the archive phase and again in the Kafka phase, restarted from the latest checkpoint: the published output equals the uninterrupted run', { timeout: 180_000 }, async () => {
  assert.ok(cleanOutput, 'the previous test built the topic and the clean output');
  const out = await mkdtemp(join(tmpdir(), 'oxbow-it-out-'));
  const cpDir = await mkdtemp(join(tmpdir(), 'oxbow-it-cp-'));
  const store = new CheckpointStore(new LocalFs(), cpDir);
  const common = ['sessions', '--archive', hdfsUri(archiveRoot), '--brokers', env('OXBOW_KAFKA_BROKERS'), '--topic', topic,
    '--aggregate', 'listening', '--gap', '30m', '--bound', '10s', '--output', `file://${out}`, '--checkpoint-dir', `file://${cpDir}`,
    '--checkpoint-interval', '0ms', '--prefetch', '1'];

  // Run 1: killed as soon as a checkpoint shows progress while every partition still reads the archive.
  const first = start(common);
  const killedInArchive = await killAtCheckpoint(first.child, store, (c) => c.id >= 3 && c.positions.every((p) => p.source === 'archive'));
  const r1 = await first.done;
  assert.ok(killedInArchive && r1.signal === 'SIGKILL', `run 1 ended before it could be killed in the archive phase:\n${r1.stderr}`);

  // Run 2: follows Kafka (no --stop-at-live); killed once every partition reads Kafka and has reached its end.
  const second = start([...common, '--from-savepoint', 'latest']);
  const killedInKafka = await killAtCheckpoint(second.child, store, async (c) => {
    if (!c.positions.every((p) => p.source === 'kafka')) return false;
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
    return c.positions.every((p) => p.nextOffset === ends.get(p.partition));
  }, 20);
  const r2 = await second.done;
  assert.ok(killedInKafka && r2.signal === 'SIGKILL', `run 2 ended before it could be killed in the Kafka phase:\n${r2.stderr}`);
  assert.match(r2.stderr, /restored/);

  // Run 3: restores and stops at live with everything fired.
  const r3 = await oxbow([...common, '--from-savepoint', 'latest', '--stop-at-live']);
  assert.equal(r3.code, 0, r3.stderr);
  assert.deepEqual(await published(out), await published(cleanOutput));
});

test('Kafka retention deleting offsets the archive lacks is a named gap; --on-gap warn skips and reports it', { timeout: 180_000 }, async () => {
  const gapTopic = await createTopic(1);
  const root = `/oxbow-it/gap-${randomUUID().slice(0, 8)}`;
  const few = events.slice(0, 300);
  await produce(gapTopic, few.slice(0, 100), 1);
  await archive(gapTopic, root, 1000);
  await produce(gapTopic, few.slice(100), 1);
  // Retention: Kafka drops offsets 0..149; the archive holds 0..99, so 100..149 are nowhere.
  // (kafkajs finds the partition leader in its metadata cache, which a fresh topic is not in until fetched.)
  await admin.fetchTopicMetadata({ topics: [gapTopic] });
  await admin.deleteTopicRecords({ topic: gapTopic, partitions: [{ partition: 0, offset: '150' }] }).catch((err: unknown) => {
    assert.fail(`deleting records of ${gapTopic} failed: ${String(err)} ${JSON.stringify((err as { errors?: unknown }).errors ?? null)}`);
  });
  const args = ['sessions', '--archive', hdfsUri(root), '--brokers', env('OXBOW_KAFKA_BROKERS'), '--topic', gapTopic, '--stop-at-live', '--output', 'file://' + await mkdtemp(join(tmpdir(), 'oxbow-it-out-'))];
  const failed = await oxbow(args);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, new RegExp(`topic ${gapTopic} partition 0: offsets 100\\.\\.149 are missing`));
  const warned = await oxbow([...args.slice(0, -1), 'file://' + await mkdtemp(join(tmpdir(), 'oxbow-it-out-')), '--on-gap', 'warn']);
  assert.equal(warned.code, 0, warned.stderr);
  assert.equal(summaryValue(warned.stderr, 'offsets skipped in gaps'), '50');
  assert.equal(summaryValue(warned.stderr, 'records read'), '250 (archive 100, kafka 150)');
});

test('SIGTERM stops with a savepoint; restoring it with --output kafka:// completes the same sessions, keyed by user', { timeout: 180_000 }, async () => {
  assert.ok(cleanOutput, 'the first test built the topic');
  const outTopic = await createTopic(1);
  const cpDir = await mkdtemp(join(tmpdir(), 'oxbow-it-cp-'));
  const store = new CheckpointStore(new LocalFs(), cpDir);
  const common = ['sessions', '--archive', hdfsUri(archiveRoot), '--brokers', env('OXBOW_KAFKA_BROKERS'), '--topic', topic,
    '--aggregate', 'listening', '--gap', '30m', '--bound', '10s', '--output', `kafka://${outTopic}`, '--checkpoint-dir', `file://${cpDir}`,
    '--checkpoint-interval', '0ms'];
  const following = start(common);
  let signalled = false;
  while (following.child.exitCode === null) {
    const latest = await store.latest().catch(() => null);
    if (latest && latest.checkpoint.positions.every((p) => p.source === 'kafka')) {
      following.child.kill('SIGTERM');
      signalled = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const stopped = await following.done;
  assert.ok(signalled, `the following run ended by itself:\n${stopped.stderr}`);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stderr, /stopped by\s+signal \(savepoint written\)/);
  const savepoints = (await readdir(cpDir)).filter((n) => n.startsWith('savepoint-'));
  assert.equal(savepoints.length, 1);

  const finished = await oxbow([...common, '--from-savepoint', `file://${join(cpDir, savepoints[0]!)}`, '--stop-at-live']);
  assert.equal(finished.code, 0, finished.stderr);

  const values = new Set<string>();
  const consumer = kafka.consumer({ groupId: `${outTopic}-check` });
  await consumer.connect();
  await consumer.subscribe({ topic: outTopic, fromBeginning: true });
  const end = BigInt((await admin.fetchTopicOffsets(outTopic))[0]!.high);
  await new Promise<void>((resolveRead, reject) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        assert.ok(message.value, 'no retractions configured, so no tombstones');
        const line = message.value.toString();
        assert.equal(message.key?.toString(), (JSON.parse(line) as { key: string }).key);
        values.add(line);
        if (BigInt(message.offset) + 1n >= end) resolveRead();
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  assert.deepEqual([...values].sort(), await published(cleanOutput));
});
