// ArchiveFs over the local file system (node:fs/promises): archives, checkpoints and outputs on a local disk.

import { mapConcurrently } from '../../src/concurrency.js';
import { link, lstat, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ArchiveFs, FileStatus, WriteOptions } from '../../src/archive-fs.js';
import { AlreadyExistsError, OxbowError } from '../../src/errors.js';
import { getLogger } from '../../src/logger.js';
import { hasErrno, mapFsError } from './errno.js';
import { checkPath, checkRange } from './paths.js';

const log = getLogger('local-fs');

/** `readChunks` reads this much at a time: below glibc's default mmap threshold (128 KiB), so chunks come from the heap. */
const CHUNK_BYTES = 64 * 1024;

/** Node fs errors that say "this file system cannot hard-link here"; rename then falls back to check-then-rename. */
const noLinkCodes = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'];

export interface LocalFsOptions {
  /** Shown in messages; `file:///data/archive`. */
  description?: string;
}

/** A file opened for reading; a failure mapped onto oxbow's errors. */
async function openToRead(p: string): Promise<FileHandle> {
  try {
    return await open(p, 'r');
  } catch (err) {
    throw mapFsError(err, p, 'read');
  }
}

/** A read that failed, as oxbow's error: a folder is NOT_A_FILE, the rest by errno. */
function readError(err: unknown, p: string): OxbowError {
  if (hasErrno(err, 'EISDIR')) return new OxbowError('NOT_A_FILE', `cannot read ${p}: it is a folder, not a file`, { cause: err });
  return mapFsError(err, p, 'read');
}

/**
 * Paths are absolute POSIX paths of the machine's file system. Guarantees:
 * - `rename` never replaces an existing file: for a file it hard-links `to` (which fails atomically when `to`
 *   exists) and then unlinks `from`; a crash in between leaves the file under both names, never under neither.
 *   Folders, and file systems without hard links, use check-then-rename, which a concurrent writer can race.
 * - `writeFile` streams chunk by chunk; it is not atomic (write a temp file and `rename` it for that) and removes
 *   its partial file when the data stream or a write fails.
 */
export class LocalFs implements ArchiveFs {
  readonly description: string;

  constructor(options: LocalFsOptions = {}) {
    this.description = options.description ?? 'file://';
  }

  async list(path: string): Promise<FileStatus[]> {
    const dir = checkPath(path);
    const names = await this.listNames(dir);
    // A year of hourly files is thousands of names: stat a few at a time (all at once, the requests' memory stays resident).
    const entries = await mapConcurrently(names, 64, async (name) => {
        const full = posix.join(dir, name);
        try {
          return toStatus(full, await stat(full));
        } catch (err) {
          // Deleted between readdir and stat, or a dangling symlink: it holds no data; say so rather than drop it quietly.
          if (hasErrno(err, 'ENOENT')) {
            log.warn('listing skipped an entry that vanished or is a dangling symlink', { path: full });
            return null;
          }
          throw mapFsError(err, full, 'stat');
        }
    });
    return entries.filter((e): e is FileStatus => e !== null).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async listNames(path: string): Promise<string[]> {
    const dir = checkPath(path);
    try {
      return await readdir(dir);
    } catch (err) {
      if (hasErrno(err, 'ENOTDIR')) throw notAFolder(dir);
      throw mapFsError(err, dir, 'list');
    }
  }

  async stat(path: string): Promise<FileStatus | null> {
    const p = checkPath(path);
    try {
      return toStatus(p, await stat(p));
    } catch (err) {
      if (hasErrno(err, 'ENOENT') || hasErrno(err, 'ENOTDIR')) return null;
      throw mapFsError(err, p, 'stat');
    }
  }

  async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
    const p = checkPath(path);
    checkRange(p, start, end);
    const handle = await openToRead(p);
    try {
      const buffer = new Uint8Array(end - start);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled);
        if (bytesRead === 0) break; // end of file: like Blob.slice, a range past the end is cut short
        filled += bytesRead;
      }
      return filled === buffer.length ? buffer : buffer.subarray(0, filled);
    } catch (err) {
      throw mapFsError(err, p, 'read');
    } finally {
      await handle.close();
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    const p = checkPath(path);
    try {
      return await readFile(p);
    } catch (err) {
      throw readError(err, p);
    }
  }

  async *readChunks(path: string): AsyncIterable<Uint8Array> {
    const p = checkPath(path);
    const handle = await openToRead(p);
    try {
      for (;;) {
        const chunk = new Uint8Array(CHUNK_BYTES);
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(chunk, 0, chunk.length, null));
        } catch (err) {
          throw readError(err, p);
        }
        if (bytesRead === 0) return;
        yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }

  async writeFile(path: string, data: Uint8Array | AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<void> {
    const p = checkPath(path);
    await this.mkdirs(posix.dirname(p));
    let handle;
    try {
      handle = await open(p, options.overwrite ? 'w' : 'wx');
    } catch (err) {
      throw mapFsError(err, p, 'write');
    }
    let ok = false;
    try {
      const chunks = data instanceof Uint8Array ? [data] : data;
      for await (const chunk of chunks) {
        let written = 0;
        while (written < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
          written += bytesWritten;
        }
      }
      ok = true;
    } catch (err) {
      throw mapFsError(err, p, 'write');
    } finally {
      await handle.close();
      // A half-written file must not pass for a whole one.
      if (!ok) await rm(p, { force: true });
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const src = checkPath(from);
    const dst = checkPath(to);
    let srcStat: Stats;
    try {
      srcStat = await lstat(src);
    } catch (err) {
      throw mapFsError(err, src, `rename ${src} to ${dst}`);
    }
    if (srcStat.isDirectory()) return this.checkThenRename(src, dst);
    try {
      await this.linkCreatingParent(src, dst);
    } catch (err) {
      if (noLinkCodes.some((code) => hasErrno(err, code))) return this.checkThenRename(src, dst);
      throw mapFsError(err, hasErrno(err, 'EEXIST') ? dst : src, `rename ${src} to ${dst}`);
    }
    try {
      await unlink(src);
    } catch (err) {
      throw mapFsError(err, src, `remove ${src} after linking it to ${dst}`);
    }
  }

  async delete(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
    const p = checkPath(path);
    let st: Stats;
    try {
      st = await lstat(p);
    } catch (err) {
      if (hasErrno(err, 'ENOENT') || hasErrno(err, 'ENOTDIR')) return false;
      throw mapFsError(err, p, 'delete');
    }
    try {
      if (!st.isDirectory()) await unlink(p);
      else if (options.recursive) await rm(p, { recursive: true });
      else await rmdir(p);
      return true;
    } catch (err) {
      if (hasErrno(err, 'ENOENT')) return false;
      if (hasErrno(err, 'ENOTEMPTY') || hasErrno(err, 'EEXIST')) {
        throw new OxbowError('NOT_EMPTY', `cannot delete ${p}: the folder is not empty; delete it recursively to remove its contents`, { cause: err });
      }
      throw mapFsError(err, p, 'delete');
    }
  }

  async mkdirs(path: string): Promise<void> {
    const p = checkPath(path);
    try {
      await mkdir(p, { recursive: true });
    } catch (err) {
      if (hasErrno(err, 'EEXIST') || hasErrno(err, 'ENOTDIR')) {
        throw new AlreadyExistsError(p, `cannot create folder ${p}: a file is in the way`, { cause: err });
      }
      throw mapFsError(err, p, 'create folder');
    }
  }

  /** Hard-link `dst` to `src`, creating the destination's folder when that is all that is missing. */
  private async linkCreatingParent(src: string, dst: string): Promise<void> {
    try {
      await link(src, dst);
    } catch (err) {
      if (!hasErrno(err, 'ENOENT') || !(await this.exists(src))) throw err;
      await this.mkdirs(posix.dirname(dst));
      await link(src, dst);
    }
  }

  private async checkThenRename(src: string, dst: string): Promise<void> {
    if (await this.exists(dst)) throw new AlreadyExistsError(dst, `cannot rename ${src} to ${dst}: ${dst} already exists`);
    await this.mkdirs(posix.dirname(dst));
    try {
      await rename(src, dst);
    } catch (err) {
      throw mapFsError(err, hasErrno(err, 'ENOTEMPTY') ? dst : src, `rename ${src} to ${dst}`);
    }
  }

  private async exists(p: string): Promise<boolean> {
    try {
      await lstat(p);
      return true;
    } catch (err) {
      if (hasErrno(err, 'ENOENT') || hasErrno(err, 'ENOTDIR')) return false;
      throw mapFsError(err, p, 'stat');
    }
  }
}

function notAFolder(path: string): OxbowError {
  return new OxbowError('NOT_A_DIRECTORY', `cannot list ${path}: it is a file, not a folder`);
}

function toStatus(path: string, st: Stats): FileStatus {
  return {
    path,
    name: posix.basename(path),
    type: st.isDirectory() ? 'directory' : 'file',
    length: st.isDirectory() ? 0 : st.size,
    modificationTime: Math.round(st.mtimeMs),
  };
}
