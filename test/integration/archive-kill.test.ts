// kill -9 at 10 random moments (writing, renaming, updating the index, committing), restart each time: every offset archived exactly once.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertExactlyOnce, brokers, filledTopic, readBack, removeArchive, runCli, startCli, topicOffsets, uniqueName, webhdfsArchive } from './archive-support.js';

const KILLS = 10;

async function killTenTimes(archive: string, format: string, topic: string): Promise<number> {
  // A new group per run: a killed member would hold its partitions until its session times out, and the archive, not the
  // group offset, says where to resume anyway (which this also proves).
  const args = (run: number) => ['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--format', format,
    '--rotate-records', '3000', '--event-time', 'ts', '--group', `${topic}-${format}-${run}`, '--until-caught-up'];
  let killed = 0;
  for (let run = 0; run < KILLS; run++) {
    // A random trigger line, then a random few ms: lands anywhere between temp write, rename, index update and commit.
    const afterLines = 1 + Math.floor(Math.random() * 8);
    const delayMs = Math.floor(Math.random() * 120);
    let lines = 0;
    const { done } = startCli(args(run), (line, child) => {
      if (/published|resumes|assigned/.test(line) && ++lines === afterLines) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    const result = await done;
    if (result.signal === 'SIGKILL') killed++;
    else assert.equal(result.code, 0, `run ${run} ended by itself but failed:\n${result.stderr}`);
  }
  const final = await runCli(args(KILLS));
  assert.equal(final.code, 0, final.stderr);
  return killed;
}

test('SIGKILL at 10 random moments, restarted each time: the local JSONL.gz archive holds every offset exactly once', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-kill-'));
  try {
    const topic = await filledTopic('oxbow-it-kill', 4, 400_000);
    const killed = await killTenTimes(`file://${dir}`, 'jsonl.gz', topic);
    assert.ok(killed >= KILLS / 2, `only ${killed} of ${KILLS} runs were killed mid-way; the test did not exercise crashes`);
    assertExactlyOnce(await readBack(`file://${dir}`, topic, [0, 1, 2, 3]), await topicOffsets(topic));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('SIGKILL at 10 random moments, restarted each time: the HDFS Parquet archive holds every offset exactly once', { timeout: 240_000 }, async () => {
  const archive = webhdfsArchive(`/oxbow-it/${uniqueName('kill')}`);
  try {
    const topic = await filledTopic('oxbow-it-kill-hdfs', 4, 200_000);
    const killed = await killTenTimes(archive, 'parquet', topic);
    assert.ok(killed >= KILLS / 2, `only ${killed} of ${KILLS} runs were killed mid-way; the test did not exercise crashes`);
    assertExactlyOnce(await readBack(archive, topic, [0, 1, 2, 3]), await topicOffsets(topic));
  } finally {
    await removeArchive(archive);
  }
});
