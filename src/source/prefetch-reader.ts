// Reads scheduled archive files with up to N loads in flight (p-queue) while handing their records on strictly in schedule order.

import PQueue from 'p-queue';
import { getLogger } from '../logger.js';
import { retry, STORAGE_RETRY, type RetryOptions } from '../retry.js';
import type { ScheduledFile } from './aligned-order.js';
import type { ArchiveCatalog, SourceRecord } from './types.js';

export interface LoadedFile {
  scheduled: ScheduledFile;
  batches: SourceRecord[][];
  /** Set when reading failed (CorruptFileError, connection lost after retries); the caller decides to stop or skip. */
  error?: unknown;
  bytesHint: number;
}

/**
 * Yields each file of `order` fully loaded, in order. A file is read whole before it is handed on, so a corrupt file
 * is either all there or reported, never half-applied; memory holds at most `prefetch` files.
 */
const log = getLogger('source');

/** Storage trouble (NameNode or DataNode restarting, connection lost) is retried by `storageRetry` (default STORAGE_RETRY). */
export async function* prefetchFiles(catalog: ArchiveCatalog, order: Iterable<ScheduledFile>, prefetch: number, storageRetry: RetryOptions = STORAGE_RETRY): AsyncGenerator<LoadedFile> {
  if (!Number.isInteger(prefetch) || prefetch < 1) throw new RangeError(`prefetch must be an integer >= 1, got ${prefetch}`);
  const queue = new PQueue({ concurrency: prefetch });
  const load = async (scheduled: ScheduledFile): Promise<LoadedFile> => {
    try {
      // A retriable failure re-reads the whole file: nothing of it was handed on yet.
      const batches = await retry(async () => {
        const out: SourceRecord[][] = [];
        for await (const batch of catalog.readFile(scheduled.file)) out.push(batch);
        return out;
      }, {
        ...storageRetry,
        onRetry: ({ error, attempt, delayMs }) => log.warn('reading an archive file failed; retrying', { path: scheduled.file.path, attempt, delayMs, error: (error as Error).message }),
      });
      return { scheduled, batches, bytesHint: scheduled.file.count };
    } catch (error) {
      return { scheduled, batches: [], error, bytesHint: 0 };
    }
  };
  // The order is taken lazily: only the files in flight exist as loads.
  const upcoming = order[Symbol.iterator]();
  const loads: Promise<LoadedFile>[] = [];
  const enqueue = (): void => {
    const next = upcoming.next();
    if (next.done) return;
    const s = next.value;
    // load() never rejects, so a file that is never awaited (the consumer stopped early) leaves no unhandled rejection.
    loads.push(queue.add(() => load(s)) as Promise<LoadedFile>);
  };
  for (let i = 0; i < prefetch; i++) enqueue();
  try {
    while (loads.length > 0) {
      const loaded = await loads.shift()!;
      enqueue();
      yield loaded;
    }
  } finally {
    queue.clear();
  }
}
