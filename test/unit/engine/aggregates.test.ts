// The built-in aggregates: count, sum, listening (case A) and playlist-runs (case B), including merge and JSON round trips.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countAggregate, createAggregate, cutRuns, listeningAggregate, playlistRunsAggregate, SessionEngine, sumAggregate } from '../../../src/engine/index.js';
import { Harness, prng, results } from './harness.js';

const song = (ts: number, playlistId?: string) => ({ ts, type: 'song', ...(playlistId ? { playlistId } : {}) });
const search = (ts: number) => ({ ts, type: 'search' });

test('listening: songs, all events, last minus first', () => {
  const a = listeningAggregate;
  let acc = a.createAccumulator();
  for (const e of [song(5000, 'p'), search(1000), song(9000)]) acc = a.add(acc, e.ts, e);
  assert.deepEqual(a.getResult(acc), { songs: 2, events: 3, listeningMs: 8000 });
  assert.deepEqual(a.getResult(a.fromJson(JSON.parse(JSON.stringify(a.toJson(acc))))), a.getResult(acc));
  assert.deepEqual(a.getResult(a.createAccumulator()), { songs: 0, events: 0, listeningMs: 0 });
});

test('listening through the engine: an out-of-order event merges two halves', () => {
  const h = new Harness({ gapMs: 1000, aggregate: 'listening' });
  h.event('u', 0, { type: 'song' });
  h.event('u', 1800, { type: 'song' });
  h.event('u', 900, { type: 'search' });
  assert.deepEqual(results(h.finish()), [['u', 0, 2800, 'on-time', { songs: 2, events: 3, listeningMs: 1800 }]]);
});

test('playlist-runs: a search, another playlist or a song without playlist ends a run', () => {
  const runs = cutRuns([
    { ts: 0, song: true, playlistId: 'a' },
    { ts: 1, song: true, playlistId: 'a' },
    { ts: 2, song: true, playlistId: 'b' },
    { ts: 3, song: false, playlistId: null },
    { ts: 4, song: true, playlistId: 'b' },
    { ts: 5, song: true, playlistId: null },
    { ts: 6, song: true, playlistId: 'b' },
  ]);
  assert.deepEqual(runs.map((r) => [r.playlistId, r.songs, r.firstTs, r.lastTs, r.lengthMs]), [
    ['a', 2, 0, 1, 1], ['b', 1, 2, 2, 0], ['b', 1, 4, 4, 0], ['b', 1, 6, 6, 0],
  ]);
});

test('playlist-runs orders events by time, merges accumulators, filters by playlist and round-trips through JSON', () => {
  const all = playlistRunsAggregate();
  const only = playlistRunsAggregate('a');
  let left = all.createAccumulator();
  let right = all.createAccumulator();
  left = all.add(left, 3000, song(3000, 'a'));
  left = all.add(left, 1000, song(1000, 'a'));
  right = all.add(right, 2000, search(2000));
  right = all.add(right, 4000, song(4000, 'b'));
  const merged = all.merge(left, right);
  assert.deepEqual(all.getResult(merged).map((r) => [r.playlistId, r.songs, r.firstTs]), [['a', 1, 1000], ['a', 1, 3000], ['b', 1, 4000]]);
  assert.deepEqual(only.getResult(merged).map((r) => r.playlistId), ['a', 'a']);
  const back = all.fromJson(JSON.parse(JSON.stringify(all.toJson(merged))));
  assert.deepEqual(all.getResult(back), all.getResult(merged));
  assert.throws(() => all.fromJson([[1, 'x', null]]), /playlist-runs/);
});

test('sum checks its field; count and sum merge by adding', () => {
  const s = sumAggregate('v');
  assert.equal(s.check!({ v: 2 }), null);
  assert.equal(s.check!({ v: '2.5' }), null);
  assert.match(s.check!({ v: 'x' })!, /not a number/);
  assert.match(s.check!({})!, /not a number/);
  assert.equal(s.merge(s.add(s.createAccumulator(), 0, { v: 2 }), 3), 5);
  assert.throws(() => createAggregate('median'), /unknown aggregate/);
  assert.throws(() => createAggregate('count', { playlist: 'x' }), /--playlist/);
});

test("an aggregate's row folds as its object form: the engine's output and snapshots agree with and without it", () => {
  const variants = [
    { gapMs: 1000 },
    { gapMs: 1000, trigger: 'count:3', purging: true, allowedLatenessMs: 2000 },
    { gapMs: 700, retractions: true, allowedLatenessMs: 5000, trigger: 'continuous:500' },
  ];
  for (const [v, options] of variants.flatMap((o) => [listeningAggregate, countAggregate, sumAggregate('v')].map((a) => ({ ...o, a }))).entries()) {
    const rowForm = options.a;
    assert.ok(rowForm.row !== undefined, `${rowForm.name} has a row`);
    const objectForm = { ...rowForm, row: undefined };
    const rnd = prng(v + 7);
    const withRow = new Harness({ ...options, aggregate: rowForm });
    const without = new Harness({ ...options, aggregate: objectForm });
    let clock = 0;
    for (let i = 0; i < 3000; i++) {
      clock += Math.floor(rnd() * 40);
      // Out of order by up to three gaps, so that windows merge, and some events come late.
      const ts = clock - Math.floor(rnd() * 3 * options.gapMs);
      const key = `u${Math.floor(rnd() * 20)}`;
      const extra = { type: rnd() < 0.7 ? 'song' : 'search', v: Math.floor(rnd() * 1000) / 8 };
      assert.deepEqual(withRow.event(key, ts, extra), without.event(key, ts, extra));
      if (i % 50 === 49) assert.deepEqual(withRow.watermark(clock - 2 * options.gapMs), without.watermark(clock - 2 * options.gapMs));
      if (i === 1500) {
        assert.deepEqual(withRow.engine.snapshot(), without.engine.snapshot());
        // Each restores the other's snapshot: the two forms write and read the same state.
        const a = JSON.parse(JSON.stringify(withRow.engine.snapshot()));
        const b = JSON.parse(JSON.stringify(without.engine.snapshot()));
        withRow.engine = SessionEngine.restore(b, { ...options, aggregate: rowForm }, withRow.sink());
        without.engine = SessionEngine.restore(a, { ...options, aggregate: objectForm }, without.sink());
      }
    }
    assert.deepEqual(withRow.finish(), without.finish());
    assert.deepEqual(withRow.out, without.out);
    assert.ok(results(withRow.out).length > 100, `variant ${v} (${rowForm.name}): sessions fired`);
  }
});
