// The hybrid source: each partition's archive in offset order, all partitions aligned in event time, watermarks at file
// boundaries, then an exact per-partition switch to Kafka at the archive's next offset.

import { CorruptFileError, EventTimeMismatchError, OffsetGapError } from '../errors.js';
import { getLogger } from '../logger.js';
import { alignedOrder } from './aligned-order.js';
import { planPartitionFiles, remainingMinEventTimes, type PartitionPlan } from './file-plan.js';
import { paceHeap } from '../heap-pacer.js';
import { retry, STORAGE_RETRY, type RetryOptions } from '../retry.js';
import { prefetchFiles } from './prefetch-reader.js';
import type { ArchiveCatalog, LiveBatch, LiveReader, SourceRecord } from './types.js';
import { confirmationInterval, WatermarkTracker, type WatermarkSnapshot } from './watermarks.js';

const log = getLogger('source');

export type GapPolicy = 'error' | 'warn';
export type CorruptPolicy = 'error' | 'skip';

/** Where a partition stands: the next offset to read and where that offset is read from. */
export interface SourcePosition {
  partition: number;
  source: 'archive' | 'kafka';
  /** null: nothing read yet (start at the archive's first offset, or Kafka's earliest when the archive is empty). */
  nextOffset: bigint | null;
}

/** What the source needs of a decoded record: its event time (for watermarks). A string is why the record is bad. */
export interface Timed {
  ts: number;
}

export interface HybridSourceOptions<D extends Timed = Timed> {
  topic: string;
  partitions: readonly number[];
  archive: ArchiveCatalog | null;
  /** null: replay the archive alone; every partition finishes when its archive is exhausted. */
  live: LiveReader | null;
  /** Restored positions (from a savepoint); partitions missing here start from the beginning. */
  positions?: ReadonlyMap<number, bigint | null>;
  watermarks?: WatermarkSnapshot;
  boundMs: number;
  idleTimeoutMs?: number;
  prefetch?: number;
  onGap?: GapPolicy;
  onCorrupt?: CorruptPolicy;
  /** Stop once every partition has reached the end offsets Kafka had when it switched. */
  stopAtLive?: boolean;
  /**
   * Turns each record into what the job consumes, once: its event time moves the watermark; a string (why the record
   * cannot be used) moves nothing. `phase` says whether the record came from the archive or from Kafka.
   */
  decode: (record: SourceRecord, phase: 'archive' | 'kafka') => D | string;
  /**
   * The job's event-time definition (`ts`, `kafka-timestamp`): archive files that record another are refused before
   * any is read, since their order and file-boundary watermarks are in that other clock.
   */
  eventTime: string;
  /** Records without a stored event time are timed by their Kafka timestamp when files are ordered (PlanOptions.untimedFirst). */
  untimedFirst?: boolean;
  /** The option that sets `eventTime`, for messages. Default `--event-time`. */
  eventTimeOption?: string;
  /** How a retriable storage failure (listing or reading the archive) is retried before the replay stops. Default STORAGE_RETRY. */
  storageRetry?: RetryOptions;
  /** How long one live poll waits before reporting idleness. Default 500 ms. */
  pollMs?: number;
  signal?: AbortSignal;
  now?: () => number;
}

export type SourceStep<D extends Timed = Timed> =
  | { kind: 'records'; partition: number; phase: 'archive' | 'kafka'; records: SourceRecord[]; decoded: (D | string)[] }
  | { kind: 'file-done'; partition: number; path: string }
  | { kind: 'watermark'; watermark: number }
  // `topic` is set by a source that reads two topics (merged-source.ts) on the steps of its second one.
  | { kind: 'switch'; partition: number; offset: bigint; endOffset: bigint; pauseMs: number; topic?: string }
  | { kind: 'gap'; partition: number; from: bigint; to: bigint; where: 'archive' | 'kafka'; topic?: string }
  | { kind: 'corrupt'; partition: number; path: string; message: string; topic?: string }
  | { kind: 'finished'; partition: number }
  | { kind: 'idle' };

export interface SourceStats {
  filesTotal: number;
  filesDone: number;
  recordsArchive: number;
  recordsKafka: number;
  duplicatesSkipped: number;
  gapOffsetsSkipped: bigint;
  corruptFilesSkipped: number;
  /** Per partition: ms from the archive's end to its first Kafka records (or to its switch when it had nothing to read). */
  switchPauseMs: number[];
}

export class HybridSource<D extends Timed = Timed> {
  readonly watermarks: WatermarkTracker;
  readonly stats: SourceStats = { filesTotal: 0, filesDone: 0, recordsArchive: 0, recordsKafka: 0, duplicatesSkipped: 0, gapOffsetsSkipped: 0n, corruptFilesSkipped: 0, switchPauseMs: [] };
  private readonly position = new Map<number, SourcePosition>();
  /** Where each live partition's reading continues, markers included: what Kafka's log end is compared with. */
  private readonly readTo = new Map<number, bigint>();
  private caughtUpQuestion: Promise<void> | null = null;
  private lastCaughtUpQuestion = Number.NEGATIVE_INFINITY;
  private readonly endOffsets = new Map<number, bigint>();
  private lastWatermark = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: HybridSourceOptions<D>) {
    if (options.partitions.length === 0) throw new RangeError('hybrid source: no partitions to read');
    this.now = options.now ?? Date.now;
    this.watermarks = new WatermarkTracker(options.partitions, options.boundMs, options.idleTimeoutMs ?? Number.POSITIVE_INFINITY, this.now);
    if (options.watermarks) this.watermarks.restore(options.watermarks);
    this.lastWatermark = this.watermarks.jobWatermark();
    for (const p of options.partitions) {
      this.position.set(p, { partition: p, source: 'archive', nextOffset: options.positions?.get(p) ?? null });
    }
  }

  /** Current positions: what a checkpoint taken now (between steps) must record. */
  positions(): SourcePosition[] {
    return [...this.position.values()].map((p) => ({ ...p }));
  }

  /** End offsets Kafka had at each partition's switch (the --stop-at-live targets). */
  liveEndOffsets(): ReadonlyMap<number, bigint> {
    return this.endOffsets;
  }

  private gap(partition: number, from: bigint, to: bigint, where: 'archive' | 'kafka'): SourceStep<D> {
    const o = this.options;
    const what = where === 'archive'
      ? `the archive ${o.archive?.description ?? ''} has no file for them`
      : 'Kafka no longer holds them (retention) and the archive does not either';
    if ((o.onGap ?? 'error') === 'error') {
      throw new OffsetGapError(o.topic, partition, from, to,
        `topic ${o.topic} partition ${partition}: offsets ${from}..${to} are missing: ${what}; rerun with --on-gap warn to skip them and report the skip`);
    }
    this.stats.gapOffsetsSkipped += to - from + 1n;
    return { kind: 'gap', partition, from, to, where };
  }

  private *maybeWatermark(): Generator<SourceStep<D>> {
    const wm = this.watermarks.jobWatermark();
    if (wm > this.lastWatermark) {
      this.lastWatermark = wm;
      if (log.enabled('debug')) {
        const parts = this.watermarks.view().map((s) => `${s.partition}:${s.phase}${this.watermarks.isIdle(s) ? '(idle)' : ''}@${s.watermark}`).join(' ');
        log.debug('job watermark', { watermark: wm, partitions: parts });
      }
      yield { kind: 'watermark', watermark: wm };
    }
  }

  private stopped(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  async *steps(): AsyncGenerator<SourceStep<D>> {
    const o = this.options;
    const active = [...o.partitions];
    if (o.archive) {
      // Archive rounds: read what the index lists; when all is read, list again (the archiver may have published more).
      // A later round lists only a partition whose file names show a range reaching past what was read.
      const storageRetry = (what: string, p: number): RetryOptions => ({
        ...(o.storageRetry ?? STORAGE_RETRY),
        onRetry: ({ error, attempt, delayMs }) => log.warn(`${what} failed; retrying`, { partition: p, attempt, delayMs, error: (error as Error).message }),
      });
      for (let round = 0; ; round++) {
        const plans: PartitionPlan[] = [];
        for (const p of active) {
          const pos = this.position.get(p)!;
          const archive = o.archive;
          const from = pos.nextOffset;
          if (round > 0 && from !== null && archive.holdsFilesFrom
            && !(await retry(() => archive.holdsFilesFrom!(p, from), storageRetry('listing the archive\'s file names', p)))) continue;
          const files = await retry(() => archive.listFiles(p), storageRetry('listing the archive', p));
          // A year of files is megabytes of index and folder listing that is garbage once the plan holds what it needs.
          paceHeap(true);
          const other = files.find((f) => f.eventTime !== null && f.eventTime !== o.eventTime);
          if (other) {
            const option = o.eventTimeOption ?? '--event-time';
            throw new EventTimeMismatchError(`the archive ${o.archive.description} was written with --event-time ${other.eventTime} (e.g. ${other.path}); this job reads ${option} ${o.eventTime}. Pass ${option} ${other.eventTime}, or leave ${option} out to use the archive's own`);
          }
          const plan = planPartitionFiles(p, files, pos.nextOffset, { untimedFirst: o.untimedFirst ?? false });
          for (const g of plan.gaps) yield this.gap(p, g.range.from, g.range.to, 'archive');
          if (plan.files.length > 0) plans.push(plan);
          else if (pos.nextOffset === null && plan.nextOffset !== 0n) pos.nextOffset = plan.nextOffset;
        }
        if (plans.length === 0) break;
        const remaining = new Map(plans.map((plan) => [plan.partition, remainingMinEventTimes(plan)]));
        for (const plan of plans) this.stats.filesTotal += plan.files.length;
        for await (const loaded of prefetchFiles(o.archive, alignedOrder(plans), o.prefetch ?? 2, o.storageRetry ?? STORAGE_RETRY)) {
          if (this.stopped()) return;
          const { scheduled } = loaded;
          const p = scheduled.partition;
          const pos = this.position.get(p)!;
          pos.source = 'archive';
          if (loaded.error !== undefined) {
            const message = loaded.error instanceof Error ? loaded.error.message : String(loaded.error);
            if ((o.onCorrupt ?? 'error') === 'error' || !(loaded.error instanceof CorruptFileError)) throw loaded.error;
            this.stats.corruptFilesSkipped++;
            yield { kind: 'corrupt', partition: p, path: scheduled.file.path, message };
          } else {
            for (const batch of loaded.batches) {
              // A file's records come in increasing offset order (the reader refuses a file whose do not), so those
              // already read (below the plan's start or the position) are a prefix: the rest are taken without
              // comparing each one's offset.
              const below = pos.nextOffset !== null && pos.nextOffset > scheduled.skipBelow ? pos.nextOffset : scheduled.skipBelow;
              let from = 0;
              while (from < batch.length && batch[from]!.offset < below) from++;
              this.stats.duplicatesSkipped += from;
              if (from === batch.length) continue;
              const fresh: SourceRecord[] = from === 0 ? batch : batch.slice(from);
              const { decoded } = this.decodeBatch(p, fresh, 'archive');
              pos.nextOffset = fresh[fresh.length - 1]!.offset + 1n;
              this.stats.recordsArchive += fresh.length;
              yield { kind: 'records', partition: p, phase: 'archive', records: fresh, decoded };
              if (this.stopped()) return;
            }
          }
          // The file's own next offset, not last offset + 1: offsets are not contiguous on compacted or transactional topics.
          pos.nextOffset = scheduled.file.nextOffset;
          this.stats.filesDone++;
          this.watermarks.archiveFileDone(p, remaining.get(p)![scheduled.index + 1]!);
          yield { kind: 'file-done', partition: p, path: scheduled.file.path };
          yield* this.maybeWatermark();
        }
      }
    }
    if (!o.live) {
      for (const p of active) {
        this.watermarks.finish(p);
        yield { kind: 'finished', partition: p };
      }
      yield* this.maybeWatermark();
      return;
    }
    try {
      yield* this.live(o.live, active);
    } finally {
      await o.live.close();
    }
  }

  private async *live(live: LiveReader, partitions: number[]): AsyncGenerator<SourceStep<D>> {
    const o = this.options;
    const switchStart = this.now();
    const [earliest, latest] = await Promise.all([live.earliestOffsets(partitions), live.latestOffsets(partitions)]);
    const starts = new Map<number, bigint>();
    const reading = new Set<number>();
    const firstLive = new Set<number>();
    for (const p of partitions) {
      const pos = this.position.get(p)!;
      const first = earliest.get(p) ?? 0n;
      const end = latest.get(p) ?? first;
      let start = pos.nextOffset ?? first;
      if (start < first) {
        yield this.gap(p, start, first - 1n, 'kafka');
        start = first;
      }
      pos.source = 'kafka';
      pos.nextOffset = start;
      starts.set(p, start);
      this.endOffsets.set(p, end);
      this.watermarks.switchToKafka(p);
      const pauseMs = this.now() - switchStart;
      yield { kind: 'switch', partition: p, offset: start, endOffset: end, pauseMs };
      if (o.stopAtLive && start >= end) {
        this.stats.switchPauseMs.push(pauseMs);
        this.watermarks.finish(p);
        yield { kind: 'finished', partition: p };
      } else {
        reading.add(p);
      }
    }
    yield* this.maybeWatermark();
    if (reading.size === 0) return;
    await live.start(new Map([...starts].filter(([p]) => reading.has(p))));
    for (const [p, start] of starts) this.readTo.set(p, start);
    try {
      while (reading.size > 0 && !this.stopped()) {
        this.askCaughtUp(live, reading);
        const batch = await live.next(o.pollMs ?? 500);
        if (this.stopped()) return;
        yield* this.liveBatch(live, batch, reading, firstLive, switchStart);
      }
    } finally {
      // A question still under way must not outlive the source (its answer would touch a finished tracker).
      await this.caughtUpQuestion;
    }
  }

  /**
   * Asks Kafka, at most once per interval and never twice at once, where the live partitions' logs end; each partition
   * read up to there is confirmed caught up (as of the answer), any other is not. Failed questions confirm nothing:
   * during an outage no partition becomes idle, so a partition whose backlog arrives first cannot run the watermark
   * ahead of the others.
   */
  private askCaughtUp(live: LiveReader, reading: ReadonlySet<number>): void {
    const now = this.now();
    if (this.caughtUpQuestion !== null || now - this.lastCaughtUpQuestion < confirmationInterval(this.options.idleTimeoutMs ?? Number.POSITIVE_INFINITY)) return;
    this.lastCaughtUpQuestion = now;
    const partitions = [...reading];
    this.caughtUpQuestion = live.latestOffsets(partitions).then((ends) => {
      // The answer is a fact as of now, when it arrived (a question asked during an outage may be answered minutes later).
      const answered = this.now();
      for (const p of partitions) {
        const end = ends.get(p);
        if (end !== undefined && (this.readTo.get(p) ?? -1n) >= end) this.watermarks.confirmCaughtUp(p, answered);
        else this.watermarks.notCaughtUp(p);
      }
    }, (err: unknown) => {
      for (const p of partitions) this.watermarks.notCaughtUp(p);
      log.debug('Kafka did not say where its logs end; no partition is confirmed caught up', { error: (err as Error).message });
    }).finally(() => {
      this.caughtUpQuestion = null;
    });
  }

  /**
   * A batch's records of partition `p` decoded for `phase`; the watermark tracker hears of the batch's newest event
   * time once, not of every event's (`observed`: some record had one).
   */
  private decodeBatch(p: number, records: readonly SourceRecord[], phase: 'archive' | 'kafka'): { decoded: (D | string)[]; observed: boolean } {
    const decoded = new Array<D | string>(records.length);
    let newest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < records.length; i++) {
      const d = this.options.decode(records[i]!, phase);
      decoded[i] = d;
      if (typeof d !== 'string' && d.ts > newest) newest = d.ts;
    }
    const observed = newest !== Number.NEGATIVE_INFINITY;
    if (observed) this.watermarks.observe(p, newest);
    return { decoded, observed };
  }

  private *liveBatch(live: LiveReader, batch: LiveBatch | null, reading: Set<number>, firstLive: Set<number>, switchStart: number): Generator<SourceStep<D>> {
    const o = this.options;
    // Confirmations that arrived while waiting count before this batch's records are observed: an idle partition must
    // have been confirmed after the newest record read, so this is the moment the watermark can pass over it.
    yield* this.maybeWatermark();
    if (batch === null || !reading.has(batch.partition)) {
      yield { kind: 'idle' };
      return;
    }
    const p = batch.partition;
    const pos = this.position.get(p)!;
    const end = this.endOffsets.get(p)!;
    // Records come in offset order. Those before the position were already read (a fetch in flight while seeking);
    // those past the stop target are not ours. Both are found at the ends, so the records between are taken without
    // reading each one's offset (a BigInt).
    const records = batch.records;
    let from = 0;
    let to = records.length;
    if (pos.nextOffset !== null) while (from < to && records[from]!.offset < pos.nextOffset) from++;
    this.stats.duplicatesSkipped += from;
    if (o.stopAtLive) while (to > from && records[to - 1]!.offset >= end) to--;
    const fresh: SourceRecord[] = from === 0 && to === records.length ? records : records.slice(from, to);
    const { decoded, observed } = this.decodeBatch(p, fresh, 'kafka');
    // Records without a usable time still show the partition is active.
    if (!observed && fresh.length > 0) this.watermarks.touch(p);
    const last = records[records.length - 1];
    const readTo = batch.nextOffset ?? (last !== undefined ? last.offset + 1n : undefined);
    if (readTo !== undefined && readTo > (this.readTo.get(p) ?? -1n)) this.readTo.set(p, readTo);
    if (fresh.length > 0) {
      // The switch pause: from the archive's end to this partition's first records from Kafka.
      if (!firstLive.has(p)) {
        firstLive.add(p);
        this.stats.switchPauseMs.push(this.now() - switchStart);
      }
      pos.nextOffset = fresh[fresh.length - 1]!.offset + 1n;
      this.stats.recordsKafka += fresh.length;
      this.watermarks.liveProgress(p);
      yield { kind: 'records', partition: p, phase: 'kafka', records: fresh, decoded };
    }
    if (o.stopAtLive && (pos.nextOffset! >= end || (readTo !== undefined && readTo >= end))) {
      if (pos.nextOffset! < end) pos.nextOffset = end;
      reading.delete(p);
      live.pause(p);
      this.watermarks.finish(p);
      yield { kind: 'finished', partition: p };
    }
    yield* this.maybeWatermark();
  }
}
