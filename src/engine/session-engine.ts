// The session-window operator: assigns, merges, asks the trigger, aggregates, emits; one key space for the whole job.

import { BadRecordError, CoPartitioningError, SavepointError, UsageError } from '../errors.js';
import { getLogger } from '../logger.js';
import {
  CURRENT_FORMAT_VERSION,
  SNAPSHOT_TYPE,
  parseSnapshot,
  type EngineSnapshot,
  type SessionSnapshot,
} from '../state/savepoint-format.js';
import { KeyIndex } from '../state/key-index.js';
import type { Aggregate } from './aggregate.js';
import { createAggregate } from './aggregates/index.js';
import { cleanupTime, validateLateness } from './lateness.js';
import { findIntersecting, type MergeCandidates } from './merging-window-set.js';
import { NONE, Session, SessionTable } from './session.js';
import { SessionAssigner } from './session-assigner.js';
import { TimerHeap } from './timer-service.js';
import { SessionTriggerContext } from './trigger-context.js';
import { createTrigger, parseTriggerSpec, type Trigger, type TriggerResult, type TriggerSpec } from './triggers/index.js';
import type { Firing, SessionEngineOptions, SessionEngineStats, SessionSink } from './types.js';

const log = getLogger('engine');
const NO_STATES: readonly number[] = [];

export class SessionEngine {
  readonly gapMs: number;
  readonly allowedLatenessMs: number;
  readonly triggerSpec: TriggerSpec;
  readonly purging: boolean;
  readonly retractions: boolean;
  readonly aggregate: Aggregate;
  /** The topic is asserted to keep each session key in one partition: verified on every event, never trusted. */
  readonly coPartitioned: boolean;
  private readonly trigger: Trigger;
  private readonly sink: SessionSink;
  /** Key → first session of its chain (sessions ordered by start); a key without open sessions has no entry. */
  private readonly keys = new KeyIndex<Session>();
  private readonly heap = new TimerHeap();
  private readonly table: SessionTable;
  private readonly ctx: SessionTriggerContext;
  private readonly candidates: MergeCandidates = { before: null, first: null, last: null, count: 0 };
  /** The job watermark; -Infinity before the first, +Infinity after finish(). */
  watermark = -Infinity;
  private nextId = 1;
  private open = 0;
  private finishing = false;
  private events = 0;
  private lateEvents = 0;
  private results = 0;
  private retracted = 0;

  constructor(options: SessionEngineOptions, sink: SessionSink) {
    this.gapMs = new SessionAssigner(options.gapMs).gapMs;
    this.allowedLatenessMs = validateLateness(options.allowedLatenessMs ?? 0);
    const t = options.trigger ?? { kind: 'event-time' };
    this.triggerSpec = typeof t === 'string' ? parseTriggerSpec(t) : t;
    this.purging = options.purging ?? false;
    this.retractions = options.retractions ?? false;
    if (this.purging && this.retractions) {
      throw new UsageError('--retractions: retractions replace running totals, but --purging emits deltas; use one or the other');
    }
    this.trigger = createTrigger(this.triggerSpec, this.purging);
    const agg = options.aggregate ?? 'count';
    this.aggregate = typeof agg === 'string' ? createAggregate(agg) : agg;
    this.coPartitioned = options.coPartitioned ?? false;
    this.sink = sink;
    this.ctx = new SessionTriggerContext(this);
    this.table = new SessionTable(this.allowedLatenessMs);
  }

  /**
   * One event of `key` at event time `ts` (epoch ms) read from source partition `partition`. Sessions are keyed by `key`
   * alone, as Flink's keyBy: events of one key from any partition build one session (the partition is reported with
   * the session: the one of the event that opened it).
   */
  processEvent(partition: number, key: string, ts: number, event: Record<string, unknown>): void {
    // NaN or ±Infinity would poison every comparison of the key's sessions.
    if (!(ts - ts === 0)) throw new BadRecordError(`event of key '${key}': time ${ts} is not a finite number of epoch ms`);
    this.events++;
    const keys = this.keys;
    const head = keys.get(key);
    if (this.coPartitioned && head !== undefined && head.partition !== partition) {
      throw new CoPartitioningError(key, head.partition, partition);
    }
    const end = ts + this.gapMs;
    const agg = this.aggregate;
    let s: Session | null;
    if (head !== undefined && head.next === null && head.start <= end && head.end >= ts) {
      // The common case: a key with one open session that this event touches (no chain walk).
      s = head;
      const start = s.start;
      const sEnd = s.end;
      const newStart = ts < start ? ts : start;
      const newEnd = end > sEnd ? end : sEnd;
      if (newStart !== start || newEnd !== sEnd) this.merge(s, 1, newStart, newEnd);
      if (s.acc === null) s.acc = agg.createAccumulator();
    } else {
      s = this.placeInChain(head, partition, key, ts, end, event);
      if (s === null) return;
    }
    // Pointer stores into long-lived objects pay a GC write barrier: skip the ones that change nothing.
    const acc = s.acc;
    const added = agg.add(acc, ts, event);
    if (added !== acc) s.acc = added;
    if (!s.pending) s.pending = true;
    const ctx = this.ctx;
    if (ctx.session !== s) ctx.session = s;
    const r = this.trigger.onElement(ts, ctx);
    if (r !== 0) this.act(s, r, this.watermark < s.end - 1 ? 'early' : 'late');
    this.heap.schedule(s);
  }

  /** The session (new, extended or merged) that takes an event of a key with none or several open sessions; null when late. */
  private placeInChain(head: Session | undefined, partition: number, key: string, ts: number, end: number, event: Record<string, unknown>): Session | null {
    const c = findIntersecting(head, ts, end, this.candidates);
    const agg = this.aggregate;
    let s = c.first;
    if (s === null) {
      // Nothing to merge with, so no open window can take it: late if its own window is past cleanup.
      if (cleanupTime(end, this.allowedLatenessMs) <= this.watermark) {
        this.lateEvents++;
        this.sink.late(partition, key, ts, event);
        return null;
      }
      s = new Session(this.table, this.nextId++, partition, key, ts, end, this.trigger.initialState);
      s.acc = agg.createAccumulator();
      const before = c.before;
      if (before === null) {
        if (head !== undefined) s.next = head;
        this.keys.set(key, s);
      } else {
        s.next = before.next;
        before.next = s;
      }
      this.open++;
    } else {
      const newStart = ts < s.start ? ts : s.start;
      const lastEnd = c.last!.end;
      const newEnd = end > lastEnd ? end : lastEnd;
      if (c.count > 1 || newStart !== s.start || newEnd !== s.end) this.merge(s, c.count, newStart, newEnd);
      if (s.acc === null) s.acc = agg.createAccumulator();
    }
    return s;
  }

  /** Moves the job watermark; a lower or equal one is ignored. Fires every timer at or below it, in time order. */
  advanceWatermark(ts: number): void {
    if (!(ts > this.watermark)) return;
    this.watermark = ts;
    const heap = this.heap;
    while (heap.size > 0) {
      const t = heap.peekTime();
      if (t > ts) break;
      const s = heap.pop();
      if (s.dead || s.heapTime !== t) continue;
      s.heapTime = Infinity;
      const m = s.nextTimer();
      // The entry came due before the session's real next timer (the session grew since): requeue in order.
      if (m !== t) heap.schedule(s);
      else this.onTimer(s, t);
    }
    heap.compactIfNeeded(this.open);
  }

  /** End of input: the watermark goes to +infinity and every session fires (one never emitted since its last event is emitted on time). */
  finish(): void {
    this.finishing = true;
    this.advanceWatermark(Infinity);
  }

  openSessionCount(): number {
    return this.open;
  }

  stats(): SessionEngineStats {
    return {
      events: this.events,
      lateEvents: this.lateEvents,
      results: this.results,
      retractions: this.retracted,
      openSessions: this.open,
      watermark: this.watermark,
    };
  }

  /**
   * Plain JSON-able state (sessions, accumulators, trigger state, timers, watermark), grouped by the partition of each
   * session; `partitions` limits it to the sessions of those partitions (default all).
   */
  snapshot(partitions?: readonly number[]): EngineSnapshot {
    if (this.watermark === Infinity) throw new UsageError('snapshot: the engine has finished (watermark at +infinity); take the snapshot before finish()');
    const agg = this.aggregate;
    const wanted = partitions === undefined ? null : new Set(partitions);
    const byPartition = new Map<number, SessionSnapshot[]>();
    for (const head of this.keys.values()) {
      for (let s: Session | null = head; s !== null; s = s.next) {
        if (wanted !== null && !wanted.has(s.partition)) continue;
        let list = byPartition.get(s.partition);
        if (list === undefined) byPartition.set(s.partition, (list = []));
        list.push({
          id: s.id,
          key: s.key,
          start: s.start,
          end: s.end,
          acc: s.acc === null ? null : agg.toJson(s.acc),
          trigger: Number.isNaN(s.triggerState) ? null : s.triggerState,
          timers: s.timerList(),
          emitted: Number.isNaN(s.emittedStart) ? null : [s.emittedStart, s.emittedEnd],
          pending: s.pending,
        });
      }
    }
    for (const p of wanted ?? []) if (!byPartition.has(p)) byPartition.set(p, []);
    const shards = [...byPartition].sort(([a], [b]) => a - b).map(([partition, sessions]) => ({ partition, sessions }));
    return {
      type: SNAPSHOT_TYPE,
      formatVersion: CURRENT_FORMAT_VERSION,
      aggregate: agg.name,
      config: {
        gapMs: this.gapMs,
        allowedLatenessMs: this.allowedLatenessMs,
        trigger: this.trigger.spec,
        purging: this.purging,
        retractions: this.retractions,
        keying: this.coPartitioned ? 'co-partitioned' : 'job',
      },
      watermark: this.watermark === -Infinity ? null : this.watermark,
      nextSessionId: this.nextId,
      shards,
    };
  }

  /**
   * A new engine holding the snapshot's state. `options` may change gap, lateness, trigger,
   * purging and retractions (from now on: open sessions keep their bounds); a different
   * aggregate fails with SavepointError. `source` names the snapshot in errors.
   */
  static restore(snapshot: unknown, options: SessionEngineOptions, sink: SessionSink, source = 'snapshot'): SessionEngine {
    const snap = parseSnapshot(snapshot, source);
    const engine = new SessionEngine(options, sink);
    if (engine.aggregate.name !== snap.aggregate) {
      throw new SavepointError(
        source,
        `savepoint ${source} holds '${snap.aggregate}' sessions but this run aggregates '${engine.aggregate.name}'; run with --aggregate ${snap.aggregate} or start without the savepoint (the file was left untouched)`,
      );
    }
    engine.load(snap, source);
    return engine;
  }

  /**
   * Rebuilds the chains of the snapshot's sessions, one per key across every partition. A snapshot of format 1 kept
   * a chain per source partition, so a key may hold sessions from two partitions that overlap or touch: they are merged
   * now, as the engine would have merged them had it keyed by the session key all along (with retractions, the results
   * they had fired are retracted); under --co-partitioned such a key is refused, since it contradicts the assertion.
   */
  private load(snap: EngineSnapshot, source: string): void {
    this.watermark = snap.watermark ?? -Infinity;
    this.nextId = snap.nextSessionId;
    const triggerChanged = snap.config.trigger !== this.trigger.spec;
    const agg = this.aggregate;
    let dropped = 0;
    const byKey = new Map<string, Session[]>();
    for (const sh of snap.shards) {
      for (const ss of sh.sessions) {
        const s = new Session(this.table, ss.id, sh.partition, ss.key, ss.start, ss.end, ss.trigger ?? NONE);
        try {
          s.acc = ss.acc === null ? null : agg.fromJson(ss.acc);
        } catch (err) {
          throw new SavepointError(source, `savepoint ${source} is corrupt: ${(err as Error).message}; it was left untouched`, { cause: err });
        }
        for (const t of ss.timers) s.addTimer(t);
        s.pending = ss.pending;
        if (this.retractions && ss.emitted !== null) {
          s.emittedStart = ss.emitted[0];
          s.emittedEnd = ss.emitted[1];
        }
        if (ss.id >= this.nextId) this.nextId = ss.id + 1;
        // A shorter lateness may put a session past its cleanup already: it would have been dropped.
        if (s.cleanupAt <= this.watermark) {
          s.kill();
          dropped++;
          continue;
        }
        if (triggerChanged) {
          s.clearTimers();
          s.triggerState = this.trigger.initialState;
          this.ctx.session = s;
          this.trigger.onMerge(this.ctx, NO_STATES);
        }
        let list = byKey.get(ss.key);
        if (list === undefined) byKey.set(ss.key, (list = []));
        list.push(s);
      }
    }
    for (const [key, list] of byKey) {
      list.sort((a, b) => a.start - b.start || a.partition - b.partition);
      const partitions = new Set(list.map((s) => s.partition));
      if (this.coPartitioned && partitions.size > 1) {
        const [a, b] = [...partitions];
        throw new SavepointError(source, `savepoint ${source} holds sessions of key '${key}' from partitions ${a} and ${b}; --co-partitioned (each key in one partition) cannot restore it — restore without --co-partitioned`);
      }
      for (let i = 1; i < list.length; i++) list[i - 1]!.next = list[i]!;
      this.keys.set(key, list[0]!);
      this.open += list.length;
      for (let s: Session | null = list[0]!; s !== null; s = s.next) {
        let run = 1;
        let end = s.end;
        for (let o = s.next; o !== null && o.start <= end; o = o.next) {
          if (o.partition === s.partition) {
            throw new SavepointError(source, `savepoint ${source} is corrupt: sessions of key '${key}' in partition ${s.partition} overlap; it was left untouched`);
          }
          run++;
          if (o.end > end) end = o.end;
        }
        if (run > 1) this.merge(s, run, s.start, end);
      }
      for (let s: Session | null = this.keys.get(key)!; s !== null; s = s.next) this.heap.schedule(s);
    }
    if (dropped > 0) log.info('sessions past their cleanup time under the new allowed lateness were dropped on restore', { dropped });
  }

  private merge(r: Session, count: number, newStart: number, newEnd: number): void {
    const retract = this.retractions;
    if (retract && !Number.isNaN(r.emittedStart) && (r.emittedStart !== newStart || r.emittedEnd !== newEnd)) {
      this.retract(r, r.emittedStart, r.emittedEnd);
      r.emittedStart = NONE;
      r.emittedEnd = NONE;
    }
    let states = NO_STATES;
    if (count > 1) {
      const merged: number[] = [];
      const agg = this.aggregate;
      let o = r.next;
      for (let i = 1; i < count; i++) {
        const victim = o!;
        o = victim.next;
        if (victim.acc !== null) r.acc = r.acc === null ? victim.acc : agg.merge(r.acc, victim.acc);
        merged.push(victim.triggerState);
        if (victim.pending) r.pending = true;
        if (retract && !Number.isNaN(victim.emittedStart)) this.retract(victim, victim.emittedStart, victim.emittedEnd);
        victim.kill();
        this.open--;
      }
      r.next = o;
      states = merged;
    }
    r.start = newStart;
    r.end = newEnd;
    r.clearTimers();
    this.ctx.session = r;
    this.trigger.onMerge(this.ctx, states);
  }

  private onTimer(s: Session, t: number): void {
    if (s.deleteTimer(t)) {
      this.ctx.session = s;
      const r = this.trigger.onEventTime(t, this.ctx);
      const max = s.end - 1;
      if (r !== 0) this.act(s, r, t === max ? 'on-time' : t < max ? 'early' : 'late');
    }
    if (t >= s.cleanupAt) this.cleanup(s);
    else this.heap.schedule(s);
  }

  private act(s: Session, r: TriggerResult, firing: Firing): void {
    if ((r & 1) !== 0 && s.acc !== null) this.emit(s, firing);
    if ((r & 2) !== 0) {
      s.acc = null;
      s.pending = false;
    }
  }

  private emit(s: Session, firing: Firing): void {
    this.results++;
    s.pending = false;
    if (this.retractions) {
      s.emittedStart = s.start;
      s.emittedEnd = s.end;
    }
    this.sink.result({ key: s.key, start: s.start, end: s.end, firing, result: this.aggregate.getResult(s.acc), partition: s.partition });
  }

  private retract(s: Session, start: number, end: number): void {
    this.retracted++;
    this.sink.retraction({ key: s.key, start, end, partition: s.partition });
  }

  private cleanup(s: Session): void {
    // End of input with a trigger that does not fire on time (count): do not let the last events vanish.
    if (this.finishing && s.pending && s.acc !== null) this.emit(s, 'on-time');
    const head = this.keys.get(s.key);
    if (head === s) {
      if (s.next === null) this.keys.delete(s.key);
      else this.keys.set(s.key, s.next);
    } else {
      let p = head ?? null;
      while (p !== null && p.next !== s) p = p.next;
      if (p !== null) p.next = s.next;
    }
    s.kill();
    this.open--;
  }
}
