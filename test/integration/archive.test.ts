// 1,000,000 keyed records on 4 partitions archived to HDFS (Parquet) and the local fs (JSONL.gz): every offset in exactly one file, read back.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertExactlyOnce, brokers, filledTopic, readBack, removeArchive, runCli, topicOffsets, uniqueName, webhdfsArchive } from './archive-support.js';

const RECORDS = 1_000_000;

test('1,000,000 records on 4 partitions: HDFS Parquet and local JSONL.gz archives hold every offset exactly once', { timeout: 360_000 }, async () => {
  const hdfsArchive = webhdfsArchive(`/oxbow-it/${uniqueName('archive')}`);
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-archive-'));
  try {
    const topic = await filledTopic('oxbow-it-archive', 4, RECORDS);
    const offsets = await topicOffsets(topic);
    assert.equal(offsets.reduce((n, o) => n + Number(o.latest), 0), RECORDS);

    const parquet = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', hdfsArchive, '--format', 'parquet',
      '--rotate-records', '100000', '--event-time', 'ts', '--group', `${topic}-hdfs`, '--until-caught-up']);
    assert.equal(parquet.code, 0, parquet.stderr);
    assert.equal(JSON.parse(parquet.stdout).records, RECORDS);
    const local = `file://${dir}`;
    const jsonl = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', local, '--format', 'jsonl.gz',
      '--rotate-bytes', '2MiB', '--event-time', 'ts', '--group', `${topic}-local`, '--until-caught-up']);
    assert.equal(jsonl.code, 0, jsonl.stderr);

    for (const archive of [hdfsArchive, local]) {
      const back = await readBack(archive, topic, [0, 1, 2, 3]);
      assertExactlyOnce(back, offsets);
      assert.ok(back.files > 4, `${archive}: rotation made more than one file per partition (${back.files})`);
    }

    // A second run over a complete archive archives nothing new.
    const again = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', local, '--format', 'jsonl.gz',
      '--group', `${topic}-local`, '--until-caught-up']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).records, 0);

    const inspect = await runCli(['inspect', '--archive', hdfsArchive, '--topic', topic, '--brokers', brokers(), '--json']);
    assert.equal(inspect.code, 0, inspect.stderr);
    const reports = inspect.stdout.trim().split('\n').map((l) => JSON.parse(l) as { partition: number; gaps: unknown[]; overlaps: unknown[]; records: number; kafka: { onlyInKafka: unknown } });
    assert.equal(reports.length, 4);
    for (const r of reports) {
      assert.deepEqual([r.gaps, r.overlaps, r.kafka.onlyInKafka], [[], [], null]);
      assert.equal(BigInt(r.records), offsets.find((o) => o.partition === r.partition)!.latest);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await removeArchive(hdfsArchive);
  }
});
