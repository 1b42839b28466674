// What the sessions job needs from the session engine (the engine's own class satisfies it) and what it reports.

export interface JobEngine {
  processEvent(partition: number, key: string, ts: number, event: Record<string, unknown>): void;
  advanceWatermark(ts: number): void;
  /** End of input: fire every open session. */
  finish(): void;
  snapshot(): unknown;
}

export interface JobProgress {
  phase: 'archive' | 'kafka' | 'mixed' | 'done';
  filesDone: number;
  filesTotal: number;
  records: number;
  eventsPerSecond: number;
  watermark: number;
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
  filesRead: number;
  duplicatesSkipped: number;
  gapOffsetsSkipped: string;
  corruptFilesSkipped: number;
  checkpoints: number;
  switchPauseMs: number | null;
  watermark: number | null;
  stoppedBy: 'end' | 'signal';
  lastCheckpoint: string | null;
  elapsedMs: number;
}
