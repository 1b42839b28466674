// Where checkpoints live: numbered files in a folder on the local fs or HDFS, each written atomically (temp + rename).
// A partition's folder of a parallel job (docs/scaling.md) is written exclusively: checkpoint ids are its fencing token.

import { randomUUID } from 'node:crypto';
import { createExclusively, joinPath, uriOf, writeAtomically, type ArchiveFs } from '../archive-fs.js';
import { NotFoundError, PartitionConflict, SavepointError } from '../errors.js';
import { getLogger } from '../logger.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './format.js';

const log = getLogger('checkpoint');
const namePattern = /^(chk|savepoint)-(\d{10})\.json$/;

export class CheckpointStore {
  constructor(
    readonly fs: ArchiveFs,
    readonly dir: string,
    /** Periodic checkpoints kept; savepoints are never deleted. */
    private readonly retain = 3,
    /**
     * Exclusive: each checkpoint takes the id right after the one its job continues from, and a file of that id already
     * there means another owner continued this state first: PartitionConflict, nothing replaced. Two owners of one
     * partition (a rebalance, a paused process) can then never both publish what follows one checkpoint.
     */
    private readonly exclusive = false,
  ) {}

  /** In an exclusive folder a savepoint is named as a checkpoint (its kind is inside): one name per id, one owner per id. */
  fileName(c: Pick<Checkpoint, 'kind' | 'id'>): string {
    return `${c.kind === 'savepoint' && !this.exclusive ? 'savepoint' : 'chk'}-${String(c.id).padStart(10, '0')}.json`;
  }

  /**
   * Writes the checkpoint to a temp file and renames it into place: a reader sees the whole file or none. Returns its
   * URI (`webhdfs://nn:9870/cp/savepoint-….json`), as `--from-savepoint` takes it.
   */
  async write(c: Checkpoint): Promise<string> {
    const path = joinPath(this.dir, this.fileName(c));
    const bytes = new TextEncoder().encode(encodeCheckpoint(c));
    const tmp = joinPath(this.dir, `.tmp-${randomUUID()}.json`);
    if (this.exclusive) await this.writeExclusively(c, path, bytes, tmp);
    else await writeAtomically(this.fs, path, bytes, tmp);
    await this.prune();
    return uriOf(this.fs, path);
  }

  private async writeExclusively(c: Checkpoint, path: string, bytes: Uint8Array, tmp: string): Promise<void> {
    const conflict = () => new PartitionConflict(`${uriOf(this.fs, this.dir)}: checkpoint ${c.id} was written by another owner of this partition; this one stops publishing it`);
    if (!(await createExclusively(this.fs, path, bytes, tmp))) throw conflict();
    // The other owner may have gone further and pruned this id already: its newest checkpoints are always kept, so a
    // higher id means this one is stale. It is removed again and nothing of it is published.
    const newest = (await this.entries()).at(-1)?.id ?? c.id;
    if (newest > c.id) {
      await this.fs.delete(path).catch(() => false);
      throw conflict();
    }
    log.debug('checkpoint written', { path: uriOf(this.fs, path), kind: c.kind });
  }

  private async entries(): Promise<{ name: string; id: number; kind: string }[]> {
    try {
      return (await this.fs.list(this.dir))
        .map((s) => ({ s, m: namePattern.exec(s.name) }))
        .filter((x) => x.s.type === 'file' && x.m)
        .map((x) => ({ name: x.s.name, id: Number(x.m![2]), kind: x.m![1]! }))
        .sort((a, b) => a.id - b.id);
    } catch (err) {
      if (err instanceof NotFoundError) return [];
      throw err;
    }
  }

  private async prune(): Promise<void> {
    const chk = (await this.entries()).filter((e) => e.kind === 'chk');
    for (const old of chk.slice(0, Math.max(0, chk.length - this.retain))) {
      await this.fs.delete(joinPath(this.dir, old.name)).catch((err: unknown) => log.warn('could not delete an old checkpoint', { path: joinPath(this.dir, old.name), error: String(err) }));
    }
  }

  /** An id above every checkpoint already in the folder (a restore from an older savepoint must not collide with newer files). */
  async nextId(after: number): Promise<number> {
    if (this.exclusive) return after + 1;
    const all = await this.entries();
    return Math.max(after, all[all.length - 1]?.id ?? 0) + 1;
  }

  /**
   * Takes over an exclusive folder's state from its newest checkpoint: writes it again as the next id (same positions,
   * engine and output position, so a restore from the copy finishes the same interrupted publish). An owner that
   * continued from the same checkpoint can then write nothing after it. PartitionConflict when another owner wrote
   * that id first: look again.
   */
  async claim(latest: { path: string; checkpoint: Checkpoint }): Promise<{ path: string; checkpoint: Checkpoint }> {
    const checkpoint: Checkpoint = { ...latest.checkpoint, kind: 'checkpoint', id: latest.checkpoint.id + 1, createdAt: Date.now() };
    return { path: await this.write(checkpoint), checkpoint };
  }

  /**
   * The newest checkpoint or savepoint with its URI, or null when the folder holds none. In a partition folder of a
   * parallel job the previous owner may still be writing its last savepoint, and pruning, while the next owner looks:
   * an entry that is gone by the time it is read is looked for again, in a fresh listing.
   */
  async latest(): Promise<{ path: string; checkpoint: Checkpoint } | null> {
    for (let attempt = 1; ; attempt++) {
      const all = await this.entries();
      const last = all[all.length - 1];
      if (!last) return null;
      const path = joinPath(this.dir, last.name);
      const checkpoint = await readCheckpointIfThere(this.fs, path);
      if (checkpoint !== null) return { path: uriOf(this.fs, path), checkpoint };
      if (attempt === LATEST_ATTEMPTS) throw missingSavepoint(path);
    }
  }
}

/** Listings a store takes, in `latest()`, before an entry that keeps vanishing between listing and reading fails it. */
const LATEST_ATTEMPTS = 5;

function missingSavepoint(path: string): SavepointError {
  return new SavepointError(path, `${path}: no such savepoint; give a savepoint file or 'latest' with --checkpoint-dir`);
}

async function readCheckpointIfThere(fs: ArchiveFs, path: string): Promise<Checkpoint | null> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
  return decodeCheckpoint(path, Buffer.from(bytes).toString('utf8'));
}

export async function readCheckpoint(fs: ArchiveFs, path: string): Promise<Checkpoint> {
  const checkpoint = await readCheckpointIfThere(fs, path);
  if (checkpoint === null) throw missingSavepoint(path);
  return checkpoint;
}
