// Heap pacing: a long replay's old generation kept near its live size by a full collection each time it has grown by
// a step, so peak memory follows what the job holds (open sessions, the file table), not how long it has run.
//
// Why: objects that live through two young-generation collections (a decoded file waiting in the read-ahead, a session
// open for a while) are promoted and then die in the old generation, which V8 lets grow to several times its live size
// before it collects it. A one-month replay ends before that happens, a twelve-month one does not: the same live heap
// peaked 40 to 90 MB higher. A full collection takes about 10 ms at 15 MB live and 30 ms at 40 MB; at the steps below it
// runs every few seconds of a replay (well under 1 % of its time) and a few times a second in the archiver (about 3 %;
// docs/replay.md "Memory", docs/archive.md "Benchmark"), and never takes more than a set share of the time.

import v8 from 'node:v8';
import vm from 'node:vm';

/** Collect once the old generation has grown by this much since the last collection, or by `growth` times its live size if more. */
const MIN_STEP_BYTES = 8 * 1024 * 1024;
/** Checks are cheap but not free (a heap statistics call): at most this often. */
const CHECK_INTERVAL_MS = 200;

export interface HeapPacingOptions {
  /**
   * The step as a share of the live old generation (default 0.5): smaller keeps the peak nearer the live size, larger
   * collects less often. A job that promotes fast (the archiver, its row groups) trades less time for a higher peak.
   */
  growth?: number;
  /**
   * The most of the process's time pacing may take (default 0.05): after a collection of d ms, periodic checks wait at
   * least d / share - d ms. A job whose client promotes fast (a Kafka catch-up: kafkajs's decoded fetches, about 200
   * MB/s) otherwise collected five times a second, a tenth of its time and a sixth of its wall time in all; with the
   * cap its peak rises by what is promoted in that wait instead. A check asked for at once (`paceHeap(true)`) is not
   * held back.
   */
  maxTimeShare?: number;
}

interface Pacer {
  gc: () => void;
  growth: number;
  maxTimeShare: number;
  /** Old generation in use (old space plus large objects) right after the last collection. */
  live: number;
  nextCheckAt: number;
  collections: number;
  collectMs: number;
}

let pacer: Pacer | null = null;

function oldGenerationUsed(): number {
  let used = 0;
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'old_space' || s.space_name === 'large_object_space') used += s.space_used_size;
  return used;
}

/**
 * Turns pacing on for this process (the CLI's long-running commands do; a library user decides for their own process).
 * It needs V8's `gc()`, exposed here through `--expose-gc` set at run time; false when this V8 does not give it, and
 * pacing stays off (the replay is the same, its peak memory may grow with its length). `OXBOW_HEAP_PACING=off` in the
 * environment keeps it off: V8 then collects on its own schedule.
 */
export function enableHeapPacing(options: HeapPacingOptions = {}): boolean {
  if (pacer) return true;
  const share = options.maxTimeShare ?? 0.05;
  if (!(share > 0 && share <= 1)) throw new RangeError(`heap pacing: maxTimeShare ${share} is not a share of the time in (0, 1]`);
  if (process.env.OXBOW_HEAP_PACING === 'off') return false;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return false;
    pacer = { gc: gc as () => void, growth: options.growth ?? 0.5, maxTimeShare: share, live: oldGenerationUsed(), nextCheckAt: 0, collections: 0, collectMs: 0 };
    return true;
  } catch {
    return false;
  }
}

/**
 * Called where a job passes often (each step of the sessions job) and right after a known burst of allocation (a
 * partition's listing, `now` true: checked whatever the interval). Collects when the old generation has grown by the
 * step; otherwise, and when pacing is off, it costs a clock read.
 */
export function paceHeap(now = false): void {
  const p = pacer;
  if (p === null) return;
  const t = performance.now();
  if (!now && t < p.nextCheckAt) return;
  p.nextCheckAt = t + CHECK_INTERVAL_MS;
  if (oldGenerationUsed() - p.live < Math.max(MIN_STEP_BYTES, p.live * p.growth)) return;
  p.gc();
  p.live = oldGenerationUsed();
  p.collections++;
  const end = performance.now();
  p.collectMs += end - t;
  p.nextCheckAt = Math.max(p.nextCheckAt, end + (end - t) * (1 / p.maxTimeShare - 1));
}

/** Collections pacing ran and the time they took (for the debug log at the end of a run); null when pacing is off. */
export function heapPacingStats(): { collections: number; collectMs: number } | null {
  return pacer ? { collections: pacer.collections, collectMs: Math.round(pacer.collectMs) } : null;
}
