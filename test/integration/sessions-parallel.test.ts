// A parallel `oxbow sessions` against the real Kafka and HDFS (docs/scaling.md): a 4-partition topic keyed by user,
// archived to HDFS and then live, gives exactly the sessions of a single-worker run and of one offline pass with
// (a) --workers 2 in one process, (b) two processes in one --group, (c) the same with one process SIGKILLed mid-archive;
// (d) a topic keyed by song gives the offline sessions with --workers 2 (engine threads), also across a SIGKILL.
// Two processes of one group with different options, another job on the same checkpoint folder, and a --group on a
// topic not co-partitioned are refused.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { createTopic } from '../../connectors/kafka/bulk-producer.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { generateMusicEvents, partitionOf, type MusicEvent } from '../../src/gen/music-events.js';
import { brokers, kafka, runCli, startCli, uniqueName, webhdfsArchive } from './archive-support.js';
import { killAtCheckpoint, offlineSessions, produceEvents, publishedLines, sessionKey } from './sessions-support.js';

const PARTITIONS = 4;
const events = [...generateMusicEvents({ seed: 41, users: 80, durationMs: 2 * 86_400_000, maxDisorderMs: 5000 })];
const cut = Math.floor(events.length * 0.7);
const byUser = (e: MusicEvent) => ({ key: e.userId, partition: partitionOf(e.userId, PARTITIONS) });

let topic = '';
let archive = '';
let single: string[] = [];

const sessionsArgs = (out: string, ...more: string[]) => ['sessions', '--archive', archive, '--brokers', brokers(), '--topic', topic,
  '--aggregate', 'listening', '--gap', '30m', '--bound', '10s', '--stop-at-live', '--output', out, ...more];

/**
 * Sends `signal` to a command and the worker processes it started: what a machine that crashes (SIGKILL) or freezes
 * (SIGSTOP) does to all of them at once.
 */
function signalTree(pid: number, signal: NodeJS.Signals): void {
  const children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  process.kill(pid, signal);
  for (const child of children) process.kill(child, signal);
}

/** Every session a parallel job published: the parts of each `partition-<p>/` folder, partition removed, sorted. */
async function publishedByPartition(out: string): Promise<string[]> {
  const lines: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) lines.push(...await publishedLines(`${out}/partition-${p}`));
  return lines;
}

function sameSessions(got: string[], what: string): void {
  assert.equal(new Set(got).size, got.length, `${what}: no session published twice`);
  assert.deepEqual(got.map(sessionKey).sort(), single, `${what}: the sessions of the single-worker run`);
}

test('setup: a topic keyed by user, 70 % archived to HDFS, the rest live; a single-worker run equals the offline pass', { timeout: 300_000 }, async () => {
  topic = uniqueName('oxbow-it-parallel');
  await createTopic(kafka(), brokers(), topic, PARTITIONS);
  archive = webhdfsArchive(`/oxbow-it/${topic}`);
  await produceEvents(topic, events.slice(0, cut), byUser);
  const archived = await runCli(['archive', '--brokers', brokers(), '--topic', topic, '--archive', archive, '--event-time', 'ts',
    '--group', `${topic}-archiver`, '--until-caught-up', '--rotate-records', '40']);
  assert.equal(archived.code, 0, archived.stderr);
  await produceEvents(topic, events.slice(cut), byUser);
  const out = `file://${await mkdtemp(join(tmpdir(), 'oxbow-it-par-single-'))}`;
  const run = await runCli(sessionsArgs(out));
  assert.equal(run.code, 0, run.stderr);
  single = (await publishedLines(out)).map(sessionKey).sort();
  assert.ok(single.length > 200);
  assert.deepEqual(single, offlineSessions(events, 30 * 60_000, 'listening'));
});

test('(a) one process with --workers 2: the same sessions, each partition published in its own folder', { timeout: 300_000 }, async () => {
  assert.ok(single.length > 0, 'the setup test ran');
  const out = `file://${await mkdtemp(join(tmpdir(), 'oxbow-it-par-w2-'))}`;
  const cp = `file://${await mkdtemp(join(tmpdir(), 'oxbow-it-par-w2-cp-'))}`;
  const run = await runCli(sessionsArgs(out, '--co-partitioned', '--workers', '2', '--checkpoint-dir', cp));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /worker owns partitions worker=0 partitions=0,2/);
  assert.match(run.stderr, /worker owns partitions worker=1 partitions=1,3/);
  assert.match(run.stderr, new RegExp(`records read\\s+${events.length} \\(archive ${cut}, kafka ${events.length - cut}\\)`));
  sameSessions(await publishedByPartition(out), '--workers 2');
});

test('(d) a topic keyed by song (and null keys), --workers 2 without --co-partitioned: engine threads by key hash give the offline sessions, also when killed mid-archive and continued with 3; --group refuses it', { timeout: 300_000 }, async () => {
  const unkeyed = uniqueName('oxbow-it-par-by-song');
  await createTopic(kafka(), brokers(), unkeyed, PARTITIONS);
  // A user's events spread over every partition: songs go where their song id hashes, every tenth record has no key.
  const bySong = (e: MusicEvent, i: number) => (e.type === 'song' && i % 10 !== 0
    ? { key: e.songId, partition: partitionOf(e.songId, PARTITIONS) }
    : { key: null, partition: i % PARTITIONS });
  const root = `/oxbow-it/${unkeyed}`;
  const unkeyedArchive = webhdfsArchive(`${root}/archive`);
  await produceEvents(unkeyed, events.slice(0, cut), bySong);
  const archived = await runCli(['archive', '--brokers', brokers(), '--topic', unkeyed, '--archive', unkeyedArchive, '--event-time', 'ts',
    '--group', `${unkeyed}-archiver`, '--until-caught-up', '--rotate-records', '40']);
  assert.equal(archived.code, 0, archived.stderr);
  await produceEvents(unkeyed, events.slice(cut), (e, i) => bySong(e, cut + i));
  const want = offlineSessions(events, 30 * 60_000, 'listening');
  const args = (out: string, ...more: string[]) => ['sessions', '--archive', unkeyedArchive, '--brokers', brokers(), '--topic', unkeyed,
    '--aggregate', 'listening', '--gap', '30m', '--bound', '10s', '--stop-at-live', '--output', out, ...more];

  const out = webhdfsArchive(`${root}/out`);
  const run = await runCli(args(out, '--workers', '2'));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /engine threads threads=2/);
  assert.match(run.stderr, /late events\s+0\n/);
  const published = await publishedLines(out);
  assert.equal(new Set(published).size, published.length, 'no session published twice');
  assert.deepEqual(published.map(sessionKey).sort(), want);

  // Killed (SIGKILL) at a checkpoint in the archive phase, then continued from it with 3 threads: each session once.
  const killedOut = webhdfsArchive(`${root}/killed-out`);
  const cp = webhdfsArchive(`${root}/cp`);
  const first = startCli(args(killedOut, '--workers', '2', '--checkpoint-dir', cp, '--checkpoint-interval', '0ms', '--prefetch', '1'));
  const { fs, root: cpRoot } = openArchiveFs(cp);
  const killed = await killAtCheckpoint(first.child, new CheckpointStore(fs, cpRoot, 3),
    (c) => c.id >= 4 && c.engine !== null && c.positions.every((x) => x.source === 'archive'), 20);
  const r1 = await first.done;
  assert.ok(killed && r1.signal === 'SIGKILL', `the run ended before it could be killed mid-archive:\n${r1.stderr}`);
  const second = await runCli(args(killedOut, '--workers', '3', '--checkpoint-dir', cp, '--from-savepoint', 'latest'));
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /engine threads threads=3/);
  const continued = await publishedLines(killedOut);
  assert.equal(new Set(continued).size, continued.length, 'no session published twice across the kill');
  assert.deepEqual(continued.map(sessionKey).sort(), want);

  // Processes own whole partitions: a key spread over partitions would be split between them.
  const refused = await runCli(args(webhdfsArchive(`${root}/group-out`), '--group', `${unkeyed}-g`, '--checkpoint-dir', webhdfsArchive(`${root}/group-cp`)));
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /--group .*: each worker owns whole partitions.*pass --co-partitioned/);
});

test('(b) two processes in one --group, state and output on HDFS: the same sessions; other options on that group are refused', { timeout: 300_000 }, async () => {
  assert.ok(single.length > 0, 'the setup test ran');
  const root = `/oxbow-it/${topic}-b`;
  const out = webhdfsArchive(`${root}/out`);
  const cp = webhdfsArchive(`${root}/cp`);
  const args = sessionsArgs(out, '--co-partitioned', '--group', `${topic}-b`, '--checkpoint-dir', cp, '--session-timeout', '6s');
  const one = startCli(args);
  const two = startCli(args);
  const [r1, r2] = await Promise.all([one.done, two.done]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  // Both were members: the group gave each of them partitions (which one ends which depends on timing).
  for (const r of [r1, r2]) assert.match(r.stderr, /worker owns partitions worker=0 partitions=\d/, r.stderr);
  sameSessions(await publishedByPartition(out), 'two processes in one group');
  // A third process with another gap on the same job: refused, naming the option.
  const other = await runCli(args.map((a) => (a === '30m' ? '20m' : a)));
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /belongs to a job started with --gap "30m"; this process has "20m"/);
});

/**
 * Starts two processes of one group (state and output on HDFS) and sends `signal` to the first and its workers once
 * the group has settled (it owns two partitions) and one of its partitions has checkpointed in the archive phase.
 * With `midWrite`, it waits from there for a checkpoint of that partition to be in flight (its temp file written, not
 * yet renamed into place) and signals then: a process paused there resumes by publishing a checkpoint that the other
 * process has since written, so the fence is always what it meets first, whether its heartbeat or its write runs
 * first on waking.
 */
async function twoMembersOneSignalled(name: string, signal: NodeJS.Signals, midWrite = false) {
  const root = `/oxbow-it/${topic}-${name}`;
  const out = webhdfsArchive(`${root}/out`);
  const cp = webhdfsArchive(`${root}/cp`);
  const args = sessionsArgs(out, '--co-partitioned', '--group', `${topic}-${name}`, '--checkpoint-dir', cp, '--session-timeout', '6s',
    '--checkpoint-interval', '0ms', '--prefetch', '1');
  let owned: number[] = [];
  const first = startCli(args, (line) => {
    const m = /worker owns partitions worker=0 partitions=([\d,]+)/.exec(line);
    if (m) owned = m[1]!.split(',').map(Number);
  });
  const second = startCli(args);
  const { fs, root: cpRoot } = openArchiveFs(cp);
  let signalled = false;
  let archived = false;
  while (first.child.exitCode === null && !signalled) {
    if (owned.length === 2) {
      const dir = `${cpRoot}/partition-${owned[0]}`;
      if (!archived) {
        const latest = await new CheckpointStore(fs, dir, 3, true).latest().catch(() => null);
        archived = latest !== null && latest.checkpoint.id >= 3 && latest.checkpoint.positions.every((x) => x.source === 'archive');
      }
      if (archived && (!midWrite || (await fs.list(dir).catch(() => [])).some((e) => e.name.startsWith('.tmp-')))) {
        signalTree(first.child.pid!, signal);
        signalled = true;
      }
    }
    if (!archived || !midWrite) await new Promise((r) => setTimeout(r, 20));
  }
  return { out, first, second, signalled };
}

test('(c) two processes in one --group, one SIGKILLed with its workers mid-archive: the other finishes the job with the same sessions', { timeout: 300_000 }, async () => {
  assert.ok(single.length > 0, 'the setup test ran');
  const { out, first: victim, second: survivor, signalled: killed } = await twoMembersOneSignalled('c', 'SIGKILL');
  const rv = await victim.done;
  assert.ok(killed && rv.signal === 'SIGKILL', `the victim ended before it could be killed mid-archive:\n${rv.stderr}`);
  const rs = await survivor.done;
  assert.equal(rs.code, 0, rs.stderr);
  // The survivor took over the victim's partitions after the session timeout and continued them from their checkpoints.
  assert.match(rs.stderr, /worker owns partitions worker=0 partitions=0,1,2,3/);
  sameSessions(await publishedByPartition(out), 'after a SIGKILL of one process');
});

test('(e) one process of a --group paused with its workers (SIGSTOP) past the session timeout while the other takes its partitions, then resumed: fenced, the same sessions', { timeout: 300_000 }, async () => {
  assert.ok(single.length > 0, 'the setup test ran');
  const { out, first: paused, second: other, signalled: stopped } = await twoMembersOneSignalled('e', 'SIGSTOP', true);
  assert.ok(stopped, 'the process was paused while writing a checkpoint');
  // Past the session timeout, the other process owns every partition and continues the paused one's from their checkpoints.
  const { child } = other;
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (child.exitCode !== null) { clearInterval(check); resolve(); }
    }, 100);
    setTimeout(() => { clearInterval(check); resolve(); }, 15_000);
  });
  signalTree(paused.child.pid!, 'SIGCONT');
  const [rp, ro] = await Promise.all([paused.done, other.done]);
  assert.equal(ro.code, 0, ro.stderr);
  assert.equal(rp.code, 0, rp.stderr);
  assert.match(ro.stderr, /worker owns partitions worker=0 partitions=0,1,2,3/);
  // On waking, the paused process found its partitions' next checkpoints taken, and published nothing more of them.
  assert.match(rp.stderr, /partitions taken over\s+[1-9]/, rp.stderr);
  sameSessions(await publishedByPartition(out), 'after one process was paused past the session timeout');
});
