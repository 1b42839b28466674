// The session engine over N worker threads, each owning the keys that hash to it (docs/scaling.md, "Topics not keyed
// by the session key"). The job hands events and watermarks over in its own order; every thread sees its keys' events
// and every watermark in that order, so its sessions are the ones one engine computes. Results come back to `sink` in
// this thread. Snapshots are one engine snapshot of the ordinary format, merged from the threads' and split again on
// restore, so a checkpoint of this engine and one of a single engine continue each other.

import { Worker } from 'node:worker_threads';
import { EXIT_FAILED, WorkerFailure } from '../errors.js';
import type { EngineSnapshot, SessionSnapshot } from '../state/snapshot-format.js';
import { parseSnapshotFor } from './engine-snapshot.js';
import type { AggregateOptions } from './aggregates/index.js';
import type { SessionEngineStats, SessionSink } from './types.js';
import type { SessionWindows } from './window-spec.js';

/** What a thread rebuilds its SessionWindows from: the windows' plain values, and the aggregate by name. */
export interface ShardRecipe {
  windows: Omit<SessionWindows, 'aggregate'>;
  aggregate: { name: string; options: AggregateOptions };
}

/** Parent → thread. Ops are columns: an entry whose key is null is a watermark at `ts`. */
export type ToShard =
  | { t: 'ops'; parts: number[]; keys: (string | null)[]; ts: number[]; events: string }
  | { t: 'finish' }
  | { t: 'barrier'; snapshot: boolean };

/** What a thread emitted: [0, result] | [1, retraction] | [2, partition, key, ts, event]. */
export type ShardOutput = unknown[];

/** Thread → parent: after each message, what it emitted and its counters; a barrier's answer carries its snapshot. */
export type FromShard =
  | { t: 'done'; out: ShardOutput[]; stats: SessionEngineStats; snapshot?: EngineSnapshot }
  | { t: 'error'; message: string; exitCode: number };

export interface ShardInit {
  recipe: ShardRecipe;
  /** This thread's share of the restored snapshot, and where that came from (for messages). */
  restore: { snapshot: EngineSnapshot; source: string } | null;
}

/** Why `--profiles` cannot run with engine threads (the CLI refuses before opening anything, the job assembly again). */
export const THREADS_AND_PROFILES = '--workers without --co-partitioned runs the engine in threads, and --profiles joins each result as it fires, ' +
  'asking the engine about open sessions: drop one of them';

/** Events a thread's batch collects before it is sent (also sent at the end of every job step and at a barrier). */
const BATCH = 4096;
/** Messages a thread may have waiting before the job waits for it: bounds the memory of events in flight. */
const MAX_IN_FLIGHT = 4;

/** FNV-1a over the key's UTF-16 code units: the thread that owns `key`, of `n`. */
export function shardOf(key: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}

/** A thread's share of a snapshot: the sessions of the keys that hash to it, everything else as it is. */
export function splitSnapshot(snap: EngineSnapshot, n: number): EngineSnapshot[] {
  return Array.from({ length: n }, (_, i) => ({
    ...snap,
    shards: snap.shards.map((sh) => ({ partition: sh.partition, sessions: sh.sessions.filter((s) => shardOf(s.key, n) === i) })),
  }));
}

/**
 * One snapshot from the threads' snapshots (same config and watermark). Session ids are a tie-breaker for timers of
 * one time within a key space; each thread numbered its own, so they are renumbered in (id, thread) order, which keeps
 * every thread's order.
 */
export function mergeSnapshots(parts: readonly EngineSnapshot[]): EngineSnapshot {
  const first = parts[0]!;
  const all: { s: SessionSnapshot; partition: number; thread: number }[] = [];
  parts.forEach((p, thread) => {
    if (p.watermark !== first.watermark) throw new Error(`engine threads disagree on the watermark (${p.watermark} and ${first.watermark})`);
    for (const sh of p.shards) for (const s of sh.sessions) all.push({ s, partition: sh.partition, thread });
  });
  all.sort((a, b) => a.s.id - b.s.id || a.thread - b.thread);
  const byPartition = new Map<number, SessionSnapshot[]>();
  all.forEach(({ s, partition }, i) => {
    let list = byPartition.get(partition);
    if (list === undefined) byPartition.set(partition, (list = []));
    list.push({ ...s, id: i + 1 });
  });
  return {
    ...first,
    nextSessionId: all.length + 1,
    shards: [...byPartition].sort(([a], [b]) => a - b).map(([partition, sessions]) => ({ partition, sessions })),
  };
}

interface Shard {
  worker: Worker;
  parts: number[];
  keys: (string | null)[];
  ts: number[];
  events: Record<string, unknown>[];
  inFlight: number;
  stats: SessionEngineStats;
  snapshot: EngineSnapshot | undefined;
}

const ZERO: SessionEngineStats = { events: 0, lateEvents: 0, behindWatermark: 0, results: 0, retractions: 0, openSessions: 0, watermark: -Infinity };

/** The JobEngine of `--workers N` on a topic not co-partitioned (src/job/types.ts). */
export class ShardedEngine {
  private readonly shards: Shard[];
  private watermark = -Infinity;
  private finished = false;
  private failure: Error | null = null;
  /** Resolved when a thread answers (or fails): what the job waits on. */
  private wake: (() => void) | null = null;
  private merged: EngineSnapshot | null = null;
  /** close() ended the threads: their exits are expected. */
  private closing = false;

  /**
   * `threads` engine threads over `recipe`'s windows, results to `sink`; `restore` a snapshot (any released format)
   * read from `source`, split among them.
   */
  constructor(threads: number, recipe: ShardRecipe, private readonly sink: SessionSink, restore: { snapshot: unknown; source: string } | null = null) {
    const parsed = restore ? parseSnapshotFor(restore.snapshot, recipe.aggregate.name, restore.source) : null;
    const shares = parsed ? splitSnapshot(parsed, threads) : null;
    if (parsed) this.watermark = parsed.watermark ?? -Infinity;
    this.shards = Array.from({ length: threads }, (_, i) => {
      const init: ShardInit = { recipe, restore: shares ? { snapshot: shares[i]!, source: restore!.source } : null };
      const worker = new Worker(new URL('./shard-worker.js', import.meta.url), { workerData: init });
      // The job ends the threads itself (close()); a failed run must not wait for them.
      worker.unref();
      const shard: Shard = { worker, parts: [], keys: [], ts: [], events: [], inFlight: 0, stats: { ...ZERO }, snapshot: undefined };
      worker.on('message', (m: FromShard) => this.answer(shard, m));
      worker.on('error', (err) => this.fail(new WorkerFailure(`engine thread ${i} failed: ${err.message}`, EXIT_FAILED, { cause: err })));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new WorkerFailure(`engine thread ${i} exited (code ${code}) while the job ran`, EXIT_FAILED));
      });
      return shard;
    });
  }

  processEvent(partition: number, key: string, ts: number, event: Record<string, unknown>): void {
    const shard = this.shards[shardOf(key, this.shards.length)]!;
    shard.parts.push(partition);
    shard.keys.push(key);
    shard.ts.push(ts);
    shard.events.push(event);
    this.merged = null;
    if (shard.keys.length >= BATCH) this.send(shard);
  }

  advanceWatermark(ts: number): void {
    if (!(ts > this.watermark)) return;
    this.watermark = ts;
    this.merged = null;
    for (const shard of this.shards) {
      shard.parts.push(0);
      shard.keys.push(null);
      shard.ts.push(ts);
      shard.events.push(NO_EVENT);
    }
  }

  finish(): void {
    this.flush();
    this.finished = true;
    for (const shard of this.shards) this.post(shard, { t: 'finish' });
  }

  /** Sends what the threads' batches hold; the job calls it at the end of each step, then waits when they are behind. */
  pace(): Promise<void> | null {
    this.flush();
    this.throwIfFailed();
    return this.shards.some((s) => s.inFlight > MAX_IN_FLIGHT) ? this.until(() => this.shards.every((s) => s.inFlight <= MAX_IN_FLIGHT)) : null;
  }

  /**
   * Every event and watermark handed over is processed and what it emitted is in the sink; then snapshot() and
   * stats() are exact. Called before each checkpoint and at the end.
   */
  async settle(): Promise<void> {
    this.flush();
    const snapshot = !this.finished;
    for (const shard of this.shards) {
      shard.snapshot = undefined;
      this.post(shard, { t: 'barrier', snapshot });
    }
    await this.until(() => this.shards.every((s) => s.inFlight === 0));
    this.merged = snapshot ? mergeSnapshots(this.shards.map((s) => s.snapshot!)) : null;
  }

  snapshot(): EngineSnapshot {
    if (this.merged === null) throw new Error('ShardedEngine.snapshot() before settle(): the threads\' state is not collected');
    return this.merged;
  }

  stats(): SessionEngineStats {
    const sum = { ...ZERO, watermark: this.watermark };
    for (const { stats } of this.shards) {
      sum.events += stats.events;
      sum.lateEvents += stats.lateEvents;
      sum.behindWatermark += stats.behindWatermark;
      sum.results += stats.results;
      sum.retractions += stats.retractions;
      sum.openSessions += stats.openSessions;
    }
    return sum;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.shards.map((s) => s.worker.terminate()));
  }

  private flush(): void {
    for (const shard of this.shards) if (shard.keys.length > 0) this.send(shard);
  }

  private send(shard: Shard): void {
    const { parts, keys, ts, events } = shard;
    shard.parts = [];
    shard.keys = [];
    shard.ts = [];
    shard.events = [];
    // One JSON text crosses to a thread in 0.6 of the time of the structured clone of as many small objects (whole
    // replay 4.5 s against 5.2 s). It is exact for events: their values were read from JSON text, and the one value
    // JSON cannot carry back, a number too large for a double (read as Infinity, sent as null), differs from null in
    // nothing a built-in aggregate reads (sum's check refuses it as a bad record) or a late event's output line shows.
    this.post(shard, { t: 'ops', parts, keys, ts, events: JSON.stringify(events) });
  }

  private post(shard: Shard, m: ToShard): void {
    shard.inFlight++;
    shard.worker.postMessage(m);
  }

  private answer(shard: Shard, m: FromShard): void {
    if (m.t === 'error') {
      this.fail(new WorkerFailure(m.message, m.exitCode));
      return;
    }
    shard.inFlight--;
    shard.stats = m.stats;
    if (m.snapshot) shard.snapshot = m.snapshot;
    const sink = this.sink;
    for (const o of m.out) {
      if (o[0] === 0) sink.result(o[1] as Parameters<SessionSink['result']>[0]);
      else if (o[0] === 1) sink.retraction(o[1] as Parameters<SessionSink['retraction']>[0]);
      else sink.late(o[1] as number, o[2] as string, o[3] as number, o[4] as Record<string, unknown>);
    }
    this.wake?.();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private async until(done: () => boolean): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      if (done()) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}

const NO_EVENT: Record<string, unknown> = {};
