// The temporal join's parts: the version table (as-of lookup, equal times, tombstones, pruning) and the join between the
// engine and the output (results wait for the watermark to pass their start, in order; late versions counted).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileJoin } from '../../../src/join/profile-join.js';
import { ProfileTable } from '../../../src/join/profile-table.js';
import type { OutputRecord } from '../../../src/sink/types.js';

test('a lookup returns the newest version at or before the time; equal times: the later one; a tombstone: null', () => {
  const t = new ProfileTable();
  t.add('u1', 100, { tier: 'free' });
  t.add('u1', 300, { tier: 'premium' });
  t.add('u1', 200, { tier: 'family' }); // out of order: lands between
  t.add('u1', 300, { tier: 'student' }); // same time as premium, later offset: wins
  t.add('u1', 400, null);
  assert.equal(t.at('u1', 99), null);
  assert.deepEqual(t.at('u1', 100), { tier: 'free' });
  assert.deepEqual(t.at('u1', 250), { tier: 'family' });
  assert.deepEqual(t.at('u1', 300), { tier: 'student' });
  assert.equal(t.at('u1', 400), null);
  assert.equal(t.at('u2', 400), null);
  assert.equal(t.versions, 5);
});

test('pruning keeps exactly what lookups at or after the cutoff can return', () => {
  const t = new ProfileTable();
  for (const [time, tier] of [[100, 'a'], [200, 'b'], [300, 'c'], [400, 'd']] as const) t.add('u1', time, { tier });
  const before = [250, 300, 350, 400, 500].map((x) => t.at('u1', x));
  t.prune('u1', 250);
  assert.equal(t.versions, 3, 'the version valid at 250 (b) and the later ones stay');
  assert.deepEqual([250, 300, 350, 400, 500].map((x) => t.at('u1', x)), before);
  t.add('u2', 100, { tier: 'x' });
  t.add('u2', 200, null);
  t.prune('u2', 300);
  assert.equal(t.at('u2', 300), null);
  // A late version older than the deletion must not bring the profile back: the tombstone was kept.
  t.add('u2', 150, { tier: 'late' });
  assert.equal(t.at('u2', 300), null);
  const back = ProfileTable.restore(t.snapshot());
  assert.deepEqual([250, 300, 350, 400, 500].map((x) => back.at('u1', x)), before);
});

function joinWith(open: Map<string, number> = new Map(), fields?: string[]) {
  const out: OutputRecord[] = [];
  const join = new ProfileJoin({ output: { write: (r) => out.push(r) }, gapMs: 10, allowedLatenessMs: 0, earliestOpenStart: (k) => open.get(k), fields });
  return { join, out };
}

test('a result waits until the watermark passes its start, in order with the lines after it, then carries the version valid at its start', () => {
  const { join, out } = joinWith(new Map(), ['tier']);
  join.addVersion('u1', 100, { userId: 'u1', tier: 'free', ts: 100 });
  join.advance(150);
  join.result({ key: 'u1', partition: 0, start: 120, end: 140, firing: 'on-time', result: 1 });
  assert.deepEqual(out.map((r) => r.type === 'session' && r.profile), [{ tier: 'free' }], 'start <= watermark: written at once, only the chosen fields');
  // An early firing ahead of the watermark, and a retraction behind it: both wait, in order.
  join.result({ key: 'u1', partition: 0, start: 200, end: 230, firing: 'early', result: 2 });
  join.retraction({ key: 'u1', partition: 0, start: 120, end: 140 });
  assert.equal(out.length, 1);
  join.addVersion('u1', 180, { userId: 'u1', tier: 'premium', ts: 180 });
  join.advance(199);
  assert.equal(out.length, 1, 'still before the start');
  join.advance(200);
  assert.deepEqual(out.slice(1).map((r) => [r.type, r.start, r.type === 'session' ? r.profile : undefined]), [['session', 200, { tier: 'premium' }], ['retraction', 120, undefined]]);
  join.result({ key: 'u9', partition: 0, start: 150, end: 170, firing: 'late', result: 3 });
  assert.deepEqual(out[3], { type: 'session', key: 'u9', partition: 0, start: 150, end: 170, firing: 'late', result: 3, profile: null });
  assert.deepEqual(join.stats, { versions: 2, tombstones: 0, late: 0, withoutProfile: 1 });
  join.addVersion('u1', 150, { tier: 'late' });
  assert.equal(join.stats.late, 1, 'a version at or before the watermark is late');
});

test('versions a still-open session or a waiting result needs survive pruning; the rest go', () => {
  const open = new Map([['u1', 105]]);
  const { join, out } = joinWith(open);
  join.addVersion('u1', 100, { v: 1 });
  join.addVersion('u1', 110, { v: 2 });
  join.addVersion('u2', 100, { v: 1 });
  join.addVersion('u2', 110, { v: 2 });
  join.advance(1000);
  join.sweep();
  // u1: its open session starts at 105, so the version valid then (v1) stays; u2: only the newest.
  assert.equal(join.table.versions, 3);
  // An event at 96 would merge into u1's open session [105, ...) and move its start to 96: the version valid at 96 must
  // still be there, even when it is older than the session's start.
  join.addVersion('u4', 10, { v: 0 });
  open.set('u4', 105);
  join.addVersion('u4', 90, { v: 1 });
  join.addVersion('u4', 100, { v: 2 });
  join.sweep();
  assert.deepEqual(join.table.at('u4', 96), { v: 1 });
  assert.equal(join.table.versions, 5, 'u4 keeps v1 and v2; v0 (before 105 - gap and older than v1) is gone');
  open.delete('u4');
  join.table.prune('u4', Infinity);
  assert.equal(join.table.versions, 4);
  open.delete('u1');
  join.result({ key: 'u3', partition: 0, start: 2000, end: 2010, firing: 'early', result: 0 });
  join.addVersion('u3', 1500, { v: 1 });
  join.addVersion('u3', 1600, { v: 2 });
  join.sweep();
  assert.equal(join.table.versions, 5, 'u1 down to v2, u4 one; u3 keeps both (the waiting result needs the version at 2000, v2, and cutoff is the watermark - gap)');
  join.advance(2000);
  assert.deepEqual(out.map((r) => r.type === 'session' && r.profile), [{ v: 2 }]);
  const restored = new ProfileJoin({ output: { write: () => {} }, gapMs: 10, allowedLatenessMs: 0, earliestOpenStart: () => undefined }, JSON.parse(JSON.stringify(join.snapshot())));
  assert.deepEqual(restored.snapshot(), join.snapshot());
});
