// Unit tests of the music event generator: determinism by seed, the disorder bound, the schema and session structure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateMusicEvents, musicEventBatches, partitionOf, type MusicEvent } from '../../../src/gen/music-events.js';

const day = 86_400_000;

test('the same seed gives the same events; another seed gives others', () => {
  const a = [...generateMusicEvents({ seed: 7, users: 20, durationMs: day })];
  const b = [...generateMusicEvents({ seed: 7, users: 20, durationMs: day })];
  const c = [...generateMusicEvents({ seed: 8, users: 20, durationMs: day })];
  assert.ok(a.length > 100, `expected a day of 20 users to give > 100 events, got ${a.length}`);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('no event is older than the newest before it by more than the disorder bound, and some are out of order', () => {
  for (const bound of [0, 2_000, 60_000]) {
    let maxSeen = Number.NEGATIVE_INFINITY;
    let outOfOrder = 0;
    for (const e of generateMusicEvents({ seed: 3, users: 200, durationMs: day, maxDisorderMs: bound })) {
      assert.ok(maxSeen - e.ts <= bound, `event at ${e.ts} is ${maxSeen - e.ts} ms behind the max, bound ${bound}`);
      if (e.ts < maxSeen) outOfOrder++;
      maxSeen = Math.max(maxSeen, e.ts);
    }
    if (bound === 0) assert.equal(outOfOrder, 0);
    else assert.ok(outOfOrder > 0, `bound ${bound} produced no disorder`);
  }
});

test('events follow the music schema and stay inside [start, start + duration)', () => {
  const start = Date.UTC(2026, 0, 1);
  const events = [...generateMusicEvents({ seed: 5, users: 30, start, durationMs: 2 * day })];
  const types = new Set<string>();
  for (const e of events) {
    types.add(e.type);
    assert.match(e.userId, /^u\d+$/);
    assert.ok(Number.isSafeInteger(e.ts) && e.ts >= start && e.ts < start + 2 * day);
    if (e.type === 'song') {
      assert.match(e.songId, /^s\d+$/);
      assert.deepEqual(Object.keys(e).sort(), e.playlistId === undefined ? ['songId', 'ts', 'type', 'userId'] : ['playlistId', 'songId', 'ts', 'type', 'userId']);
    } else {
      assert.deepEqual(Object.keys(e).sort(), ['ts', 'type', 'userId']);
    }
  }
  assert.deepEqual([...types].sort(), ['search', 'song']);
});

test('users listen in sessions: gaps within a session are minutes, between sessions hours', () => {
  const byUser = new Map<string, number[]>();
  for (const e of generateMusicEvents({ seed: 9, users: 10, durationMs: 3 * day })) {
    const list = byUser.get(e.userId) ?? [];
    list.push(e.ts);
    byUser.set(e.userId, list);
  }
  let sessions = 0;
  for (const times of byUser.values()) {
    times.sort((x, y) => x - y);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      assert.ok(gap <= 300_000 || gap >= 2 * 3_600_000, `gap of ${gap} ms is neither within nor between sessions`);
      if (gap >= 2 * 3_600_000) sessions++;
    }
  }
  assert.ok(sessions >= 30, `expected several sessions per user over 3 days, got ${sessions}`);
});

test('playlist runs play consecutive songs of one playlist', () => {
  const events = [...generateMusicEvents({ seed: 11, users: 5, durationMs: day, maxDisorderMs: 0 })];
  const songs = events.filter((e): e is Extract<MusicEvent, { type: 'song' }> => e.type === 'song');
  assert.ok(songs.some((e) => e.playlistId !== undefined));
  assert.ok(songs.some((e) => e.playlistId === undefined));
});

test('batches hold the same events; limit stops early; partitionOf is stable and in range', async () => {
  const flat = [...generateMusicEvents({ seed: 2, users: 10, limit: 250 })];
  assert.equal(flat.length, 250);
  const batched: MusicEvent[] = [];
  for await (const batch of musicEventBatches({ seed: 2, users: 10, limit: 250 }, 100)) {
    assert.ok(batch.length <= 100);
    batched.push(...batch);
  }
  assert.deepEqual(batched, flat);
  for (let i = 0; i < 50; i++) {
    const p = partitionOf(`u${i}`, 4);
    assert.ok(p >= 0 && p < 4);
    assert.equal(partitionOf(`u${i}`, 4), p);
  }
  assert.throws(() => [...generateMusicEvents({ users: 0 })], /users must be > 0/);
});
