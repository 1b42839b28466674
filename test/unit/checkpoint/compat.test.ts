// Checkpoint compatibility: every sample in fixtures/checkpoints/ (one per released version, taken mid-replay of the
// sample archive) restores through the job path `oxbow sessions` runs and completes the replay exactly.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { CHECKPOINT_VERSION, decodeCheckpoint } from '../../../src/checkpoint/format.js';
import { assembleSessionsJob } from '../../../src/job/assemble.js';
import { CURRENT_FORMAT_VERSION } from '../../../src/state/snapshot-format.js';
import { MemorySink } from '../../helpers/memory-sink.js';
import { sampleProfiles } from '../../../tools/gen/build-sample-archive.js';
import { offlineSampleSessions, profileAsOf, sampleCatalog, sampleProfilesCatalog, sampleProfilesSpec, sampleSpec } from '../../helpers/sample-archive.js';

const dir = resolve('fixtures/checkpoints');
const samples = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('fixtures/checkpoints/ holds a sample of every checkpoint version written so far, with engine snapshots of every format', async () => {
  assert.ok(samples.some((f) => f.startsWith('v1-')) && samples.some((f) => f.startsWith(`v${CURRENT_FORMAT_VERSION}-`)), samples.join(', '));
  const versions = new Set(await Promise.all(samples.map(async (f) => (JSON.parse(await readFile(join(dir, f), 'utf8')) as { version: number }).version)));
  for (let v = 1; v <= CHECKPOINT_VERSION; v++) assert.ok(versions.has(v), `a sample of checkpoint format ${v}`);
});

for (const file of samples) {
  test(`${file}: restores and the replay from it emits exactly the sessions not yet fired when it was taken`, async () => {
    const path = join(dir, file);
    const checkpoint = decodeCheckpoint(path, await readFile(path, 'utf8'));
    const output = new MemorySink();
    // A checkpoint of format 2 was taken with --profiles: it restores only with them, and its results carry them.
    const profiles = checkpoint.profiles ? { spec: sampleProfilesSpec, ports: { archive: sampleProfilesCatalog, live: null } } : null;
    const job = await assembleSessionsJob(sampleSpec(profiles ? { profiles: profiles.spec } : {}), {
      archive: sampleCatalog, live: null, output, store: null, restore: { path, checkpoint }, profiles: profiles?.ports,
      onLate: () => assert.fail('nothing is late'),
    });
    await job.run();
    let want = await offlineSampleSessions(checkpoint.watermarks.job!);
    if (profiles) {
      const versions = [...sampleProfiles()];
      want = want.map((line) => {
        const r = JSON.parse(line) as { key: string; start: number };
        return JSON.stringify({ ...r, profile: profileAsOf(versions, r.key, r.start) });
      }).sort();
    }
    assert.ok(want.length > 100);
    assert.deepEqual([...output.lines].sort(), want);
  });
}

test('a checkpoint of another partition set is refused before anything runs, naming what to pass', async () => {
  const path = join(dir, samples[0]!);
  const checkpoint = decodeCheckpoint(path, await readFile(path, 'utf8'));
  await assert.rejects(assembleSessionsJob(sampleSpec({ partitions: [0] }), { archive: sampleCatalog, live: null, output: new MemorySink(), store: null, restore: { path, checkpoint } }),
    /covers partitions 0,1, this job reads 0; pass --partitions 0,1/);
});
