// What the engine hands its caller: results, retractions, late events; and the options it is built with.

import type { Aggregate } from './aggregate.js';
import type { TriggerSpec } from './triggers/index.js';

export type Firing = 'early' | 'on-time' | 'late';

export interface SessionResult {
  key: string;
  /** First event time. */
  start: number;
  /** Last event time + gap. */
  end: number;
  firing: Firing;
  result: unknown;
  /** The source partition of the event that opened the session. */
  partition: number;
}

/** A result emitted earlier for these bounds no longer exists (its session merged or grew). */
export interface SessionRetraction {
  key: string;
  start: number;
  end: number;
  partition: number;
}

export interface SessionSink {
  result(r: SessionResult): void;
  retraction(r: SessionRetraction): void;
  /** An event too late for any window (the late side output). */
  late(partition: number, key: string, ts: number, event: Record<string, unknown>): void;
}

export interface SessionEngineOptions {
  gapMs: number;
  /** Default 0. */
  allowedLatenessMs?: number;
  /** Default event-time. A spec object or its text (`event-time`, `continuous:5s`, `count:4`). */
  trigger?: TriggerSpec | string;
  /** Purge the window at each firing (results become deltas). Default false (accumulating). */
  purging?: boolean;
  /** Emit retractions for results that a merge or extension replaced. Default false. */
  retractions?: boolean;
  /** An aggregate object or a built-in name (`count`, `sum:FIELD`, `listening`, `playlist-runs`). Default count. */
  aggregate?: Aggregate | string;
  /**
   * The input keeps every session key in one source partition (`--co-partitioned`). Sessions are keyed by the key
   * alone either way; this makes an event of a key whose open session came from another partition an error
   * (CoPartitioningError), so state can later move between workers with its partition. Default false.
   */
  coPartitioned?: boolean;
}

export interface SessionEngineStats {
  events: number;
  lateEvents: number;
  /**
   * Events taken into a session although the watermark had already passed their time (they came later than the
   * out-of-orderness bound allows): a session each belongs to may have fired without it and be split from the one it
   * opens. With none (and no late events), every session is what an offline pass over the same events gives.
   */
  behindWatermark: number;
  results: number;
  retractions: number;
  openSessions: number;
  watermark: number;
}
