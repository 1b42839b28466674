// The engine's state as its versioned JSON form (src/state/snapshot-format.ts) and back: sessions to snapshot entries,
// snapshot entries to sessions. The operator keeps only what needs its trigger and merge logic (restoring chains).

import { SavepointError } from '../errors.js';
import { CURRENT_FORMAT_VERSION, parseSnapshot, SNAPSHOT_TYPE, type EngineSnapshot, type SessionSnapshot } from '../state/snapshot-format.js';
import type { Aggregate } from './aggregate.js';
import { NONE, Session, type SessionTable } from './session.js';
import type { SessionWindows } from './window-spec.js';

/** The state of `sessions` (those of `partitions`, or all), grouped by the partition that opened each. */
export function toSnapshot(
  sessions: Iterable<Session>, windows: SessionWindows, trigger: string, watermark: number, nextSessionId: number, partitions?: readonly number[],
): EngineSnapshot {
  const agg = windows.aggregate;
  const wanted = partitions === undefined ? null : new Set(partitions);
  const byPartition = new Map<number, SessionSnapshot[]>();
  for (const s of sessions) {
    if (wanted !== null && !wanted.has(s.partition)) continue;
    let list = byPartition.get(s.partition);
    if (list === undefined) byPartition.set(s.partition, (list = []));
    list.push({
      id: s.id,
      key: s.key,
      start: s.start,
      end: s.end,
      acc: s.hasAcc ? agg.toJson(s.accumulator()) : null,
      trigger: Number.isNaN(s.triggerState) ? null : s.triggerState,
      timers: s.timerList(),
      emitted: Number.isNaN(s.emittedStart) ? null : [s.emittedStart, s.emittedEnd],
      pending: s.pending,
    });
  }
  for (const p of wanted ?? []) if (!byPartition.has(p)) byPartition.set(p, []);
  return {
    type: SNAPSHOT_TYPE,
    formatVersion: CURRENT_FORMAT_VERSION,
    aggregate: agg.name,
    config: {
      gapMs: windows.gapMs,
      allowedLatenessMs: windows.allowedLatenessMs,
      trigger,
      purging: windows.purging,
      retractions: windows.retractions,
      keying: windows.coPartitioned ? 'co-partitioned' : 'job',
    },
    watermark: watermark === -Infinity ? null : watermark,
    nextSessionId,
    shards: [...byPartition].sort(([a], [b]) => a - b).map(([partition, list]) => ({ partition, sessions: list })),
  };
}

/** The snapshot in `snapshot`, checked, and refused when it holds sessions of another aggregate than `aggregate`. */
export function parseSnapshotFor(snapshot: unknown, aggregate: string, source: string): EngineSnapshot {
  const snap = parseSnapshot(snapshot, source);
  if (snap.aggregate !== aggregate) {
    throw new SavepointError(source, `savepoint ${source} holds '${snap.aggregate}' sessions but this run aggregates '${aggregate}'; run with --aggregate ${snap.aggregate} or start without the savepoint (the file was left untouched)`);
  }
  return snap;
}

/**
 * The sessions of a checked snapshot still alive at its watermark, built in `table` (accumulators parsed, timers and
 * flags set), in snapshot order; how many were dropped (a shorter allowed lateness than the snapshot's may put a session
 * past its cleanup already: it would have been dropped); and the next free session id.
 */
export function liveSessionsOf(snap: EngineSnapshot, table: SessionTable, aggregate: Aggregate, retractions: boolean, source: string): { live: Session[]; dropped: number; nextId: number } {
  const watermark = snap.watermark ?? -Infinity;
  const out: Session[] = [];
  let dropped = 0;
  let nextId = snap.nextSessionId;
  for (const sh of snap.shards) {
    for (const ss of sh.sessions) {
      const s = new Session(table, ss.id, sh.partition, ss.key, ss.start, ss.end, ss.trigger ?? NONE);
      try {
        s.setAccumulator(ss.acc === null ? null : aggregate.fromJson(ss.acc));
      } catch (err) {
        throw new SavepointError(source, `savepoint ${source} is corrupt: ${(err as Error).message}; it was left untouched`, { cause: err });
      }
      for (const t of ss.timers) s.addTimer(t);
      s.pending = ss.pending;
      if (retractions && ss.emitted !== null) {
        s.emittedStart = ss.emitted[0];
        s.emittedEnd = ss.emitted[1];
      }
      if (s.id >= nextId) nextId = s.id + 1;
      if (s.cleanupAt <= watermark) {
        s.kill();
        dropped++;
      } else out.push(s);
    }
  }
  return { live: out, dropped, nextId };
}

/**
 * Restored sessions by key, each key's in start order. Under --co-partitioned a key with sessions from two partitions is
 * refused (a format 1 snapshot can hold such keys: state was kept per partition then).
 */
export function byKey(sessions: readonly Session[], coPartitioned: boolean, source: string): Map<string, Session[]> {
  const out = new Map<string, Session[]>();
  for (const s of sessions) {
    const list = out.get(s.key);
    if (list === undefined) out.set(s.key, [s]);
    else list.push(s);
  }
  for (const [key, list] of out) {
    list.sort((a, b) => a.start - b.start || a.partition - b.partition);
    const partitions = [...new Set(list.map((s) => s.partition))];
    if (coPartitioned && partitions.length > 1) {
      throw new SavepointError(source, `savepoint ${source} holds sessions of key '${key}' from partitions ${partitions[0]} and ${partitions[1]}; --co-partitioned (each key in one partition) cannot restore it — restore without --co-partitioned`);
    }
  }
  return out;
}
