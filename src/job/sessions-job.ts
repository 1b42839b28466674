// The sessions job: hybrid source → session engine → output, with periodic checkpoints, stop-with-savepoint and a summary.

import type { CheckpointStore } from '../checkpoint/store.js';
import type { Checkpoint } from '../checkpoint/format.js';
import { PartitionConflict } from '../errors.js';
import { EventEmitterOf } from '../events.js';
import { checkBadRatio } from './bad-ratio.js';
import { paceHeap } from '../heap-pacer.js';
import type { ProfileJoin } from '../join/profile-join.js';
import { isRetriableError, STORAGE_RETRY, type RetryOptions } from '../retry.js';
import type { SourceRecord } from '../source/types.js';
import type { OutputSink } from '../sink/types.js';
import type { JobEngine, JobProgress, JobSource, JobStep, JobSummary } from './types.js';

export interface BadRecord {
  topic: string;
  partition: number;
  offset: bigint;
  reason: string;
  record: SourceRecord;
}

export interface SessionsJobOptions {
  topic: string;
  partitions: number[];
  source: JobSource;
  engine: JobEngine;
  sink: OutputSink;
  /** Where checkpoints go; null: none (the output is still published at each interval and at the end). */
  store: CheckpointStore | null;
  checkpointIntervalMs: number;
  /** The checkpoint this run was restored from (its id numbers the next ones; its counters carry on). */
  restoredFrom: Checkpoint | null;
  /**
   * With --profiles: the join between the engine and the output (the engine's sink) and the profiles topic's partitions;
   * the job hands it each profile version and each watermark, and checkpoints it with `source.profiles`' positions.
   */
  profiles?: { join: ProfileJoin; partitions: number[] };
  /** Where records that cannot be used go (the dead-letter output); they are counted either way. */
  onBadRecord?: (bad: BadRecord) => void;
  /**
   * More bad records than this share of all read fails the run (BadRecordError): at a checkpoint once 10,000 records
   * were read, and at the end, after the summary. Default: no limit.
   */
  maxBadRatio?: number;
  /** Time between `progress` events. Default 1 s. */
  progressIntervalMs?: number;
  /** Aborted on SIGINT/SIGTERM: the job stops between steps and writes a savepoint. */
  signal?: AbortSignal;
  now?: () => number;
}

/** What the job reports while it runs (see docs/sessions.md, "Events"); the CLI turns these into log lines and progress. */
export interface SessionsJobEvents extends Record<string, unknown> {
  /** Every `progressIntervalMs`, and once at the end. */
  progress: JobProgress;
  /** A checkpoint (or the savepoint of a stop) was written and the output up to it published; `path` null without a store. */
  checkpoint: { id: number; kind: Checkpoint['kind']; path: string | null; durationMs: number };
  /** A partition read its archive to the end and reads Kafka from `offset` on; `endOffset` is Kafka's end at that moment. */
  switched: { topic: string; partition: number; offset: bigint; endOffset: bigint; pauseMs: number };
  /** Offsets in neither the archive nor Kafka, skipped under `onGap: 'warn'`. */
  'gap-skipped': { topic: string; partition: number; from: bigint; to: bigint; where: 'archive' | 'kafka' };
  /** An archive file that could not be read, skipped under `onCorrupt: 'skip'`. */
  'corrupt-file-skipped': { topic: string; partition: number; path: string; message: string };
  /** The run ended (end of input or a stop). */
  stopped: JobSummary;
}

/** How many records a running job reads before its share of bad records can fail it at a checkpoint. */
const BAD_RATIO_MIN_RECORDS = 10_000;

/**
 * Whether a failed job may be started again from its newest checkpoint: the failure may pass (storage or Kafka out of
 * reach, not serving yet), and is not a lost race for a partition (PartitionConflict, which has its own path).
 */
export function restartsAfter(err: unknown): boolean {
  return isRetriableError(err) && !(err instanceof PartitionConflict);
}

/**
 * The restart policy of a sessions job, one job or one partition's (docs/sessions.md, "Storage outages"), as retry()
 * options around opening and running it: STORAGE_RETRY's waits; only once a job `ran` (a failure before that is more
 * often a wrong address than an outage); counted from zero again after a run that `progressed` (checkpointed records it
 * read, `checkpointedProgress`).
 */
export function jobRestarts(o: { ran: () => boolean; progressed: () => boolean; signal: AbortSignal; onRestart: NonNullable<RetryOptions['onRetry']> }): RetryOptions {
  return { ...STORAGE_RETRY, isRetriable: (err) => o.ran() && restartsAfter(err), signal: o.signal, progressed: o.progressed, onRetry: o.onRestart };
}

export class SessionsJob extends EventEmitterOf<SessionsJobEvents> {
  private lastId: number;
  private checkpoints = 0;
  private records = 0;
  private events = 0;
  private badRecords = 0;
  private firstBadReason: string | null = null;
  private lastCheckpointPath: string | null = null;

  private progressCheckpointed = false;

  /** This run wrote a checkpoint holding records it read (not only the state it was restored with). */
  get checkpointedProgress(): boolean {
    return this.progressCheckpointed;
  }

  /** The checkpoint this run wrote last (null before its first), once written: also when publishing its output then failed. */
  get newestCheckpoint(): string | null {
    return this.lastCheckpointPath;
  }
  private watermark = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly carried: Record<string, number>;

  constructor(private readonly o: SessionsJobOptions) {
    super();
    this.now = o.now ?? Date.now;
    this.lastId = o.restoredFrom?.id ?? 0;
    this.carried = o.restoredFrom?.counters ?? {};
  }

  private counters(): Record<string, number> {
    const c = this.carried;
    return { records: (c.records ?? 0) + this.records, events: (c.events ?? 0) + this.events, badRecords: (c.badRecords ?? 0) + this.badRecords };
  }

  /** Takes a checkpoint: prepare the output, write the checkpoint atomically, then publish the output. */
  async checkpoint(kind: Checkpoint['kind'], finished = false): Promise<void> {
    const o = this.o;
    const began = this.now();
    const id = o.store ? await o.store.nextId(this.lastId) : this.lastId + 1;
    this.lastId = id;
    await o.engine.settle?.();
    const sinkPosition = await o.sink.prepare(id);
    if (o.store) {
      const checkpoint: Checkpoint = {
        kind, id, createdAt: this.now(), topic: o.topic, partitions: o.partitions,
        positions: o.source.positions(), watermarks: o.source.watermarks.snapshot(),
        // After finish() every session has fired: the final checkpoint holds no engine state (a restore from it starts empty).
        engine: finished ? null : o.engine.snapshot(), sink: sinkPosition, counters: { ...this.counters(), finished: finished ? 1 : 0 },
      };
      const profiles = o.source.profiles;
      if (o.profiles && profiles) {
        o.profiles.join.sweep();
        checkpoint.profiles = {
          topic: profiles.topic, partitions: o.profiles.partitions, positions: profiles.positions(), watermarks: profiles.watermarks.snapshot(),
          join: o.profiles.join.snapshot(),
        };
      }
      this.lastCheckpointPath = await o.store.write(checkpoint);
      if (this.records > 0) this.progressCheckpointed = true;
    }
    await o.sink.commit(sinkPosition);
    this.checkpoints++;
    this.emit('checkpoint', { id, kind, path: o.store ? this.lastCheckpointPath : null, durationMs: this.now() - began });
  }

  private handle(step: JobStep): void {
    const o = this.o;
    if (step.kind === 'profiles') {
      const { records, decoded } = step;
      this.records += records.length;
      for (let i = 0; i < decoded.length; i++) {
        const d = decoded[i]!;
        if (typeof d === 'string') this.bad(o.source.profiles?.topic ?? o.topic, step.partition, records[i]!, d);
        else o.profiles?.join.addVersion(d.key, d.ts, d.value);
      }
    } else if (step.kind === 'records') {
      const { records, decoded } = step;
      this.records += records.length;
      for (let i = 0; i < decoded.length; i++) {
        const d = decoded[i]!;
        if (typeof d === 'string') {
          this.bad(o.topic, step.partition, records[i]!, d);
          continue;
        }
        this.events++;
        o.engine.processEvent(step.partition, d.key, d.ts, d.event);
      }
    } else if (step.kind === 'watermark') {
      this.watermark = step.watermark;
      // Results waiting for this watermark go out before what the engine fires at it.
      o.profiles?.join.advance(step.watermark);
      o.engine.advanceWatermark(step.watermark);
    } else if (step.kind === 'switch') {
      this.emit('switched', { topic: step.topic ?? o.topic, partition: step.partition, offset: step.offset, endOffset: step.endOffset, pauseMs: step.pauseMs });
    } else if (step.kind === 'gap') {
      this.emit('gap-skipped', { topic: step.topic ?? o.topic, partition: step.partition, from: step.from, to: step.to, where: step.where });
    } else if (step.kind === 'corrupt') {
      this.emit('corrupt-file-skipped', { topic: step.topic ?? o.topic, partition: step.partition, path: step.path, message: step.message });
    }
  }

  private bad(topic: string, partition: number, record: SourceRecord, reason: string): void {
    this.badRecords++;
    this.firstBadReason ??= reason;
    this.o.onBadRecord?.({ topic, partition, offset: record.offset, reason, record });
  }

  private progress(startedAt: number, recordsAtStart: number): JobProgress {
    const s = this.o.source;
    const phases = s.watermarks.view();
    const ends = s.liveEndOffsets();
    const kinds = new Set(phases.filter((p) => p.phase !== 'finished').map((p) => p.phase));
    const elapsed = Math.max(1, this.now() - startedAt);
    const engine = this.o.engine.stats();
    return {
      phase: kinds.size === 0 ? 'done' : kinds.size > 1 ? 'mixed' : (kinds.values().next().value as 'archive' | 'kafka'),
      filesDone: s.stats.filesDone,
      filesTotal: s.stats.filesTotal,
      records: this.records,
      eventsPerSecond: Math.round(((this.records - recordsAtStart) * 1000) / elapsed),
      watermark: this.watermark,
      results: engine.results,
      lateEvents: engine.lateEvents,
      behindWatermark: engine.behindWatermark,
      openSessions: engine.openSessions,
      partitions: s.positions().map((p) => {
        const end = ends.get(p.partition);
        return {
          partition: p.partition,
          phase: phases.find((x) => x.partition === p.partition)?.phase ?? p.source,
          nextOffset: p.nextOffset?.toString() ?? null,
          lag: end !== undefined && p.nextOffset !== null ? (end > p.nextOffset ? end - p.nextOffset : 0n).toString() : null,
        };
      }),
    };
  }

  async run(): Promise<JobSummary> {
    try {
      return await this.runSteps();
    } catch (err) {
      // The output drops what it had not published (a folder's open part): a restore from the last checkpoint writes it
      // again. Closing must not hide the failure.
      await this.o.sink.close().catch(() => {});
      throw err;
    } finally {
      await this.o.engine.close?.();
    }
  }

  private async runSteps(): Promise<JobSummary> {
    const o = this.o;
    const startedAt = this.now();
    let lastCheckpointAt = startedAt;
    let lastProgressAt = startedAt;
    let windowStart = startedAt;
    let windowRecords = 0;
    for await (const step of o.source.steps()) {
      this.handle(step);
      const behind = o.engine.pace?.();
      if (behind) await behind;
      paceHeap();
      const now = this.now();
      if (now - lastProgressAt >= (o.progressIntervalMs ?? 1000)) {
        this.emit('progress', this.progress(windowStart, windowRecords));
        lastProgressAt = now;
        windowStart = now;
        windowRecords = this.records;
      }
      if (o.signal?.aborted) break;
      if (now - lastCheckpointAt >= o.checkpointIntervalMs) {
        await this.checkpoint('checkpoint');
        lastCheckpointAt = this.now();
        // A live job never reaches its end: what it read so far decides, once it is enough to judge by.
        this.failOnBadRatio(BAD_RATIO_MIN_RECORDS);
      }
    }
    const stoppedBy = o.signal?.aborted ? 'signal' : 'end';
    if (stoppedBy === 'end') {
      o.profiles?.join.advance(Number.POSITIVE_INFINITY);
      o.engine.finish();
      await this.checkpoint('checkpoint', true);
    } else {
      // Stop with savepoint: open sessions stay open in the savepoint, to carry on where this run stopped.
      await this.checkpoint('savepoint');
    }
    await o.sink.close();
    this.emit('progress', this.progress(windowStart, windowRecords));
    const s = o.source.stats;
    const e = o.engine.stats();
    const summary: JobSummary = {
      records: this.records,
      recordsArchive: s.recordsArchive,
      recordsKafka: s.recordsKafka,
      events: this.events,
      badRecords: this.badRecords,
      results: e.results,
      retractions: e.retractions,
      lateEvents: e.lateEvents,
      behindWatermark: e.behindWatermark,
      filesRead: s.filesDone,
      duplicatesSkipped: s.duplicatesSkipped,
      gapOffsetsSkipped: s.gapOffsetsSkipped.toString(),
      corruptFilesSkipped: s.corruptFilesSkipped,
      checkpoints: this.checkpoints,
      switchPauseMs: s.switchPauseMs.length ? Math.max(...s.switchPauseMs) : null,
      watermark: Number.isFinite(this.watermark) ? this.watermark : null,
      profiles: o.profiles ? { ...o.profiles.join.stats } : null,
      stoppedBy,
      lastCheckpoint: this.lastCheckpointPath,
      elapsedMs: this.now() - startedAt,
    };
    this.emit('stopped', summary);
    this.failOnBadRatio(0);
    return summary;
  }

  /** Fails the run when too many records were bad, counting those of the runs it was restored from, once `atLeast` were read. */
  private failOnBadRatio(atLeast: number): void {
    const c = this.counters();
    if (this.o.maxBadRatio !== undefined && c.records! >= atLeast) checkBadRatio(c.badRecords!, c.records!, this.o.maxBadRatio, this.firstBadReason);
  }
}
