// Lines to a stream or a file, gathered into large writes with backpressure: the output of sessionize, and the late
// and dead-letter files of both session commands.

import { createWriteStream } from 'node:fs';
import { OxbowError } from '../errors.js';

const FLUSH_AT = 64 * 1024;

/**
 * Lines gathered into large writes. A full buffer is handed to the stream at once, even inside a
 * synchronous burst (the end-of-input firing of every session): a string built up by `+=` is a
 * rope that the young-generation GC would copy again and again. `flush()` waits for the stream
 * to drain (backpressure) whenever a write reported a full stream.
 */
export class LineWriter {
  private buf = '';
  private mustDrain = false;
  private error: Error | null = null;
  readonly stream: NodeJS.WritableStream;
  private readonly name: string;

  constructor(stream: NodeJS.WritableStream, name: string) {
    this.stream = stream;
    this.name = name;
    stream.on('error', (err: Error) => (this.error ??= err));
  }

  line(text: string): void {
    this.buf += text + '\n';
    if (this.buf.length >= FLUSH_AT) this.spill();
  }

  get needsFlush(): boolean {
    return this.mustDrain;
  }

  private spill(): void {
    const chunk = this.buf;
    this.buf = '';
    if (!this.stream.write(chunk)) this.mustDrain = true;
  }

  async flush(): Promise<void> {
    this.throwIfFailed();
    if (this.buf !== '') this.spill();
    if (!this.mustDrain) return;
    this.mustDrain = false;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
      this.stream.on('close', done);
    });
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.error !== null) throw new OxbowError('OUTPUT', `cannot write ${this.name}: ${this.error.message}`);
  }

  /** Flush and, for a file we opened, close it and wait until its bytes are written. */
  async close(owned: boolean): Promise<void> {
    await this.flush();
    if (!owned) return;
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}

/** A LineWriter on a file it owns (close it with `close(true)`): replaced, or appended to with `append`. */
export function fileWriter(file: string, append = false): LineWriter {
  return new LineWriter(createWriteStream(file, { flags: append ? 'a' : 'w' }), file);
}
