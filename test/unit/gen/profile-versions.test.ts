// Unit tests of the profile generator: determinism by seed, the value schema and record times, how a user's versions
// change (initial, changes, tombstones, re-creations), and that the users are the event generator's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateMusicEvents, generateProfileVersions, type ProfileVersion } from '../../../src/gen/music-events.js';

const day = 86_400_000;
const start = Date.UTC(2026, 0, 1);

function byUser(versions: Iterable<ProfileVersion>): Map<string, ProfileVersion[]> {
  const users = new Map<string, ProfileVersion[]>();
  for (const v of versions) users.set(v.userId, [...(users.get(v.userId) ?? []), v]);
  return users;
}

test('the same seed and users give the same versions; another seed gives others', () => {
  const a = [...generateProfileVersions({ seed: 7, users: 50 })];
  const b = [...generateProfileVersions({ seed: 7, users: 50 })];
  const c = [...generateProfileVersions({ seed: 8, users: 50 })];
  assert.ok(a.length > 100, `expected 50 users to give > 100 versions, got ${a.length}`);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('versions come in time order; a value is {userId, country, tier, ts} of its record, a tombstone null; times fall in [start - lead, start + duration)', () => {
  const versions = [...generateProfileVersions({ seed: 5, users: 200, start, durationMs: 30 * day, leadMs: 2 * day })];
  let last = Number.NEGATIVE_INFINITY;
  for (const v of versions) {
    assert.ok(v.ts >= last, `version at ${v.ts} after one at ${last}`);
    last = v.ts;
    assert.match(v.userId, /^u\d+$/);
    assert.ok(Number(v.userId.slice(1)) < 200, v.userId);
    assert.ok(Number.isSafeInteger(v.ts) && v.ts >= start - 2 * day && v.ts < start + 30 * day, `${v.userId} at ${v.ts}`);
    if (v.value === null) continue;
    assert.deepEqual(Object.keys(v.value), ['userId', 'country', 'tier', 'ts']);
    assert.equal(v.value.userId, v.userId);
    assert.equal(v.value.ts, v.ts);
    assert.match(v.value.country, /^[A-Z]{2}$/);
    assert.ok(['free', 'student', 'premium', 'family'].includes(v.value.tier), v.value.tier);
  }
});

test('a user has at most an initial version before the start and up to maxChanges after it: changes differ, tombstones delete, some profiles come back', () => {
  const users = byUser(generateProfileVersions({ seed: 3, users: 500, start, durationMs: 365 * day, maxChanges: 4 }));
  let withoutInitial = 0;
  let tombstones = 0;
  let recreated = 0;
  let unchanged = 0;
  let busy = 0;
  for (let i = 0; i < 500; i++) {
    const list = users.get(`u${i}`) ?? [];
    const before = list.filter((v) => v.ts < start);
    assert.ok(before.length <= 1 && list.length - before.length <= 4, `u${i}: ${before.length} initial, ${list.length - before.length} changes`);
    if (before.length === 0) withoutInitial++;
    if (list.length === 1) unchanged++;
    if (list.length >= 4) busy++;
    for (let k = 0; k < list.length; k++) {
      const [prev, v] = [list[k - 1]?.value ?? null, list[k]!.value];
      if (v === null) {
        // A tombstone deletes a profile that exists: never first, never after another tombstone.
        assert.ok(prev !== null, `u${i}: tombstone at ${list[k]!.ts} deletes nothing`);
        tombstones++;
      } else if (prev !== null) {
        assert.ok(prev.country !== v.country || prev.tier !== v.tier, `u${i}: version at ${v.ts} changes nothing`);
      } else if (k > 0) {
        recreated++;
      }
    }
  }
  assert.ok(withoutInitial > 10 && withoutInitial < 100, `users without an initial version: ${withoutInitial}`);
  assert.ok(tombstones > 10, `tombstones: ${tombstones}`);
  assert.ok(recreated > 0, 'no profile re-created after a tombstone');
  assert.ok(unchanged > 0 && busy > 0, `users with one version ${unchanged}, with four or more ${busy}`);
});

test('the users are the events\' users of the same options', () => {
  const options = { seed: 9, users: 40, start, durationMs: day };
  const listeners = new Set([...generateMusicEvents(options)].map((e) => e.userId));
  const profiled = new Set([...generateProfileVersions(options)].map((v) => v.userId));
  assert.ok(profiled.size > 30, `${profiled.size} users with a profile`);
  for (const user of profiled) assert.ok(listeners.has(user), `${user} has a profile but no events`);
});

test('options shape the versions: no changes leaves the initial ones; no profiles and no creations leave none; bad options throw', () => {
  const initial = [...generateProfileVersions({ seed: 2, users: 100, start, maxChanges: 0, noProfileProbability: 0 })];
  assert.equal(initial.length, 100);
  assert.ok(initial.every((v) => v.value !== null && v.ts < start));
  assert.deepEqual([...generateProfileVersions({ seed: 2, users: 100, noProfileProbability: 1, createProbability: 0 })], []);
  assert.throws(() => [...generateProfileVersions({ users: 0 })], /users and durationMs must be > 0/);
  assert.throws(() => [...generateProfileVersions({ maxChanges: 1.5 })], /maxChanges/);
  assert.throws(() => [...generateProfileVersions({ leadMs: -1 })], /leadMs/);
});
