// Merging at operator level: extension either way, bridging, gap boundaries, keying across partitions; checked against a reference model.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoPartitioningError, SavepointError } from '../../../src/errors.js';
import { SessionEngine } from '../../../src/engine/index.js';
import { Harness, prng, results } from './harness.js';

test('an event exactly gap after the last joins; gap+1 starts a new session', () => {
  const h = new Harness({ gapMs: 3000 });
  h.event('u', 0);
  h.event('u', 3000);
  h.event('u', 6001);
  assert.deepEqual(results(h.finish()), [['u', 0, 6000, 'on-time', 2], ['u', 6001, 9001, 'on-time', 1]]);
});

test('an out-of-order event extends a session backwards', () => {
  const h = new Harness({ gapMs: 1000 });
  h.event('u', 5000);
  h.event('u', 4500);
  h.event('u', 4000);
  assert.deepEqual(results(h.finish()), [['u', 4000, 6000, 'on-time', 3]]);
  assert.equal(h.engine.openSessionCount(), 0);
});

test('a bridging event merges two open sessions into one', () => {
  const h = new Harness({ gapMs: 1000, aggregate: 'sum:v' });
  h.event('u', 0, { v: 1 });
  h.event('u', 3000, { v: 2 });
  assert.equal(h.engine.openSessionCount(), 2);
  h.event('u', 1500, { v: 4 });
  assert.equal(h.engine.openSessionCount(), 3, '[1500,2500) touches neither [0,1000) nor [3000,4000)');
  h.event('u', 2000, { v: 8 });
  assert.equal(h.engine.openSessionCount(), 2, '[2000,3000) touches [1500,2500) and [3000,4000)');
  h.event('u', 1000, { v: 16 });
  assert.deepEqual(results(h.finish()), [['u', 0, 4000, 'on-time', 31]]);
});

test('sessions are keyed by the key across partitions, as keyBy does; a session reports the partition of its first event', () => {
  const h = new Harness({ gapMs: 1000 });
  h.event('a', 0, {}, 0);
  h.event('b', 100, {}, 0);
  h.event('a', 200, {}, 1);
  h.event('a', 5000, {}, 2);
  const out = h.finish().filter((o) => o.kind === 'result').map((o) => [o.kind === 'result' ? o.partition : -1, o.kind === 'result' ? o.key : '', o.kind === 'result' ? o.result : 0]);
  assert.deepEqual(out.sort(), [[0, 'a', 2], [0, 'b', 1], [2, 'a', 1]]);
});

test('--co-partitioned: a key whose open session came from another partition stops the engine naming both; after it closed, it may move', () => {
  const h = new Harness({ gapMs: 1000, coPartitioned: true });
  h.event('a', 0, {}, 0);
  h.watermark(2000);
  h.event('a', 3000, {}, 1);
  assert.throws(() => h.event('a', 3100, {}, 2), (err: unknown) =>
    err instanceof CoPartitioningError && err.key === 'a' && err.partitions[0] === 1 && err.partitions[1] === 2
    && /key 'a' has an open session from partition 1 and an event in partition 2/.test(err.message));
});

test('a snapshot of format 1 (state per partition) restores with a key\'s overlapping sessions from two partitions merged; --co-partitioned refuses it', () => {
  const session = (id: number, key: string, start: number, end: number, acc: number) => ({ id, key, start, end, acc, trigger: null, timers: [end - 1], emitted: null, pending: true });
  const v1 = {
    type: 'oxbow-engine-snapshot', formatVersion: 1, aggregate: 'count',
    config: { gapMs: 1000, allowedLatenessMs: 0, trigger: 'event-time', purging: false, retractions: false },
    watermark: 0, nextSessionId: 5,
    shards: [
      { partition: 0, sessions: [session(1, 'a', 100, 1300, 2), session(2, 'b', 100, 1100, 1)] },
      { partition: 1, sessions: [session(3, 'a', 1300, 2500, 3), session(4, 'a', 9000, 10000, 1)] },
    ],
  };
  const h = new Harness({ gapMs: 1000 });
  h.engine = SessionEngine.restore(JSON.parse(JSON.stringify(v1)), { gapMs: 1000 }, h.sink());
  assert.equal(h.engine.openSessionCount(), 3, 'a [100,1300) and a [1300,2500) touch: one session');
  assert.deepEqual(results(h.finish()).sort(), [['a', 100, 2500, 'on-time', 5], ['a', 9000, 10000, 'on-time', 1], ['b', 100, 1100, 'on-time', 1]]);
  assert.throws(() => SessionEngine.restore(JSON.parse(JSON.stringify(v1)), { gapMs: 1000, coPartitioned: true }, h.sink()), (err: unknown) =>
    err instanceof SavepointError && /key 'a' from partitions 0 and 1/.test(err.message));
});

/** Reference: all events known, no watermark before the end: sort per key and cut where the next event is more than gap later. */
function referenceSessions(events: { key: string; ts: number }[], gap: number): string[] {
  const byKey = new Map<string, number[]>();
  for (const e of events) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e.ts]);
  const out: string[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => a - b);
    let start = list[0]!;
    let last = start;
    let n = 0;
    for (const ts of list) {
      if (ts > last + gap) {
        out.push(`${key} ${start} ${last + gap} ${n}`);
        start = ts;
        n = 0;
      }
      last = ts;
      n++;
    }
    out.push(`${key} ${start} ${last + gap} ${n}`);
  }
  return out.sort();
}

test('random out-of-order input gives the reference model sessions', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rnd = prng(seed);
    const gap = 1 + Math.floor(rnd() * 50);
    const events = Array.from({ length: 300 }, () => ({ key: `k${Math.floor(rnd() * 5)}`, ts: Math.floor(rnd() * 2000) }));
    const h = new Harness({ gapMs: gap });
    for (const e of events) h.event(e.key, e.ts);
    const got = results(h.finish()).map(([k, s, e, , n]) => `${k} ${s} ${e} ${n}`).sort();
    assert.deepEqual(got, referenceSessions(events, gap), `seed ${seed}`);
  }
});

test('an event time that is not a finite number is refused before it touches state', () => {
  const h = new Harness({ gapMs: 1000 });
  h.event('u', 0);
  assert.throws(() => h.event('u', Number.NaN), /not a finite number/);
  assert.throws(() => h.event('u', Infinity), /not a finite number/);
  assert.deepEqual(results(h.finish()), [['u', 0, 1000, 'on-time', 1]]);
});
