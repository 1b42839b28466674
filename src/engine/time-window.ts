// A session window [start, end) and the one merge rule (`endsBefore`): windows that overlap or touch are one session.
// The engine's chains find merge candidates with it, and `mergeWindows` is the same rule over a set (Flink's
// TimeWindow.mergeWindows, whose cases the conformance suite runs).

export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** The last timestamp inside the window; timers fire when the watermark reaches it. */
export function maxTimestamp(w: TimeWindow): number {
  return w.end - 1;
}

/**
 * The merge rule, in one place: a window ending at `aEnd` lies wholly before one starting at `bStart` only when it ends
 * strictly earlier, so windows that merely touch are one session (an event exactly `gap` after another joins it).
 * Numbers, not windows, so the engine's hot path allocates nothing; the chains walk past sessions with it.
 */
export function endsBefore(aEnd: number, bStart: number): boolean {
  return aEnd < bStart;
}

/** [aStart, aEnd) and [bStart, bEnd) belong to one session: neither lies wholly before the other. */
export function intersects(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  return !endsBefore(aEnd, bStart) && !endsBefore(bEnd, aStart);
}

/** The smallest window covering both. */
export function cover(a: TimeWindow, b: TimeWindow): TimeWindow {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

export interface WindowMerge {
  result: TimeWindow;
  merged: TimeWindow[];
}

/**
 * Groups windows that (transitively) intersect; returns only groups of two or more windows,
 * each with its covering window, as Flink's merge callback receives them.
 */
export function mergeWindows(windows: readonly TimeWindow[]): WindowMerge[] {
  const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
  const merges: WindowMerge[] = [];
  let current: WindowMerge | null = null;
  for (const w of sorted) {
    if (current !== null && intersects(current.result.start, current.result.end, w.start, w.end)) {
      current.result = cover(current.result, w);
      current.merged.push(w);
    } else {
      if (current !== null && current.merged.length > 1) merges.push(current);
      current = { result: { start: w.start, end: w.end }, merged: [w] };
    }
  }
  if (current !== null && current.merged.length > 1) merges.push(current);
  return merges;
}
