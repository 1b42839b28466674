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
  files: PlannedFile[];
  /** Holes before a planned file: from the position (or the previous file's next offset) to the file's first offset - 1. */
  gaps: { before: number; range: OffsetRange }[];
  /** Where reading continues after the last planned file (= `from` when nothing is planned). */
  nextOffset: bigint;
}

/**
 * Plans the files holding offsets >= `from` (null: from the archive's first offset). Files entirely below the position
 * (or covered by an earlier file) are dropped; a file overlapping the position is read from the position on.
 */
export function planPartitionFiles(partition: number, files: readonly ArchiveFileInfo[], from: bigint | null): PartitionPlan {
  const sorted = [...files].sort((a, b) => (a.startOffset < b.startOffset ? -1 : a.startOffset > b.startOffset ? 1 : a.endOffset < b.endOffset ? 1 : a.endOffset > b.endOffset ? -1 : 0));
  const plan: PartitionPlan = { partition, files: [], gaps: [], nextOffset: from ?? sorted[0]?.startOffset ?? 0n };
  let position = from;
  for (const file of sorted) {
    if (position !== null && file.nextOffset <= position) continue;
    if (position !== null && file.startOffset > position) {
      plan.gaps.push({ before: plan.files.length, range: { from: position, to: file.startOffset - 1n } });
    }
    plan.files.push({ file, skipBelow: position !== null && position > file.startOffset ? position : file.startOffset });
    position = file.nextOffset;
  }
  if (position !== null) plan.nextOffset = position;
  return plan;
}

/** The smallest minimum event time over the planned files from index `i` on (Infinity when none remain), for every i. */
export function remainingMinEventTimes(plan: PartitionPlan): number[] {
  const out = new Array<number>(plan.files.length + 1);
  out[plan.files.length] = Number.POSITIVE_INFINITY;
  for (let i = plan.files.length - 1; i >= 0; i--) out[i] = Math.min(plan.files[i]!.file.minEventTime, out[i + 1]!);
  return out;
}
