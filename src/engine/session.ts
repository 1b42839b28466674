// One open session window of one key: its bounds, accumulator, trigger state and timers.

import { cleanupTime } from './lateness.js';

/** NaN marks "nothing": no trigger state, no emitted result standing. NaN serialises to null. */
export const NONE = Number.NaN;

/**
 * The numbers of every session live side by side in one Float64Array (8 per session, one cache
 * line): a number field of an object would be a separate heap box, and chasing those boxes was
 * most of the cost of an event. Slots of dead sessions are reused. The cleanup time is derived
 * (end - 1 + allowed lateness), so it takes no slot.
 */
export class SessionTable {
  static readonly STRIDE = 8;
  f: Float64Array;
  /** The engine's allowed lateness, for the derived cleanup time. */
  latenessMs: number;
  private readonly free: number[] = [];
  private used = 0;

  constructor(latenessMs: number, capacity = 1024) {
    this.latenessMs = latenessMs;
    this.f = new Float64Array(capacity * SessionTable.STRIDE);
  }

  /** Offset of a fresh slot. */
  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const offset = this.used;
    this.used += SessionTable.STRIDE;
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

const START = 0, END = 1, HEAP = 2, TIMER0 = 3, TIMER1 = 4, TSTATE = 5, EM_START = 6, EM_END = 7;

export class Session {
  /** Stable order for timers that fall on the same timestamp; kept in snapshots so a restored run fires in the same order. */
  readonly id: number;
  readonly partition: number;
  readonly key: string;
  /** The aggregate's accumulator; null after a purge until the next event. */
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
