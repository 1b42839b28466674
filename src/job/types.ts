// What the sessions job needs from the session engine and from its source (the engine's and the hybrid source's own
// classes satisfy them) and what it reports.

import type { ProfileJoinStats } from '../join/profile-join.js';
import type { SourcePosition, SourceStats, SourceStep } from '../source/hybrid-source.js';
import type { ProfilesStep } from '../source/merged-source.js';
import type { WatermarkTracker } from '../source/watermarks.js';
import type { DecodedEvent, ProfileVersion } from './decode.js';

/** What the job reads: the events topic's steps, and with `--profiles` the profiles topic's records (merged-source.ts). */
export type JobStep = SourceStep<DecodedEvent> | ProfilesStep<ProfileVersion>;

/** The job's view of its source: decoded steps, and what checkpoints and progress read from it. */
export interface JobSource {
  steps(): AsyncIterable<JobStep>;
  /** With `--profiles`: the profiles topic's positions and watermarks, as a checkpoint records them. */
  readonly profiles?: { topic: string; positions(): SourcePosition[]; watermarks: Pick<WatermarkTracker, 'snapshot'> };
  /** Where each partition stands now (between steps): what a checkpoint records. */
  positions(): SourcePosition[];
  /** End offsets Kafka had at each partition's switch (progress shows the lag to them). */
  liveEndOffsets(): ReadonlyMap<number, bigint>;
  readonly watermarks: Pick<WatermarkTracker, 'snapshot' | 'view'>;
  readonly stats: SourceStats;
}

export interface JobEngine {
  processEvent(partition: number, key: string, ts: number, event: Record<string, unknown>): void;
  advanceWatermark(ts: number): void;
  /** End of input: fire every open session. */
  finish(): void;
  snapshot(): unknown;
  /** Counters for the summary. */
  stats(): { results: number; retractions: number; lateEvents: number; behindWatermark: number; openSessions: number };
  /**
   * An engine that computes elsewhere (engine threads, src/engine/sharded-engine.ts) hands over what it was given at
   * the end of each step, and returns a promise when the job must wait for it to catch up.
   */
  pace?(): Promise<void> | null;
  /** Before a checkpoint and at the end: everything handed over is computed and emitted, so snapshot() and stats() are exact. */
  settle?(): Promise<void>;
  /** The job is over (ended, stopped or failed). */
  close?(): Promise<void>;
}

export interface JobProgress {
  phase: 'archive' | 'kafka' | 'mixed' | 'done';
  filesDone: number;
  filesTotal: number;
  records: number;
  eventsPerSecond: number;
  watermark: number;
  /** Results written, late events and sessions open now (the engine's counters). */
  results: number;
  lateEvents: number;
  /** Events taken in after the watermark had passed them (SessionEngineStats.behindWatermark). */
  behindWatermark: number;
  openSessions: number;
  partitions: { partition: number; phase: string; nextOffset: string | null; lag: string | null }[];
}

export interface JobSummary {
  records: number;
  recordsArchive: number;
  recordsKafka: number;
  events: number;
  badRecords: number;
  results: number;
  retractions: number;
  lateEvents: number;
  /** Events taken in after the watermark had passed them (SessionEngineStats.behindWatermark). */
  behindWatermark: number;
  filesRead: number;
  duplicatesSkipped: number;
  gapOffsetsSkipped: string;
  corruptFilesSkipped: number;
  checkpoints: number;
  switchPauseMs: number | null;
  watermark: number | null;
  /** With `--profiles`: the join's counts (docs/sessions.md, "Enrichment"); null without. */
  profiles: ProfileJoinStats | null;
  stoppedBy: 'end' | 'signal';
  lastCheckpoint: string | null;
  elapsedMs: number;
}
