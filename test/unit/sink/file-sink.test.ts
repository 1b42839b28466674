// Unit tests of the file output's two-phase publish: prepare → checkpoint → commit, and recovery after a crash at each point.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { PartitionConflict, UsageError } from '../../../src/errors.js';
import { FileSink, partName } from '../../../src/sink/file-sink.js';
import type { OutputRecord } from '../../../src/sink/types.js';

const rec = (key: string): OutputRecord => ({ type: 'session', key, partition: 0, start: 1, end: 2, firing: 'on-time', result: { events: 1 } });
const fs = new LocalFs();

test('results become visible only at commit, one part per checkpoint', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-sink-'));
  const sink = new FileSink(fs, dir);
  await sink.checkFresh();
  sink.write(rec('a'));
  sink.write(rec('b'));
  const pos = await sink.prepare(1);
  assert.match((pos as { pending: string }).pending, /^part-0000000001\.[0-9a-f]{12}\.jsonl$/, 'pending under the writer\'s own name');
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('part-')), []);
  await sink.commit(pos);
  assert.deepEqual(await readdir(dir), ['_pending', 'part-0000000001.jsonl']);
  assert.equal((await readFile(join(dir, partName(1)), 'utf8')).trim().split('\n').length, 2);
  assert.deepEqual(await sink.prepare(2), { pending: null }, 'nothing new: no empty part');
  await assert.rejects(new FileSink(fs, dir).checkFresh(), UsageError);
});

test('a crash after the checkpoint but before the rename: recovery publishes that part; later pending parts are dropped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-sink-'));
  const first = new FileSink(fs, dir);
  first.write(rec('a'));
  const pos5 = await first.prepare(5);
  first.write(rec('b'));
  await first.prepare(6);
  // The process dies here: checkpoint 5 was written, neither part was renamed, part 6 has no checkpoint.
  const second = new FileSink(fs, dir);
  await second.recover(pos5, 5);
  assert.deepEqual((await readdir(dir)).sort(), ['_pending', 'part-0000000005.jsonl']);
  assert.deepEqual(await readdir(join(dir, '_pending')), []);
  await second.recover(pos5, 5);
  assert.deepEqual((await readdir(dir)).sort(), ['_pending', 'part-0000000005.jsonl'], 'recovering twice changes nothing');
});

test('a part bigger than one chunk streams out whole, in order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-sink-'));
  const sink = new FileSink(fs, dir);
  for (let i = 0; i < 20_000; i++) sink.write(rec(`u${i}`));
  await sink.commit(await sink.prepare(3));
  const lines = (await readFile(join(dir, partName(3)), 'utf8')).trim().split('\n');
  assert.equal(lines.length, 20_000);
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { key: string }).key), Array.from({ length: 20_000 }, (_, i) => `u${i}`));
  await sink.close();
});

test('two owners of one partition never touch each other\'s prepared part; the one a checkpoint names is published once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-sink-'));
  const a = new FileSink(fs, dir);
  const b = new FileSink(fs, dir);
  a.write(rec('a'));
  b.write(rec('b'));
  const posA = await a.prepare(7);
  const posB = await b.prepare(7);
  assert.notDeepEqual(posA, posB);
  // Checkpoint 7 names A's part (B lost the race for it): a restore publishes it and drops B's, and A's own commit,
  // arriving after, finds it published.
  const restorer = new FileSink(fs, dir);
  await restorer.recover(posA, 7);
  await a.commit(posA);
  assert.deepEqual((await readdir(dir)).sort(), ['_pending', 'part-0000000007.jsonl']);
  assert.deepEqual(await readdir(join(dir, '_pending')), []);
  assert.equal((await readFile(join(dir, partName(7)), 'utf8')).trim(), JSON.stringify({ key: 'a', partition: 0, start: 1, end: 2, firing: 'on-time', result: { events: 1 } }));
});

test('a checkpoint of older oxbow names its pending part part-<id>.jsonl: recovery publishes it under that name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-sink-'));
  const old = new FileSink(fs, dir);
  old.write(rec('a'));
  const pos = await old.prepare(4) as { pending: string };
  // What oxbow before writer-named parts left: the same file under the bare part name.
  await fs.rename(join(dir, '_pending', pos.pending), join(dir, '_pending', partName(4)));
  await new FileSink(fs, dir).recover({ pending: partName(4) }, 4);
  assert.deepEqual((await readdir(dir)).sort(), ['_pending', 'part-0000000004.jsonl']);
});

test('a parallel job\'s restore that waited between its claim and its recover while another owner went on: it drops nothing and stops', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-sink-'));
  // The stale owner claimed checkpoint 5 from checkpoint 4 (whose part was published), then its process was paused. The
  // next owner claimed 6 from it, went on to checkpoint 25, prepared part 26 and is writing checkpoint 26.
  const current = new FileSink(fs, dir, true);
  current.write(rec('a'));
  const pos26 = await current.prepare(26);
  current.write(rec('b'));
  // The stale owner wakes and recovers from what it claimed.
  await assert.rejects(new FileSink(fs, dir, true).recover({ pending: null }, 5), PartitionConflict);
  // Checkpoint 26 is written: its part is still there to publish, and the results after it still stream.
  await current.commit(pos26);
  await current.commit(await current.prepare(27));
  assert.deepEqual((await readdir(dir)).sort(), ['_pending', 'part-0000000026.jsonl', 'part-0000000027.jsonl']);
  // A restore that holds the newest claim drops a part prepared for its own id by a writer that lost it, and publishes
  // the one its checkpoint names.
  const loser = new FileSink(fs, dir, true);
  loser.write(rec('c'));
  await loser.prepare(28);
  await new FileSink(fs, dir, true).recover({ pending: null }, 28);
  assert.deepEqual(await readdir(join(dir, '_pending')), []);
});
