// `oxbow sessions --workers N` on the bundled sample archive (no services): the same sessions as one job and as one
// offline pass, one output folder per partition; a second run of a finished job has nothing to do; options a parallel
// job cannot take, and another job's checkpoint folder, are refused naming what to do. The group and its faults are
// tested against the real Kafka and HDFS (test/integration/sessions-parallel.test.ts).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
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

test('what a parallel job cannot take is refused (exit 2) naming the option and what to do', { timeout: 60_000 }, async () => {
  const out = `file://${await mkdtemp(join(tmpdir(), 'oxbow-w-'))}`;
  const cases: [string[], RegExp][] = [
    [['--workers', '2'], /--workers 2: each worker owns whole partitions, so every session key must live in one partition: pass --co-partitioned/],
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
