// `oxbow sessions` through a Kafka outage longer than --idle-timeout in its Kafka phase: the broker is killed and
// restarted with its data while the job follows the live topic, and a backlog lands on every partition as it comes
// back. Silence during an outage is not idleness, so the partition whose backlog arrives first cannot run the watermark
// ahead of the others: the output equals the offline pass over every produced event, and nothing is late. And through
// HDFS faults while the job keeps its archive, checkpoints and output there: HDFS paused past every timeout and killed
// and restarted with its data during the replay (reads are retried in place), and killed and restarted in the Kafka
// phase, where the outage meets a checkpoint and the job starts again from its newest one.

import assert from 'node:assert/strict';
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
import { brokers, kafka, removeArchive, runCli, startCli, topicOffsets, uniqueName, webhdfsArchive } from '../archive-support.js';
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
 * A job replaying an HDFS archive of 117 files, with its checkpoints and output on HDFS too, through `fault` of HDFS
 * once it has read its first records (the replay takes about 4 s); then on to the end of the live tail (--stop-at-live).
 * The job must still run when HDFS is back, and the sessions it published must equal the offline pass over every
 * produced event.
 */
async function replayThroughHdfs(name: string, fault: () => Promise<void>): Promise<void> {
  const events = [...generateMusicEvents({ seed: 43, users: 300, durationMs: 6 * 86_400_000, maxDisorderMs: 5000 })];
  const archived = Math.floor(events.length * 0.9);
  const topic = uniqueName(`oxbow-it-hdfs-${name}`);
  const root = `/oxbow-it/${topic}`;
  const byUser = (e: MusicEvent) => ({ key: e.userId, partition: partitionOf(e.userId, PARTITIONS) });
  await createTopic(kafka(), brokers(), topic, PARTITIONS);
  try {
    await produceEvents(topic, events.slice(0, archived), byUser);
    const archiving = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', webhdfsArchive(`${root}/archive`), '--group', `${topic}-g`,
      '--event-time', 'ts', '--rotate-records', '500', '--until-caught-up']);
    assert.equal(archiving.code, 0, archiving.stderr);
    await produceEvents(topic, events.slice(archived), byUser);

    let faulted!: () => void;
    const reached = new Promise<void>((resolve) => (faulted = resolve));
    const job = startCli(['sessions', '--archive', webhdfsArchive(`${root}/archive`), '--brokers', brokers(), '--topic', topic, '--stop-at-live',
      '--aggregate', 'listening', '--gap', '30m', '--prefetch', '1', '--progress-interval', '100ms',
      '--output', webhdfsArchive(`${root}/out`), '--checkpoint-dir', webhdfsArchive(`${root}/cp`), '--checkpoint-interval', '300ms'], (line) => {
      const m = / records=(\d+)/.exec(line);
      if (m && Number(m[1]) > 0) faulted();
    });
    await Promise.race([reached, job.done.then((r) => assert.fail(`the job ended before the fault:\n${r.stderr}`))]);
    await fault();
    assert.equal(job.child.exitCode, null, 'the job was still replaying when HDFS came back');
    const ended = await job.done;
    assert.equal(ended.code, 0, ended.stderr);
    assert.deepEqual((await publishedLines(webhdfsArchive(`${root}/out`))).map(sessionKey).sort(), offlineSessions(events, 30 * 60_000, 'listening'));
  } finally {
    await removeArchive(webhdfsArchive(root)).catch(() => undefined);
  }
}

test('HDFS paused for 25 s while a job replays an HDFS archive and keeps its checkpoints and output there: the offline sessions', { timeout: 300_000 }, async () => {
  await replayThroughHdfs('pause', async () => {
    await pauseService('hdfs');
    try {
      await new Promise((r) => setTimeout(r, 25_000));
    } finally {
      await resumeService('hdfs');
    }
  });
});

test('HDFS killed and restarted with its data while a job replays an HDFS archive and keeps its checkpoints and output there: the offline sessions', { timeout: 300_000 }, async () => {
  await replayThroughHdfs('restart', async () => { await restartService('hdfs'); });
});

test('HDFS killed and restarted with its data while a live job keeps its checkpoints and output there: the job restarts from its newest checkpoint, the offline sessions', { timeout: 420_000 }, async () => {
  const events = [...generateMusicEvents({ seed: 47, users: 120, durationMs: 3 * 86_400_000, maxDisorderMs: 5000 })];
  const [archived, live] = [Math.floor(events.length * 0.5), Math.floor(events.length * 0.75)];
  const topic = uniqueName('oxbow-it-hdfs-live');
  const root = `/oxbow-it/${topic}`;
  const byUser = (e: MusicEvent) => ({ key: e.userId, partition: partitionOf(e.userId, PARTITIONS) });
  await createTopic(kafka(), brokers(), topic, PARTITIONS);
  const { fs, root: cp } = openArchiveFs(webhdfsArchive(`${root}/cp`));
  const store = new CheckpointStore(fs, cp);
  try {
    await produceEvents(topic, events.slice(0, archived), byUser);
    const archiving = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', webhdfsArchive(`${root}/archive`), '--group', `${topic}-g`, '--until-caught-up']);
    assert.equal(archiving.code, 0, archiving.stderr);
    await produceEvents(topic, events.slice(archived, live), byUser);

    const common = ['sessions', '--archive', webhdfsArchive(`${root}/archive`), '--brokers', brokers(), '--topic', topic, '--aggregate', 'listening', '--gap', '30m',
      '--bound', '10s', '--idle-timeout', '3s', '--output', webhdfsArchive(`${root}/out`), '--checkpoint-dir', webhdfsArchive(`${root}/cp`), '--checkpoint-interval', '500ms'];
    let log = '';
    const following = startCli(common, (line) => { if (!/kafkajs/.test(line)) log += line + '\n'; });
    const job = { child: following.child, stderr: () => log };
    await untilCaughtUp(store, topic, job);
    // Every read of the archive is done: the outage meets the job's checkpoints and output, which it cannot retry in
    // place (the part being written is lost with the DataNode), so the job starts again from its newest checkpoint.
    await restartService('hdfs');
    await produceEvents(topic, events.slice(live), byUser);
    await untilCaughtUp(store, topic, job);
    following.child.kill('SIGTERM');
    const first = await following.done;
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /the job failed; restarting from its newest checkpoint/, 'the outage reached the job');
    assert.match(first.stderr, /restored from=webhdfs:/);

    const last = await runCli([...common, '--from-savepoint', 'latest', '--stop-at-live']);
    assert.equal(last.code, 0, last.stderr);
    assert.deepEqual((await publishedLines(webhdfsArchive(`${root}/out`))).map(sessionKey).sort(), offlineSessions(events, 30 * 60_000, 'listening'));
  } finally {
    await removeArchive(webhdfsArchive(root)).catch(() => undefined);
  }
});
