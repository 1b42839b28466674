// `oxbow sessions` through a Kafka outage longer than --idle-timeout in its Kafka phase: the broker is killed and
// restarted with its data while the job follows the live topic, and a backlog lands on every partition as it comes
// back. Silence during an outage is not idleness, so the partition whose backlog arrives first cannot run the watermark
// ahead of the others: the output equals the offline pass over every produced event, and nothing is late. And through
// HDFS faults while the job keeps its archive, checkpoints and output there: HDFS paused past every timeout and killed
// and restarted with its data during the replay (reads are retried in place), and killed and restarted in the Kafka
// phase, where the outage meets a checkpoint and the job starts again from its newest one.

import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTopic } from '../../../connectors/kafka/bulk-producer.js';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { openArchiveFs } from '../../../connectors/open-archive-fs.js';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import { pauseService, restartService, resumeService } from '../../../tools/services/services.js';
import { generateMusicEvents, partitionOf, type MusicEvent } from '../../../src/gen/music-events.js';
import { brokers, kafka, kafkaLog, removeArchive, runCli, startCli, topicOffsets, uniqueName, webhdfsArchive } from '../archive-support.js';
import { offlineSessions, produceEvents, publishedLines, publishedSessions, sessionKey, summaryValue } from '../sessions-support.js';

const PARTITIONS = 4;

/** Waits (at most two minutes) until the job's latest checkpoint has every partition reading Kafka at the topic's current end. */
async function untilCaughtUp(store: CheckpointStore, topic: string, job: { child: { exitCode: number | null }; stderr: () => string }): Promise<void> {
  const deadline = Date.now() + 120_000;
  let seen = '';
  while (Date.now() < deadline) {
    assert.equal(job.child.exitCode, null, `the job ended while it should follow the topic:\n${job.stderr()}`);
    const latest = await store.latest().catch(() => null);
    if (latest && latest.checkpoint.positions.every((p) => p.source === 'kafka')) {
      const ends = new Map((await topicOffsets(topic)).map((o) => [o.partition, o.latest]));
      seen = latest.checkpoint.positions.map((p) => `${p.partition}@${p.nextOffset}/${ends.get(p.partition)}`).join(' ');
      if (latest.checkpoint.positions.every((p) => p.nextOffset === ends.get(p.partition))) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`the job did not catch up within 2 minutes (last checkpoint ${seen || 'none in the Kafka phase'}):\n${job.stderr()}`);
}

test('Kafka killed and restarted with its data for longer than --idle-timeout in the Kafka phase, a backlog on every partition as it returns: the offline sessions, 0 late events', { timeout: 420_000 }, async () => {
  const events = [...generateMusicEvents({ seed: 31, users: 120, durationMs: 3 * 86_400_000, maxDisorderMs: 5000 })];
  const [archived, live] = [Math.floor(events.length * 0.5), Math.floor(events.length * 0.75)];
  const topic = uniqueName('oxbow-it-outage');
  await createTopic(kafka(), brokers(), topic, PARTITIONS);
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-outage-'));
  const archive = `file://${dir}/archive`;
  const store = new CheckpointStore(new LocalFs(), join(dir, 'cp'));
  const byUser = (e: MusicEvent) => ({ key: e.userId, partition: partitionOf(e.userId, PARTITIONS) });
  try {
    await produceEvents(topic, events.slice(0, archived), byUser);
    const archiving = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--group', `${topic}-g`, '--until-caught-up']);
    assert.equal(archiving.code, 0, archiving.stderr);
    await produceEvents(topic, events.slice(archived, live), byUser);

    const common = ['sessions', '--archive', archive, '--brokers', brokers(), '--topic', topic, '--aggregate', 'listening', '--gap', '30m',
      '--bound', '10s', '--idle-timeout', '3s', '--output', `file://${dir}/out`, '--checkpoint-dir', `file://${dir}/cp`, '--checkpoint-interval', '500ms'];
    let log = '';
    const following = startCli(common, (line) => { if (!/kafkajs/.test(line)) log += line + '\n'; }, { OXBOW_LOG_LEVEL: 'debug' });
    const job = { child: following.child, stderr: () => log };
    await untilCaughtUp(store, topic, job);
    // The outage (about 15 s) is far longer than --idle-timeout; the rest of the events land while the reader comes back.
    await restartService('kafka');
    await produceEvents(topic, events.slice(live), byUser);
    await untilCaughtUp(store, topic, job);
    following.child.kill('SIGTERM');
    const first = await following.done;
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /ECONNREFUSED/, 'the outage reached the job');
    assert.equal(summaryValue(first.stderr, 'late events'), '0', log);

    const last = await runCli([...common, '--from-savepoint', 'latest', '--stop-at-live']);
    assert.equal(last.code, 0, last.stderr);
    assert.equal(summaryValue(last.stderr, 'late events'), '0');
    assert.deepEqual(await publishedSessions(join(dir, 'out')), offlineSessions(events, 30 * 60_000, 'listening'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * Jobs replaying one HDFS archive of about 30 files, each with its checkpoints and output on HDFS too, each through one
 * of `faults` of HDFS once it has read its first records (a replay takes about 2 s); then on to the end of the live
 * tail (--stop-at-live). Each job must still run when HDFS is back, and the sessions it published must equal the
 * offline pass over every produced event.
 */
async function replaysThroughHdfs(faults: { name: string; fault: () => Promise<void> }[]): Promise<void> {
  const events = [...generateMusicEvents({ seed: 43, users: 200, durationMs: 4 * 86_400_000, maxDisorderMs: 5000 })];
  const archived = Math.floor(events.length * 0.9);
  const topic = uniqueName('oxbow-it-hdfs-replay');
  const root = `/oxbow-it/${topic}`;
  const byUser = (e: MusicEvent) => ({ key: e.userId, partition: partitionOf(e.userId, PARTITIONS) });
  await createTopic(kafka(), brokers(), topic, PARTITIONS);
  try {
    await produceEvents(topic, events.slice(0, archived), byUser);
    const archiving = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', webhdfsArchive(`${root}/archive`), '--group', `${topic}-g`,
      '--event-time', 'ts', '--rotate-records', '1000', '--until-caught-up']);
    assert.equal(archiving.code, 0, archiving.stderr);
    await produceEvents(topic, events.slice(archived), byUser);
    const expected = offlineSessions(events, 30 * 60_000, 'listening');

    for (const { name, fault } of faults) {
      let faulted!: () => void;
      const reached = new Promise<void>((resolve) => (faulted = resolve));
      const job = startCli(['sessions', '--archive', webhdfsArchive(`${root}/archive`), '--brokers', brokers(), '--topic', topic, '--stop-at-live',
        '--aggregate', 'listening', '--gap', '30m', '--prefetch', '1', '--progress-interval', '100ms',
        '--output', webhdfsArchive(`${root}/${name}/out`), '--checkpoint-dir', webhdfsArchive(`${root}/${name}/cp`), '--checkpoint-interval', '300ms'], (line) => {
        const m = / records=(\d+)/.exec(line);
        if (m && Number(m[1]) > 0) faulted();
      });
      await Promise.race([reached, job.done.then((r) => assert.fail(`the job ended before HDFS was ${name}:\n${r.stderr}`))]);
      await fault();
      assert.equal(job.child.exitCode, null, `the job was still replaying when HDFS came back from being ${name}`);
      const ended = await job.done;
      assert.equal(ended.code, 0, ended.stderr);
      assert.deepEqual((await publishedLines(webhdfsArchive(`${root}/${name}/out`))).map(sessionKey).sort(), expected, `HDFS ${name}`);
    }
  } finally {
    await removeArchive(webhdfsArchive(root)).catch(() => undefined);
  }
}

test('HDFS paused for 25 s, and killed and restarted with its data, while jobs replay an HDFS archive and keep their checkpoints and output there: the offline sessions', { timeout: 420_000 }, async () => {
  await replaysThroughHdfs([
    {
      name: 'paused',
      fault: async () => {
        await pauseService('hdfs');
        try {
          await new Promise((r) => setTimeout(r, 25_000));
        } finally {
          await resumeService('hdfs');
        }
      },
    },
    { name: 'restarted', fault: async () => { await restartService('hdfs'); } },
  ]);
});

/**
 * Live jobs, each keeping its archive, checkpoints and output on HDFS (one job, `parallel` options where a variant
 * gives them, and a `kafkaOutput` to a topic instead of HDFS where it asks for one), through one HDFS restart once
 * every partition of every job reads Kafka: every read of the archive is done, so the outage meets the jobs'
 * checkpoints and output, which they cannot retry in place (the part being written is lost with the DataNode). Each job
 * must restart from its newest checkpoint (`restarted` is its warning) and follow the rest of its topic. Then one event
 * per partition, an hour after every other, of users of its own, fires every session of the others: the sessions a job
 * publishes (over every partition's folder for a parallel job) must come to equal the offline pass over the other
 * events, and still equal it after SIGTERM's savepoint.
 */
async function followThroughHdfsRestart(variants: { name: string; parallel: string[]; kafkaOutput?: boolean; restarted: RegExp }[]): Promise<void> {
  const events = [...generateMusicEvents({ seed: 47, users: 120, durationMs: 3 * 86_400_000, maxDisorderMs: 5000 })];
  const [archived, live] = [Math.floor(events.length * 0.5), Math.floor(events.length * 0.75)];
  const byUser = (e: MusicEvent) => ({ key: e.userId, partition: partitionOf(e.userId, PARTITIONS) });
  const partitions = Array.from({ length: PARTITIONS }, (_, p) => p);
  const expected = offlineSessions(events, 30 * 60_000, 'listening');
  const lastTs = Math.max(...events.map((e) => e.ts));
  const closers: MusicEvent[] = partitions.map((p) => {
    let k = 0;
    while (partitionOf(`closer-${k}`, PARTITIONS) !== p) k++;
    return { userId: `closer-${k}`, ts: lastTs + 3_600_000, type: 'search' };
  });
  const jobs = variants.map(({ name, parallel, kafkaOutput, restarted }) => {
    const topic = uniqueName(`oxbow-it-hdfs-${name}`);
    const root = `/oxbow-it/${topic}`;
    const { fs, root: cp } = openArchiveFs(webhdfsArchive(`${root}/cp`));
    const stores = parallel.length === 0 ? [new CheckpointStore(fs, cp)] : partitions.map((p) => new CheckpointStore(fs, `${cp}/partition-${p}`));
    const outputs = parallel.length === 0 ? [webhdfsArchive(`${root}/out`)] : partitions.map((p) => webhdfsArchive(`${root}/out/partition-${p}`));
    // A kafka:// output sends a result again after a restore (keyed by user, the same line): its distinct lines count.
    const output = kafkaOutput ? `kafka://${topic}-out` : webhdfsArchive(`${root}/out`);
    const published = async (): Promise<string[]> => {
      const lines: string[] = [];
      if (kafkaOutput) {
        for (const records of (await kafkaLog(`${topic}-out`)).values()) lines.push(...records.map((r) => r.value!));
        return [...new Set(lines.map(sessionKey))].sort();
      }
      for (const out of outputs) lines.push(...await publishedLines(out).catch(() => []));
      return lines.map(sessionKey).sort();
    };
    return { name, parallel, kafkaOutput, output, restarted, topic, root, stores, published, log: '', run: null as ReturnType<typeof startCli> | null };
  });
  try {
    await Promise.all(jobs.map(async (j) => {
      await createTopic(kafka(), brokers(), j.topic, PARTITIONS);
      if (j.kafkaOutput) await createTopic(kafka(), brokers(), `${j.topic}-out`, 1);
      await produceEvents(j.topic, events.slice(0, archived), byUser);
      const archiving = await runCli(['archive', '--brokers', brokers(), '--topic', j.topic, '--archive', webhdfsArchive(`${j.root}/archive`), '--group', `${j.topic}-g`, '--until-caught-up']);
      assert.equal(archiving.code, 0, archiving.stderr);
      await produceEvents(j.topic, events.slice(archived, live), byUser);
      j.run = startCli(['sessions', '--archive', webhdfsArchive(`${j.root}/archive`), '--brokers', brokers(), '--topic', j.topic, '--aggregate', 'listening', '--gap', '30m',
        '--bound', '10s', '--idle-timeout', '3s', '--output', j.output, '--checkpoint-dir', webhdfsArchive(`${j.root}/cp`), '--checkpoint-interval', '500ms', ...j.parallel],
      (line) => { if (!/kafkajs/.test(line)) j.log += line + '\n'; });
      for (const store of j.stores) await untilCaughtUp(store, j.topic, { child: j.run.child, stderr: () => j.log });
    }));
    await restartService('hdfs');
    await Promise.all(jobs.map(async (j) => {
      const run = j.run!;
      await produceEvents(j.topic, [...events.slice(live), ...closers], byUser);
      const deadline = Date.now() + 120_000;
      let seen = await j.published();
      while (seen.length !== expected.length || !isDeepStrictEqual(seen, expected)) {
        assert.equal(run.child.exitCode, null, `${j.name}: the job ended while it should follow the topic:\n${j.log}`);
        assert.ok(seen.length <= expected.length && Date.now() < deadline, `${j.name}: published ${seen.length} sessions, expected ${expected.length}:\n${j.log}`);
        await new Promise((r) => setTimeout(r, 500));
        seen = await j.published();
      }
      run.child.kill('SIGTERM');
      const stopped = await run.done;
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stderr, j.restarted, `${j.name}: the outage reached the job, which restarted`);
      assert.deepEqual(await j.published(), expected, `${j.name}: after the savepoint`);
    }));
  } finally {
    for (const j of jobs) {
      j.run?.child.kill('SIGKILL');
      await removeArchive(webhdfsArchive(j.root)).catch(() => undefined);
    }
  }
}

test('HDFS killed and restarted with its data while live jobs keep their checkpoints (and output) there, one job, one of --workers 2 --co-partitioned and one writing to kafka://: each restarts from its newest checkpoints, the offline sessions', { timeout: 420_000 }, async () => {
  await followThroughHdfsRestart([
    { name: 'live', parallel: [], restarted: /the job failed; restarting from its newest checkpoint/ },
    { name: 'workers', parallel: ['--workers', '2', '--co-partitioned'], restarted: /the job of a partition failed; restarting from its newest checkpoint/ },
    { name: 'kafka-out', parallel: [], kafkaOutput: true, restarted: /the job failed; restarting from its newest checkpoint/ },
  ]);
});
