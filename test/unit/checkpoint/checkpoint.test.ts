// Unit tests of the checkpoint format and store: round trip, atomic files, latest, pruning, and refusing foreign or broken savepoints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFs } from '../../../connectors/local/local-fs.js';
import { SavepointError } from '../../../src/errors.js';
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
