// What `oxbow sessions` writes: session results and retractions as JSON objects, and the sink interface that publishes them with checkpoints.

import type { SessionResult, SessionRetraction } from '../engine/types.js';

/**
 * One output line. `session` carries the aggregate's result (and, with `--profiles`, the profile valid at its start, null
 * for none); `retraction` withdraws an earlier result with these bounds.
 */
export type OutputRecord =
  | { type: 'session'; key: string; partition: number; start: number; end: number; firing: string; result: unknown; profile?: Record<string, unknown> | null }
  | { type: 'retraction'; key: string; partition: number; start: number; end: number };

/**
 * Two-phase publishing in step with checkpoints: `prepare(id)` makes everything written so far durable but not yet
 * visible and returns the position the checkpoint records; once the checkpoint is written, `commit` makes it visible.
 * A restore calls `recover` with the checkpoint's position, which finishes a publish the crash interrupted and drops
 * whatever was written after that checkpoint — so published results are never duplicated.
 */
export interface OutputSink {
  readonly description: string;
  write(record: OutputRecord): void;
  prepare(checkpointId: number): Promise<unknown>;
  commit(position: unknown): Promise<void>;
  /** `checkpointId`: the id the restore continues as (a parallel job's claim), which a shared output checks. */
  recover(position: unknown, checkpointId: number): Promise<void>;
  /** Fresh start (no savepoint): refuse an output that already holds published results of another run. */
  checkFresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The one encoding of a result line: `{key, partition, start, end, firing, result}` (plus `profile` when enriched) and
 * `{retract: true, key, partition, start, end}`. `oxbow sessionize` (no source partitions) leaves `partition` out.
 */
export function outputLine(r: OutputRecord, withPartition = true): string {
  if (r.type === 'session') {
    return withPartition
      // JSON.stringify leaves out a `profile` that is undefined (a job without --profiles).
      ? JSON.stringify({ key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result, profile: r.profile })
      : JSON.stringify({ key: r.key, start: r.start, end: r.end, firing: r.firing, result: r.result });
  }
  return withPartition
    ? JSON.stringify({ retract: true, key: r.key, partition: r.partition, start: r.start, end: r.end })
    : JSON.stringify({ retract: true, key: r.key, start: r.start, end: r.end });
}

/** The engine's results and retractions as output records (what every sink and `sessionize` write). */
export function resultRecord(r: SessionResult): OutputRecord {
  return { type: 'session', key: r.key, partition: r.partition, start: r.start, end: r.end, firing: r.firing, result: r.result };
}

export function retractionRecord(r: SessionRetraction): OutputRecord {
  return { type: 'retraction', key: r.key, partition: r.partition, start: r.start, end: r.end };
}
