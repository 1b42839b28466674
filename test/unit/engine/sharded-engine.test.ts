// The engine in threads by key hash (--workers without --co-partitioned): for every key, exactly the output of one
// engine over the same events and watermarks, also across snapshots taken by one and restored by the other.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadRecordError, WorkerFailure } from '../../../src/errors.js';
import { SessionEngine, sessionWindows, type SessionEngineOptions, type SessionSink } from '../../../src/engine/index.js';
import { mergeSnapshots, shardOf, ShardedEngine, splitSnapshot } from '../../../src/engine/sharded-engine.js';
import { prng } from './harness.js';

type Op = { wm: number } | { partition: number; key: string; ts: number; event: Record<string, unknown> };

function randomOps(seed: number, n: number): Op[] {
  const rnd = prng(seed);
  const ops: Op[] = [];
  let wm = 0;
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.15) {
      wm += Math.floor(rnd() * 300);
      ops.push({ wm });
    } else {
      const key = `k${Math.floor(rnd() * 12)}`;
      ops.push({ partition: Math.floor(rnd() * 3), key, ts: wm + Math.floor(rnd() * 400) - 200, event: { v: Math.floor(rnd() * 10), type: rnd() < 0.7 ? 'song' : 'search', playlistId: rnd() < 0.5 ? 'a' : 'b' } });
    }
  }
  return ops;
}

/** Output as one ordered list per key (the threads interleave keys, never one key's output). */
class ByKey {
  readonly lists = new Map<string, string[]>();
  readonly sink: SessionSink = {
    result: (r) => this.add(r.key, ['result', r]),
    retraction: (r) => this.add(r.key, ['retract', r]),
    late: (partition, key, ts) => this.add(key, ['late', partition, ts]),
  };

  private add(key: string, what: unknown): void {
    let list = this.lists.get(key);
    if (list === undefined) this.lists.set(key, (list = []));
    list.push(JSON.stringify(what));
  }

  sorted(): [string, string[]][] {
    return [...this.lists].sort(([a], [b]) => (a < b ? -1 : 1));
  }
}

const configs: SessionEngineOptions[] = [
  { gapMs: 100 },
  { gapMs: 100, allowedLatenessMs: 150, aggregate: 'sum:v', retractions: true },
  { gapMs: 80, trigger: 'continuous:50', aggregate: 'listening' },
  { gapMs: 120, allowedLatenessMs: 50, trigger: 'count:3', purging: true, aggregate: 'playlist-runs' },
];

const recipeOf = (options: SessionEngineOptions) => {
  const { aggregate: _, ...windows } = sessionWindows(options);
  return { windows, aggregate: { name: (options.aggregate as string | undefined) ?? 'count', options: {} } };
};

function feed(engine: { processEvent: SessionEngine['processEvent']; advanceWatermark: SessionEngine['advanceWatermark'] }, ops: readonly Op[]): void {
  for (const op of ops) {
    if ('wm' in op) engine.advanceWatermark(op.wm);
    else engine.processEvent(op.partition, op.key, op.ts, op.event);
  }
}

function single(options: SessionEngineOptions, ops: readonly Op[]): ByKey {
  const out = new ByKey();
  const engine = new SessionEngine(options, out.sink);
  feed(engine, ops);
  engine.finish();
  return out;
}

test('each key gets exactly one engine\'s output, in its order, with 1, 2 and 3 threads', async () => {
  for (const [n, options] of configs.entries()) {
    for (const seed of [1, 2, 3]) {
      const ops = randomOps(seed, 1500);
      const expected = single(options, ops);
      assert.ok(expected.lists.size >= 10, 'the run has output for most keys');
      for (const threads of [1, 2, 3]) {
        const out = new ByKey();
        const engine = new ShardedEngine(threads, recipeOf(options), out.sink);
        try {
          // Steps of uneven sizes, as the job hands them over.
          for (let i = 0; i < ops.length; i += 97) {
            feed(engine, ops.slice(i, i + 97));
            await engine.pace();
          }
          engine.finish();
          await engine.settle();
          assert.deepEqual(out.sorted(), expected.sorted(), `config ${n} seed ${seed} threads ${threads}`);
          const direct = new SessionEngine(options, new ByKey().sink);
          feed(direct, ops);
          direct.finish();
          const { results, retractions, lateEvents } = direct.stats();
          const got = engine.stats();
          assert.deepEqual([got.results, got.retractions, got.lateEvents, got.events], [results, retractions, lateEvents, direct.stats().events]);
        } finally {
          await engine.close();
        }
      }
    }
  }
});

test('a snapshot of the threads restores into one engine, and one engine\'s into threads, mid-stream: the uninterrupted output', async () => {
  for (const [n, options] of configs.entries()) {
    const ops = randomOps(10 + n, 1200);
    const expected = single(options, ops);
    // Threads (3) → one engine at 400, one engine → threads (2) at 800, threads → threads (3) at 1000.
    const out = new ByKey();
    const first = new ShardedEngine(3, recipeOf(options), out.sink);
    feed(first, ops.slice(0, 400));
    await first.settle();
    const snap1 = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
    await first.close();
    const middle = SessionEngine.restore(snap1, options, out.sink);
    feed(middle, ops.slice(400, 800));
    const second = new ShardedEngine(2, recipeOf(options), out.sink, { snapshot: JSON.parse(JSON.stringify(middle.snapshot())), source: 'test' });
    feed(second, ops.slice(800, 1000));
    await second.settle();
    const snap3 = second.snapshot();
    await second.close();
    const third = new ShardedEngine(3, recipeOf(options), out.sink, { snapshot: snap3, source: 'test' });
    try {
      feed(third, ops.slice(1000));
      third.finish();
      await third.settle();
      assert.deepEqual(out.sorted(), expected.sorted(), `config ${n}`);
    } finally {
      await third.close();
    }
  }
});

test('split by key hash and merged again, a snapshot holds the same sessions; merged ids are unique', () => {
  const engine = new SessionEngine({ gapMs: 100, aggregate: 'listening' }, new ByKey().sink);
  feed(engine, randomOps(5, 600));
  const snap = engine.snapshot();
  const parts = splitSnapshot(snap, 3);
  for (const [i, part] of parts.entries()) for (const sh of part.shards) for (const s of sh.sessions) assert.equal(shardOf(s.key, 3), i);
  const merged = mergeSnapshots(parts);
  const strip = (x: typeof snap) => x.shards.map((sh) => [sh.partition, sh.sessions.map(({ id: _, ...s }) => JSON.stringify(s)).sort()]);
  assert.deepEqual(strip(merged), strip(snap));
  const ids = merged.shards.flatMap((sh) => sh.sessions.map((s) => s.id));
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(merged.nextSessionId > Math.max(...ids));
  assert.equal(merged.watermark, snap.watermark);
});

test('an event a thread refuses fails the job with that error\'s message and exit code, not a hang', async () => {
  const engine = new ShardedEngine(2, recipeOf({ gapMs: 100 }), new ByKey().sink);
  try {
    engine.processEvent(0, 'a', Number.NaN, {});
    await assert.rejects(async () => {
      await engine.pace();
      await engine.settle();
    }, (err: unknown) => err instanceof WorkerFailure && /time NaN is not a finite number/.test(err.message) && err.exitCode === new BadRecordError('x').exitCode);
  } finally {
    await engine.close();
  }
});
