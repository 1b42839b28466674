// When an open archive file is published: enough records, enough bytes, or open long enough (so idle data never sits in a temp file).

import { UsageError } from '../errors.js';

export interface RotationPolicy {
  /** Publish when the file holds this many records. */
  records: number;
  /** Publish when the file reaches about this many bytes. */
  bytes: number;
  /** Publish at most this long (ms) after the file's first record, even when no more records come. */
  intervalMs: number;
}

export const DEFAULT_ROTATION: RotationPolicy = { records: 1_000_000, bytes: 256 * 1024 * 1024, intervalMs: 10 * 60_000 };

export function validateRotation(r: RotationPolicy): RotationPolicy {
  if (!Number.isSafeInteger(r.records) || r.records < 1) throw new UsageError(`--rotate-records: '${r.records}' must be a whole number >= 1`);
  if (!Number.isSafeInteger(r.bytes) || r.bytes < 1024) throw new UsageError(`--rotate-bytes: '${r.bytes}' must be at least 1KiB`);
  if (!Number.isSafeInteger(r.intervalMs) || r.intervalMs < 10) throw new UsageError(`--rotate-interval: '${r.intervalMs}ms' must be at least 10ms`);
  return r;
}

export type RotationReason = 'records' | 'bytes' | 'interval' | 'caught-up' | 'shutdown' | 'gap';

/** The reason an open file is due, or null. Pure, so the policy is tested without files. */
export function rotationDue(r: RotationPolicy, file: { count: number; bytes: number; openedAt: number }, now: number): RotationReason | null {
  if (file.count >= r.records) return 'records';
  if (file.bytes >= r.bytes) return 'bytes';
  if (now - file.openedAt >= r.intervalMs) return 'interval';
  return null;
}
