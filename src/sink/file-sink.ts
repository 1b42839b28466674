// Output to a folder on the local fs or HDFS: JSONL parts published by rename in step with checkpoints (exactly once across restores).

import type { ArchiveFs } from '../archive-fs.js';
import { NotFoundError, UsageError } from '../errors.js';
import { getLogger } from '../logger.js';
import type { OutputRecord, OutputSink } from './types.js';
import { outputLine } from './types.js';

const log = getLogger('file-sink');
export const PENDING_DIR = '_pending';
const partPattern = /^part-(\d{10})\.jsonl$/;

export interface FileSinkPosition {
  /** Name of the part prepared with this checkpoint (in `_pending/` until committed), or null when nothing was written. */
  pending: string | null;
}

export function partName(checkpointId: number): string {
  return `part-${String(checkpointId).padStart(10, '0')}.jsonl`;
}

function join(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

export class FileSink implements OutputSink {
  readonly description: string;
  private lines: string[] = [];
  partsPublished = 0;
  written = 0;

  constructor(private readonly fs: ArchiveFs, private readonly dir: string) {
    this.description = `${fs.description}${dir}`;
  }

  write(record: OutputRecord): void {
    this.lines.push(outputLine(record));
    this.written++;
  }

  async prepare(checkpointId: number): Promise<FileSinkPosition> {
    if (this.lines.length === 0) return { pending: null };
    const name = partName(checkpointId);
    const text = this.lines.join('\n') + '\n';
    // Overwrite: a pending part of this id can only be the leftover of a run that crashed before its checkpoint.
    await this.fs.writeFile(join(join(this.dir, PENDING_DIR), name), new TextEncoder().encode(text), { overwrite: true });
    this.lines = [];
    return { pending: name };
  }

  async commit(position: unknown): Promise<void> {
    const name = (position as FileSinkPosition | null)?.pending;
    if (!name) return;
    await this.fs.rename(join(join(this.dir, PENDING_DIR), name), join(this.dir, name));
    this.partsPublished++;
  }

  async recover(position: unknown): Promise<void> {
    const name = (position as FileSinkPosition | null)?.pending ?? null;
    const pendingDir = join(this.dir, PENDING_DIR);
    let pending: string[] = [];
    try {
      pending = (await this.fs.list(pendingDir)).filter((s) => s.type === 'file').map((s) => s.name);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (name && pending.includes(name) && !(await this.fs.stat(join(this.dir, name)))) {
      // The crash came after the checkpoint was written and before its part was renamed: finish that publish now.
      await this.fs.rename(join(pendingDir, name), join(this.dir, name));
      log.info('published the part a crash left pending', { part: name });
    }
    for (const other of pending) {
      if (other === name) continue;
      // Written after the checkpoint we restore from: the replay writes these results again.
      await this.fs.delete(join(pendingDir, other));
    }
  }

  async checkFresh(): Promise<void> {
    let names: string[] = [];
    try {
      names = (await this.fs.list(this.dir)).map((s) => s.name);
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    if (names.some((n) => partPattern.test(n))) {
      throw new UsageError(`--output ${this.description}: the folder already holds published parts; continue that run with --from-savepoint latest, or give an empty folder`);
    }
  }

  async close(): Promise<void> {}
}
