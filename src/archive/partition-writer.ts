// One partition's archiving: resume from the committed files, write one temp file, publish it by rename, keep the index.

import { randomUUID } from 'node:crypto';
import type { ArchiveFs } from '../archive-fs.js';
import { NotFoundError, OxbowError } from '../errors.js';
import { getLogger } from '../logger.js';
import { retry } from '../retry.js';
import type { SourceBatch } from './archive-source.js';
import type { EventTimeExtractor } from './event-time.js';
import { committedFilePath, joinPath, parseFileName, partitionDir, tempPartitionDir } from './file-name.js';
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
  extractEventTime: EventTimeExtractor;
  /** Aborts storage retries at shutdown. */
  signal: AbortSignal;
  /** Storage calls are retried this often with backoff before the failure reaches the caller. */
  storageRetries?: number;
  now?: () => number;
}

export interface PublishedFile {
  entry: ArchiveFileEntry;
  reason: RotationReason;
}

/** What the partition asks of the consumer after a batch. */
export interface BatchOutcome {
  /** Fetch again from this offset (the archive's end), ignoring the batch. */
  seekTo: bigint | null;
  published: PublishedFile[];
  /** Offsets that Kafka no longer holds and the archive lacks (retention), when the fetch jumped over them. */
  gap: { from: bigint; to: bigint } | null;
}

/** Another writer published into this partition meanwhile (a rebalance raced us): our file is dropped, state reloads. */
export class PartitionConflict extends OxbowError {
  constructor(message: string) {
    super('PARTITION_CONFLICT', message, { retriable: true });
  }
}

interface OpenFile {
  tempPath: string;
  writer: ArchiveFileWriter;
  acc: MetadataAccumulator;
  rangeStart: bigint;
  openedAt: number;
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
  /** The next offset the consumer should deliver. */
  private expectedNext = 0n;
  private seekedOnce = false;
  private open: OpenFile | null = null;
  private initialized = false;
  /** Set when a rebalance starts: nothing may be published any more. */
  fenced = false;
  foreign: ForeignFile[] = [];
  eventTimeMissing = 0;
  recordsArchived = 0;

  constructor(options: PartitionWriterOptions) {
    this.o = options;
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

  private storage<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    return retry(fn, {
      retries: this.o.storageRetries ?? 1000,
      initialDelayMs: 200,
      maxDelayMs: 10_000,
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
    this.committedNext = this.entries.reduce((max, e) => (e.nextOffset > max ? e.nextOffset : max), 0n);
    this.rangeStart = this.committedNext;
    this.expectedNext = this.committedNext;
    this.seekedOnce = false;
    this.open = null;
    const removed = await this.storage('removing leftover temp files', () => fs.delete(tempPartitionDir(root, topic, partition), { recursive: true }));
    if (removed) log.info('removed leftover temp files', { topic, partition });
    this.initialized = true;
    log.info('partition resumes from the archive', { topic, partition, nextOffset: this.committedNext, files: this.entries.length, index: listing.indexState });
  }

  /** Takes one fetched batch: writes its new records, rotating as the policy says; may ask for a seek to the archive's end. */
  async handleBatch(batch: SourceBatch): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { seekTo: null, published: [], gap: null };
    if (batch.fetchedOffset > this.expectedNext) {
      // The group offset can be ahead of the archive (a different archive, files deleted): fetch from the archive's end once.
      if (!this.seekedOnce) {
        this.seekedOnce = true;
        outcome.seekTo = this.expectedNext;
        return outcome;
      }
      // Kafka reset us past the archive's end: retention deleted those offsets before they were archived. A named gap.
      outcome.gap = { from: this.expectedNext, to: batch.fetchedOffset - 1n };
      const published = await this.publish('gap');
      if (published) outcome.published.push(published);
      this.rangeStart = batch.fetchedOffset;
      this.expectedNext = batch.fetchedOffset;
    }
    this.seekedOnce = true;
    let records = batch.records;
    if (records.length > 0 && records[0]!.offset < this.expectedNext) records = records.filter((r) => r.offset >= this.expectedNext);
    let i = 0;
    while (i < records.length) {
      const file = this.open ?? (await this.openFile(records[i]!.offset));
      const room = this.o.rotation.records - file.acc.count;
      const slice = records.slice(i, i + room);
      // The source's records become archived records in place: one object per record keeps the GC load down.
      const archived = slice as ArchivedRecord[];
      for (const r of archived) {
        r.eventTime = this.o.extractEventTime(r.value, r.timestamp);
        if (r.eventTime === null) this.eventTimeMissing++;
      }
      await file.writer.write(archived);
      for (const r of archived) file.acc.add(r);
      this.recordsArchived += archived.length;
      i += slice.length;
      this.expectedNext = archived[archived.length - 1]!.offset + 1n;
      const reason: RotationReason | null = file.acc.count >= this.o.rotation.records ? 'records'
        : file.writer.bytesWritten >= this.o.rotation.bytes ? 'bytes' : null;
      if (reason) {
        const published = await this.publish(reason);
        if (published) outcome.published.push(published);
      }
    }
    if (batch.nextOffset !== null && batch.nextOffset > this.expectedNext) this.expectedNext = batch.nextOffset;
    return outcome;
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
    const metadata = file.acc.toMetadata(topic, partition, nextOffset, format.name);
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
        if (err instanceof OxbowError && err.code === 'ALREADY_EXISTS') {
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
      format: format.name, length: file.writer.bytesWritten,
    };
    this.entries.push(entry);
    this.committedNext = nextOffset;
    this.rangeStart = nextOffset;
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
    this.seekedOnce = true;
    if (file) await this.dropFile(file, why);
  }
}
