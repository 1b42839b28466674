// Lateness as one derived value, as in Flink: cleanupTime = maxTimestamp + allowedLateness; a window past it is late.

import { UsageError } from '../errors.js';

export function validateLateness(allowedLatenessMs: number): number {
  if (!Number.isSafeInteger(allowedLatenessMs) || allowedLatenessMs < 0) {
    throw new UsageError(`allowed lateness: ${allowedLatenessMs} is not usable; give a whole number of milliseconds >= 0`);
  }
  return allowedLatenessMs;
}

/** When a window's state is dropped: its last timestamp (end - 1) plus the allowed lateness. */
export function cleanupTime(windowEnd: number, allowedLatenessMs: number): number {
  return windowEnd - 1 + allowedLatenessMs;
}

/**
 * A window is late (it would be dropped at once) when the watermark has reached its cleanup time: the engine sends an
 * event whose own window is late, and that merges with no open session, to the late side output.
 */
export function isWindowLate(windowEnd: number, allowedLatenessMs: number, watermark: number): boolean {
  return cleanupTime(windowEnd, allowedLatenessMs) <= watermark;
}
