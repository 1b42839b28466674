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
    // The text JSON.stringify gives for the whole object, built around the stringified key, result and profile instead
    // of a new object per result: bounds and partition are finite numbers, the firing one of three words. An undefined
    // result or profile (a job without --profiles) is left out, as JSON.stringify leaves it out; sessionize's lines
    // (no partition) have no profile.
    const result = JSON.stringify(r.result) as string | undefined;
    const profile = r.profile === undefined || !withPartition ? undefined : JSON.stringify(r.profile) as string | undefined;
    return `{"key":${JSON.stringify(r.key)}${withPartition ? `,"partition":${r.partition}` : ''},"start":${r.start},"end":${r.end},`
      + `"firing":"${r.firing}"${result === undefined ? '' : `,"result":${result}`}${profile === undefined ? '' : `,"profile":${profile}`}}`;
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
