// Two topics as one input (events + profiles): one joint watermark, the minimum of both topics' partitions; profile
// records come as `profiles` steps; both switch to Kafka and end; a quiet, caught-up profiles topic does not hold the
// events back once idle.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridSource, type HybridSourceOptions, type Timed } from '../../../src/source/hybrid-source.js';
import { MergedSource } from '../../../src/source/merged-source.js';
import { FakeCatalog, FakeLive, file } from './fakes.js';

const opts = (o: Partial<HybridSourceOptions>): HybridSourceOptions => ({
  topic: 't', partitions: [0], archive: null, live: null, boundMs: 0, eventTime: 'ts',
  decode: (r) => (r.eventTime === null ? 'no event time' : { ts: r.eventTime }), ...o,
});

type Step = Awaited<ReturnType<ReturnType<MergedSource<Timed, Timed>['steps']>['next']>>['value'];

async function collect(source: MergedSource<Timed, Timed>, until?: (s: Step) => boolean): Promise<Step[]> {
  const steps: Step[] = [];
  for await (const s of source.steps()) {
    steps.push(s);
    if (until?.(s)) break;
  }
  return steps;
}

test('the joint watermark is the minimum over both topics, and every record of both arrives once', async () => {
  const events = new FakeCatalog().add(file(0, 0, [100, 150])).add(file(0, 2, [400, 450])).add(file(1, 0, [120, 130])).add(file(1, 2, [600]));
  const profiles = new FakeCatalog().add(file(0, 0, [50, 90])).add(file(0, 2, [300, 310]));
  const merged = new MergedSource(new HybridSource(opts({ archive: events, partitions: [0, 1] })), new HybridSource(opts({ archive: profiles, topic: 'p' })), 'p');
  const steps = await collect(merged);
  const wms = steps.flatMap((s) => (s.kind === 'watermark' ? [s.watermark] : []));
  // A partition's watermark after a file: min(next file's min - 1, max seen - 1) (bound 0). Events alone would reach 129
  // (p1 after its first file), then 449, 599; profiles hold the joint one at 89 (after their first file) and at 309
  // (after their last, until they finish).
  assert.deepEqual(wms, [89, 129, 309, 449, 599]);
  const times = (kind: string) => steps.flatMap((s) => ((s.kind === kind) && 'decoded' in s ? (s.decoded as (Timed | string)[]).map((d) => (d as Timed).ts) : []));
  assert.deepEqual(times('records').sort((a, b) => a - b), [100, 120, 130, 150, 400, 450, 600]);
  assert.deepEqual(times('profiles'), [50, 90, 300, 310]);
  // Every watermark step comes after the profile records at or before it.
  for (const [i, s] of steps.entries()) {
    if (s.kind !== 'watermark') continue;
    const later = steps.slice(i + 1).flatMap((x) => (x.kind === 'profiles' ? (x.decoded as (Timed | string)[]).map((d) => (d as Timed).ts) : []));
    assert.ok(later.every((t) => t > s.watermark), `no profile version at or before ${s.watermark} after it`);
  }
});

test('both topics switch to Kafka; a profiles topic caught up and silent for the idle timeout stops holding the events back', async () => {
  let now = 0;
  const clock = () => now;
  const eventsLive = new FakeLive(2).append(0, 2, [500, 510, 520, 530]);
  const profilesLive = new FakeLive(2).append(0, 2, [200]);
  const merged = new MergedSource(
    new HybridSource(opts({ archive: new FakeCatalog().add(file(0, 0, [100, 110])), live: eventsLive, idleTimeoutMs: 1000, now: clock })),
    new HybridSource(opts({ archive: new FakeCatalog().add(file(0, 0, [90, 95])), live: profilesLive, idleTimeoutMs: 1000, now: clock, topic: 'p' })),
    'p', clock,
  );
  const steps: Step[] = [];
  for await (const s of merged.steps()) {
    steps.push(s);
    now += 100;
    const wm = steps.filter((x) => x.kind === 'watermark').pop();
    if (wm && wm.kind === 'watermark' && wm.watermark >= 529) break;
    if (steps.length > 5000) assert.fail(`the watermark never passed the events: ${JSON.stringify(steps.slice(-5), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  }
  const switched = steps.flatMap((s) => (s.kind === 'switch' ? [s.topic ?? 'events'] : [])).sort();
  assert.deepEqual(switched, ['events', 'p']);
  assert.deepEqual(steps.flatMap((s) => (s.kind === 'profiles' ? (s.decoded as (Timed | string)[]).map((d) => (d as Timed).ts) : [])), [90, 95, 200]);
  assert.ok(eventsLive.closed && profilesLive.closed, 'breaking out closes both Kafka readers');
});

test('an idle profiles topic is confirmed caught up again after the events read: a version already in Kafka is read before the watermark passes it', async () => {
  let now = 1000;
  const clock = () => now;
  const eventsLive = new FakeLive(1).append(0, 2, [1000]);
  const profilesLive = new FakeLive(1).append(0, 2, [900]);
  const profiles = new HybridSource(opts({ archive: new FakeCatalog().add(file(0, 0, [90, 95])), live: profilesLive, idleTimeoutMs: 1000, now: clock, topic: 'p' }));
  const merged = new MergedSource(new HybridSource(opts({ archive: new FakeCatalog().add(file(0, 0, [100, 110])), live: eventsLive, idleTimeoutMs: 1000, now: clock })), profiles, 'p', clock);
  let offset = 3;
  let appendedAt: number | null = null;
  let steps = 0;
  for await (const s of merged.steps()) {
    now += 50;
    if (++steps > 20_000) assert.fail('the profile version was never read');
    // Events keep arriving, each at the clock's time (bound 0: the events' watermark follows the clock).
    if (s.kind === 'records') eventsLive.append(0, offset++, [now]);
    if (appendedAt === null && now >= 20_000 && profiles.watermarks.heldWatermark() === Number.POSITIVE_INFINITY) {
      appendedAt = now;
      profilesLive.append(0, 3, [now]);
    }
    if (appendedAt !== null && s.kind === 'watermark') assert.ok(s.watermark < appendedAt, `the joint watermark ${s.watermark} passed the version at ${appendedAt}, unread in Kafka`);
    if (appendedAt !== null && s.kind === 'profiles') break;
  }
  assert.ok(appendedAt !== null, 'the profiles topic became idle while the events flowed');
});
