// Assigns each event its own session window [ts, ts+gap); merging is the merging window set's job.

import { UsageError } from '../errors.js';
import type { TimeWindow } from './time-window.js';

export class SessionAssigner {
  readonly gapMs: number;

  constructor(gapMs: number) {
    if (!Number.isSafeInteger(gapMs) || gapMs < 1) {
      throw new UsageError(`gap: ${gapMs} is not a usable session gap; give a whole number of milliseconds >= 1`);
    }
    this.gapMs = gapMs;
  }

  assign(ts: number): TimeWindow {
    return { start: ts, end: ts + this.gapMs };
  }
}
