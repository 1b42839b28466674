// How a session's events are folded into its result: create an accumulator, add an event, merge two, read the result.

/** A JSON value (what accumulators snapshot to and results are written as). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Aggregate<A = unknown, R = unknown> {
  /** Identity kept in snapshots (`count`, `sum:value`, `listening`, `playlist-runs`); a restore with another name fails. */
  readonly name: string;
  createAccumulator(): A;
  /** Fold one event in; may mutate and return `acc`. */
  add(acc: A, ts: number, event: Record<string, unknown>): A;
  /** Both sessions became one; may mutate and return `a`. */
  merge(a: A, b: A): A;
  getResult(acc: A): R;
  /**
   * The value fields `add` and `check` read. Given, a job may hand them an event that holds only these (and the key and
   * event-time fields), read from the value's bytes without parsing the rest; left out, every event is the whole value.
   */
  readonly fields?: readonly string[];
  /** Why this event cannot be aggregated (callers count and report it), or null. Runs before `add`. */
  check?(event: Record<string, unknown>): string | null;
  /**
   * The accumulator as a fixed row of numbers the engine keeps in its session table (no object per session). Given, the
   * engine folds through it alone; it must give what the object form gives.
   */
  readonly row?: AccumulatorRow<A>;
  /** Accumulator to plain JSON and back (documented per aggregate in docs/engine.md). */
  toJson(acc: A): Json;
  fromJson(json: unknown): A;
}

/** An accumulator held as `width` numbers at `at` in a Float64Array (the engine's session table). */
export interface AccumulatorRow<A> {
  readonly width: number;
  /** The empty accumulator (createAccumulator's). */
  init(f: Float64Array, at: number): void;
  add(f: Float64Array, at: number, ts: number, event: Record<string, unknown>): void;
  /** The row at `from` folded into the row at `into`. */
  merge(f: Float64Array, into: number, from: number): void;
  /** The object form (for getResult and toJson). */
  read(f: Float64Array, at: number): A;
  /** The object form back into the row (a restore). */
  write(acc: A, f: Float64Array, at: number): void;
}

/** The row of an aggregate whose accumulator is one number that starts at 0, folds by `add` and merges by addition. */
export function numberRow(add: (acc: number, ts: number, event: Record<string, unknown>) => number): AccumulatorRow<number> {
  return {
    width: 1,
    init(f, at) {
      f[at] = 0;
    },
    add(f, at, ts, event) {
      f[at] = add(f[at]!, ts, event);
    },
    merge(f, into, from) {
      f[into] = f[into]! + f[from]!;
    },
    read: (f, at) => f[at]!,
    write(acc, f, at) {
      f[at] = acc;
    },
  };
}
