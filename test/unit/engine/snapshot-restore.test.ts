// Snapshot and restore: transparent mid-stream, changes of gap/lateness/trigger apply from then on, another aggregate is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SavepointError } from '../../../src/errors.js';
import { SessionEngine, type SessionEngineOptions } from '../../../src/engine/index.js';
import { Harness, prng, results, type Output } from './harness.js';

function randomRun(seed: number, options: SessionEngineOptions, restoreEvery: number | null): Output[] {
  const rnd = prng(seed);
  const h = new Harness(options);
  let wm = 0;
  for (let i = 0; i < 400; i++) {
    if (restoreEvery !== null && i % restoreEvery === restoreEvery - 1) h.restore(options);
    if (rnd() < 0.15) {
      wm += Math.floor(rnd() * 300);
      h.watermark(wm);
    } else {
      const ts = wm + Math.floor(rnd() * 400) - 200;
      h.event(`k${Math.floor(rnd() * 6)}`, ts, { v: Math.floor(rnd() * 10), type: rnd() < 0.7 ? 'song' : 'search', playlistId: rnd() < 0.5 ? 'a' : 'b' }, Math.floor(rnd() * 3));
    }
  }
  h.finish();
  return h.out;
}

const configs: SessionEngineOptions[] = [
  { gapMs: 100 },
  { gapMs: 100, allowedLatenessMs: 150, aggregate: 'sum:v', retractions: true },
  { gapMs: 80, trigger: 'continuous:50', aggregate: 'listening' },
  { gapMs: 120, allowedLatenessMs: 50, trigger: 'count:3', purging: true, aggregate: 'playlist-runs' },
];

test('restoring from a snapshot at any point gives exactly the uninterrupted output', () => {
  for (const [n, options] of configs.entries()) {
    for (let seed = 1; seed <= 8; seed++) {
      const straight = randomRun(seed, options, null);
      assert.ok(straight.length > 20, 'the run produces output');
      for (const every of [7, 33]) {
        assert.deepEqual(randomRun(seed, options, every), straight, `config ${n} seed ${seed} restore every ${every}`);
      }
    }
  }
});

test('a snapshot is plain JSON: versioned, with the aggregate, config, watermark and shards by partition', () => {
  const h = new Harness({ gapMs: 1000, aggregate: 'listening' });
  h.event('a', 10, { type: 'song' }, 3);
  h.event('b', 20, {}, 1);
  h.watermark(5);
  const snap = h.engine.snapshot();
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
  assert.equal(snap.formatVersion, 2);
  assert.equal(snap.config.keying, 'job');
  assert.equal(snap.aggregate, 'listening');
  assert.equal(snap.watermark, 5);
  assert.deepEqual(snap.shards.map((s) => s.partition), [1, 3]);
  assert.deepEqual(h.engine.snapshot([3]).shards.map((s) => [s.partition, s.sessions.length]), [[3, 1]]);
});

test('a restore with another aggregate fails with SavepointError', () => {
  const h = new Harness({ gapMs: 1000, aggregate: 'count' });
  h.event('a', 0);
  const snap = h.engine.snapshot();
  assert.throws(() => SessionEngine.restore(snap, { gapMs: 1000, aggregate: 'sum:v' }, h.sink()), (err: unknown) => {
    assert.ok(err instanceof SavepointError);
    assert.match(err.message, /'count'.*'sum:v'/);
    return true;
  });
});

test('a new gap applies to new events; open sessions keep their bounds', () => {
  const h = new Harness({ gapMs: 1000 });
  h.event('a', 0);
  h.restore({ gapMs: 5000 });
  h.event('a', 3000);
  assert.deepEqual(results(h.finish()), [['a', 0, 1000, 'on-time', 1], ['a', 3000, 8000, 'on-time', 1]]);
});

test('a shorter lateness drops sessions already past their new cleanup time; a longer one keeps them longer', () => {
  const h = new Harness({ gapMs: 1000, allowedLatenessMs: 10_000 });
  h.event('a', 0);
  h.event('b', 5000);
  h.watermark(7000);
  assert.equal(h.engine.openSessionCount(), 2);
  h.restore({ gapMs: 1000, allowedLatenessMs: 3000 });
  assert.equal(h.engine.openSessionCount(), 1, 'a: 999 + 3000 <= 7000');
  assert.equal(h.event('a', 500)[0]!.kind, 'late');
});

test('a new trigger is armed on restore and decides from then on', () => {
  const h = new Harness({ gapMs: 10_000, trigger: 'count:100' });
  h.event('a', 0);
  h.event('a', 100);
  h.restore({ gapMs: 10_000 });
  assert.deepEqual(results(h.watermark(10_099)), [['a', 0, 10_100, 'on-time', 2]]);
  const c = new Harness({ gapMs: 10_000 });
  c.event('a', 0);
  c.restore({ gapMs: 10_000, trigger: 'count:2' });
  // The new trigger starts with fresh state: it counts events from the restore on.
  assert.deepEqual(results(c.event('a', 50)), []);
  assert.deepEqual(results(c.event('a', 60)), [['a', 0, 10_060, 'early', 3]]);
});

test('snapshot after finish() is refused', () => {
  const h = new Harness({ gapMs: 10 });
  h.finish();
  assert.throws(() => h.engine.snapshot(), /finish/);
});
