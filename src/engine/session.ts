// The open session windows: every session's numbers in one table (bounds, timers, trigger state, flags, the
// accumulator's row), and a Session object per window for what is not a number (key, chain link, extra timers).

import type { AccumulatorRow, Aggregate } from './aggregate.js';
import { cleanupTime } from './lateness.js';

/** NaN marks "nothing": no trigger state, no emitted result standing. NaN serialises to null. */
export const NONE = Number.NaN;

// A session's slots, those read on every event first. FLAGS holds the bits below; the row (when the aggregate has one)
// starts at ROW.
const START = 0, END = 1, HEAP = 2, TIMER0 = 3, TIMER1 = 4, TSTATE = 5, FLAGS = 6, EM_START = 7, EM_END = 8, ROW = 9;
/** The session has a next one in its key's chain. */
const HAS_NEXT = 1;
/** Events were added since the last firing. */
const PENDING = 2;
/** The accumulator is open (none after a purge until the next event). */
const HAS_ACC = 4;
/** More than two trigger timers: the rest are in the Session's `moreTimers`. */
const MORE_TIMERS = 8;

/**
 * The numbers of every session live side by side in one Float64Array (the slots above, then the
 * accumulator's row when the aggregate has one): a number field of an object would be a separate
 * heap box, and chasing those boxes was most of the cost of an event. A session is named by its
 * offset `at`, and the engine's path for an event reads only this table (and the key index), not
 * the Session object: with 100,000 users each object is a cache miss of its own. Slots of dead
 * sessions are reused. The cleanup time is derived (end - 1 + allowed lateness), so it takes no slot.
 */
export class SessionTable {
  f: Float64Array;
  /** The engine's allowed lateness, for the derived cleanup time. */
  latenessMs: number;
  /** The aggregate's row, kept at ROW in each session's slots; null: accumulators are objects on the Session. */
  readonly row: AccumulatorRow<unknown> | null;
  private readonly stride: number;
  /** The Session of each slot (index: offset / stride). */
  private readonly owners: (Session | null)[] = [];
  private readonly free: number[] = [];
  private used = 0;

  constructor(latenessMs: number, row: AccumulatorRow<unknown> | null = null, capacity = 1024) {
    this.latenessMs = latenessMs;
    this.row = row;
    this.stride = ROW + (row === null ? 0 : row.width);
    this.f = new Float64Array(capacity * this.stride);
  }

  /** Offset of a fresh slot for `owner`. */
  allocate(owner: Session): number {
    let offset = this.free.pop();
    if (offset === undefined) {
      offset = this.used;
      this.used += this.stride;
      if (this.used > this.f.length) {
        const bigger = new Float64Array(this.f.length * 2);
        bigger.set(this.f);
        this.f = bigger;
      }
    }
    this.owners[offset / this.stride] = owner;
    return offset;
  }

  release(offset: number): void {
    this.owners[offset / this.stride] = null;
    this.free.push(offset);
  }

  /** The Session at `at`. */
  owner(at: number): Session {
    return this.owners[at / this.stride]!;
  }

  start(at: number): number { return this.f[at + START]!; }
  end(at: number): number { return this.f[at + END]!; }
  setBounds(at: number, start: number, end: number): void {
    this.f[at + START] = start;
    this.f[at + END] = end;
  }
  heapTime(at: number): number { return this.f[at + HEAP]!; }
  setHeapTime(at: number, t: number): void { this.f[at + HEAP] = t; }
  triggerState(at: number): number { return this.f[at + TSTATE]!; }
  setTriggerState(at: number, v: number): void { this.f[at + TSTATE] = v; }
  emittedStart(at: number): number { return this.f[at + EM_START]!; }

  private flag(at: number, bit: number): boolean {
    return (this.f[at + FLAGS]! & bit) !== 0;
  }
  private setFlag(at: number, bit: number, on: boolean): void {
    const flags = this.f[at + FLAGS]!;
    this.f[at + FLAGS] = on ? flags | bit : flags & ~bit;
  }
  hasNext(at: number): boolean { return this.flag(at, HAS_NEXT); }
  hasAcc(at: number): boolean { return this.flag(at, HAS_ACC); }
  pending(at: number): boolean { return this.flag(at, PENDING); }
  setPending(at: number, on: boolean): void {
    if (this.flag(at, PENDING) !== on) this.setFlag(at, PENDING, on);
  }

  /** Starts an empty accumulator: a new session, or the first event after a purge. */
  openAcc(at: number, aggregate: Aggregate): void {
    const row = this.row;
    if (row === null) this.owner(at).acc = aggregate.createAccumulator();
    else row.init(this.f, at + ROW);
    this.setFlag(at, HAS_ACC, true);
  }

  /** Folds one event into the (open) accumulator. */
  add(at: number, aggregate: Aggregate, ts: number, event: Record<string, unknown>): void {
    const row = this.row;
    if (row !== null) row.add(this.f, at + ROW, ts, event);
    else {
      // Pointer stores into long-lived objects pay a GC write barrier: skip the ones that change nothing.
      const s = this.owner(at);
      const acc = s.acc;
      const added = aggregate.add(acc, ts, event);
      if (added !== acc) s.acc = added;
    }
  }

  /** The accumulator at `from` folded into the one at `into` (a merge); `into`'s may be closed, `from`'s must be open. */
  absorbAcc(aggregate: Aggregate, into: number, from: number): void {
    const row = this.row;
    const open = this.hasAcc(into);
    if (row === null) {
      const a = this.owner(into);
      const b = this.owner(from).acc;
      a.acc = open ? aggregate.merge(a.acc, b) : b;
    } else if (open) row.merge(this.f, into + ROW, from + ROW);
    else this.f.copyWithin(into + ROW, from + ROW, from + ROW + row.width);
    this.setFlag(into, HAS_ACC, true);
  }

  /** Drops the accumulator (a purge, or the session's end). */
  dropAcc(at: number): void {
    if (!this.hasAcc(at)) return;
    this.setFlag(at, HAS_ACC, false);
    if (this.row === null) this.owner(at).acc = null;
  }

  /** The accumulator in the aggregate's object form (results, snapshots); null when closed. */
  accumulator(at: number): unknown {
    if (!this.hasAcc(at)) return null;
    return this.row === null ? this.owner(at).acc : this.row.read(this.f, at + ROW);
  }

  /** Sets the accumulator from its object form (a restore); null: none. */
  setAccumulator(at: number, acc: unknown): void {
    if (acc === null) return this.dropAcc(at);
    if (this.row === null) this.owner(at).acc = acc;
    else this.row.write(acc, this.f, at + ROW);
    this.setFlag(at, HAS_ACC, true);
  }

  /** The earliest time the session needs the watermark for: a trigger timer or its cleanup. */
  nextTimer(at: number): number {
    const f = this.f;
    let m = cleanupTime(f[at + END]!, this.latenessMs);
    // NaN compares false, so free slots never win.
    const t0 = f[at + TIMER0]!;
    const t1 = f[at + TIMER1]!;
    if (t0 < m) m = t0;
    if (t1 < m) m = t1;
    if ((f[at + FLAGS]! & MORE_TIMERS) !== 0) {
      const more = this.owner(at).moreTimers!;
      for (let i = 0; i < more.length; i++) if (more[i]! < m) m = more[i]!;
    }
    return m;
  }

  private hasTimer(at: number, t: number): boolean {
    const f = this.f;
    return f[at + TIMER0] === t || f[at + TIMER1] === t || ((f[at + FLAGS]! & MORE_TIMERS) !== 0 && this.owner(at).moreTimers!.includes(t));
  }

  addTimer(at: number, t: number): void {
    if (this.hasTimer(at, t)) return;
    const f = this.f;
    if (f[at + TIMER0] !== f[at + TIMER0]) f[at + TIMER0] = t;
    else if (f[at + TIMER1] !== f[at + TIMER1]) f[at + TIMER1] = t;
    else {
      (this.owner(at).moreTimers ??= []).push(t);
      this.setFlag(at, MORE_TIMERS, true);
    }
  }

  /** Removes the timer; false when it was not there. */
  deleteTimer(at: number, t: number): boolean {
    const f = this.f;
    if (f[at + TIMER0] === t) f[at + TIMER0] = NONE;
    else if (f[at + TIMER1] === t) f[at + TIMER1] = NONE;
    else {
      if ((f[at + FLAGS]! & MORE_TIMERS) === 0) return false;
      const s = this.owner(at);
      const i = s.moreTimers!.indexOf(t);
      if (i < 0) return false;
      s.moreTimers!.splice(i, 1);
      if (s.moreTimers!.length === 0) this.clearMoreTimers(at, s);
    }
    return true;
  }

  clearTimers(at: number): void {
    const f = this.f;
    f[at + TIMER0] = NONE;
    f[at + TIMER1] = NONE;
    if ((f[at + FLAGS]! & MORE_TIMERS) !== 0) this.clearMoreTimers(at, this.owner(at));
  }

  private clearMoreTimers(at: number, s: Session): void {
    s.moreTimers = null;
    this.setFlag(at, MORE_TIMERS, false);
  }

  /** Set by Session only: keeps HAS_NEXT equal to `next !== null`. */
  linked(at: number, hasNext: boolean): void {
    if (this.flag(at, HAS_NEXT) !== hasNext) this.setFlag(at, HAS_NEXT, hasNext);
  }
}

/** One open session window: what is not a number, and the numbers of its slots in the table by name. */
export class Session {
  /** Stable order for timers that fall on the same timestamp; kept in snapshots so a restored run fires in the same order. */
  readonly id: number;
  readonly partition: number;
  readonly key: string;
  /** The session's offset in its table. */
  readonly at: number;
  /** The aggregate's accumulator when it has no row (the table's HAS_ACC flag says whether it is open). */
  acc: unknown = null;
  /** More than two trigger timers (rare; the two usual ones live in the table). */
  moreTimers: number[] | null = null;
  dead = false;
  private nextSession: Session | null = null;
  private readonly table: SessionTable;

  constructor(table: SessionTable, id: number, partition: number, key: string, start: number, end: number, triggerState: number) {
    this.table = table;
    this.id = id;
    this.partition = partition;
    this.key = key;
    const at = table.allocate(this);
    this.at = at;
    const f = table.f;
    f[at + START] = start;
    f[at + END] = end;
    f[at + HEAP] = Infinity;
    f[at + TIMER0] = NONE;
    f[at + TIMER1] = NONE;
    f[at + TSTATE] = triggerState;
    f[at + FLAGS] = 0;
    f[at + EM_START] = NONE;
    f[at + EM_END] = NONE;
  }

  /** The session is gone (merged away or cleaned up): its slot goes back to the table. */
  kill(): void {
    this.dead = true;
    this.next = null;
    this.acc = null;
    this.moreTimers = null;
    this.table.release(this.at);
  }

  /** The next session of the same key, by start (keys rarely hold more than one or two). */
  get next(): Session | null { return this.nextSession; }
  set next(s: Session | null) {
    this.nextSession = s;
    this.table.linked(this.at, s !== null);
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
  /** The trigger's one slot of state (a count, a next firing time); NONE when empty. */
  get triggerState(): number { return this.table.f[this.at + TSTATE]!; }
  set triggerState(v: number) { this.table.f[this.at + TSTATE] = v; }
  /** Bounds of the last result emitted for this window, for retractions; NONE when nothing stands. */
  get emittedStart(): number { return this.table.f[this.at + EM_START]!; }
  set emittedStart(v: number) { this.table.f[this.at + EM_START] = v; }
  get emittedEnd(): number { return this.table.f[this.at + EM_END]!; }
  set emittedEnd(v: number) { this.table.f[this.at + EM_END] = v; }
  /** Events were added since the last firing (the end-of-input flush emits such sessions). */
  get pending(): boolean { return this.table.pending(this.at); }
  set pending(v: boolean) { this.table.setPending(this.at, v); }
  /** The accumulator is open. */
  get hasAcc(): boolean { return this.table.hasAcc(this.at); }

  openAcc(aggregate: Aggregate): void { this.table.openAcc(this.at, aggregate); }
  /** Folds the open accumulator of `victim` (a session merged into this one) into this one's. */
  absorb(aggregate: Aggregate, victim: Session): void {
    if (victim.hasAcc) this.table.absorbAcc(aggregate, this.at, victim.at);
  }
  dropAcc(): void { this.table.dropAcc(this.at); }
  /** The accumulator in the aggregate's object form (results, snapshots); null when purged. */
  accumulator(): unknown { return this.table.accumulator(this.at); }
  /** Sets the accumulator from its object form (a restore); null: none. */
  setAccumulator(acc: unknown): void { this.table.setAccumulator(this.at, acc); }

  nextTimer(): number { return this.table.nextTimer(this.at); }
  addTimer(t: number): void { this.table.addTimer(this.at, t); }
  /** Removes the timer; false when it was not there. */
  deleteTimer(t: number): boolean { return this.table.deleteTimer(this.at, t); }
  clearTimers(): void { this.table.clearTimers(this.at); }

  /** Timers in ascending order (snapshots). */
  timerList(): number[] {
    const f = this.table.f;
    const list: number[] = [];
    if (f[this.at + TIMER0] === f[this.at + TIMER0]) list.push(f[this.at + TIMER0]!);
    if (f[this.at + TIMER1] === f[this.at + TIMER1]) list.push(f[this.at + TIMER1]!);
    if (this.moreTimers !== null) list.push(...this.moreTimers);
    return list.sort((a, b) => a - b);
  }
}
