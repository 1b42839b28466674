// The sessions job's checkpoint document (version 1): source positions, watermarks, the engine snapshot and the output
// position, as documented JSON. A savepoint is the same document with kind `savepoint`, written on a requested stop.

import { SavepointError } from '../errors.js';
import type { WatermarkSnapshot } from '../source/watermarks.js';

export const CHECKPOINT_FORMAT = 'oxbow-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointPosition {
  partition: number;
  source: 'archive' | 'kafka';
  nextOffset: bigint | null;
}

export interface Checkpoint {
  /** `checkpoint`: taken periodically; `savepoint`: taken on a requested stop (SIGINT/SIGTERM) or by hand. */
  kind: 'checkpoint' | 'savepoint';
  /** Increases by one per checkpoint of a job; file and HDFS outputs name their parts after it. */
  id: number;
  createdAt: number;
  topic: string;
  partitions: number[];
  positions: CheckpointPosition[];
  watermarks: WatermarkSnapshot;
  /** The engine's own snapshot, opaque here (its format is the engine's, versioned by it). */
  engine: unknown;
  /** The output's position (for files: which part is published with this checkpoint). */
  sink: unknown;
  /** Counters carried across restarts for the final summary. */
  counters: Record<string, number>;
}

export function encodeCheckpoint(c: Checkpoint): string {
  return JSON.stringify({
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...c,
    createdAt: new Date(c.createdAt).toISOString(),
    positions: c.positions.map((p) => ({ ...p, nextOffset: p.nextOffset === null ? null : p.nextOffset.toString() })),
  }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
}

function fail(path: string, what: string): never {
  throw new SavepointError(path, `${path}: not a usable oxbow savepoint: ${what}`);
}

/** Parses and checks a checkpoint file's text; SavepointError names the file and the problem, the file is left alone. */
export function decodeCheckpoint(path: string, text: string): Checkpoint {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    fail(path, `not JSON (${(err as Error).message}); the file is truncated or not a savepoint`);
  }
  if (typeof doc !== 'object' || doc === null || doc.format !== CHECKPOINT_FORMAT) fail(path, `its "format" is not "${CHECKPOINT_FORMAT}"`);
  if (typeof doc.version !== 'number') fail(path, 'it has no "version"');
  if (doc.version > CHECKPOINT_VERSION) fail(path, `format version ${doc.version} is newer than this oxbow reads (${CHECKPOINT_VERSION}); use a newer oxbow`);
  if (doc.version < 1) fail(path, `unknown format version ${doc.version}`);
  if (typeof doc.topic !== 'string') fail(path, '"topic" is missing');
  if (!Array.isArray(doc.partitions) || !doc.partitions.every((p) => Number.isSafeInteger(p))) fail(path, '"partitions" is not a list of partition numbers');
  if (!Array.isArray(doc.positions)) fail(path, '"positions" is missing');
  const positions = (doc.positions as Record<string, unknown>[]).map((p, i): CheckpointPosition => {
    if (!Number.isSafeInteger(p.partition) || (p.source !== 'archive' && p.source !== 'kafka')) fail(path, `positions[${i}] is malformed`);
    if (p.nextOffset !== null && (typeof p.nextOffset !== 'string' || !/^\d+$/.test(p.nextOffset))) fail(path, `positions[${i}].nextOffset is not an offset`);
    return { partition: p.partition as number, source: p.source as 'archive' | 'kafka', nextOffset: p.nextOffset === null ? null : BigInt(p.nextOffset as string) };
  });
  const createdAt = typeof doc.createdAt === 'string' ? Date.parse(doc.createdAt) : NaN;
  const watermarks = doc.watermarks as WatermarkSnapshot | undefined;
  if (!watermarks || !Array.isArray(watermarks.partitions)) fail(path, '"watermarks" is missing');
  return {
    kind: doc.kind === 'savepoint' ? 'savepoint' : 'checkpoint',
    id: Number.isSafeInteger(doc.id) ? (doc.id as number) : fail(path, '"id" is missing'),
    createdAt: Number.isNaN(createdAt) ? 0 : createdAt,
    topic: doc.topic,
    partitions: doc.partitions as number[],
    positions,
    watermarks,
    engine: doc.engine,
    sink: doc.sink ?? null,
    counters: (doc.counters as Record<string, number> | undefined) ?? {},
  };
}

/** A savepoint may only restore the job it was taken from: the same topic and the same partition set. */
export function checkCheckpointFits(path: string, c: Checkpoint, topic: string, partitions: readonly number[]): void {
  if (c.topic !== topic) {
    throw new SavepointError(path, `${path}: this savepoint is for topic '${c.topic}', not '${topic}'; pass --topic ${c.topic} or start without --from-savepoint`);
  }
  const want = [...partitions].sort((a, b) => a - b).join(',');
  const have = [...c.partitions].sort((a, b) => a - b).join(',');
  if (want !== have) {
    throw new SavepointError(path, `${path}: this savepoint covers partitions ${have}, this job reads ${want}; pass --partitions ${have} or start without --from-savepoint`);
  }
}
