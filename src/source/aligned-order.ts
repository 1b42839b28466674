// Event-time alignment: the order in which all partitions' archive files are read, always the partition whose next file starts earliest.

import type { PartitionPlan, PlannedFile } from './file-plan.js';

export interface ScheduledFile extends PlannedFile {
  partition: number;
  /** Index of the file within its partition's plan. */
  index: number;
}

/**
 * Merges the partitions' offset-ordered files by the minimum event time of each partition's next file (ties: lower
 * partition first). Offset order within a partition is kept, so this is known from the index alone before any file is opened
 * — which lets the reader prefetch the next files in exactly this order.
 */
export function alignedOrder(plans: readonly PartitionPlan[]): ScheduledFile[] {
  const cursors = plans.map(() => 0);
  const out: ScheduledFile[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < plans.length; i++) {
      const next = plans[i]!.files[cursors[i]!];
      if (!next) continue;
      if (best < 0) { best = i; continue; }
      const current = plans[best]!.files[cursors[best]!]!;
      const a = next.file.minEventTime;
      const b = current.file.minEventTime;
      if (a < b || (a === b && plans[i]!.partition < plans[best]!.partition)) best = i;
    }
    if (best < 0) return out;
    const plan = plans[best]!;
    const index = cursors[best]!;
    // A literal of fixed shape, not a spread: a year of files gives every spread copy's source its own hidden class
    // (heap snapshots: ~17,500 extra maps for 17,520 files), so the schedule would cost a map per file.
    const planned = plan.files[index]!;
    out.push({ file: planned.file, skipBelow: planned.skipBelow, partition: plan.partition, index });
    cursors[best] = index + 1;
  }
}
