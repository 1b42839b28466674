// The session-window operator: for each event, the window [ts, ts+gap) merges with what it touches in its key's chain,
// the trigger decides, the aggregate folds, results go to the sink. One key space for the whole job; chains live in
// session-chains.ts, the merge rule in time-window.ts, the snapshot form in engine-snapshot.ts.

import { BadRecordError, CoPartitioningError, SavepointError, UsageError } from '../errors.js';
import { getLogger } from '../logger.js';
import type { EngineSnapshot } from '../state/snapshot-format.js';
import type { Aggregate } from './aggregate.js';
import { byKey, liveSessionsOf, parseSnapshotFor, toSnapshot } from './engine-snapshot.js';
import { isWindowLate } from './lateness.js';
import { Session, SessionTable } from './session.js';
import { SessionChains } from './session-chains.js';
import { SessionOutput } from './session-output.js';
import { intersects } from './time-window.js';
import { TimerHeap } from './timer-service.js';
import { SessionTriggerContext } from './trigger-context.js';
import { createTrigger, type Trigger, type TriggerResult, type TriggerSpec } from './triggers/index.js';
import type { Firing, SessionEngineOptions, SessionEngineStats, SessionSink } from './types.js';
import { isSessionWindows, sessionWindows, type SessionWindows } from './window-spec.js';

const log = getLogger('engine');
const NO_STATES: readonly number[] = [];

export class SessionEngine {
  readonly windows: SessionWindows;
  readonly gapMs: number;
  readonly allowedLatenessMs: number;
  readonly triggerSpec: TriggerSpec;
  readonly aggregate: Aggregate;
  private readonly trigger: Trigger;
  private readonly out: SessionOutput;
  private readonly table: SessionTable;
  private readonly chains: SessionChains;
  private readonly heap = new TimerHeap();
  private readonly ctx: SessionTriggerContext;
  /** The job watermark; -Infinity before the first, +Infinity after finish(). */
  watermark = -Infinity;
  private nextId = 1;
  private finishing = false;
  private events = 0;
  private behindWatermark = 0;

  /** `options` are validated by sessionWindows() (a UsageError names the bad one); a SessionWindows is taken as is. */
  constructor(options: SessionEngineOptions | SessionWindows, sink: SessionSink) {
    this.windows = isSessionWindows(options) ? options : sessionWindows(options);
    ({ gapMs: this.gapMs, allowedLatenessMs: this.allowedLatenessMs, trigger: this.triggerSpec, aggregate: this.aggregate } = this.windows);
    this.trigger = createTrigger(this.triggerSpec, this.windows.purging);
    this.out = new SessionOutput(sink, this.aggregate, this.windows.retractions);
    this.table = new SessionTable(this.allowedLatenessMs, this.aggregate.row ?? null);
    this.chains = new SessionChains(this.table);
    this.ctx = new SessionTriggerContext(this, this.table);
  }

  /**
   * One event of `key` at event time `ts` (epoch ms) read from source partition `partition`. Sessions are keyed by `key`
   * alone, as Flink's keyBy: events of one key from any partition build one session (reported with the partition of the
   * event that opened it).
   */
  processEvent(partition: number, key: string, ts: number, event: Record<string, unknown>): void {
    // NaN or ±Infinity would poison every comparison of the key's sessions.
    if (!(ts - ts === 0)) throw new BadRecordError(`event of key '${key}': time ${ts} is not a finite number of epoch ms`);
    this.events++;
    const table = this.table;
    // The head session's offset in the table: the common path below reads the table alone, not the Session object.
    const headAt = this.chains.heads.get(key);
    if (this.windows.coPartitioned && headAt !== undefined && table.owner(headAt).partition !== partition) {
      throw new CoPartitioningError(key, table.owner(headAt).partition, partition);
    }
    const end = ts + this.gapMs;
    let at: number;
    if (headAt !== undefined && !table.hasNext(headAt) && intersects(table.start(headAt), table.end(headAt), ts, end)) {
      // The common case, a key with one open session that this event touches: no chain walk.
      at = headAt;
      const start = table.start(at);
      const sEnd = table.end(at);
      const newStart = ts < start ? ts : start;
      const newEnd = end > sEnd ? end : sEnd;
      if (newStart !== start || newEnd !== sEnd) this.merge(at, 1, newStart, newEnd);
      if (!table.hasAcc(at)) table.openAcc(at, this.aggregate);
    } else {
      const s = this.place(headAt === undefined ? undefined : table.owner(headAt), partition, key, ts, end, event);
      if (s === null) return;
      at = s.at;
    }
    if (ts <= this.watermark) this.behindWatermark++;
    table.add(at, this.aggregate, ts, event);
    table.setPending(at, true);
    const ctx = this.ctx;
    ctx.at = at;
    const r = this.trigger.onElement(ts, ctx);
    if (r !== 0) this.act(table.owner(at), r, this.watermark < table.end(at) - 1 ? 'early' : 'late');
    this.heap.schedule(table, at);
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
      if (m !== t) heap.schedule(this.table, s.at);
      else this.onTimer(s, t);
    }
    heap.compactIfNeeded(this.chains.size);
  }

  /** End of input: the watermark goes to +infinity and every session fires (one never emitted since its last event is emitted on time). */
  finish(): void {
    this.finishing = true;
    this.advanceWatermark(Infinity);
  }

  /** Start of the earliest open session of `key` (chains are ordered by start); undefined when it has none. */
  earliestOpenStart(key: string): number | undefined {
    const at = this.chains.heads.get(key);
    return at === undefined ? undefined : this.table.start(at);
  }

  openSessionCount(): number {
    return this.chains.size;
  }

  stats(): SessionEngineStats {
    const { results, retractions, lateEvents } = this.out;
    return { events: this.events, lateEvents, behindWatermark: this.behindWatermark, results, retractions, openSessions: this.chains.size, watermark: this.watermark };
  }

  /** The state (sessions, accumulators, trigger state, timers, watermark) of the sessions of `partitions` (default all). */
  snapshot(partitions?: readonly number[]): EngineSnapshot {
    if (this.watermark === Infinity) throw new UsageError('snapshot: the engine has finished (watermark at +infinity); take the snapshot before finish()');
    return toSnapshot(this.chains.all(), this.windows, this.trigger.spec, this.watermark, this.nextId, partitions);
  }

  /**
   * A new engine holding the snapshot's state. `options` may change gap, lateness, trigger, purging and retractions
   * (from now on: open sessions keep their bounds); a different aggregate fails with SavepointError naming `source`.
   */
  static restore(snapshot: unknown, options: SessionEngineOptions | SessionWindows, sink: SessionSink, source = 'snapshot'): SessionEngine {
    const engine = new SessionEngine(options, sink);
    engine.load(parseSnapshotFor(snapshot, engine.aggregate.name, source), source);
    return engine;
  }

  /**
   * Rebuilds one chain per key across every partition. A snapshot of format 1 kept a chain per source partition, so a
   * key may hold sessions from two partitions that overlap or touch: they are merged now, as the engine would have
   * merged them had it keyed by the session key all along (with retractions, the results they had fired are retracted);
   * under --co-partitioned such a key is refused, since it contradicts the assertion.
   */
  private load(snap: EngineSnapshot, source: string): void {
    this.watermark = snap.watermark ?? -Infinity;
    const { live, dropped, nextId } = liveSessionsOf(snap, this.table, this.aggregate, this.windows.retractions, source);
    this.nextId = nextId;
    // Another trigger than the snapshot's: every session starts it afresh, as a merge would.
    for (const s of snap.config.trigger !== this.trigger.spec ? live : []) {
      s.clearTimers();
      s.triggerState = this.trigger.initialState;
      this.ctx.at = s.at;
      this.trigger.onMerge(this.ctx, NO_STATES);
    }
    for (const [key, list] of byKey(live, this.windows.coPartitioned, source)) {
      this.chains.restore(key, list);
      // Merges are transitive: a session that grew is checked again against what follows it.
      for (let s: Session | null = list[0]!; s !== null;) {
        const run = this.chains.find(s.next ?? undefined, s.start, s.end);
        if (run.first === null) {
          s = s.next;
          continue;
        }
        if (run.first.partition === s.partition) {
          throw new SavepointError(source, `savepoint ${source} is corrupt: sessions of key '${key}' in partition ${s.partition} overlap; it was left untouched`);
        }
        this.merge(s.at, run.count + 1, s.start, run.last!.end > s.end ? run.last!.end : s.end);
      }
      for (let s: Session | null = this.chains.head(key)!; s !== null; s = s.next) this.heap.schedule(this.table, s.at);
    }
    if (dropped > 0) log.info('sessions past their cleanup time under the new allowed lateness were dropped on restore', { dropped });
  }

  /** Merges [ts, end) into what it touches in the key's chain, or opens a session; null when the event is late. */
  private place(head: Session | undefined, partition: number, key: string, ts: number, end: number, event: Record<string, unknown>): Session | null {
    const c = this.chains.find(head, ts, end);
    let s = c.first;
    if (s === null) {
      // Nothing to merge with, so no open window can take it: late if its own window is past cleanup.
      if (isWindowLate(end, this.allowedLatenessMs, this.watermark)) {
        this.out.late(partition, key, ts, event);
        return null;
      }
      s = new Session(this.table, this.nextId++, partition, key, ts, end, this.trigger.initialState);
      s.openAcc(this.aggregate);
      this.chains.insert(s, c.before);
    } else {
      const lastEnd = c.last!.end;
      const newStart = ts < s.start ? ts : s.start;
      const newEnd = end > lastEnd ? end : lastEnd;
      if (c.count > 1 || newStart !== s.start || newEnd !== s.end) this.merge(s.at, c.count, newStart, newEnd);
      if (!s.hasAcc) s.openAcc(this.aggregate);
    }
    return s;
  }

  /** The session at `at` becomes [newStart, newEnd), absorbing the `count - 1` sessions that follow it in its chain. */
  private merge(at: number, count: number, newStart: number, newEnd: number): void {
    const table = this.table;
    const retract = this.windows.retractions;
    if (retract && !Number.isNaN(table.emittedStart(at))) {
      const r = table.owner(at);
      if (r.emittedStart !== newStart || r.emittedEnd !== newEnd) {
        this.out.retraction(r, r.emittedStart, r.emittedEnd);
        r.emittedStart = NaN;
        r.emittedEnd = NaN;
      }
    }
    let states = NO_STATES;
    if (count > 1) {
      const r = table.owner(at);
      const merged: number[] = [];
      const agg = this.aggregate;
      this.chains.unlinkRun(r, count, (victim) => {
        r.absorb(agg, victim);
        merged.push(victim.triggerState);
        if (victim.pending) r.pending = true;
        if (retract && !Number.isNaN(victim.emittedStart)) this.out.retraction(victim, victim.emittedStart, victim.emittedEnd);
      });
      states = merged;
    }
    table.setBounds(at, newStart, newEnd);
    table.clearTimers(at);
    this.ctx.at = at;
    this.trigger.onMerge(this.ctx, states);
  }

  private onTimer(s: Session, t: number): void {
    if (s.deleteTimer(t)) {
      this.ctx.at = s.at;
      const r = this.trigger.onEventTime(t, this.ctx);
      const max = s.end - 1;
      if (r !== 0) this.act(s, r, t === max ? 'on-time' : t < max ? 'early' : 'late');
    }
    if (t >= s.cleanupAt) this.cleanup(s);
    else this.heap.schedule(this.table, s.at);
  }

  private act(s: Session, r: TriggerResult, firing: Firing): void {
    if ((r & 1) !== 0 && s.hasAcc) this.out.result(s, firing);
    if ((r & 2) !== 0) {
      s.dropAcc();
      s.pending = false;
    }
  }

  private cleanup(s: Session): void {
    // End of input with a trigger that does not fire on time (count): do not let the last events vanish.
    if (this.finishing && s.pending && s.hasAcc) this.out.result(s, 'on-time');
    this.chains.remove(s);
  }
}
