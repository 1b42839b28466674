// Unit tests of the checkpoint format and store: round trip, atomic files, latest, pruning, and refusing foreign or broken savepoints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { PartitionConflict, SavepointError } from '../../../src/errors.js';
import { checkCheckpointFits, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../../src/checkpoint/format.js';
import { CheckpointStore, readCheckpoint } from '../../../src/checkpoint/store.js';

const sample = (id: number, kind: Checkpoint['kind'] = 'checkpoint'): Checkpoint => ({
  kind, id, createdAt: Date.UTC(2026, 10, 24), topic: 'listens', partitions: [0, 1],
  positions: [{ partition: 0, source: 'archive', nextOffset: 2n ** 60n }, { partition: 1, source: 'kafka', nextOffset: null }],
  watermarks: { job: 1000, partitions: [{ partition: 0, maxEventTime: 2000, watermark: 1000 }, { partition: 1, maxEventTime: null, watermark: null }] },
  engine: { version: 1, sessions: [] }, sink: { part: id }, counters: { events: 5 },
});

test('encode/decode round-trips, bigint offsets beyond 2^53 included', () => {
  assert.deepEqual(decodeCheckpoint('x', encodeCheckpoint(sample(3))), sample(3));
});

test('broken, foreign-format and newer-version files are SavepointErrors naming the file', () => {
  assert.throws(() => decodeCheckpoint('/cp/a.json', '{"format":"oxbow-checkpoint"'), (e: unknown) => e instanceof SavepointError && /\/cp\/a\.json.*not JSON/.test(e.message));
  assert.throws(() => decodeCheckpoint('/cp/a.json', '{"format":"other"}'), /"format" is not/);
  const newer = encodeCheckpoint(sample(1)).replace('"version":1', '"version":99');
  assert.throws(() => decodeCheckpoint('/cp/a.json', newer), /version 99 is newer/);
});

test('a savepoint for another topic or partition set is refused with what to do', () => {
  const c = sample(1);
  assert.doesNotThrow(() => checkCheckpointFits('p', c, 'listens', [1, 0]));
  assert.throws(() => checkCheckpointFits('p', c, 'plays', [0, 1]), (e: unknown) => e instanceof SavepointError && /topic 'listens', not 'plays'/.test(e.message));
  assert.throws(() => checkCheckpointFits('p', c, 'listens', [0, 1, 2]), /covers partitions 0,1, this job reads 0,1,2/);
});

test('the store writes via temp + rename, finds the latest, keeps savepoints and the last N checkpoints', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  const store = new CheckpointStore(new LocalFs(), dir, 2);
  assert.equal(await store.latest(), null);
  // What the store prints is a URI --from-savepoint takes.
  assert.equal(await store.write(sample(1, 'savepoint')), `file://${dir}/savepoint-0000000001.json`);
  for (const id of [2, 3, 4]) await store.write(sample(id));
  assert.deepEqual((await readdir(dir)).sort(), ['chk-0000000003.json', 'chk-0000000004.json', 'savepoint-0000000001.json']);
  const latest = await store.latest();
  assert.equal(latest?.checkpoint.id, 4);
  assert.equal(latest?.path, `file://${dir}/chk-0000000004.json`);
  assert.equal(await store.nextId(1), 5);
  await writeFile(join(dir, 'chk-0000000009.json'), 'garbage');
  await assert.rejects(store.latest(), SavepointError);
  await assert.rejects(readCheckpoint(new LocalFs(), join(dir, 'nope.json')), /no such savepoint/);
});

test('an exclusive store (a partition of a parallel job): ids follow the checkpoint continued from, and a taken id fences the writer', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  const fs = new LocalFs();
  const a = new CheckpointStore(fs, dir, 3, true);
  await a.write(sample(1));
  // Two owners continue from checkpoint 1: B claims first; A's next checkpoint (2) is refused, nothing replaced.
  const b = new CheckpointStore(fs, dir, 3, true);
  const claimed = await b.claim((await b.latest())!);
  assert.equal(claimed.checkpoint.id, 2);
  assert.equal(await a.nextId(1), 2, 'the id right after the one continued from, whatever the folder holds');
  await assert.rejects(a.write({ ...sample(2), counters: { records: 99 } }), (err: unknown) => err instanceof PartitionConflict && /checkpoint 2 was written by another owner/.test(err.message));
  assert.deepEqual((await b.latest())!.checkpoint.counters, sample(1).counters, 'the claim holds the state it continued from');
  // A savepoint takes a checkpoint's name there: one file per id.
  await b.write(sample(3, 'savepoint'));
  await assert.rejects(a.write(sample(3)), PartitionConflict);
  assert.deepEqual((await readdir(dir)).filter((n) => !n.startsWith('.')).sort(), ['chk-0000000001.json', 'chk-0000000002.json', 'chk-0000000003.json']);
  assert.equal((await b.latest())!.checkpoint.kind, 'savepoint');
  // B goes on and its pruning frees A's next name: A's checkpoint is still refused, and leaves no file behind.
  for (let id = 4; id <= 8; id++) await b.write(sample(id));
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('chk-')).sort(), ['chk-0000000006.json', 'chk-0000000007.json', 'chk-0000000008.json']);
  await assert.rejects(a.write(sample(2)), PartitionConflict);
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('chk-')).sort(), ['chk-0000000006.json', 'chk-0000000007.json', 'chk-0000000008.json']);
  // A claim that loses its own race is refused too.
  await assert.rejects(a.claim({ path: 'x', checkpoint: sample(7) }), PartitionConflict);
});

test('the newest checkpoint pruned by the previous owner between the next owner\'s listing and its read: latest() looks again and finds the newer one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-cp-'));
  const previous = new CheckpointStore(new LocalFs(), dir, 1, true);
  await previous.write(sample(3));
  await previous.write(sample(4));
  // The next owner lists (newest: 4); before it reads 4, the previous owner stops with savepoint 5 and prunes 4.
  let raced = false;
  const racing = new (class extends LocalFs {
    override async readFile(path: string): Promise<Uint8Array> {
      if (!raced && path.endsWith('chk-0000000004.json')) {
        raced = true;
        await previous.write(sample(5, 'savepoint'));
        assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('chk-')).sort(), ['chk-0000000005.json'], 'checkpoint 4 is pruned');
      }
      return super.readFile(path);
    }
  })();
  const next = await new CheckpointStore(racing, dir, 1, true).latest();
  assert.ok(raced, 'the race happened');
  assert.equal(next?.checkpoint.id, 5);
  assert.equal(next?.checkpoint.kind, 'savepoint');
  // A file that is gone for good is still named as missing.
  await assert.rejects(readCheckpoint(new LocalFs(), join(dir, 'chk-0000000004.json')), (err: unknown) => err instanceof SavepointError && /no such savepoint/.test(err.message));
});
