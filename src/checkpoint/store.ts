// Where checkpoints live: numbered files in a folder on the local fs or HDFS, each written atomically (temp + rename).

import { randomUUID } from 'node:crypto';
import { joinPath, uriOf, writeAtomically, type ArchiveFs } from '../archive-fs.js';
import { NotFoundError, SavepointError } from '../errors.js';
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
  ) {}

  fileName(c: Pick<Checkpoint, 'kind' | 'id'>): string {
    return `${c.kind === 'savepoint' ? 'savepoint' : 'chk'}-${String(c.id).padStart(10, '0')}.json`;
  }

  /**
   * Writes the checkpoint to a temp file and renames it into place: a reader sees the whole file or none. Returns its
   * URI (`webhdfs://nn:9870/cp/savepoint-….json`), as `--from-savepoint` takes it.
   */
  async write(c: Checkpoint): Promise<string> {
    const path = joinPath(this.dir, this.fileName(c));
    await writeAtomically(this.fs, path, new TextEncoder().encode(encodeCheckpoint(c)), joinPath(this.dir, `.tmp-${randomUUID()}.json`));
    await this.prune();
    return uriOf(this.fs, path);
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
    const all = await this.entries();
    return Math.max(after, all[all.length - 1]?.id ?? 0) + 1;
  }

  /** The newest checkpoint or savepoint with its URI, or null when the folder holds none. */
  async latest(): Promise<{ path: string; checkpoint: Checkpoint } | null> {
    const all = await this.entries();
    const last = all[all.length - 1];
    if (!last) return null;
    const path = joinPath(this.dir, last.name);
    return { path: uriOf(this.fs, path), checkpoint: await readCheckpoint(this.fs, path) };
  }
}

export async function readCheckpoint(fs: ArchiveFs, path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    if (err instanceof NotFoundError) throw new SavepointError(path, `${path}: no such savepoint; give a savepoint file or 'latest' with --checkpoint-dir`);
    throw err;
  }
  return decodeCheckpoint(path, Buffer.from(bytes).toString('utf8'));
}
