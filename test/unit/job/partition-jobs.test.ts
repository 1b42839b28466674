// A parallel job's partitions moving between workers (src/job/partition-jobs.ts) over the sample archive, on the job path
// `oxbow sessions --workers/--group` runs: per-partition checkpoints and output, a handover with a savepoint, and an old
// owner that keeps running after its partition was taken (a paused process) is fenced, and a job whose checkpoint write
// fails on storage out of reach restarts from its newest checkpoint. The oracle is one offline pass.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchiveFs } from '../../../src/archive-fs.js';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import { ConnectionError } from '../../../src/errors.js';
import { openPartitionJob, PartitionJobs, type PartitionPorts } from '../../../src/job/partition-jobs.js';
import { FileSink } from '../../../src/sink/file-sink.js';
import type { ArchiveCatalog } from '../../../src/source/types.js';
import { offlineSampleSessions, sampleCatalog, sampleFs as fs, sampleSpec } from '../../helpers/sample-archive.js';

/** The sample archive, each file read after a pause: a partition's job takes long enough to be caught mid-way. */
const slowCatalog = (ms: number): ArchiveCatalog => ({
  description: sampleCatalog.description,
  listFiles: (p) => sampleCatalog.listFiles(p),
  async *readFile(file) {
    await new Promise((r) => setTimeout(r, ms));
    yield* sampleCatalog.readFile(file);
  },
});

/** The sample archive, each file read only once `gate` has opened: a process frozen mid-replay (SIGSTOP) until then. */
function frozenCatalog(gate: Promise<void>): ArchiveCatalog {
  return {
    description: sampleCatalog.description,
    listFiles: (p) => sampleCatalog.listFiles(p),
    async *readFile(file) {
      await gate;
      yield* sampleCatalog.readFile(file);
    },
  };
}

function ports(out: string, cp: string, archive: ArchiveCatalog): PartitionPorts {
  return {
    archive,
    live: () => null,
    output: (p) => new FileSink(fs, join(out, `partition-${p}`), true),
    store: (p) => new CheckpointStore(fs, join(cp, `partition-${p}`), 3, true),
  };
}

function worker(out: string, cp: string, archive: ArchiveCatalog): PartitionJobs {
  const spec = sampleSpec({ checkpointIntervalMs: 0, prefetch: 1 });
  return new PartitionJobs({ open: (partition, signal) => openPartitionJob(spec, ports(out, cp, archive), partition, signal, true) });
}

async function published(out: string): Promise<string[]> {
  const lines: string[] = [];
  for (const folder of await readdir(out)) {
    for (const n of (await readdir(join(out, folder))).filter((x) => x.startsWith('part-'))) {
      lines.push(...(await readFile(join(out, folder, n), 'utf8')).split('\n').filter(Boolean));
    }
  }
  return lines.sort();
}

/** The output holds exactly `want`: every session once. */
async function assertPublishedOnce(out: string, want: string[]): Promise<void> {
  const got = await published(out);
  assert.equal(new Set(got).size, got.length, 'no session published twice');
  assert.deepEqual(got, want);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting until ${what}`);
}

const checkpointsOf = async (cp: string, p: number): Promise<number> => (await new CheckpointStore(fs, join(cp, `partition-${p}`), 3, true).latest())?.checkpoint.id ?? 0;

test('two workers, each owning one partition: the published output is the offline pass', async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-pj-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-pj-cp-'));
  const a = worker(out, cp, sampleCatalog);
  const b = worker(out, cp, sampleCatalog);
  a.assign([0]);
  b.assign([1]);
  await Promise.all([a.idle(), b.idle()]);
  assert.equal(a.error ?? b.error, null);
  assert.deepEqual([...a.finished, ...b.finished].sort(), [0, 1]);
  await assertPublishedOnce(out, await offlineSampleSessions());
});

test('a partition handed over mid-replay (savepoint, then a claim by the new owner) is published exactly once', async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-pj-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-pj-cp-'));
  const a = worker(out, cp, slowCatalog(2));
  const b = worker(out, cp, slowCatalog(2));
  a.assign([0, 1]);
  await until('partition 0 has checkpointed a few times', async () => (await checkpointsOf(cp, 0)) >= 4);
  // The rebalance: A gives up partition 0 (it stops with a savepoint), B gets it and continues from there.
  a.assign([1]);
  b.assign([0]);
  await Promise.all([a.idle(), b.idle()]);
  assert.equal(a.error ?? b.error, null);
  assert.deepEqual([...b.finished], [0]);
  await assertPublishedOnce(out, await offlineSampleSessions());
});

test('an old owner still running after its partition was claimed (a paused process) is fenced and publishes nothing more', async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-pj-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-pj-cp-'));
  let thaw!: () => void;
  const a = worker(out, cp, frozenCatalog(new Promise((resolve) => { thaw = resolve; })));
  const b = worker(out, cp, slowCatalog(1));
  const fenced: number[] = [];
  a.on('fenced', ({ payload }) => {
    fenced.push(payload.partition);
    // What its group membership would tell it on waking: the partition is no longer its own.
    a.assign([]);
  });
  a.assign([0]);
  // A is frozen before its first file; B takes partition 0, which A was never told, and gets well ahead.
  assert.deepEqual(a.owned(), [0]);
  b.assign([0]);
  await until('B has checkpointed partition 0 a few times', async () => (await checkpointsOf(cp, 0)) >= 4);
  // A wakes up and carries on as if nothing happened, until its next checkpoint is refused.
  thaw();
  await Promise.all([a.idle(), b.idle()]);
  assert.equal(a.error ?? b.error, null);
  assert.deepEqual(fenced, [0]);
  assert.deepEqual([...a.finished], []);
  assert.deepEqual([...b.finished], [0]);
  const want = (await offlineSampleSessions()).filter((l) => (JSON.parse(l) as { partition: number }).partition === 0);
  assert.ok(want.length > 50);
  await assertPublishedOnce(out, want);
});

test('an owner that found no checkpoint, while another owner started the partition and published, looks again instead of refusing the folder', async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-pj-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-pj-cp-'));
  const a = worker(out, cp, slowCatalog(1));
  a.assign([0]);
  // B looked for partition 0's checkpoints before A wrote its first, and gets to its output folder only after A has
  // published a part: what a rebalance early in a run can do.
  const published1 = until('A has published a part of partition 0', async () => (await readdir(join(out, 'partition-0')).catch(() => [])).some((n) => n.startsWith('part-')));
  const late = class extends CheckpointStore {
    private looked = false;
    override async latest(): ReturnType<CheckpointStore['latest']> {
      if (this.looked) return super.latest();
      this.looked = true;
      await published1;
      return null;
    }
  };
  const spec = sampleSpec({ checkpointIntervalMs: 0, prefetch: 1 });
  // One store for B's partition 0, so that only its first look misses A's checkpoints.
  const bStore = new late(fs, join(cp, 'partition-0'), 3, true);
  const bPorts = { ...ports(out, cp, slowCatalog(1)), store: () => bStore };
  const b = new PartitionJobs({ open: (partition, signal) => openPartitionJob(spec, bPorts, partition, signal, true), fencedPauseMs: 10 });
  const fenced: string[] = [];
  b.on('fenced', ({ payload }) => fenced.push(payload.message));
  // Both believe they own it (A has not heard of the rebalance yet); A then hears and lets go.
  b.assign([0]);
  await published1;
  await until('B was fenced', async () => fenced.length > 0);
  a.assign([]);
  await Promise.all([a.idle(), b.idle()]);
  assert.equal(a.error ?? b.error, null);
  assert.match(fenced[0]!, /published results after this one found no checkpoint/);
  assert.deepEqual([...b.finished], [0]);
  const want = (await offlineSampleSessions()).filter((l) => (JSON.parse(l) as { partition: number }).partition === 0);
  await assertPublishedOnce(out, want);
});

/** A checkpoint folder whose storage fails the `failAt`-th checkpoint write with an error that may pass (HDFS out of reach). */
function failingStore(cp: string, p: number, failAt: number): { store: CheckpointStore; failed: () => boolean } {
  let writes = 0;
  const flaky: ArchiveFs = Object.create(fs) as ArchiveFs;
  flaky.writeFile = async (path, data, options) => {
    if (++writes === failAt) throw new ConnectionError('127.0.0.1:9870', 'cannot reach the DataNode (ECONNRESET)');
    return fs.writeFile(path, data, options);
  };
  return { store: new CheckpointStore(flaky, join(cp, `partition-${p}`), 3, true), failed: () => writes >= failAt };
}

test('a partition\'s job that fails on storage out of reach restarts from its newest checkpoint when restartable; otherwise the worker fails', async () => {
  const spec = sampleSpec({ checkpointIntervalMs: 0, prefetch: 1 });
  for (const restartable of [true, false]) {
    const out = await mkdtemp(join(tmpdir(), 'oxbow-pj-out-'));
    const cp = await mkdtemp(join(tmpdir(), 'oxbow-pj-cp-'));
    // One store per partition for the worker's life: its 6th checkpoint write fails, mid-replay.
    const stores = new Map([0, 1].map((p) => [p, failingStore(cp, p, 6).store]));
    const flakyPorts = { ...ports(out, cp, sampleCatalog), store: (p: number) => stores.get(p)! };
    const jobs = new PartitionJobs({ open: (partition, signal) => openPartitionJob(spec, flakyPorts, partition, signal, true), restartable });
    jobs.assign([0, 1]);
    await jobs.idle();
    if (!restartable) {
      assert.match(String(jobs.error), /cannot reach the DataNode/);
      continue;
    }
    assert.equal(jobs.error, null);
    assert.deepEqual([...jobs.finished].sort(), [0, 1]);
    await assertPublishedOnce(out, await offlineSampleSessions());
  }
});

test('a partition revoked while its job waits to restart stops without failing the worker; its new owner publishes it exactly once', async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-pj-out-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-pj-cp-'));
  const spec = sampleSpec({ checkpointIntervalMs: 0, prefetch: 1 });
  const flaky = failingStore(cp, 0, 6);
  const aPorts = { ...ports(out, cp, slowCatalog(1)), store: () => flaky.store };
  const a = new PartitionJobs({ open: (partition, signal) => openPartitionJob(spec, aPorts, partition, signal, true), restartable: true });
  a.assign([0]);
  // The failure comes at A's 6th checkpoint; the first restart waits about 200 ms, and the rebalance comes in that wait.
  await until('A\'s checkpoint write failed', async () => flaky.failed());
  a.assign([]);
  await a.idle();
  assert.equal(a.error, null);
  const b = worker(out, cp, sampleCatalog);
  b.assign([0]);
  await b.idle();
  assert.equal(b.error, null);
  assert.deepEqual([...b.finished], [0]);
  await assertPublishedOnce(out, (await offlineSampleSessions()).filter((l) => (JSON.parse(l) as { partition: number }).partition === 0));
});
