// The engine snapshot: the versioned, documented JSON form of engine state. sessionize's savepoint files are one;
// the sessions job's checkpoints and savepoints carry one inside.

import { SavepointError } from '../errors.js';

export const SNAPSHOT_TYPE = 'oxbow-engine-snapshot';
/**
 * Bump when the shape or meaning changes; every released version stays loadable (see fixtures/savepoints/).
 * 1: state kept per source partition. 2: one key space for the job (`config.keying`); a version-1 snapshot is read as
 * keying `partition`, and the engine merges a key's overlapping sessions from different partitions on restore.
 */
export const CURRENT_FORMAT_VERSION = 2;

export interface SessionSnapshot {
  /** Tie-breaker for timers on the same timestamp, so a restored engine fires in the original order. */
  id: number;
  key: string;
  /** Window [start, end): start = first event time, end = last event time + gap. */
  start: number;
  end: number;
  /** The aggregate's accumulator as JSON; null when purged. */
  acc: unknown;
  /** The trigger's state (a count, a next early-firing time) or null. */
  trigger: number | null;
  /** Event-time timers the trigger registered (cleanup timers are derived from end and lateness). */
  timers: number[];
  /** Bounds of the last emitted result that still stands (for retractions), or null. */
  emitted: [number, number] | null;
  /** Events arrived since the last firing. */
  pending: boolean;
}

/** The sessions whose opening event came from one source partition. */
export interface ShardSnapshot {
  partition: number;
  sessions: SessionSnapshot[];
}

export interface EngineConfigSnapshot {
  gapMs: number;
  allowedLatenessMs: number;
  /** `event-time`, `continuous:<ms>`, `count:<n>`. */
  trigger: string;
  purging: boolean;
  retractions: boolean;
  /**
   * How sessions were keyed: `job` (by the session key across partitions), `co-partitioned` (the same, with every key
   * verified to stay in one partition), or `partition` (format 1: by source partition and key).
   */
  keying: 'job' | 'co-partitioned' | 'partition';
}

export interface EngineSnapshot {
  type: typeof SNAPSHOT_TYPE;
  formatVersion: number;
  /** Aggregate identity (`count`, `sum:value`, `listening`, `playlist-runs`); a restore with another fails. */
  aggregate: string;
  config: EngineConfigSnapshot;
  /** The engine's watermark; null before the first one. */
  watermark: number | null;
  nextSessionId: number;
  shards: ShardSnapshot[];
}

function fail(source: string, what: string): never {
  throw new SavepointError(source, `savepoint ${source} is corrupt: ${what}; it was left untouched`);
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Checks a parsed snapshot of any released format version and returns it in the current shape.
 * `source` names the file (or checkpoint) in errors.
 */
export function parseSnapshot(json: unknown, source: string): EngineSnapshot {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(source, 'not a JSON object');
  const o = json as Record<string, unknown>;
  if (o.type !== SNAPSHOT_TYPE) {
    throw new SavepointError(source, `${source} is not an oxbow savepoint (type is ${JSON.stringify(o.type)}, expected "${SNAPSHOT_TYPE}"); it was left untouched`);
  }
  const v = o.formatVersion;
  if (!Number.isSafeInteger(v) || (v as number) < 1) fail(source, `formatVersion ${JSON.stringify(v)} is not a version number`);
  if ((v as number) > CURRENT_FORMAT_VERSION) {
    throw new SavepointError(
      source,
      `savepoint ${source} has format version ${v}, written by a newer oxbow; this oxbow reads versions up to ${CURRENT_FORMAT_VERSION}. Upgrade oxbow to restore it; the file was left untouched`,
    );
  }
  if (typeof o.aggregate !== 'string' || o.aggregate === '') fail(source, 'aggregate is missing');
  const c = o.config as Record<string, unknown> | null;
  if (c === null || typeof c !== 'object') fail(source, 'config is missing');
  if (!isNum(c.gapMs) || !isNum(c.allowedLatenessMs) || typeof c.trigger !== 'string' || typeof c.purging !== 'boolean' || typeof c.retractions !== 'boolean') {
    fail(source, 'config lacks gapMs, allowedLatenessMs, trigger, purging or retractions');
  }
  if (!(o.watermark === null || isNum(o.watermark))) fail(source, 'watermark is not a number or null');
  if (!Number.isSafeInteger(o.nextSessionId)) fail(source, 'nextSessionId is not a whole number');
  if (!Array.isArray(o.shards)) fail(source, 'shards is not a list');
  const seen = new Set<number>();
  for (const shard of o.shards as unknown[]) {
    const sh = shard as Record<string, unknown> | null;
    if (sh === null || typeof sh !== 'object' || !Number.isSafeInteger(sh.partition) || !Array.isArray(sh.sessions)) {
      fail(source, 'a shard lacks partition or sessions');
    }
    if (seen.has(sh.partition as number)) fail(source, `partition ${sh.partition} appears twice`);
    seen.add(sh.partition as number);
    for (const sess of sh.sessions as unknown[]) {
      const s = sess as Record<string, unknown> | null;
      if (
        s === null || typeof s !== 'object' || !Number.isSafeInteger(s.id) || typeof s.key !== 'string' ||
        !isNum(s.start) || !isNum(s.end) || !(s.end > s.start) || !(s.trigger === null || isNum(s.trigger)) ||
        !Array.isArray(s.timers) || !(s.timers as unknown[]).every(isNum) || typeof s.pending !== 'boolean' ||
        !(s.emitted === null || (Array.isArray(s.emitted) && s.emitted.length === 2 && s.emitted.every(isNum))) || !('acc' in s)
      ) {
        fail(source, `a session of partition ${sh.partition} is malformed: ${JSON.stringify(s).slice(0, 200)}`);
      }
    }
  }
  // Migrations, oldest first, to the current shape.
  if (v === 1) return { ...(o as unknown as EngineSnapshot), formatVersion: CURRENT_FORMAT_VERSION, config: { ...(c as unknown as EngineConfigSnapshot), keying: 'partition' } };
  if (c.keying !== 'job' && c.keying !== 'co-partitioned' && c.keying !== 'partition') fail(source, `config.keying ${JSON.stringify(c.keying)} is not job, co-partitioned or partition`);
  return o as unknown as EngineSnapshot;
}
