// The archive's promise against the real Kafka and HDFS, beyond the happy path: a real retention gap is named (and
// skipped only when asked), group offsets never decide where archiving starts, a wrong index entry cannot drop or
// skip records, a Kafka Connect writer's temp files in the same root survive, redirects go only to trusted hosts,
// and a password given on the command line never appears in what oxbow prints.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTopic, produceBulk } from '../../connectors/kafka/bulk-producer.js';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { INDEX_FILE_NAME } from '../../src/archive/partition-index.js';
import { partitionDir } from '../../src/archive/file-name.js';
import {
  assertArchiveEqualsLog, brokers, filledTopic, kafka, kafkaLog, readBack, removeArchive, runCli, topicOffsets, uniqueName, webhdfsArchive, webhdfsUrl,
  type KafkaLog,
} from './archive-support.js';

interface Summary {
  records: number;
  retentionGaps: { topic: string; partition: number; from: string; to: string }[];
}

const archiveArgs = (topic: string, archive: string, ...more: string[]) =>
  ['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--event-time', 'ts', '--until-caught-up', ...more];

async function setRetention(topic: string, ms: string): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: 'retention.ms', value: ms }] }] });
  } finally {
    await admin.disconnect();
  }
}

async function produceNumbered(topic: string, from: number, count: number): Promise<void> {
  await produceBulk(kafka(), brokers(), topic, count, (k) => ({ key: `u${(from + k) % 7}`, value: JSON.stringify({ userId: `u${(from + k) % 7}`, ts: 1_732_406_400_000 + (from + k) * 1000, i: from + k }) }), 500);
}

test('offsets deleted by real retention before they were archived stop the archiver naming the range; --on-retention-gap skip archives the rest and reports it', { timeout: 240_000 }, async () => {
  const topic = uniqueName('oxbow-it-retention');
  const archive = webhdfsArchive(`/oxbow-it/${topic}`);
  // Segments roll by time, so retention can delete all but the last one within seconds (the broker checks every second).
  await createTopic(kafka(), brokers(), topic, 1, { 'segment.ms': '1000' });
  try {
    await produceNumbered(topic, 0, 1000);
    const first = await runCli(archiveArgs(topic, archive, '--group', `${topic}-g`, '--rotate-records', '300'));
    assert.equal(first.code, 0, first.stderr);
    const before = await kafkaLog(topic);
    // More records in several segments, none archived; then retention deletes every closed segment.
    for (let chunk = 0; chunk < 4; chunk++) {
      await produceNumbered(topic, 1000 + chunk * 250, 250);
      await new Promise((r) => setTimeout(r, 1200));
    }
    await produceNumbered(topic, 2000, 10);
    await setRetention(topic, '100');
    let logStart = 0n;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && logStart <= 1000n; await new Promise((r) => setTimeout(r, 500))) {
      logStart = (await topicOffsets(topic))[0]!.earliest;
    }
    assert.ok(logStart > 1000n, `retention did not delete past the archive's end (log start ${logStart})`);
    // Retention off again, and records after the hole, so the archive continues past it.
    await setRetention(topic, '-1');
    await produceNumbered(topic, 3000, 20);

    const failing = await runCli(archiveArgs(topic, archive, '--group', `${topic}-g`));
    assert.equal(failing.code, 1, `a retention gap must fail the run:\n${failing.stderr}`);
    assert.match(failing.stderr, new RegExp(`offsets 1000\\.\\.${logStart - 1n} were deleted by Kafka's retention`));
    assert.match(failing.stderr, /--on-retention-gap skip/);

    const skipping = await runCli(archiveArgs(topic, archive, '--group', `${topic}-g`, '--on-retention-gap', 'skip'));
    assert.equal(skipping.code, 0, skipping.stderr);
    assert.deepEqual((JSON.parse(skipping.stdout) as Summary).retentionGaps, [{ topic, partition: 0, from: '1000', to: String(logStart - 1n) }]);
    // The oracle: what Kafka held before the deletion for the archived part, and what it holds now for the rest.
    const now = await kafkaLog(topic);
    const expected: KafkaLog = new Map([[0, [...before.get(0)!, ...now.get(0)!]]]);
    const back = await readBack(archive, topic, [0]);
    assert.equal(back.gaps.length, 1);
    assert.match(back.gaps[0]!, new RegExp(`starts at ${logStart}, previous file ended at 1000$`));
    assertArchiveEqualsLog(back, expected, 'the archive with a skipped gap', back.gaps);
    const inspect = await runCli(['inspect', '--archive', archive, '--topic', topic, '--brokers', brokers(), '--json']);
    assert.equal(inspect.code, 1, `inspect reports the lost offsets as a finding (exit 1):\n${inspect.stderr}`);
    const coverage = JSON.parse(inspect.stdout.trim()) as { gaps: unknown[]; kafka: { deletedAndMissing: unknown[] } };
    assert.deepEqual(coverage.gaps, [{ from: '1000', to: String(logStart - 1n) }]);
    assert.deepEqual(coverage.kafka.deletedAndMissing, [{ from: '1000', to: String(logStart - 1n) }]);
  } finally {
    await removeArchive(archive);
  }
});

test('an idle topic archived with the default group, then into a second root with the same group, and again after deleting the first root: each finishes with every offset once', { timeout: 240_000 }, async () => {
  const topic = await filledTopic('oxbow-it-idle-group', 2, 3000);
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-roots-'));
  const [rootA, rootB] = [`file://${dir}/a`, `file://${dir}/b`];
  try {
    const log = await kafkaLog(topic);
    // No --group: every run uses the default group, whose committed offsets are at the topic's end after the first.
    for (const [root, what] of [[rootA, 'first root'], [rootB, 'second root, same group']] as const) {
      const run = await runCli(archiveArgs(topic, root, '--rotate-records', '700'));
      assert.equal(run.code, 0, `${what}:\n${run.stderr}`);
      assert.equal((JSON.parse(run.stdout) as Summary).records, 3000, what);
      assertArchiveEqualsLog(await readBack(root, topic, [0, 1]), log, what);
    }
    await rm(join(dir, 'a'), { recursive: true, force: true });
    const rebuilt = await runCli(archiveArgs(topic, rootA));
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assertArchiveEqualsLog(await readBack(rootA, topic, [0, 1]), log, 'the first root rebuilt with the same group');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an index entry with a wrong nextOffset is detected and rebuilt by the archiver and by a replay; nothing is dropped', { timeout: 240_000 }, async () => {
  const topic = await filledTopic('oxbow-it-index', 1, 2000);
  const archive = webhdfsArchive(`/oxbow-it/${topic}`);
  try {
    const first = await runCli(archiveArgs(topic, archive, '--group', `${topic}-g`, '--rotate-records', '500'));
    assert.equal(first.code, 0, first.stderr);
    const { fs, root } = openArchiveFs(archive);
    const indexPath = `${partitionDir(root, topic, 0)}/${INDEX_FILE_NAME}`;
    const index = JSON.parse(Buffer.from(await fs.readFile(indexPath)).toString('utf8')) as { files: { nextOffset: string }[] };
    assert.equal(index.files.length, 4);
    // A middle entry claims more than its file holds (a replay would drop the next file's first records as duplicates);
    // the last entry claims an end far beyond the archive's (the archiver would resume there and lose the offsets between).
    index.files[1]!.nextOffset = '1700';
    index.files[3]!.nextOffset = '5000';
    await fs.delete(indexPath);
    await fs.writeFile(indexPath, new TextEncoder().encode(JSON.stringify(index)));

    const replay = await runCli(['sessions', '--archive', archive, '--topic', topic, '--gap', '30m']);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stderr, /records read\s+2000 \(archive 2000, kafka 0\)/);
    assert.match(replay.stderr, /duplicate offsets skipped\s+0/);

    await produceBulk(kafka(), brokers(), topic, 500, (i) => ({ key: `u${i}`, value: JSON.stringify({ userId: `u${i}`, ts: 1_732_500_000_000 + i }) }), 500);
    const again = await runCli(archiveArgs(topic, archive, '--group', `${topic}-g`));
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as Summary).records, 500);
    assertArchiveEqualsLog(await readBack(archive, topic, [0]), await kafkaLog(topic));
    const repaired = JSON.parse(Buffer.from(await fs.readFile(indexPath)).toString('utf8')) as { files: { nextOffset: string }[] };
    assert.deepEqual(repaired.files.map((f) => f.nextOffset), ['500', '1000', '1500', '2000', '2500']);
  } finally {
    await removeArchive(archive);
  }
});

test('a Kafka Connect temp file in the same root survives archiver restarts; oxbow\'s own leftovers do not', { timeout: 180_000 }, async () => {
  const topic = await filledTopic('oxbow-it-connect-tmp', 1, 1000);
  const archive = webhdfsArchive(`/oxbow-it/${topic}`);
  const { fs, root } = openArchiveFs(archive);
  const connectTemp = `${root}/topics/+tmp/${topic}/partition=0/${randomUUID()}_tmp.parquet`;
  const ownTemp = `${root}/topics/+tmp/+oxbow/${topic}/partition=0/${randomUUID()}.parquet`;
  try {
    await fs.writeFile(connectTemp, new TextEncoder().encode('a Connect writer is writing this'));
    for (let run = 0; run < 2; run++) {
      // New records each time, so each run resumes the partition (and cleans its temp folder) rather than finding it complete.
      if (run > 0) await produceBulk(kafka(), brokers(), topic, 100, (i) => ({ key: `k${i}`, value: JSON.stringify({ ts: 1_732_500_000_000 + i }) }), 100);
      await fs.writeFile(ownTemp, new TextEncoder().encode('left by a killed oxbow'), { overwrite: true });
      const result = await runCli(archiveArgs(topic, archive, '--group', `${topic}-g`));
      assert.equal(result.code, 0, result.stderr);
      assert.equal(Buffer.from(await fs.readFile(connectTemp)).toString(), 'a Connect writer is writing this', `run ${run}: Connect's temp file is intact`);
      assert.equal(await fs.stat(ownTemp), null, `run ${run}: oxbow's leftover was removed`);
    }
    assertArchiveEqualsLog(await readBack(archive, topic, [0]), await kafkaLog(topic));
  } finally {
    await removeArchive(archive);
  }
});

/** A pass-through proxy to the real NameNode that rewrites every redirect to point at another host. */
async function redirectingProxy(toHost: string): Promise<{ server: Server; port: number }> {
  const target = new URL(webhdfsUrl());
  const server = createServer((req, res) => {
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const headers = { ...answer.headers };
      if (typeof headers.location === 'string') {
        const location = new URL(headers.location);
        location.hostname = toHost;
        headers.location = location.href;
      }
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

test('a WebHDFS redirect to a host outside the allow-list is refused naming the host; a password on the command line never appears in the output', { timeout: 120_000 }, async () => {
  const topic = await filledTopic('oxbow-it-redirect', 1, 50);
  const { server, port } = await redirectingProxy('datanode.untrusted.example');
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-it-secret-'));
  try {
    const refused = await runCli(archiveArgs(topic, `webhdfs://127.0.0.1:${port}/oxbow-it/${topic}`, '--group', `${topic}-g`));
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /redirected to datanode\.untrusted\.example:\d+, which is not a trusted host/);
    assert.match(refused.stderr, /--datanodes datanode\.untrusted\.example/);

    const secret = `s3cret-${randomUUID().slice(0, 6)}`;
    const hdfs = new URL(webhdfsUrl()).host;
    const runs = [
      archiveArgs(topic, `webhdfs://etl:${secret}@${hdfs}/oxbow-it/x`),
      archiveArgs(topic, `webhdfs://${hdfs}/oxbow-it/x?password=${secret}`),
      ['archive', '--brokers', `etl:${secret}@${brokers()}`, '--topic', topic, '--archive', `file://${dir}/a`],
      ['inspect', '--archive', `webhdfs://etl:${secret}@${hdfs}/x`],
      ['sessions', '--archive', `file://${dir}/a`, '--brokers', `etl:${secret}@127.0.0.1:9`, '--topic', topic],
      ['sessions', '--archive', `webhdfs://etl:${secret}@${hdfs}/x`, '--topic', topic],
      ['sessions', '--archive', `file://${dir}/a`, '--topic', topic, '--output', `webhdfs://etl:${secret}@${hdfs}/out`],
    ];
    for (const args of runs) {
      const run = await runCli(args);
      assert.notEqual(run.code, 0, `${args.join(' ')} must fail`);
      assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), `the password appears in the output of ${args.slice(0, 1)}:\n${run.stderr}`);
    }
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
