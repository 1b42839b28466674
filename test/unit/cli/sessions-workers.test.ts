// `oxbow sessions --workers N` on the bundled sample archive (no services): the same sessions as one job and as one
// offline pass, one output folder per partition; a second run of a finished job has nothing to do; options a parallel
// job cannot take, and another job's checkpoint folder, are refused naming what to do. The group and its faults are
// tested against the real Kafka and HDFS (test/integration/sessions-parallel.test.ts).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import { writeBenchArchive } from '../../../tools/bench/bench-archive.js';
import { offlineSampleSessions } from '../../helpers/sample-archive.js';

const bin = resolve('bin/oxbow.js');
const sample = `file://${resolve('fixtures/sample-archive')}`;

function oxbow(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

/** Every published line under `dir`, any depth (a parallel job writes `partition-<p>/`), sorted. */
async function published(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.startsWith('part-') && !e.parentPath.endsWith('_pending')) lines.push(...(await readFile(join(e.parentPath, e.name), 'utf8')).split('\n').filter(Boolean));
  }
  return lines.sort();
}

const base = ['sessions', '--archive', sample, '--topic', 'listens', '--aggregate', 'listening', '--gap', '30m'];

test('--workers 2 publishes the sessions of one job and of one offline pass, each partition in its own folder; a second run has nothing left to do', { timeout: 60_000 }, async () => {
  const single = await mkdtemp(join(tmpdir(), 'oxbow-w1-'));
  const parallel = await mkdtemp(join(tmpdir(), 'oxbow-w2-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-w2-cp-'));
  const one = await oxbow([...base, '--output', `file://${single}`]);
  assert.equal(one.code, 0, one.stderr);
  const two = await oxbow([...base, '--co-partitioned', '--workers', '2', '--output', `file://${parallel}`, '--checkpoint-dir', `file://${cp}`]);
  assert.equal(two.code, 0, two.stderr);
  assert.match(two.stderr, /worker owns partitions worker=0 partitions=0/);
  assert.match(two.stderr, /worker owns partitions worker=1 partitions=1/);
  assert.match(two.stderr, /partitions ended here\s+0,1/);
  assert.deepEqual((await readdir(parallel)).sort(), ['partition-0', 'partition-1']);
  const want = await offlineSampleSessions();
  assert.deepEqual(await published(single), want);
  assert.deepEqual(await published(parallel), want);
  // Every partition's newest checkpoint is final: the same command again reads nothing and publishes nothing more.
  const again = await oxbow([...base, '--co-partitioned', '--workers', '2', '--output', `file://${parallel}`, '--checkpoint-dir', `file://${cp}`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /records read\s+0 /);
  assert.deepEqual(await published(parallel), want);
  // Another job on that checkpoint folder is refused, naming the option that differs.
  const other = await oxbow([...base.map((a) => (a === '30m' ? '20m' : a)), '--co-partitioned', '--workers', '2', '--output', `file://${parallel}`, '--checkpoint-dir', `file://${cp}`]);
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /--checkpoint-dir file:\/\/\S+ belongs to a job started with --gap "30m"; this process has "20m"/);
});

test('results do not depend on how the work is spread: 1, 2 and 4 worker processes over 4 partitions, and 2 and 4 engine threads, publish the same sessions', { timeout: 120_000 }, async () => {
  const archive = await mkdtemp(join(tmpdir(), 'oxbow-w-spread-'));
  await writeBenchArchive(new LocalFs(), archive, { topic: 'listens', partitions: 4, users: 1500, hours: 36, eventsPerHour: 2000, startMs: Date.UTC(2025, 0, 1), seed: 9 });
  const job = ['sessions', '--archive', `file://${archive}`, '--aggregate', 'listening', '--gap', '30m'];
  try {
    const runs: [string, string[]][] = [
      ['one job', []],
      ['2 worker processes', ['--co-partitioned', '--workers', '2']],
      ['4 worker processes', ['--co-partitioned', '--workers', '4']],
      ['2 engine threads', ['--workers', '2']],
      ['4 engine threads', ['--workers', '4']],
    ];
    let want: string[] | null = null;
    for (const [what, more] of runs) {
      const out = await mkdtemp(join(tmpdir(), 'oxbow-w-spread-out-'));
      const run = await oxbow([...job, '--output', `file://${out}`, ...more]);
      assert.equal(run.code, 0, `${what}: ${run.stderr}`);
      if (what === '4 worker processes') for (let w = 0; w < 4; w++) assert.match(run.stderr, new RegExp(`worker owns partitions worker=${w} partitions=${w}\\b`));
      const got = await published(out);
      want ??= got;
      assert.ok(want.length > 1000);
      assert.deepEqual(got, want, `${what}: the sessions of one job`);
    }
  } finally {
    await rm(archive, { recursive: true, force: true });
  }
});

test('what a parallel job cannot take is refused (exit 2) naming the option and what to do', { timeout: 60_000 }, async () => {
  const out = `file://${await mkdtemp(join(tmpdir(), 'oxbow-w-'))}`;
  const cases: [string[], RegExp][] = [
    [['--group', 'g'], /--group g: each worker owns whole partitions, so every session key must live in one partition: pass --co-partitioned/],
    [['--workers', '2', '--profiles', 'profiles'], /--workers without --co-partitioned runs the engine in threads, and --profiles .*drop one of them/],
    [['--co-partitioned', '--group', 'g'], /--group g needs --brokers/],
    [['--co-partitioned', '--workers', '2', '--profiles', 'profiles'], /--workers 2: --profiles is not available in a parallel job yet/],
    [['--co-partitioned', '--workers', '2', '--from-savepoint', 'latest'], /--from-savepoint \(each partition continues from its newest checkpoint/],
    [['--co-partitioned', '--workers', '2', '--session-timeout', '1s'], /--session-timeout 1s: give 6s to 5m/],
    [['--co-partitioned', '--workers', '0'], /--workers/],
  ];
  for (const [more, message] of cases) {
    const run = await oxbow([...base, '--output', out, ...more]);
    assert.equal(run.code, 2, `${more.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
});

test('a command killed outright (SIGKILL) leaves no worker running: each notices its parent is gone and stops with a savepoint', { timeout: 60_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-w-orphan-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-w-orphan-cp-'));
  // A week of hourly files, long enough (seconds) for the workers to be mid-replay when their command dies.
  const archive = await mkdtemp(join(tmpdir(), 'oxbow-w-orphan-archive-'));
  await writeBenchArchive(new LocalFs(), archive, { topic: 'listens', partitions: 2, users: 2000, hours: 24 * 7, eventsPerHour: 3000, startMs: Date.UTC(2025, 0, 1), seed: 5 });
  const child = spawn(process.execPath, [bin, 'sessions', '--archive', `file://${archive}`, '--aggregate', 'listening', '--co-partitioned', '--workers', '2',
    '--output', `file://${out}`, '--checkpoint-dir', `file://${cp}`, '--checkpoint-interval', '0ms', '--prefetch', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  // Killed once both workers are mid-replay: each partition has checkpointed.
  const stores = [0, 1].map((p) => new CheckpointStore(new LocalFs(), join(cp, `partition-${p}`), 3, true));
  for (let i = 0; i < 600; i++) {
    const latest = await Promise.all(stores.map((s) => s.latest().catch(() => null)));
    if (latest.every((l) => l !== null)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const workers = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  assert.equal(workers.length, 2, `two worker processes:\n${stderr}`);
  child.kill('SIGKILL');
  await closed;
  await rm(archive, { recursive: true, force: true });
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 300 && workers.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(workers.filter(alive), [], 'every worker ended within 15 s of its command');
  // They stopped because their command was gone, not at the end of the archive.
  for (const [p, store] of stores.entries()) assert.equal((await store.latest())?.checkpoint.kind, 'savepoint', `partition ${p}'s newest checkpoint:\n${stderr}`);
});

/**
 * A week of hourly files over 2 partitions (long enough, seconds, for a run to be stopped mid-replay), the sessions
 * job over it, and what one uninterrupted job publishes.
 */
async function weekOfFiles(seed: number): Promise<{ archive: string; job: string[]; whole: string[] }> {
  const archive = await mkdtemp(join(tmpdir(), 'oxbow-w-week-'));
  await writeBenchArchive(new LocalFs(), archive, { topic: 'listens', partitions: 2, users: 2000, hours: 24 * 7, eventsPerHour: 3000, startMs: Date.UTC(2025, 0, 1), seed });
  const job = ['sessions', '--archive', `file://${archive}`, '--aggregate', 'listening', '--gap', '30m'];
  const whole = await mkdtemp(join(tmpdir(), 'oxbow-w-week-whole-'));
  const one = await oxbow([...job, '--output', `file://${whole}`]);
  assert.equal(one.code, 0, one.stderr);
  return { archive, job, whole: await published(whole) };
}

/**
 * Runs `args` writing checkpoints to `cp` at every step, and stops it (SIGTERM: a savepoint) once it has written
 * `checkpoints` more than the folder held; the run must exit 0 leaving a savepoint with its open sessions. Its stderr.
 */
async function stoppedMidRun(args: string[], cp: string, checkpoints = 5): Promise<string> {
  const store = new CheckpointStore(new LocalFs(), cp);
  const from = (await store.latest())?.checkpoint.id ?? 0;
  const child = spawn(process.execPath, [bin, ...args, '--checkpoint-dir', `file://${cp}`, '--checkpoint-interval', '0ms', '--prefetch', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  while (((await store.latest())?.checkpoint.id ?? 0) < from + checkpoints && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGTERM');
  assert.equal(await closed, 0, stderr);
  const latest = await store.latest();
  assert.equal(latest?.checkpoint.kind, 'savepoint', `stopped mid-run, not at the end:\n${stderr}`);
  assert.ok(latest!.checkpoint.engine !== null, 'open sessions were saved');
  return stderr;
}

/** What runs of one job published together, against one uninterrupted run: each session once. */
function eachOnce(got: string[], want: string[]): void {
  assert.equal(new Set(got).size, got.length, 'no session published twice');
  assert.deepEqual(got, want);
}

test('a single job stopped with a savepoint is continued by --workers 2 from its checkpoint folder: together they publish what one uninterrupted job does', { timeout: 120_000 }, async () => {
  const { archive, job, whole } = await weekOfFiles(6);
  try {
    // A single job, stopped (SIGTERM, savepoint) a few checkpoints in.
    const out = await mkdtemp(join(tmpdir(), 'oxbow-w-adopt-out-'));
    const cp = await mkdtemp(join(tmpdir(), 'oxbow-w-adopt-cp-'));
    await stoppedMidRun([...job, '--output', `file://${out}`], cp);
    assert.ok((await published(out)).length > 0, 'the single job published some sessions before it stopped');

    // Continued by a parallel job: each partition from its share of that savepoint.
    const rest = await oxbow([...job, '--co-partitioned', '--workers', '2', '--output', `file://${out}`, '--checkpoint-dir', `file://${cp}`]);
    assert.equal(rest.code, 0, rest.stderr);
    assert.match(rest.stderr, /continuing from a single job's checkpoint, one share per partition/);
    eachOnce(await published(out), whole);
  } finally {
    await rm(archive, { recursive: true, force: true });
  }
});

test('engine threads (--workers without --co-partitioned) stopped with SIGTERM, continued by one job, stopped again, finished by 3 threads: each session once, as one uninterrupted job', { timeout: 120_000 }, async () => {
  const { archive, job, whole: want } = await weekOfFiles(8);
  try {
    assert.ok(want.length > 1000);

    const out = await mkdtemp(join(tmpdir(), 'oxbow-w-threads-out-'));
    const cp = await mkdtemp(join(tmpdir(), 'oxbow-w-threads-cp-'));
    const output = ['--output', `file://${out}`];
    assert.match(await stoppedMidRun([...job, ...output, '--workers', '2'], cp), /engine threads threads=2/);
    await stoppedMidRun([...job, ...output, '--from-savepoint', 'latest'], cp);
    const rest = await oxbow([...job, ...output, '--checkpoint-dir', `file://${cp}`, '--from-savepoint', 'latest', '--workers', '3']);
    assert.equal(rest.code, 0, rest.stderr);
    eachOnce(await published(out), want);
  } finally {
    await rm(archive, { recursive: true, force: true });
  }
});

test('fixtures/parallel/job-v1.json, the job file of the first release of parallel jobs, is read: the same options go on, another --gap is refused', { timeout: 60_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'oxbow-w-fixture-'));
  const cp = await mkdtemp(join(tmpdir(), 'oxbow-w-fixture-cp-'));
  // Only the two paths, which depend on where this runs, are filled in; the rest is the released file as it is.
  const released = await readFile(resolve('fixtures/parallel/job-v1.json'), 'utf8');
  await writeFile(join(cp, 'job.json'), released.replace('"ARCHIVE"', JSON.stringify(sample)).replace('"OUTPUT"', JSON.stringify(`file://${out}`)));
  const args = [...base, '--co-partitioned', '--workers', '2', '--output', `file://${out}`, '--checkpoint-dir', `file://${cp}`];
  const same = await oxbow(args);
  assert.equal(same.code, 0, same.stderr);
  assert.deepEqual(await published(out), await offlineSampleSessions());
  const other = await oxbow(args.map((a) => (a === '30m' ? '20m' : a)));
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /belongs to a job started with --gap "30m"; this process has "20m"/);
});
