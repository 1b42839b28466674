// Output to a stream (`--output -`): each result goes out as soon as it fires; a restore may repeat what followed the last checkpoint.

import type { OutputRecord, OutputSink } from './types.js';
import { outputLine } from './types.js';

export class StreamSink implements OutputSink {
  readonly description = 'stdout';
  private buffer: string[] = [];
  written = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

  write(record: OutputRecord): void {
    this.buffer.push(outputLine(record));
    this.written++;
    if (this.buffer.length >= 512) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.out.write(this.buffer.join('\n') + '\n');
    this.buffer = [];
  }

  async prepare(): Promise<unknown> {
    this.flush();
    return null;
  }

  async commit(): Promise<void> {}
  async recover(): Promise<void> {}
  async checkFresh(): Promise<void> {}

  async close(): Promise<void> {
    this.flush();
  }
}
