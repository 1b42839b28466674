// One partition's archiving: resume from the committed files, write one temp file, publish it by rename, keep the index.

import { randomUUID } from 'node:crypto';
import { joinPath, type ArchiveFs } from '../archive-fs.js';
import { AlreadyExistsError, NotFoundError, PartitionConflict, SourceStuckError, UsageError } from '../errors.js';
import { getLogger } from '../logger.js';
import { retry, STORAGE_RETRY, type RetryOptions } from '../retry.js';
import type { SourceBatch } from './archive-source.js';
import { type EventTimeDefinition, type EventTimeExtractor, eventTimeExtractor } from '../event-time.js';
import { committedFilePath, isLegacyOwnTempName, legacyTempPartitionDir, parseFileName, partitionDir, tempPartitionDir } from './file-name.js';
import { type ArchiveFileEntry, type FormatRegistry, type ForeignFile, loadPartitionIndex, writePartitionIndex } from './partition-index.js';
import { type ArchivedRecord, type ArchiveFileWriter, type ArchiveFormat, MetadataAccumulator } from './record.js';
import { type RotationPolicy, type RotationReason, rotationDue } from './rotation.js';

const log = getLogger('archiver');

export interface PartitionWriterOptions {
  fs: ArchiveFs;
  root: string;
  topic: string;
  partition: number;
  format: ArchiveFormat;
  formats: FormatRegistry;
  rotation: RotationPolicy;
  /** The event-time definition: each record's time is read by it, and each file records it. */
  eventTime: EventTimeDefinition;
  /**
   * The user named the definition (it is not the default). Files of oxbow 0.1 did not record theirs (its default was
   * kafka-timestamp): an archive holding such files is continued only under a definition the user named.
   */
  eventTimeGiven?: boolean;
  /** Aborts storage retries at shutdown. */
  signal: AbortSignal;
  /** How storage calls are retried before the failure reaches the caller. Default ARCHIVER_STORAGE_RETRY. */
  storageRetry?: RetryOptions;
  /** Kafka's log start offset of this partition, asked now: the only evidence that offsets were deleted by retention. */
  logStartOffset: () => Promise<bigint>;
  /** Offsets Kafka deleted before they were archived: stop (`fail`, the default) or archive on after them (`skip`). */
  onRetentionGap?: RetentionGapPolicy;
  now?: () => number;
}

export type RetentionGapPolicy = 'fail' | 'skip';

/** Batches dropped in a row without progress before the partition is declared stuck (the client ignores our seeks). */
const MAX_STALE_BATCHES = 100;

export interface PublishedFile {
  entry: ArchiveFileEntry;
  reason: RotationReason;
}

/** What the partition asks of the consumer after a batch. */
export interface BatchOutcome {
  /** Fetch again from this offset (where the archive continues), ignoring the batch. */
  seekTo: bigint | null;
  published: PublishedFile[];
  /** Offsets Kafka deleted (its log start is above them) that the archive lacks. Under `fail` the batch was not taken. */
  gap: { from: bigint; to: bigint } | null;
}

/** The archiver's storage policy: STORAGE_RETRY's waits, kept up for hours, since the archive is the only copy. */
export const ARCHIVER_STORAGE_RETRY: Readonly<RetryOptions> = Object.freeze({ ...STORAGE_RETRY, retries: 1000 });

interface OpenFile {
  tempPath: string;
  writer: ArchiveFileWriter;
  acc: MetadataAccumulator;
  rangeStart: bigint;
  openedAt: number;
}

/**
 * One archive, one clock: files in another event time would give replay file order and watermarks in two clocks.
 * Files of oxbow 0.1 did not record their definition (its default was kafka-timestamp): an archive holding them is
 * continued only under a definition the user named.
 */
export function assertOneClock(topic: string, partition: number, entries: readonly ArchiveFileEntry[], eventTime: EventTimeDefinition, given: boolean): void {
  const other = entries.find((e) => e.eventTime !== null && e.eventTime !== eventTime.text);
  if (other) {
    throw new UsageError(`${topic}/${partition}: the archive's files were written with --event-time ${other.eventTime} (e.g. ${other.name}), this run uses --event-time ${eventTime.text}; pass --event-time ${other.eventTime}, or archive into another --archive root`);
  }
  const unrecorded = entries.find((e) => e.eventTime === null);
  if (unrecorded && !given) {
    throw new UsageError(`${topic}/${partition}: the archive's files do not record their event-time definition (written by oxbow 0.1, whose default was kafka-timestamp; e.g. ${unrecorded.name}); name the one they were written with: --event-time kafka-timestamp, or the field you gave then`);
  }
}

export class PartitionWriter {
  readonly topic: string;
  readonly partition: number;
  private readonly o: PartitionWriterOptions;
  private readonly now: () => number;
  private entries: ArchiveFileEntry[] = [];
  /** The archive's end: the highest nextOffset of the committed files (0 for an empty archive). */
  private committedNext = 0n;
  /** Where the next file's range starts: the archive's end, unless the fetch jumped a retention gap. */
  private rangeStart = 0n;
  /** The next offset the archive needs: a batch continues the archive only when it was fetched from here. */
  private expectedNext = 0n;
  private open: OpenFile | null = null;
  private initialized = false;
  /** A batch that held only markers or aborted records, seen above the expected offset (its fetch offset unknown). */
  private unexplained: { first: bigint; next: bigint } | null = null;
  /** Batches dropped in a row (fetched from elsewhere than the expected offset). */
  private staleBatches = 0;
  /** Set when a rebalance starts: nothing may be published any more. */
  fenced = false;
  /** Set once the consumer was told where this partition continues; batches before that are not ours to judge. */
  positioned = false;
  foreign: ForeignFile[] = [];
  /** Records and records without event time in the files this writer published (never counts discarded ones). */
  eventTimeMissing = 0;
  recordsArchived = 0;

  private readonly extractEventTime: EventTimeExtractor;

  constructor(options: PartitionWriterOptions) {
    this.o = options;
    this.extractEventTime = eventTimeExtractor(options.eventTime);
    this.topic = options.topic;
    this.partition = options.partition;
    this.now = options.now ?? Date.now;
  }

  get archiveEnd(): bigint {
    return this.committedNext;
  }

  get fileCount(): number {
    return this.entries.length;
  }

  get isInitialized(): boolean {
    return this.initialized;
  }

  get hasOpenFile(): boolean {
    return this.open !== null;
  }

  get nextExpected(): bigint {
    return this.expectedNext;
  }

  /**
   * Everything below this offset is settled: in a published file, known to hold no data (markers, compaction), or a
   * recorded retention gap. Records in the open file are not settled until it is published.
   */
  get settledEnd(): bigint {
    return this.open === null && this.expectedNext > this.committedNext ? this.expectedNext : this.committedNext;
  }

  private storage<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    return retry(fn, {
      ...(this.o.storageRetry ?? ARCHIVER_STORAGE_RETRY),
      signal: this.o.signal,
      onRetry: ({ error, attempt, delayMs }) =>
        log.warn(`storage failed while ${doing}; retrying`, { topic: this.topic, partition: this.partition, attempt, delayMs, error: (error as Error).message }),
    });
  }

  /** Reads where the archive ends (index verified against the files) and removes temp files a crash left behind. */
  async init(): Promise<void> {
    const { fs, root, topic, partition, formats } = this.o;
    const listing = await this.storage('reading the partition index', () => loadPartitionIndex(fs, root, topic, partition, formats, { repair: true }));
    this.entries = listing.entries;
    this.foreign = listing.foreign;
    assertOneClock(topic, partition, this.entries, this.o.eventTime, this.o.eventTimeGiven ?? false);
    this.committedNext = this.entries.reduce((max, e) => (e.nextOffset > max ? e.nextOffset : max), 0n);
    this.rangeStart = this.committedNext;
    this.expectedNext = this.committedNext;
    this.open = null;
    this.unexplained = null;
    this.staleBatches = 0;
    const removed = await this.storage('removing leftover temp files', () => this.removeOwnTempFiles());
    if (removed > 0) log.info('removed leftover temp files', { topic, partition, files: removed });
    this.initialized = true;
    log.info('partition resumes from the archive', { topic, partition, nextOffset: this.committedNext, files: this.entries.length, index: listing.indexState });
  }

  /**
   * Empties oxbow's own temp folder of the partition, and removes from the legacy one (shared with Kafka Connect) only
   * files whose names oxbow alone produces: a Connect writer's in-flight data in the same root is never touched.
   */
  private async removeOwnTempFiles(): Promise<number> {
    const { fs, root, topic, partition } = this.o;
    let removed = (await fs.delete(tempPartitionDir(root, topic, partition), { recursive: true })) ? 1 : 0;
    let legacy;
    try {
      legacy = await fs.list(legacyTempPartitionDir(root, topic, partition));
    } catch (err) {
      if (err instanceof NotFoundError) return removed;
      throw err;
    }
    for (const s of legacy) {
      if (s.type === 'file' && isLegacyOwnTempName(s.name) && (await fs.delete(s.path))) removed++;
    }
    return removed;
  }

  /**
   * Takes one fetched batch: writes its new records, rotating as the policy says. A batch is the archive's continuation
   * only when it was fetched from where the archive needs to continue; one fetched from further on is either from an old
   * position (a seek not yet in effect: dropped, and the seek repeated) or Kafka's answer that those offsets are gone —
   * which is decided by asking Kafka for its log start, never inferred from the batch.
   */
  async handleBatch(batch: SourceBatch): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { seekTo: null, published: [], gap: null };
    // Fetched before the consumer was told where this partition continues: from wherever the group offset pointed.
    if (!this.positioned) return outcome;
    if (batch.fetchedOffset === null) {
      this.takeMarkersOnly(batch, outcome);
      return outcome;
    }
    if (batch.fetchedOffset > this.expectedNext && !(await this.takeJump(batch.fetchedOffset, outcome))) return outcome;
    this.unexplained = null;
    this.staleBatches = 0;
    let records = batch.records;
    if (records.length > 0 && records[0]!.offset < this.expectedNext) records = records.filter((r) => r.offset >= this.expectedNext);
    let i = 0;
    while (i < records.length) {
      const file = this.open ?? (await this.openFile(records[i]!.offset));
      const room = this.o.rotation.records - file.acc.count;
      const slice = records.slice(i, i + room);
      // The source's records become archived records in place: one object per record keeps the GC load down.
      const archived = slice as ArchivedRecord[];
      for (const r of archived) r.eventTime = this.extractEventTime(r.value, r.timestamp);
      await file.writer.write(archived);
      for (const r of archived) file.acc.add(r);
      i += slice.length;
      this.expectedNext = archived[archived.length - 1]!.offset + 1n;
      const reason = rotationDue(this.o.rotation, { count: file.acc.count, bytes: file.writer.bytesWritten, openedAt: file.openedAt }, this.now());
      if (reason) {
        const published = await this.publish(reason);
        if (published) outcome.published.push(published);
      }
    }
    if (batch.nextOffset !== null && batch.nextOffset > this.expectedNext) this.expectedNext = batch.nextOffset;
    return outcome;
  }

  /**
   * A fetch that held only transaction markers, aborted or compacted-away records: the client does not say where it was
   * fetched from. Offsets from its first one on hold no data, so it is taken when it starts at or below the expected
   * offset. One that starts above could be a stale fetch from an old position: the consumer is sent back to the expected
   * offset, and the same batch seen again right after that seek can only have been fetched from there — then the offsets
   * in between hold no data either (compacted away) and it is taken. (The sessions job's Kafka reader,
   * connectors/kafka/partition-reader.ts, judges such fetches the same way.)
   */
  private takeMarkersOnly(batch: SourceBatch, outcome: BatchOutcome): void {
    const first = batch.firstOffset;
    const next = batch.nextOffset;
    if (first === null || next === null) return;
    const same = this.unexplained !== null && this.unexplained.first === first && this.unexplained.next === next;
    if (first <= this.expectedNext || same) {
      if (next > this.expectedNext) this.expectedNext = next;
      this.unexplained = null;
      this.staleBatches = 0;
      return;
    }
    this.unexplained = { first, next };
    this.dropStale(outcome, `a fetch that held only markers from ${first}`);
  }

  /**
   * Before the first fetch: if Kafka's log now starts above where the archive continues (retention ran while nothing
   * archived), that is decided here, as if a fetch had been reset to the log start — a fetch might never come.
   */
  async checkLogStart(): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { seekTo: null, published: [], gap: null };
    let logStart: bigint;
    try {
      logStart = await this.o.logStartOffset();
    } catch (err) {
      // A fetch below the log start will be reset by Kafka and show the jump; nothing is decided without its word.
      log.debug('could not ask Kafka for the log start offset before fetching', { topic: this.topic, partition: this.partition, error: (err as Error).message });
      return outcome;
    }
    if (logStart > this.expectedNext) await this.takeJump(logStart, outcome, logStart);
    return outcome;
  }

  /** The batch starts above the expected offset: true when it is to be taken (after a gap was recorded), false when dropped. */
  private async takeJump(fetchedOffset: bigint, outcome: BatchOutcome, knownLogStart?: bigint): Promise<boolean> {
    const expected = this.expectedNext;
    let logStart: bigint;
    try {
      logStart = knownLogStart ?? (await this.o.logStartOffset());
    } catch (err) {
      // Without Kafka's word there is no gap: fetch from the expected offset again and decide on a later batch.
      log.warn('could not ask Kafka for the log start offset; fetching again from where the archive continues', { topic: this.topic, partition: this.partition, offset: expected, error: (err as Error).message });
      this.dropStale(outcome, `a fetch from ${fetchedOffset}`);
      return false;
    }
    if (logStart <= expected) {
      // Kafka still holds every offset from the expected one: this batch was fetched from an old position.
      this.dropStale(outcome, `a fetch from ${fetchedOffset}`);
      return false;
    }
    // Retention deleted [expected, logStart) before it was archived. The batch may be older than the newest log start.
    const resume = fetchedOffset < logStart ? fetchedOffset : logStart;
    if (this.entries.length === 0 && this.open === null) {
      // Nothing archived yet: the archive simply begins where Kafka's log begins. Not a hole in the archive.
      log.info('Kafka\'s log begins above the archive\'s start; the archive of this partition begins there', { topic: this.topic, partition: this.partition, offset: resume });
    } else {
      outcome.gap = { from: expected, to: resume - 1n };
      // What was archived before the hole is kept whatever happens next.
      const published = await this.publish('gap');
      if (published) outcome.published.push(published);
      if ((this.o.onRetentionGap ?? 'fail') === 'fail') return false;
    }
    this.rangeStart = resume;
    this.expectedNext = resume;
    this.staleBatches = 0;
    if (fetchedOffset > resume) {
      // Kafka still holds [resume, fetchedOffset): fetch them.
      outcome.seekTo = resume;
      return false;
    }
    return true;
  }

  private dropStale(outcome: BatchOutcome, what: string): void {
    outcome.seekTo = this.expectedNext;
    if (++this.staleBatches > MAX_STALE_BATCHES) {
      throw new SourceStuckError(`${this.topic}/${this.partition}: ${this.staleBatches} fetches in a row did not start at offset ${this.expectedNext}, where the archive continues (last: ${what}); the Kafka client does not follow seeks — stopping rather than guessing`);
    }
  }

  private async openFile(firstOffset: bigint): Promise<OpenFile> {
    const { fs, root, topic, partition, format } = this.o;
    const tempPath = joinPath(tempPartitionDir(root, topic, partition), `${randomUUID()}.${format.extension}`);
    const rangeStart = this.rangeStart <= firstOffset ? this.rangeStart : firstOffset;
    this.open = { tempPath, writer: format.createWriter(fs, tempPath), acc: new MetadataAccumulator(), rangeStart, openedAt: this.now() };
    return this.open;
  }

  /** The reason the open file is due by time, or null (the archiver's timer asks). */
  dueByTime(): RotationReason | null {
    if (!this.open) return null;
    return rotationDue(this.o.rotation, { count: this.open.acc.count, bytes: this.open.writer.bytesWritten, openedAt: this.open.openedAt }, this.now());
  }

  /**
   * Finishes the open file and makes it visible by rename, then updates the index. Before the rename the folder is listed:
   * if another writer published into this partition meanwhile, our file is dropped (PartitionConflict) rather than overlap.
   */
  async publish(reason: RotationReason): Promise<PublishedFile | null> {
    const file = this.open;
    if (!file) return null;
    this.open = null;
    const { fs, root, topic, partition, format } = this.o;
    if (this.fenced) {
      await this.dropFile(file, 'a rebalance started');
      return null;
    }
    const nextOffset = this.expectedNext;
    const metadata = file.acc.toMetadata(topic, partition, nextOffset, format.name, this.o.eventTime.text);
    try {
      await file.writer.finish(metadata);
    } catch (err) {
      await this.dropFile(file, `writing failed: ${(err as Error).message}`);
      throw err;
    }
    const finalPath = committedFilePath(root, topic, partition, file.rangeStart, metadata.lastOffset, format.extension);
    const known = new Set(this.entries.map((e) => e.name));
    const listing = await this.storage('listing the partition before publishing', () => fs.list(partitionDir(root, topic, partition)).catch((err: unknown) => {
      if (err instanceof NotFoundError) return [];
      throw err;
    }));
    const intruder = listing.find((s) => {
      const parsed = s.type === 'file' ? parseFileName(s.name) : null;
      return parsed !== null && parsed.topic === topic && parsed.partition === partition && !known.has(s.name) && parsed.endOffset >= file.rangeStart;
    });
    if (intruder || this.fenced) {
      await this.dropFile(file, intruder ? `another writer published ${intruder.name}` : 'a rebalance started');
      if (intruder) throw new PartitionConflict(`${topic}/${partition}: another writer published ${intruder.name} while this one wrote ${file.rangeStart}..${metadata.lastOffset}; reloading the partition from the archive`);
      return null;
    }
    await this.storage('publishing a file', async () => {
      try {
        await fs.rename(file.tempPath, finalPath);
      } catch (err) {
        // A rename whose answer was lost may have happened: the file is where it should be and the temp is gone.
        if (err instanceof NotFoundError && (await fs.stat(finalPath)) !== null) return;
        if (err instanceof AlreadyExistsError) {
          await fs.delete(file.tempPath).catch(() => false);
          throw new PartitionConflict(`${topic}/${partition}: ${finalPath} already exists (another writer); reloading the partition from the archive`);
        }
        throw err;
      }
    });
    const name = finalPath.slice(finalPath.lastIndexOf('/') + 1);
    const entry: ArchiveFileEntry = {
      path: finalPath, name, topic, partition, startOffset: file.rangeStart, endOffset: metadata.lastOffset,
      firstOffset: metadata.firstOffset, lastOffset: metadata.lastOffset, nextOffset, count: metadata.count,
      minEventTime: metadata.minEventTime, maxEventTime: metadata.maxEventTime, eventTimeMissing: metadata.eventTimeMissing,
      untimedMinTimestamp: metadata.untimedMinTimestamp, format: format.name, eventTime: metadata.eventTime, length: file.writer.bytesWritten,
    };
    this.entries.push(entry);
    this.committedNext = nextOffset;
    this.rangeStart = nextOffset;
    this.recordsArchived += entry.count;
    this.eventTimeMissing += entry.eventTimeMissing;
    try {
      await this.storage('updating the partition index', () => writePartitionIndex(fs, root, topic, partition, this.entries));
    } catch (err) {
      // The file is committed; the index is only a cache and the next listing repairs it.
      log.warn('could not update the partition index; it will be rebuilt from the files', { topic, partition, error: (err as Error).message });
    }
    log.debug('published', { path: finalPath, records: metadata.count, reason });
    return { entry, reason };
  }

  private async dropFile(file: OpenFile, why: string): Promise<void> {
    await file.writer.abort(new Error(why)).catch(() => {});
    await this.o.fs.delete(file.tempPath).catch(() => false);
    log.info('discarded an unpublished file', { topic: this.topic, partition: this.partition, records: file.acc.count, why });
  }

  /** Drops the open file (after a storage failure or on revocation); the consumer must fetch again from archiveEnd. */
  async discard(why: string): Promise<void> {
    const file = this.open;
    this.open = null;
    this.expectedNext = this.committedNext;
    this.rangeStart = this.committedNext;
    this.unexplained = null;
    if (file) await this.dropFile(file, why);
  }
}
