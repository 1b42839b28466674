// A session window [start, end) and the pure merge rule over a set of windows (Flink's TimeWindow.mergeWindows).

export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** The last timestamp inside the window; timers fire when the watermark reaches it. */
export function maxTimestamp(w: TimeWindow): number {
  return w.end - 1;
}

/** Windows that overlap or merely touch intersect: an event exactly `gap` after another joins its session. */
export function intersects(a: TimeWindow, b: TimeWindow): boolean {
  return a.start <= b.end && a.end >= b.start;
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
    if (current !== null && intersects(current.result, w)) {
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
