// Output to a folder on the local fs or HDFS: JSONL parts published by rename in step with checkpoints (exactly once across restores).

import { randomUUID } from 'node:crypto';
import { joinPath, uriOf, type ArchiveFs } from '../archive-fs.js';
import { AlreadyExistsError, NotFoundError, PartitionConflict, RemoteError, UsageError } from '../errors.js';
import { getLogger } from '../logger.js';
import type { OutputRecord, OutputSink } from './types.js';
import { outputLine } from './types.js';
import { ChunkStream } from './chunk-stream.js';

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

/**
 * A prepared part waits as `_pending/part-<id>.<writer>.jsonl` (older oxbow: `part-<id>.jsonl`) and is published as
 * `part-<id>.jsonl`. The writer's own suffix keeps two owners of one partition (a rebalance) from ever touching each
 * other's prepared part; the checkpoint names the one it publishes.
 */
function publishedName(pending: string): string {
  return pending.replace(/^(part-\d{10})\.[0-9a-f]+(\.jsonl)$/, '$1$2');
}

/** The checkpoint id a prepared part was written for, or null for an open part (`open-<uuid>.jsonl`). */
function preparedId(pending: string): number | null {
  const m = /^part-(\d{10})\./.exec(pending);
  return m ? Number(m[1]) : null;
}

/**
 * Results stream into `_pending/open-<uuid>.jsonl` as they fire (memory holds about one 64 KiB chunk, not a checkpoint
 * interval of results); at a checkpoint that file is closed and renamed to `_pending/part-<id>.<writer>.jsonl`, and after
 * the checkpoint is written, to `part-<id>.jsonl`.
 */
export class FileSink implements OutputSink {
  readonly description: string;
  private open: { path: string; stream: ChunkStream; done: Promise<void>; lines: number } | null = null;
  private readonly writer = randomUUID().replace(/-/g, '').slice(0, 12);
  partsPublished = 0;
  written = 0;

  constructor(
    private readonly fs: ArchiveFs,
    private readonly dir: string,
    /**
     * One partition's folder of a parallel job, which another owner may take over: its restore drops what this writer
     * had not yet published, and this writer then stops (PartitionConflict) instead of failing.
     */
    private readonly shared = false,
  ) {
    this.description = uriOf(fs, dir);
  }

  write(record: OutputRecord): void {
    if (!this.open) {
      const path = joinPath(joinPath(this.dir, PENDING_DIR), `open-${randomUUID()}.jsonl`);
      const stream = new ChunkStream();
      const done = this.fs.writeFile(path, stream);
      // The failure surfaces at prepare(); until then it must not be an unhandled rejection.
      done.catch(() => {});
      this.open = { path, stream, done, lines: 0 };
    }
    this.open.stream.push(outputLine(record) + '\n');
    this.open.lines++;
    this.written++;
  }

  async prepare(checkpointId: number): Promise<FileSinkPosition> {
    const open = this.open;
    if (!open) return { pending: null };
    this.open = null;
    open.stream.end();
    const name = partName(checkpointId).replace(/\.jsonl$/, `.${this.writer}.jsonl`);
    try {
      // On HDFS a file removed while it is written fails its write (FileNotFoundException when the DataNode closes the
      // block); on a local disk the write succeeds and the rename finds nothing. Either way the part was dropped.
      await open.done;
      await this.fs.rename(open.path, joinPath(joinPath(this.dir, PENDING_DIR), name));
    } catch (err) {
      if (this.shared && droppedUnderUs(err)) {
        throw new PartitionConflict(`${this.description}: another owner of this partition restored it and dropped the results this one had not published; this one stops`);
      }
      throw err;
    }
    log.debug('part prepared', { dir: this.description, part: name });
    return { pending: name };
  }

  async commit(position: unknown): Promise<void> {
    const name = (position as FileSinkPosition | null)?.pending;
    if (!name) return;
    await this.publish(name);
    this.partsPublished++;
  }

  /**
   * Renames a prepared part into place. Finding it gone or its name taken is fine when the part is there: a restore that
   * read the same checkpoint published it first.
   */
  private async publish(name: string): Promise<void> {
    const from = joinPath(joinPath(this.dir, PENDING_DIR), name);
    const to = joinPath(this.dir, publishedName(name));
    try {
      await this.fs.rename(from, to);
      log.debug('part published', { dir: this.description, part: name });
    } catch (err) {
      if (!(err instanceof NotFoundError || err instanceof AlreadyExistsError) || !(await this.fs.stat(to))) throw err;
      await this.fs.delete(from).catch(() => false);
    }
  }

  /**
   * `checkpointId` is the id the restore continues as (in a shared folder, the id its claim took). A shared folder
   * holding a part prepared for a later id means another owner continued past that claim while this restore waited
   * (its process paused between claim and recover): that part may be named by a checkpoint already written, so nothing
   * is dropped and this owner stops (PartitionConflict). Parts of that id or below can never be named by a checkpoint
   * still to come (the claim holds the id), and an open part only fences its writer.
   */
  async recover(position: unknown, checkpointId: number): Promise<void> {
    const name = (position as FileSinkPosition | null)?.pending ?? null;
    const pendingDir = joinPath(this.dir, PENDING_DIR);
    let pending: string[] = [];
    try {
      pending = (await this.fs.list(pendingDir)).filter((s) => s.type === 'file').map((s) => s.name);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (this.shared) {
      const later = pending.find((n) => (preparedId(n) ?? 0) > checkpointId);
      if (later) {
        throw new PartitionConflict(`${this.description}: another owner prepared ${later} after checkpoint ${checkpointId}, which this restore claimed; this one stops`);
      }
    }
    if (name && pending.includes(name) && !(await this.fs.stat(joinPath(this.dir, publishedName(name))))) {
      // The crash came after the checkpoint was written and before its part was renamed: finish that publish now.
      await this.publish(name);
      log.info('published the part a crash left pending', { part: publishedName(name) });
    }
    for (const other of pending) {
      if (other === name) continue;
      // Written after the checkpoint we restore from: the replay writes these results again.
      log.debug('dropped a part prepared after the checkpoint restored from', { dir: this.description, part: other });
      await this.fs.delete(joinPath(pendingDir, other));
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

  async close(): Promise<void> {
    // Results after the last checkpoint are not published (the job always checkpoints before closing): drop the file.
    const open = this.open;
    this.open = null;
    if (open) {
      open.stream.end();
      await open.done.catch(() => {});
      await this.fs.delete(open.path).catch(() => false);
    }
  }
}

/** The file being written was removed by someone else: HDFS says FileNotFoundException, or that the writer's lease is gone. */
function droppedUnderUs(err: unknown): boolean {
  return err instanceof NotFoundError || (err instanceof RemoteError && err.remoteException === 'LeaseExpiredException');
}
