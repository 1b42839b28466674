// `oxbow sessions` through the CLI itself: output, bad input and savepoint checks on the local fs, dead letters from Kafka.

import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createTopic, produceBulk } from '../../connectors/kafka/bulk-producer.js';
import { main } from '../../src/cli/main.js';
import { brokers, kafka, uniqueName } from './archive-support.js';

const sample = resolve('fixtures/sample-archive');

function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function sessions(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await main(['node', 'oxbow', 'sessions', ...args], { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

async function copySample(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-sample-'));
  await cp(sample, dir, { recursive: true });
  return dir;
}

test('npm start\'s command prints sessions on stdout and a summary on stderr', { timeout: 60_000 }, async () => {
  const r = await sessions(['--archive', `file://${sample}`, '--topic', 'listens', '--aggregate', 'listening']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; partition: number; result: { songs: number } });
  assert.ok(lines.length > 300);
  assert.ok(lines.every((l) => /^u\d+$/.test(l.key) && (l.partition === 0 || l.partition === 1) && typeof l.result.songs === 'number'));
  assert.match(r.stderr, /records read\s+6670 \(archive 6670, kafka 0\)/);
  assert.match(r.stderr, new RegExp(`session results\\s+${lines.length}\\n`));
});

test('a truncated archive file stops the replay naming the file; --on-corrupt skip reports it and goes on', { timeout: 60_000 }, async () => {
  const dir = await copySample();
  const pdir = join(dir, 'topics/listens/partition=0');
  const victim = (await readdir(pdir)).filter((n) => n.endsWith('.parquet')).sort()[3]!;
  // Half the file: the index sees the new length, reads the footer and finds none.
  const full = (await readFile(join(pdir, victim))).length;
  await writeFile(join(pdir, victim), (await readFile(join(pdir, victim))).subarray(0, Math.floor(full / 2)));
  const failed = await sessions(['--archive', `file://${dir}`, '--topic', 'listens']);
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, new RegExp(victim.replace(/[+.]/g, '\\$&')));
  const skipped = await sessions(['--archive', `file://${dir}`, '--topic', 'listens', '--on-corrupt', 'skip']);
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stderr, /corrupt files skipped\s+1/);
  assert.match(skipped.stderr, /offsets skipped in gaps\s+0/);
});

test('replaying an archive in another clock than it was written in is refused naming both (the sample predates recorded definitions: checked per record)', { timeout: 60_000 }, async () => {
  const r = await sessions(['--archive', `file://${sample}`, '--topic', 'listens', '--time-field', 'when']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--event-time when: archived record at offset \d+ has event time \d+ in the archive, but none by --event-time when/);
  assert.equal(r.stdout, '', 'no session of the wrong clock was printed');
});

test('records without a usable key or event time are counted and go to --dead-letter; 20% of them exceed --max-bad-ratio\'s default', { timeout: 60_000 }, async () => {
  const topic = uniqueName('oxbow-it-dead');
  await createTopic(kafka(), brokers(), topic, 1);
  await produceBulk(kafka(), brokers(), topic, 100, (i) => ({
    key: `u${i % 5}`,
    value: JSON.stringify(i % 10 === 3 ? { userId: `u${i % 5}`, when: 'later' } : i % 10 === 7 ? { ts: 1_732_406_400_000 + i } : { userId: `u${i % 5}`, ts: 1_732_406_400_000 + i }),
  }), 100);
  const dead = join(await mkdtemp(join(tmpdir(), 'oxbow-dl-')), 'dead.jsonl');
  const r = await sessions(['--brokers', brokers(), '--topic', topic, '--stop-at-live', '--dead-letter', dead]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /bad records\s+20/);
  assert.match(r.stderr, /oxbow: 20 of 100 records \(20%\) could not be used \(the first: no time: field 'ts'.*--max-bad-ratio 0\.05/);
  const lines = (await readFile(dead, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: string; reason: string; value: string });
  assert.equal(lines.length, 20);
  assert.deepEqual(lines.filter((l) => /no time: field 'ts'/.test(l.reason)).map((l) => Number(l.offset) % 10), Array(10).fill(3));
  assert.deepEqual(lines.filter((l) => /no key: field 'userId'/.test(l.reason)).map((l) => Number(l.offset) % 10), Array(10).fill(7));
});

test('a wrong --key-field (every record bad) on the sample archive exits 2 naming the field; --max-bad-ratio 1 accepts it', { timeout: 60_000 }, async () => {
  const wrong = await sessions(['--archive', `file://${sample}`, '--topic', 'listens', '--key-field', 'user']);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /oxbow: 6670 of 6670 records \(100%\) could not be used \(the first: no key: field 'user'/);
  const accepted = await sessions(['--archive', `file://${sample}`, '--topic', 'listens', '--key-field', 'user', '--max-bad-ratio', '1']);
  assert.equal(accepted.code, 0, accepted.stderr);
});

test('a savepoint for another partition set is refused with exit code 2; bad options name themselves', { timeout: 60_000 }, async () => {
  const cpDir = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  const outDir = await mkdtemp(join(tmpdir(), 'oxbow-out-'));
  const first = await sessions(['--archive', `file://${sample}`, '--topic', 'listens', '--checkpoint-dir', `file://${cpDir}`, '--output', `file://${outDir}`]);
  assert.equal(first.code, 0, first.stderr);
  const saved = (await readdir(cpDir)).filter((n) => n.endsWith('.json'));
  assert.equal(saved.length, 1);
  // The summary names the checkpoint by the URI --from-savepoint takes.
  const printed = /last checkpoint\s+(\S+)/.exec(first.stderr)?.[1];
  assert.equal(printed, `file://${join(cpDir, saved[0]!)}`);
  const other = await sessions(['--archive', `file://${sample}`, '--topic', 'listens', '--partitions', '0', '--from-savepoint', printed!]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /covers partitions 0,1, this job reads 0/);
  const again = await sessions(['--archive', `file://${sample}`, '--topic', 'listens', '--output', `file://${outDir}`]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds published parts/);
  const bad = await sessions(['--archive', `file://${sample}`, '--topic', 'listens', '--allowed-lateness', 'soon']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--allowed-lateness: 'soon' is not a duration/);
  assert.equal((await sessions(['--partitions', '0'])).code, 2);
});

test('--partitions naming partitions the topic does not have is a usage error naming them, for the archive and for Kafka', { timeout: 60_000 }, async () => {
  const archiveOnly = await sessions(['--archive', `file://${sample}`, '--topic', 'listens', '--partitions', '0-3']);
  assert.equal(archiveOnly.code, 2, archiveOnly.stderr);
  assert.match(archiveOnly.stderr, /--partitions 0-3: topic listens has no partition 2, 3 in the archive .* \(it has 0, 1\)/);
  const topic = uniqueName('oxbow-it-parts');
  await createTopic(kafka(), brokers(), topic, 4);
  const live = await sessions(['--brokers', brokers(), '--topic', topic, '--partitions', '0-7', '--stop-at-live']);
  assert.equal(live.code, 2, live.stderr);
  assert.match(live.stderr, new RegExp(`topic ${topic} has no partition 4, 5, 6, 7 in Kafka at .* \\(it has 0, 1, 2, 3\\)`));
  assert.equal(live.stdout, '');
});
