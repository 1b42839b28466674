// Event-time alignment: the order in which all partitions' archive files are read, always the partition whose next file starts earliest.

import { type PartitionPlan, type PlannedFile, plannedFile } from './file-plan.js';

export interface ScheduledFile extends PlannedFile {
  partition: number;
  /** Index of the file within its partition's plan. */
  index: number;
}

/**
 * Merges the partitions' offset-ordered files by the minimum event time of each partition's next file (ties: lower
 * partition first). Offset order within a partition is kept, so this is known from the index alone before any file is opened
 * — which lets the reader prefetch the next files in exactly this order. Lazy: a file's schedule entry exists only from
 * when the reader looks ahead to it, so a year of files costs no object per file here.
 */
export function* alignedOrder(plans: readonly PartitionPlan[]): Generator<ScheduledFile> {
  const cursors = plans.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < plans.length; i++) {
      const plan = plans[i]!;
      if (cursors[i]! >= plan.files.length) continue;
      if (best < 0) { best = i; continue; }
      const a = plan.minEventTimes[cursors[i]!]!;
      const b = plans[best]!.minEventTimes[cursors[best]!]!;
      if (a < b || (a === b && plan.partition < plans[best]!.partition)) best = i;
    }
    if (best < 0) return;
    const plan = plans[best]!;
    const index = cursors[best]!;
    const { file, skipBelow } = plannedFile(plan, index);
    yield { file, skipBelow, partition: plan.partition, index };
    cursors[best] = index + 1;
  }
}
