// The archiver: consumes topics through an ArchiveSource, one PartitionWriter per assigned partition, rotation timer, clean stop.

import type { ArchiveFs } from '../archive-fs.js';
import { OffsetGapError, OxbowError, PartitionConflict, PermissionError, SourceStuckError, UsageError } from '../errors.js';
import { EventEmitterOf } from '../events.js';
import { paceHeap } from '../heap-pacer.js';
import { getLogger } from '../logger.js';
import { abortableSleep, type RetryOptions } from '../retry.js';
import type { ArchiveSource, PartitionOffsets, SourceBatch, TopicPartition } from './archive-source.js';
import { type EventTimeDefinition, parseEventTimeDefinition } from '../event-time.js';
import { validateTopicName } from './file-name.js';
import { type ArchiveFileEntry, type FormatRegistry, loadPartitionIndex } from './partition-index.js';
import { assertOneClock, type BatchOutcome, PartitionWriter, type PublishedFile, type RetentionGapPolicy } from './partition-writer.js';
import type { ArchiveFormat } from './record.js';
import { type RotationPolicy, validateRotation } from './rotation.js';

/** How long a partition whose storage failed waits before refetching from the archive's end. */
const RECOVER_PAUSE_MS = 1000;
const log = getLogger('archiver');

export interface ArchiverOptions {
  fs: ArchiveFs;
  root: string;
  topics: string[];
  format: ArchiveFormat;
  /** Every format the archive may already hold (to read existing files' metadata). */
  formats: FormatRegistry;
  rotation: RotationPolicy;
  /** `kafka-timestamp` or a JSON field of the value (`ts`, `meta.ts`): the archive records it in every file. */
  eventTime: string | EventTimeDefinition;
  /** The user named `eventTime` (needed to continue an archive of oxbow 0.1, which did not record its definition). */
  eventTimeGiven?: boolean;
  /** Stop once every partition is archived up to the latest offsets read at start. */
  untilCaughtUp: boolean;
  source: ArchiveSource;
  /** How storage calls are retried before a partition gives up its file and refetches. Default ARCHIVER_STORAGE_RETRY (hours). */
  storageRetry?: RetryOptions;
  /** Offsets Kafka deleted before they were archived: stop naming them (`fail`, default) or record the gap and go on (`skip`). */
  onRetentionGap?: RetentionGapPolicy;
  /** Time between `progress` events (each asks Kafka for its log ends); 0: none. Default 10 s. */
  progressIntervalMs?: number;
  now?: () => number;
}

/** Where one partition stands: archived (published) up to `archivedTo`, read up to `readTo`, Kafka's log end and the lag to it. */
export interface ArchivePartitionProgress {
  topic: string;
  partition: number;
  archivedTo: bigint;
  readTo: bigint;
  /** Kafka's log end when this progress was taken; null when Kafka did not answer. */
  logEnd: bigint | null;
  /** `logEnd - archivedTo` (offsets not yet in a published file); null without `logEnd`. */
  lag: bigint | null;
}

export interface ArchiveProgress {
  recordsArchived: number;
  /** Offsets read per second since the last progress (records, and the few markers a transactional topic holds). */
  recordsPerSecond: number;
  partitions: ArchivePartitionProgress[];
}

export interface ArchiverEvents extends Record<string, unknown> {
  'partition-resumed': { topic: string; partition: number; nextOffset: bigint; files: number };
  'file-published': { entry: ArchiveFileEntry; reason: string };
  'file-discarded': { topic: string; partition: number; why: string };
  'retention-gap': { topic: string; partition: number; from: bigint; to: bigint };
  'foreign-file': { path: string; reason: string };
  'caught-up': { topics: string[] };
  progress: ArchiveProgress;
  'stopped': ArchiverSummary;
}

export interface ArchiverSummary {
  recordsArchived: number;
  filesPublished: number;
  eventTimeMissing: number;
  foreignFiles: number;
  retentionGaps: { topic: string; partition: number; from: bigint; to: bigint }[];
}

interface Slot {
  writer: PartitionWriter;
  /** Serializes everything done to one partition (batches, timer publishes, stop). */
  chain: Promise<void>;
  /** Where the partition stood when last seen making progress, and since when: a partition stalled below the log start is asked about. */
  stalled?: { at: number; offset: bigint };
}

/**
 * A partition that has read nothing for this long (with no file open) is checked against Kafka's log start: retention
 * may have deleted what it waits for, and a fetch reset to the log start brings no record that shows it. A caught-up
 * partition is asked too (one offsets request per topic); Kafka then confirms nothing and nothing changes.
 */
const STALL_CHECK_MS = 5000;

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Archiver extends EventEmitterOf<ArchiverEvents> {
  private readonly o: ArchiverOptions;
  private readonly eventTime: EventTimeDefinition;
  private readonly abort = new AbortController();
  private slots = new Map<string, Slot>();
  private targets = new Map<string, PartitionOffsets>();
  private timer: NodeJS.Timeout | null = null;
  private stopping: Promise<ArchiverSummary> | null = null;
  private finished!: (summary: ArchiverSummary) => void;
  private failed!: (err: Error) => void;
  private readonly done: Promise<ArchiverSummary>;
  private checkingDone = false;
  private recheck = false;
  private lastDoneCheck = 0;
  private readonly summary: ArchiverSummary = { recordsArchived: 0, filesPublished: 0, eventTimeMissing: 0, foreignFiles: 0, retentionGaps: [] };
  private readonly retired: PartitionWriter[] = [];
  private readonly logStarts = new Map<string, Promise<PartitionOffsets[]>>();
  private readonly now: () => number;
  private lastProgress: { at: number; read: bigint } | null = null;
  private reporting = false;

  constructor(options: ArchiverOptions) {
    super();
    if (options.topics.length === 0) throw new UsageError('--topic: give at least one topic to archive');
    for (const t of options.topics) validateTopicName(t, '--topic');
    validateRotation(options.rotation);
    this.o = options;
    this.now = options.now ?? Date.now;
    this.eventTime = typeof options.eventTime === 'string' ? parseEventTimeDefinition(options.eventTime) : options.eventTime;
    this.done = new Promise((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
    });
  }

  /** Runs until stop() or, with untilCaughtUp, until the archive reaches the offsets read at start; resolves with a summary. */
  async run(): Promise<ArchiverSummary> {
    let started = false;
    try {
      if (this.o.untilCaughtUp) {
        for (const topic of this.o.topics) {
          for (const p of await this.o.source.fetchOffsets(topic)) this.targets.set(key(topic, p.partition), p);
        }
        if (await this.archiveReachesTargets()) {
          log.info('the archive already holds everything up to the latest offsets', { topics: this.o.topics });
          this.emit('caught-up', { topics: this.o.topics });
          await this.o.source.close();
          return this.finalSummary();
        }
      }
      // stop() (a signal) during startup: the source is closed already, so nothing may be started.
      if (this.stopping) return await this.stopping;
      await this.o.source.start(this.o.topics, {
        onAssigned: (partitions) => this.onAssigned(partitions),
        onRevoking: () => this.onRevoking(),
        onBatch: (batch) => this.onBatch(batch),
        onFatal: (err) => this.failed(err),
      });
      started = true;
      const tick = Math.max(10, Math.min(1000, Math.floor(this.o.rotation.intervalMs / 4)));
      this.timer = setInterval(() => this.onTick(), tick);
      return await this.done;
    } catch (err) {
      const stoppedWhileStarting = !started && this.stopping !== null;
      // Any failure, also before consuming started (offsets, connect, subscribe): nothing unpublished may become visible,
      // and every client is closed, or its open sockets would keep the process alive long after the error was reported.
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      await this.o.source.stop().catch(() => {});
      for (const slot of this.slots.values()) {
        slot.writer.fenced = true;
        await this.serialize(slot, () => slot.writer.discard(`the archiver failed: ${(err as Error).message}`)).catch(() => {});
      }
      await this.o.source.close().catch(() => {});
      // A startup call cut short by stop() closing the source is the requested stop, not a failure.
      if (stoppedWhileStarting && this.stopping) return await this.stopping;
      throw err;
    } finally {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Stops consuming, publishes open files (or discards them when the partition may have moved), and ends run(). A second call aborts storage retries. */
  stop(): Promise<ArchiverSummary> {
    if (this.stopping) {
      this.abort.abort(new OxbowError('ABORTED', 'stopped while retrying storage'));
      return this.stopping;
    }
    this.stopping = (async () => {
      await this.o.source.stop();
      await Promise.all([...this.slots.values()].map((slot) => this.serialize(slot, async () => {
        if (!slot.writer.hasOpenFile) return;
        try {
          await this.afterPublish(slot.writer, await slot.writer.publish('shutdown'));
        } catch (err) {
          await slot.writer.discard(`could not publish at shutdown: ${(err as Error).message}`);
        }
      })));
      await this.o.source.close();
      const summary = this.finalSummary();
      this.emit('stopped', summary);
      this.finished(summary);
      return summary;
    })();
    this.stopping.catch((err: Error) => this.failed(err));
    return this.stopping;
  }

  /** Every writer of this run: those of partitions it still holds and those a rebalance retired. */
  private writers(): PartitionWriter[] {
    return [...this.retired, ...[...this.slots.values()].map((s) => s.writer)];
  }

  private recordsArchived(): number {
    return this.writers().reduce((n, w) => n + w.recordsArchived, 0);
  }

  private finalSummary(): ArchiverSummary {
    const writers = this.writers();
    this.summary.recordsArchived = this.recordsArchived();
    this.summary.eventTimeMissing = writers.reduce((n, w) => n + w.eventTimeMissing, 0);
    return { ...this.summary, retentionGaps: [...this.summary.retentionGaps] };
  }

  private serialize(slot: Slot, fn: () => Promise<void>): Promise<void> {
    const next = slot.chain.then(fn);
    slot.chain = next.catch(() => {});
    return next;
  }

  private newWriter(topic: string, partition: number): PartitionWriter {
    return new PartitionWriter({
      fs: this.o.fs, root: this.o.root, topic, partition, format: this.o.format, formats: this.o.formats,
      rotation: this.o.rotation, eventTime: this.eventTime, signal: this.abort.signal, storageRetry: this.o.storageRetry,
      onRetentionGap: this.o.onRetentionGap, logStartOffset: () => this.logStartOffset(topic, partition),
    });
  }

  /**
   * Kafka's log start of a partition, asked now. Partitions asking while a question about their topic is under way
   * share its answer (a join positions them all at once); an answer is never reused after it arrived.
   */
  private async logStartOffset(topic: string, partition: number): Promise<bigint> {
    let asked = this.logStarts.get(topic);
    if (!asked) {
      asked = this.o.source.fetchOffsets(topic).finally(() => this.logStarts.delete(topic));
      this.logStarts.set(topic, asked);
    }
    const p = (await asked).find((o) => o.partition === partition);
    if (!p) throw new OxbowError('KAFKA', `Kafka reports no partition ${partition} of topic ${topic}`);
    return p.earliest;
  }

  private retire(slot: Slot, why: string): void {
    slot.writer.fenced = true;
    this.retired.push(slot.writer);
    void this.serialize(slot, () => slot.writer.discard(why));
  }

  private onRevoking(): void {
    // Fence first, synchronously: from now on no file of the old assignment can become visible.
    for (const slot of this.slots.values()) slot.writer.fenced = true;
  }

  private onAssigned(partitions: TopicPartition[]): void {
    const old = this.slots;
    this.slots = new Map();
    // A (re)join voids all state: even a partition we keep may have been written by another member in between.
    for (const slot of old.values()) this.retire(slot, 'the group was rebalanced');
    for (const { topic, partition } of partitions) {
      const slot: Slot = { writer: this.newWriter(topic, partition), chain: Promise.resolve() };
      this.slots.set(key(topic, partition), slot);
      void this.serialize(slot, () => this.position(slot));
    }
    log.info('partitions assigned', { partitions: partitions.map((p) => `${p.topic}/${p.partition}`).join(',') || '(none)' });
  }

  /**
   * Positions a newly assigned partition before anything of it is fetched: where the archive ends, read from the files,
   * whatever the group's committed offset says (it may be ahead: another archive location, files deleted).
   */
  private async position(slot: Slot): Promise<void> {
    const w = slot.writer;
    if (this.stopping || w.fenced) return;
    try {
      await w.init();
    } catch (err) {
      if (w.fenced || this.stopping) return;
      this.failed(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    for (const f of w.foreign) this.emit('foreign-file', f);
    this.summary.foreignFiles += w.foreign.length;
    this.emit('partition-resumed', { topic: w.topic, partition: w.partition, nextOffset: w.archiveEnd, files: w.fileCount });
    if (w.fenced || this.stopping || this.slots.get(key(w.topic, w.partition)) !== slot) return;
    try {
      // Retention may have deleted offsets the archive lacks while nothing was running: no fetch would ever show it.
      if (!(await this.apply(w, await w.checkLogStart()))) return;
    } catch (err) {
      await this.recover(w, err);
      return;
    }
    w.positioned = true;
    this.o.source.seek(w.topic, w.partition, w.nextExpected);
    if (this.o.untilCaughtUp) void this.checkDone(false);
  }

  /** Emits `progress`: every partition's position, Kafka's log ends (asked now) and the lag to them. */
  private async reportProgress(): Promise<void> {
    const writers = [...this.slots.values()].map((s) => s.writer).filter((w) => w.isInitialized);
    const ends = new Map<string, bigint>();
    for (const topic of new Set(writers.map((w) => w.topic))) {
      try {
        for (const p of await this.o.source.fetchOffsets(topic)) ends.set(key(topic, p.partition), p.latest);
      } catch {
        // Kafka not answering now: the positions are still worth showing, without lag.
      }
    }
    const at = this.now();
    const read = writers.reduce((n, w) => n + w.nextExpected, 0n);
    const last = this.lastProgress;
    this.lastProgress = { at, read };
    const elapsed = last === null ? 0 : at - last.at;
    this.emit('progress', {
      recordsArchived: this.recordsArchived(),
      recordsPerSecond: last === null || elapsed <= 0 ? 0 : Math.max(0, Math.round((Number(read - last.read) * 1000) / elapsed)),
      partitions: writers.map((w) => {
        const logEnd = ends.get(key(w.topic, w.partition)) ?? null;
        return { topic: w.topic, partition: w.partition, archivedTo: w.archiveEnd, readTo: w.nextExpected, logEnd, lag: logEnd === null ? null : logEnd > w.archiveEnd ? logEnd - w.archiveEnd : 0n };
      }),
    });
  }

  private async onBatch(batch: SourceBatch): Promise<void> {
    // Only partitions of the current assignment: a batch of one this member no longer owns is another member's to archive.
    const slot = this.slots.get(key(batch.topic, batch.partition));
    if (!slot) return;
    await this.serialize(slot, () => this.processBatch(slot.writer, batch));
  }

  private async processBatch(w: PartitionWriter, batch: SourceBatch): Promise<void> {
    if (this.stopping || w.fenced) return;
    try {
      const outcome = await w.handleBatch(batch);
      paceHeap();
      if (!(await this.apply(w, outcome))) return;
      if (outcome.seekTo !== null) {
        this.o.source.seek(w.topic, w.partition, outcome.seekTo);
        return;
      }
      const target = this.targets.get(key(w.topic, w.partition));
      if (this.o.untilCaughtUp && target && w.nextExpected >= target.latest && w.hasOpenFile) {
        await this.afterPublish(w, await w.publish('caught-up'));
        this.lastDoneCheck = 0;
      }
    } catch (err) {
      await this.recover(w, err);
    }
    if (this.o.untilCaughtUp) void this.checkDone(false);
  }

  /**
   * What a partition reports after a batch or its positioning: published files are announced (and their group offsets
   * committed), a retention gap is recorded and, under `fail`, ends the run. False when the run failed.
   */
  private async apply(w: PartitionWriter, outcome: BatchOutcome): Promise<boolean> {
    for (const p of outcome.published) await this.afterPublish(w, p);
    if (!outcome.gap) return true;
    const gap = { topic: w.topic, partition: w.partition, ...outcome.gap };
    this.summary.retentionGaps.push(gap);
    this.emit('retention-gap', gap);
    if ((this.o.onRetentionGap ?? 'fail') === 'fail') {
      this.failed(new OffsetGapError(w.topic, w.partition, gap.from, gap.to,
        `topic ${w.topic} partition ${w.partition}: offsets ${gap.from}..${gap.to} were deleted by Kafka's retention before they were archived (the files archived before them are kept); rerun with --on-retention-gap skip to archive on after them and record the gap`));
      return false;
    }
    log.warn('Kafka deleted offsets the archive lacks (retention); archiving on after them (--on-retention-gap skip)', gap);
    return true;
  }

  /**
   * A failed partition drops its unpublished file and refetches from the archive's end after a pause; nothing unpublished
   * is committed. What retrying cannot mend (no permission, a bad option, a client that ignores seeks) stops the archiver.
   */
  private async recover(w: PartitionWriter, err: unknown): Promise<void> {
    if (!(err instanceof OxbowError) || err instanceof PermissionError || err instanceof UsageError || err instanceof SourceStuckError) {
      this.failed(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const conflict = err instanceof PartitionConflict;
    log.warn(conflict ? err.message : 'archiving a partition failed; refetching from the archive end', { topic: w.topic, partition: w.partition, error: err.message });
    await w.discard(err.message);
    this.emit('file-discarded', { topic: w.topic, partition: w.partition, why: err.message });
    try {
      if (conflict) await w.init();
    } catch (initErr) {
      log.warn('could not reload the partition', { topic: w.topic, partition: w.partition, error: (initErr as Error).message });
    }
    if (w.fenced) return;
    this.o.source.seek(w.topic, w.partition, w.archiveEnd);
    // The pause a failed storage call earns, with the storage policy's own sleep (tests inject theirs); a stop ends it.
    if (!conflict) await (this.o.storageRetry?.sleep ?? abortableSleep)(RECOVER_PAUSE_MS, this.abort.signal).catch(() => {});
  }

  private async afterPublish(w: PartitionWriter, published: PublishedFile | null): Promise<void> {
    if (!published) return;
    this.summary.filesPublished++;
    this.emit('file-published', { entry: published.entry, reason: published.reason });
    try {
      await this.o.source.commit(w.topic, w.partition, published.entry.nextOffset);
    } catch (err) {
      // Group offsets are for lag monitoring only; the archive already says where to resume.
      log.debug('could not commit the group offset', { topic: w.topic, partition: w.partition, error: (err as Error).message });
    }
  }

  /**
   * Partitions that read nothing for STALL_CHECK_MS, with no open file, are checked against Kafka's log start, as at
   * positioning: offsets retention deleted after the archiver positioned are a retention gap (or, with nothing archived
   * yet, where the archive begins), never an endless wait for records Kafka no longer has.
   */
  private checkStalled(): void {
    const now = this.now();
    for (const slot of this.slots.values()) {
      const w = slot.writer;
      if (!w.positioned || w.fenced || w.hasOpenFile || this.stopping) {
        slot.stalled = undefined;
        continue;
      }
      if (slot.stalled === undefined || slot.stalled.offset !== w.nextExpected) {
        slot.stalled = { at: now, offset: w.nextExpected };
        continue;
      }
      if (now - slot.stalled.at < STALL_CHECK_MS) continue;
      slot.stalled = { at: now, offset: w.nextExpected };
      void this.serialize(slot, async () => {
        if (w.fenced || this.stopping || w.hasOpenFile) return;
        try {
          const before = w.nextExpected;
          const outcome = await w.checkLogStart();
          if (!(await this.apply(w, outcome))) return;
          // Only a jump moves the fetch; a partition that simply read on meanwhile is left where it is.
          if (outcome.seekTo !== null || w.nextExpected !== before) this.o.source.seek(w.topic, w.partition, outcome.seekTo ?? w.nextExpected);
        } catch (err) {
          await this.recover(w, err);
        }
      });
    }
  }

  private onTick(): void {
    for (const slot of this.slots.values()) {
      const w = slot.writer;
      if (!w.dueByTime()) continue;
      void this.serialize(slot, async () => {
        const reason = w.dueByTime();
        if (!reason || w.fenced || this.stopping) return;
        try {
          await this.afterPublish(w, await w.publish(reason));
        } catch (err) {
          await this.recover(w, err);
        }
      });
    }
    this.checkStalled();
    if (this.o.untilCaughtUp) void this.checkDone(false);
    const every = this.o.progressIntervalMs ?? 10_000;
    if (every > 0 && !this.reporting && (this.lastProgress === null || this.now() - this.lastProgress.at >= every)) {
      this.reporting = true;
      void this.reportProgress().finally(() => { this.reporting = false; });
    }
  }

  /**
   * True when every partition's archive is settled up to the latest offset read at start: archived, or known to hold no
   * data (markers), or a recorded retention gap. A partition with no files whose log Kafka emptied holds nothing to archive.
   */
  private async archiveReachesTargets(): Promise<boolean> {
    for (const [k, target] of this.targets) {
      const [topic, p] = k.split('\u0000') as [string, string];
      const slot = this.slots.get(k);
      let end: bigint;
      let files: number;
      if (slot?.writer.isInitialized && slot.writer.positioned && !slot.writer.fenced) {
        end = slot.writer.settledEnd;
        files = slot.writer.fileCount;
      } else {
        const listing = await loadPartitionIndex(this.o.fs, this.o.root, topic, Number(p), this.o.formats);
        assertOneClock(topic, Number(p), listing.entries, this.eventTime, this.o.eventTimeGiven ?? false);
        end = listing.entries.reduce((max, e) => (e.nextOffset > max ? e.nextOffset : max), 0n);
        files = listing.entries.length;
      }
      if (end >= target.latest || (files === 0 && target.earliest >= target.latest)) continue;
      return false;
    }
    return true;
  }

  private async checkDone(force: boolean): Promise<void> {
    const now = Date.now();
    if (this.checkingDone) {
      // A partition finished while another check ran: check again right after it, not a tick later.
      this.recheck = true;
      return;
    }
    if (this.stopping || (!force && now - this.lastDoneCheck < 250)) return;
    this.checkingDone = true;
    this.lastDoneCheck = now;
    try {
      if (await this.archiveReachesTargets()) {
        log.info('caught up with the latest offsets read at start', { topics: this.o.topics });
        this.emit('caught-up', { topics: this.o.topics });
        void this.stop();
      }
    } catch (err) {
      log.debug('could not check progress', { error: (err as Error).message });
    } finally {
      this.checkingDone = false;
      if (this.recheck) {
        this.recheck = false;
        void this.checkDone(true);
      }
    }
  }
}
