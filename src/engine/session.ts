// One open session window of one key: its bounds, accumulator, trigger state and timers.

import type { AccumulatorRow, Aggregate } from './aggregate.js';
import { cleanupTime } from './lateness.js';

/** NaN marks "nothing": no trigger state, no emitted result standing. NaN serialises to null. */
export const NONE = Number.NaN;

/** A session's `acc` when its accumulator lives in the table's row (an aggregate with a row). */
const IN_ROW = Symbol('accumulator in the session table');

/**
 * The numbers of every session live side by side in one Float64Array (8 per session, one cache
 * line, then the accumulator's row when the aggregate has one): a number field of an object would
 * be a separate heap box, and chasing those boxes was most of the cost of an event. Slots of dead
 * sessions are reused. The cleanup time is derived (end - 1 + allowed lateness), so it takes no slot.
 */
export class SessionTable {
  f: Float64Array;
  /** The engine's allowed lateness, for the derived cleanup time. */
  latenessMs: number;
  /** The aggregate's row, kept at ROW in each session's slots; null: accumulators are objects. */
  readonly row: AccumulatorRow<unknown> | null;
  private readonly stride: number;
  private readonly free: number[] = [];
  private used = 0;

  constructor(latenessMs: number, row: AccumulatorRow<unknown> | null = null, capacity = 1024) {
    this.latenessMs = latenessMs;
    this.row = row;
    this.stride = ROW + (row === null ? 0 : row.width);
    this.f = new Float64Array(capacity * this.stride);
  }

  /** Offset of a fresh slot. */
  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const offset = this.used;
    this.used += this.stride;
    if (this.used > this.f.length) {
      const bigger = new Float64Array(this.f.length * 2);
      bigger.set(this.f);
      this.f = bigger;
    }
    return offset;
  }

  release(offset: number): void {
    this.free.push(offset);
  }
}

const START = 0, END = 1, HEAP = 2, TIMER0 = 3, TIMER1 = 4, TSTATE = 5, EM_START = 6, EM_END = 7, ROW = 8;

export class Session {
  /** Stable order for timers that fall on the same timestamp; kept in snapshots so a restored run fires in the same order. */
  readonly id: number;
  readonly partition: number;
  readonly key: string;
  /** The aggregate's accumulator (IN_ROW when it lives in the table's row); null after a purge until the next event. */
  acc: unknown;
  /** More than two trigger timers (rare; the two usual ones live in the table). */
  moreTimers: number[] | null;
  /** Events were added since the last firing (the end-of-input flush emits such sessions). */
  pending: boolean;
  dead: boolean;
  /** The next session of the same key, by start (keys rarely hold more than one or two). */
  next: Session | null;
  private readonly table: SessionTable;
  private readonly at: number;

  constructor(table: SessionTable, id: number, partition: number, key: string, start: number, end: number, triggerState: number) {
    // Fields used on every event first, so that they tend to share one cache line.
    this.table = table;
    this.at = table.allocate();
    this.next = null;
    this.acc = null;
    this.pending = false;
    this.moreTimers = null;
    this.dead = false;
    this.id = id;
    this.partition = partition;
    this.key = key;
    const f = table.f;
    const at = this.at;
    f[at + START] = start;
    f[at + END] = end;
    f[at + HEAP] = Infinity;
    f[at + TIMER0] = NONE;
    f[at + TIMER1] = NONE;
    f[at + TSTATE] = triggerState;
    f[at + EM_START] = NONE;
    f[at + EM_END] = NONE;
  }

  /** The session is gone (merged away or cleaned up): its slot goes back to the table. */
  kill(): void {
    this.dead = true;
    this.next = null;
    this.acc = null;
    this.table.release(this.at);
  }

  /** Starts an empty accumulator: a new session, or the first event after a purge. */
  openAcc(aggregate: Aggregate): void {
    const row = this.table.row;
    if (row === null) this.acc = aggregate.createAccumulator();
    else {
      row.init(this.table.f, this.at + ROW);
      this.acc = IN_ROW;
    }
  }

  /** Folds one event into the accumulator (which must be open). */
  add(aggregate: Aggregate, ts: number, event: Record<string, unknown>): void {
    const row = this.table.row;
    if (row !== null) row.add(this.table.f, this.at + ROW, ts, event);
    else {
      // Pointer stores into long-lived objects pay a GC write barrier: skip the ones that change nothing.
      const acc = this.acc;
      const added = aggregate.add(acc, ts, event);
      if (added !== acc) this.acc = added;
    }
  }

  /** Folds the accumulator of `victim` (a session merged into this one) into this one's. */
  absorb(aggregate: Aggregate, victim: Session): void {
    if (victim.acc === null) return;
    const row = this.table.row;
    if (row === null) this.acc = this.acc === null ? victim.acc : aggregate.merge(this.acc, victim.acc);
    else if (this.acc !== null) row.merge(this.table.f, this.at + ROW, victim.at + ROW);
    else {
      this.table.f.copyWithin(this.at + ROW, victim.at + ROW, victim.at + ROW + row.width);
      this.acc = IN_ROW;
    }
  }

  /** The accumulator in the aggregate's object form (results, snapshots); null when purged. */
  accumulator(): unknown {
    return this.acc === IN_ROW ? this.table.row!.read(this.table.f, this.at + ROW) : this.acc;
  }

  /** Sets the accumulator from its object form (a restore); null: none. */
  setAccumulator(acc: unknown): void {
    const row = this.table.row;
    if (acc === null || row === null) this.acc = acc;
    else {
      row.write(acc, this.table.f, this.at + ROW);
      this.acc = IN_ROW;
    }
  }

  get start(): number { return this.table.f[this.at + START]!; }
  set start(v: number) { this.table.f[this.at + START] = v; }
  /** Window end, exclusive: last event time + gap. */
  get end(): number { return this.table.f[this.at + END]!; }
  set end(v: number) { this.table.f[this.at + END] = v; }
  /** When the window's state is dropped (end - 1 + allowed lateness). */
  get cleanupAt(): number { return cleanupTime(this.table.f[this.at + END]!, this.table.latenessMs); }
  /** Time of this session's live entry in the timer heap; Infinity when it has none. */
  get heapTime(): number { return this.table.f[this.at + HEAP]!; }
  set heapTime(v: number) { this.table.f[this.at + HEAP] = v; }
  /** The two usual trigger timers; NONE when free. */
  get timer0(): number { return this.table.f[this.at + TIMER0]!; }
  set timer0(v: number) { this.table.f[this.at + TIMER0] = v; }
  get timer1(): number { return this.table.f[this.at + TIMER1]!; }
  set timer1(v: number) { this.table.f[this.at + TIMER1] = v; }
  /** The trigger's one slot of state (a count, a next firing time); NONE when empty. */
  get triggerState(): number { return this.table.f[this.at + TSTATE]!; }
  set triggerState(v: number) { this.table.f[this.at + TSTATE] = v; }
  /** Bounds of the last result emitted for this window, for retractions; NONE when nothing stands. */
  get emittedStart(): number { return this.table.f[this.at + EM_START]!; }
  set emittedStart(v: number) { this.table.f[this.at + EM_START] = v; }
  get emittedEnd(): number { return this.table.f[this.at + EM_END]!; }
  set emittedEnd(v: number) { this.table.f[this.at + EM_END] = v; }

  /** The earliest time this session needs the watermark for: a trigger timer or its cleanup. */
  nextTimer(): number {
    let m = this.cleanupAt;
    // NaN compares false, so free slots never win.
    if (this.timer0 < m) m = this.timer0;
    if (this.timer1 < m) m = this.timer1;
    const more = this.moreTimers;
    if (more !== null) for (let i = 0; i < more.length; i++) if (more[i]! < m) m = more[i]!;
    return m;
  }

  hasTimer(t: number): boolean {
    return this.timer0 === t || this.timer1 === t || (this.moreTimers !== null && this.moreTimers.includes(t));
  }

  addTimer(t: number): void {
    if (this.hasTimer(t)) return;
    if (this.timer0 !== this.timer0) this.timer0 = t;
    else if (this.timer1 !== this.timer1) this.timer1 = t;
    else (this.moreTimers ??= []).push(t);
  }

  /** Removes the timer; false when it was not there. */
  deleteTimer(t: number): boolean {
    if (this.timer0 === t) this.timer0 = NONE;
    else if (this.timer1 === t) this.timer1 = NONE;
    else {
      const more = this.moreTimers;
      const i = more === null ? -1 : more.indexOf(t);
      if (i < 0) return false;
      more!.splice(i, 1);
    }
    return true;
  }

  clearTimers(): void {
    this.timer0 = NONE;
    this.timer1 = NONE;
    // Pointer stores into long-lived objects pay a GC write barrier: skip the ones that change nothing.
    if (this.moreTimers !== null) this.moreTimers = null;
  }

  /** Timers in ascending order (snapshots). */
  timerList(): number[] {
    const list: number[] = [];
    if (this.timer0 === this.timer0) list.push(this.timer0);
    if (this.timer1 === this.timer1) list.push(this.timer1);
    if (this.moreTimers !== null) list.push(...this.moreTimers);
    return list.sort((a, b) => a - b);
  }
}
