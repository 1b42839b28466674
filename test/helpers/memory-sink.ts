// An OutputSink that keeps result lines in memory (no two-phase publishing to check): for job-path tests.

import { outputLine, type OutputRecord, type OutputSink } from '../../src/sink/types.js';

export class MemorySink implements OutputSink {
  readonly description = 'memory';
  readonly lines: string[] = [];
  write(r: OutputRecord): void { this.lines.push(outputLine(r)); }
  async prepare(): Promise<unknown> { return null; }
  async commit(): Promise<void> {}
  async recover(): Promise<void> {}
  async checkFresh(): Promise<void> {}
  async close(): Promise<void> {}
}
