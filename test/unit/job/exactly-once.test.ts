// Replaying the sample archive through the job path `oxbow sessions` runs: results equal one offline pass over all events,
// and a crash + restore from the latest checkpoint publishes exactly the same output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import { assembleSessionsJob } from '../../../src/job/assemble.js';
import { FileSink } from '../../../src/sink/file-sink.js';
import type { ArchiveCatalog } from '../../../src/source/types.js';
import { offlineSampleSessions, sampleCatalog as catalog, sampleFs as fs, sampleSpec } from '../../helpers/sample-archive.js';

/** Fails reading the n-th file it is asked for: a crash in the middle of the replay. */
function crashingCatalog(n: number): ArchiveCatalog {
  let reads = 0;
  return {
    description: catalog.description,
    listFiles: (p) => catalog.listFiles(p),
    readFile(file) {
      if (++reads === n) throw new Error('simulated crash');
      return catalog.readFile(file);
    },
  };
}

async function runOnce(outDir: string, cpDir: string, archive: ArchiveCatalog, intervalMs: number): Promise<void> {
  const store = new CheckpointStore(fs, cpDir, 2);
  const job = await assembleSessionsJob(sampleSpec({ boundMs: 5000, prefetch: 3, checkpointIntervalMs: intervalMs }), {
    archive, live: null, output: new FileSink(fs, outDir), store, restore: await store.latest(),
    onLate: () => assert.fail('no event of the sample archive is late'),
  });
  await job.run();
}

async function published(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith('part-')).sort();
  const lines: string[] = [];
  for (const n of names) lines.push(...(await readFile(join(dir, n), 'utf8')).split('\n').filter(Boolean));
  return lines;
}

test('replaying the archive gives exactly the sessions of one offline pass, each once', async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  await runOnce(out, cp, catalog, 60_000);
  const got = (await published(out)).sort();
  const want = await offlineSampleSessions();
  assert.ok(want.length > 300, `the sample should hold hundreds of sessions, got ${want.length}`);
  assert.equal(new Set(got).size, got.length, 'no result published twice');
  assert.deepEqual(got, want);
});

test('crashing twice mid-replay and restoring from the latest checkpoint publishes the same output as an uninterrupted run', async () => {
  const cleanOut = await mkdtemp(join(tmpdir(), 'oxbow-out-'));
  await runOnce(cleanOut, await mkdtemp(join(tmpdir(), 'oxbow-cp-')), catalog, 0);
  const out = await mkdtemp(join(tmpdir(), 'oxbow-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  await assert.rejects(runOnce(out, cp, crashingCatalog(7), 0), /simulated crash/);
  const afterFirst = (await published(out)).length;
  assert.ok(afterFirst > 0, 'the first run published some parts before the crash');
  await assert.rejects(runOnce(out, cp, crashingCatalog(9), 0), /simulated crash/);
  await runOnce(out, cp, catalog, 0);
  assert.deepEqual((await published(out)).sort(), (await published(cleanOut)).sort());
  assert.deepEqual(await readdir(join(out, '_pending')), []);
});
