// A bounded chunk queue between a format writer and ArchiveFs.writeFile, so a file streams to storage while it is written.

import type { ArchiveFs } from '../archive-fs.js';

/** At most this many chunks wait for the storage; the writer waits beyond it, which bounds memory per open file. */
const MAX_QUEUED = 4;

export class ByteChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private closed = false;
  private failure: Error | null = null;
  private wakeReader: (() => void) | null = null;
  private wakeWriters: (() => void)[] = [];
  private readonly done: Promise<void>;
  private storageError: Error | null = null;
  bytes = 0;

  /** Starts `fs.writeFile(path, this)`; its outcome is reported by push() and close(). */
  constructor(fs: ArchiveFs, path: string) {
    this.done = fs.writeFile(path, this, { overwrite: true }).catch((err: unknown) => {
      this.storageError = err instanceof Error ? err : new Error(String(err));
      this.releaseWriters();
      throw this.storageError;
    });
    // The rejection is observed through push()/close(); keep Node from reporting it as unhandled meanwhile.
    this.done.catch(() => {});
  }

  async push(chunk: Uint8Array): Promise<void> {
    if (this.storageError) throw this.storageError;
    if (this.closed) throw new Error('write after close');
    if (chunk.byteLength === 0) return;
    this.queue.push(chunk);
    this.bytes += chunk.byteLength;
    this.wake();
    while (this.queue.length > MAX_QUEUED && !this.storageError) {
      await new Promise<void>((resolve) => this.wakeWriters.push(resolve));
    }
    if (this.storageError) throw this.storageError;
  }

  /** Ends the stream and resolves when the storage has written everything. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    await this.done;
  }

  /** Ends the stream with an error: the storage write fails and the partial file is left for the caller to delete. */
  async fail(reason: Error): Promise<void> {
    this.failure = reason;
    this.closed = true;
    this.wake();
    await this.done.catch(() => {});
  }

  private wake(): void {
    const w = this.wakeReader;
    this.wakeReader = null;
    w?.();
  }

  private releaseWriters(): void {
    const ws = this.wakeWriters;
    this.wakeWriters = [];
    for (const w of ws) w();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.failure) throw this.failure;
      const chunk = this.queue.shift();
      if (chunk) {
        if (this.queue.length <= MAX_QUEUED) this.releaseWriters();
        yield chunk;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }
}
