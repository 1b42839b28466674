// One open session window of one key: its bounds, accumulator, trigger state and timers.

/** NaN marks "nothing": no trigger state, no emitted result standing. NaN serialises to null. */
export const NONE = Number.NaN;

export class Session {
  /** Stable order for timers that fall on the same timestamp; kept in snapshots so a restored run fires in the same order. */
  readonly id: number;
  readonly partition: number;
  readonly key: string;
  start: number;
  /** Window end, exclusive: last event time + gap. */
  end: number;
  /** The aggregate's accumulator; null after a purge until the next event. */
  acc: unknown;
  /** The trigger's one slot of state (a count, a next firing time); NONE when empty. */
  triggerState: number;
  /** Event-time timers the trigger registered for this window (usually one or two). */
  timers: number[];
  /** When the window's state is dropped (end - 1 + allowed lateness). */
  cleanupAt: number;
  /** Time of this session's live entry in the timer heap; Infinity when it has none. */
  heapTime: number;
  /** Bounds of the last result emitted for this window, for retractions; NONE when nothing stands. */
  emittedStart: number;
  emittedEnd: number;
  /** Events were added since the last firing (the end-of-input flush emits such sessions). */
  pending: boolean;
  dead: boolean;
  /** The next session of the same key, by start (keys rarely hold more than one or two). */
  next: Session | null;

  constructor(id: number, partition: number, key: string, start: number, end: number, triggerState: number) {
    this.id = id;
    this.partition = partition;
    this.key = key;
    this.start = start;
    this.end = end;
    this.acc = null;
    this.triggerState = triggerState;
    this.timers = [];
    this.cleanupAt = 0;
    this.heapTime = Infinity;
    this.emittedStart = NONE;
    this.emittedEnd = NONE;
    this.pending = false;
    this.dead = false;
    this.next = null;
  }

  /** The earliest time this session needs the watermark for: a trigger timer or its cleanup. */
  nextTimer(): number {
    let m = this.cleanupAt;
    const timers = this.timers;
    for (let i = 0; i < timers.length; i++) {
      const t = timers[i]!;
      if (t < m) m = t;
    }
    return m;
  }
}
