// The sessions job's checkpoint document: source positions, watermarks, the engine snapshot and the output position, as
// documented JSON (docs/sessions.md). Version 2 adds the profiles topic and the join's state of a job with --profiles and
// is written only by such jobs, so a checkpoint without profiles stays readable by oxbow that reads version 1 alone. A
// savepoint is the same document with kind `savepoint`, written on a requested stop.

import { SavepointError } from '../errors.js';
import type { ProfileJoinSnapshot } from '../join/profile-join.js';
import type { WatermarkSnapshot } from '../source/watermarks.js';

export const CHECKPOINT_FORMAT = 'oxbow-checkpoint';
/** The newest version this oxbow reads and writes (2: with profiles; 1: without). */
export const CHECKPOINT_VERSION = 2;

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
  /** A job with --profiles (format version 2): the profiles topic's partitions, positions and watermarks, and the join's state. */
  profiles?: CheckpointProfiles;
}

export interface CheckpointProfiles {
  topic: string;
  partitions: number[];
  positions: CheckpointPosition[];
  watermarks: WatermarkSnapshot;
  join: ProfileJoinSnapshot;
}

const positionsJson = (positions: CheckpointPosition[]) => positions.map((p) => ({ ...p, nextOffset: p.nextOffset === null ? null : p.nextOffset.toString() }));

export function encodeCheckpoint(c: Checkpoint): string {
  return JSON.stringify({
    format: CHECKPOINT_FORMAT,
    version: c.profiles ? 2 : 1,
    ...c,
    createdAt: new Date(c.createdAt).toISOString(),
    positions: positionsJson(c.positions),
    ...(c.profiles ? { profiles: { ...c.profiles, positions: positionsJson(c.profiles.positions) } } : {}),
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
  const positions = decodePositions(path, doc.positions, 'positions');
  const createdAt = typeof doc.createdAt === 'string' ? Date.parse(doc.createdAt) : NaN;
  const watermarks = decodeWatermarks(path, doc.watermarks, 'watermarks');
  const profiles = doc.version >= 2 && doc.profiles !== undefined ? decodeProfiles(path, doc.profiles) : undefined;
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
    ...(profiles ? { profiles } : {}),
  };
}

function decodePositions(path: string, value: unknown, what: string): CheckpointPosition[] {
  if (!Array.isArray(value)) fail(path, `"${what}" is missing`);
  return (value as Record<string, unknown>[]).map((p, i): CheckpointPosition => {
    if (!Number.isSafeInteger(p.partition) || (p.source !== 'archive' && p.source !== 'kafka')) fail(path, `${what}[${i}] is malformed`);
    if (p.nextOffset !== null && (typeof p.nextOffset !== 'string' || !/^\d+$/.test(p.nextOffset))) fail(path, `${what}[${i}].nextOffset is not an offset`);
    return { partition: p.partition as number, source: p.source as 'archive' | 'kafka', nextOffset: p.nextOffset === null ? null : BigInt(p.nextOffset as string) };
  });
}

function decodeWatermarks(path: string, value: unknown, what: string): WatermarkSnapshot {
  const watermarks = value as WatermarkSnapshot | undefined;
  if (!watermarks || !Array.isArray(watermarks.partitions)) fail(path, `"${what}" is missing`);
  return watermarks;
}

const isTime = (t: unknown): t is number => typeof t === 'number' && Number.isFinite(t);

/** The profiles part of a version 2 checkpoint, checked down to each kept version (a restore trusts what it loads). */
function decodeProfiles(path: string, value: unknown): CheckpointProfiles {
  const p = value as Record<string, unknown>;
  if (typeof p !== 'object' || p === null || typeof p.topic !== 'string') fail(path, '"profiles.topic" is missing');
  if (!Array.isArray(p.partitions) || !p.partitions.every((x) => Number.isSafeInteger(x))) fail(path, '"profiles.partitions" is not a list of partition numbers');
  const join = p.join as Record<string, unknown> | undefined;
  if (typeof join !== 'object' || join === null || !Array.isArray(join.versions) || !Array.isArray(join.pending) || typeof join.stats !== 'object' || join.stats === null) {
    fail(path, '"profiles.join" is missing or malformed');
  }
  for (const [i, entry] of (join.versions as unknown[]).entries()) {
    const ok = Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' && Array.isArray(entry[1])
      && (entry[1] as unknown[]).every((v) => Array.isArray(v) && v.length === 2 && isTime(v[0]) && (v[1] === null || (typeof v[1] === 'object' && !Array.isArray(v[1]))));
    if (!ok) fail(path, `profiles.join.versions[${i}] is malformed`);
  }
  for (const [i, r] of (join.pending as Record<string, unknown>[]).entries()) {
    if (typeof r !== 'object' || r === null || (r.type !== 'session' && r.type !== 'retraction') || typeof r.key !== 'string' || !isTime(r.start) || !isTime(r.end)) {
      fail(path, `profiles.join.pending[${i}] is malformed`);
    }
  }
  return {
    topic: p.topic as string,
    partitions: p.partitions as number[],
    positions: decodePositions(path, p.positions, 'profiles.positions'),
    watermarks: decodeWatermarks(path, p.watermarks, 'profiles.watermarks'),
    join: join as unknown as ProfileJoinSnapshot,
  };
}

/**
 * A savepoint may only restore the job it was taken from: the same topic and partition set and, with --profiles, the
 * same profiles topic and partitions (a savepoint with profiles holds state a job without them would drop, and one
 * without holds no versions a job with them would need).
 */
export function checkCheckpointFits(path: string, c: Checkpoint, topic: string, partitions: readonly number[], profiles: { topic: string; partitions: readonly number[] } | null = null): void {
  if (c.topic !== topic) {
    throw new SavepointError(path, `${path}: this savepoint is for topic '${c.topic}', not '${topic}'; pass --topic ${c.topic} or start without --from-savepoint`);
  }
  const list = (ps: readonly number[]) => [...ps].sort((a, b) => a - b).join(',');
  if (list(partitions) !== list(c.partitions)) {
    throw new SavepointError(path, `${path}: this savepoint covers partitions ${list(c.partitions)}, this job reads ${list(partitions)}; pass --partitions ${list(c.partitions)} or start without --from-savepoint`);
  }
  const had = c.profiles;
  if (profiles && !had) {
    throw new SavepointError(path, `${path}: this savepoint was taken without --profiles, so it holds no profile versions; restore it without --profiles, or start without --from-savepoint to join from the beginning`);
  }
  if (!profiles && had) {
    throw new SavepointError(path, `${path}: this savepoint was taken with --profiles ${had.topic}; pass --profiles ${had.topic}, or start without --from-savepoint`);
  }
  if (profiles && had) {
    if (had.topic !== profiles.topic) {
      throw new SavepointError(path, `${path}: this savepoint joins profiles of topic '${had.topic}', not '${profiles.topic}'; pass --profiles ${had.topic} or start without --from-savepoint`);
    }
    if (list(had.partitions) !== list(profiles.partitions)) {
      throw new SavepointError(path, `${path}: this savepoint read profiles partitions ${list(had.partitions)}, the profiles topic now has ${list(profiles.partitions)}; start without --from-savepoint`);
    }
  }
}
