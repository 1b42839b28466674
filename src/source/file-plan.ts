// Orders one partition's archive files by offset from a starting position: overlaps deduplicated by offset, gaps between files named.

import type { OffsetRange } from '../archive/coverage.js';
import type { ArchiveFileInfo } from './types.js';

/** A file to read and the offset below which its records were already read (an overlap with the previous file). */
export interface PlannedFile {
  file: ArchiveFileInfo;
  skipBelow: bigint;
}

export interface PartitionPlan {
  partition: number;
  /** The files to read, in offset order (no per-file objects beyond the catalogue's: a year of files stays small). */
  files: ArchiveFileInfo[];
  /** Per planned file, its minimum event time as alignment and watermarks use it (see PlanOptions.untimedFirst). */
  minEventTimes: Float64Array;
  /** The position the plan starts from (null: the archive's first offset). */
  from: bigint | null;
  /** Holes before a planned file: from the position (or the previous file's next offset) to the file's first offset - 1. */
  gaps: { before: number; range: OffsetRange }[];
  /** Where reading continues after the last planned file (= `from` when nothing is planned). */
  nextOffset: bigint;
}

export interface PlanOptions {
  /**
   * Records without a stored event time are timed by their Kafka timestamp (a profiles topic's tombstones): a file holding
   * some (`eventTimeMissing` > 0) has as minimum the smaller of its event times' and their Kafka timestamps'
   * (`untimedMinTimestamp`); where the file did not record that (metadata before version 3) it has none (-Infinity),
   * so it is read as early as its offset allows and its partition's watermark stays before it until it is read.
   */
  untimedFirst?: boolean;
}

/**
 * Plans the files holding offsets >= `from` (null: from the archive's first offset). Files entirely below the position
 * (or covered by an earlier file) are dropped; a file overlapping the position is read from the position on.
 */
export function planPartitionFiles(partition: number, files: readonly ArchiveFileInfo[], from: bigint | null, options: PlanOptions = {}): PartitionPlan {
  const sorted = [...files].sort((a, b) => (a.startOffset < b.startOffset ? -1 : a.startOffset > b.startOffset ? 1 : a.endOffset < b.endOffset ? 1 : a.endOffset > b.endOffset ? -1 : 0));
  const planned: ArchiveFileInfo[] = [];
  const gaps: PartitionPlan['gaps'] = [];
  let position = from;
  for (const file of sorted) {
    if (position !== null && file.nextOffset <= position) continue;
    if (position !== null && file.startOffset > position) {
      gaps.push({ before: planned.length, range: { from: position, to: file.startOffset - 1n } });
    }
    planned.push(file);
    position = file.nextOffset;
  }
  const minEventTimes = Float64Array.from(planned, (f) => (options.untimedFirst ? untimedMin(f) : f.minEventTime));
  return { partition, files: planned, minEventTimes, from, gaps, nextOffset: position ?? sorted[0]?.startOffset ?? 0n };
}

/** A file's minimum when its records without an event time are timed by their Kafka timestamp (PlanOptions.untimedFirst). */
function untimedMin(f: ArchiveFileInfo): number {
  if ((f.eventTimeMissing ?? 0) === 0) return f.minEventTime;
  const untimed = f.untimedMinTimestamp ?? null;
  if (untimed === null) return Number.NEGATIVE_INFINITY;
  // A file of untimed records only has no event-time minimum (-Infinity): its Kafka timestamps alone say.
  return Number.isFinite(f.minEventTime) ? Math.min(f.minEventTime, untimed) : untimed;
}

/** The planned file at `index` with the offset below which its records were already read (the position, or the previous file's end). */
export function plannedFile(plan: PartitionPlan, index: number): PlannedFile {
  const file = plan.files[index]!;
  const position = index === 0 ? plan.from : plan.files[index - 1]!.nextOffset;
  return { file, skipBelow: position !== null && position > file.startOffset ? position : file.startOffset };
}

/** The smallest minimum event time over the planned files from index `i` on (Infinity when none remain), for every i. */
export function remainingMinEventTimes(plan: PartitionPlan): Float64Array {
  const n = plan.files.length;
  const out = new Float64Array(n + 1);
  out[n] = Number.POSITIVE_INFINITY;
  for (let i = n - 1; i >= 0; i--) out[i] = Math.min(plan.minEventTimes[i]!, out[i + 1]!);
  return out;
}
