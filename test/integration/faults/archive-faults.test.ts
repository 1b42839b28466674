// The archiver through real faults of the real services while a producer keeps writing: HDFS paused past every
// timeout, HDFS and Kafka killed and restarted with their data. Each run ends with an archive equal to Kafka's own log,
// offset by offset and value by value, and no retention gap reported (Kafka held every offset throughout). Both archive
// formats go through an HDFS fault: Parquet (a row group written as one append) and JSONL.gz (a gzip member compressed
// while the next fills, so a member's write is in flight when HDFS stops answering).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTopic } from '../../../connectors/kafka/bulk-producer.js';
import { pauseService, restartService, resumeService } from '../../../tools/services/services.js';
import {
  assertArchiveEqualsLog, brokers, kafka, kafkaLog, keepProducing, readBack, removeArchive, runCli, startCli, uniqueName, webhdfsArchive,
} from '../archive-support.js';

const PARTITIONS = 3;

interface Summary {
  records: number;
  retentionGaps: unknown[];
}

/**
 * Archives, in each of `formats`, a topic of its own that a producer keeps writing to; runs `fault` once every archiver
 * has published its first file (one fault meets them all at once), lets the producers go on for a while, stops the
 * archivers (SIGTERM: open files are published), finishes each tail with --until-caught-up, and compares each archive
 * with Kafka's log.
 */
async function archiveThrough(name: string, formats: readonly ('parquet' | 'jsonl.gz')[], fault: () => Promise<void>): Promise<void> {
  const runs = await Promise.all(formats.map(async (format) => {
    const topic = uniqueName(`oxbow-it-fault-${name}`);
    const archive = webhdfsArchive(`/oxbow-it/${topic}`);
    await createTopic(kafka(), brokers(), topic, PARTITIONS);
    const producer = keepProducing(topic, PARTITIONS, 1500);
    const common = ['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--format', format, '--event-time', 'ts', '--group', `${topic}-g`];
    let firstFile!: () => void;
    const published = new Promise<void>((resolve) => (firstFile = resolve));
    const live = startCli([...common, '--rotate-records', '1000', '--rotate-interval', '2s'], (line) => {
      if (/ published /.test(line)) firstFile();
    });
    return { format, topic, archive, producer, common, published, live };
  }));
  try {
    await Promise.all(runs.map((r) => r.published));
    await fault();
    await Promise.all(runs.map(async ({ format, topic, archive, producer, common, live }) => {
      // Keep producing a while after the fault, so the archiver must carry on, not only catch up.
      const after = producer.sent();
      while (producer.sent() < after + 6000) await new Promise((r) => setTimeout(r, 200));
      await producer.stop();
      live.child.kill('SIGTERM');
      const stopped = await live.done;
      assert.equal(stopped.code, 0, `the ${format} archiver through the fault:\n${stopped.stderr}`);
      assert.deepEqual((JSON.parse(stopped.stdout) as Summary).retentionGaps, [], 'Kafka held every offset: no retention gap');
      assert.doesNotMatch(stopped.stderr, /no longer holds|deleted by Kafka/, 'no retention gap was claimed');
      const tail = await runCli([...common, '--until-caught-up']);
      assert.equal(tail.code, 0, tail.stderr);
      assert.deepEqual((JSON.parse(tail.stdout) as Summary).retentionGaps, []);
      const log = await kafkaLog(topic);
      const total = [...log.values()].reduce((n, r) => n + r.length, 0);
      assert.ok(total >= 6000, `the topic holds ${total} records`);
      assertArchiveEqualsLog(await readBack(archive, topic, [...log.keys()]), log, `the ${format} archive after ${name}`);
    }));
  } finally {
    for (const { producer, live, archive } of runs) {
      await producer.stop().catch(() => 0);
      live.child.kill('SIGKILL');
      await removeArchive(archive);
    }
  }
}

async function pauseHdfs(): Promise<void> {
  await pauseService('hdfs');
  try {
    await new Promise((r) => setTimeout(r, 25_000));
  } finally {
    await resumeService('hdfs');
  }
}

test('HDFS paused for 25 s in the middle of a Parquet and a JSONL.gz archive run, producers writing throughout: every offset archived exactly once, no gap', { timeout: 300_000 }, async () => {
  await archiveThrough('hdfs-pause', ['parquet', 'jsonl.gz'], pauseHdfs);
});

test('HDFS killed (SIGKILL) and restarted with its data in the middle of a JSONL.gz archive run: every offset archived exactly once, no gap', { timeout: 300_000 }, async () => {
  await archiveThrough('hdfs-restart', ['jsonl.gz'], async () => {
    await restartService('hdfs');
  });
});

test('Kafka killed (SIGKILL) and restarted with its data in the middle of an archive run: every offset archived exactly once, no gap', { timeout: 300_000 }, async () => {
  await archiveThrough('kafka-restart', ['parquet'], async () => {
    await restartService('kafka');
  });
});
