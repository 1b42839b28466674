// The storage an archive, a checkpoint or an output lives on: as small as it can be, so the same code runs on the local fs and on HDFS.
// Beside it, the two things every user of it needs the same way: joining paths and replacing a small file atomically.

import { randomUUID } from 'node:crypto';
import { AlreadyExistsError } from './errors.js';

/** One entry of a folder listing. `path` is absolute within the file system. */
export interface FileStatus {
  path: string;
  name: string;
  type: 'file' | 'directory';
  length: number;
  modificationTime: number;
}

export interface WriteOptions {
  /** Replace an existing file instead of failing with AlreadyExistsError. */
  overwrite?: boolean;
}

/**
 * Paths are absolute POSIX paths inside the file system (`/archive/topics/t/partition=0/...`).
 * Implementations map service errors onto the classes of src/errors.ts: NotFoundError,
 * AlreadyExistsError, PermissionError, UnavailableError (retriable), ConnectionError.
 */
export interface ArchiveFs {
  /** The scheme and authority its paths are under: `file://` or `webhdfs://127.0.0.1:9870`; `uriOf` adds a path. */
  readonly description: string;
  /** Entries of a folder; NotFoundError when it does not exist. */
  list(path: string): Promise<FileStatus[]>;
  /**
   * The names in a folder, where the store can give them for less than `list` (the local fs: no stat per entry);
   * NotFoundError when it does not exist. Without it, `listNames()` below takes them from `list`.
   */
  listNames?(path: string): Promise<string[]>;
  /** The status of a path, or null when it does not exist. */
  stat(path: string): Promise<FileStatus | null>;
  /** Bytes [start, end) of a file (Parquet footers, row groups). */
  readRange(path: string, start: number, end: number): Promise<Uint8Array>;
  /** A whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * A whole file in chunks of at most 64 KiB, where the store can read it so (the local fs). For a large file read once
   * and decoded as it comes, such as a partition index: one buffer of its whole size, once freed, makes the C allocator
   * keep megabytes more for the rest of the process (glibc raises its trim threshold to twice the largest freed block).
   * Without it, `readChunks()` below yields `readFile`'s one buffer.
   */
  readChunks?(path: string): AsyncIterable<Uint8Array>;
  /** Write a file from a stream of chunks without buffering it whole; parent folders are created. */
  writeFile(path: string, data: Uint8Array | AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<void>;
  /** Atomic rename; AlreadyExistsError when `to` exists, NotFoundError when `from` does not. */
  rename(from: string, to: string): Promise<void>;
  /** Delete a file or folder; false when nothing was there. */
  delete(path: string, options?: { recursive?: boolean }): Promise<boolean>;
  mkdirs(path: string): Promise<void>;
}

/**
 * The URI of `path` on `fs` (`file:///abs/x`, `webhdfs://nn:9870/x`): what oxbow prints for a file it wrote, in the form
 * every option that takes a URI accepts (`--from-savepoint`, `--archive`).
 */
export function uriOf(fs: Pick<ArchiveFs, 'description'>, path: string): string {
  // `file://` stays as it is; a trailing slash after an authority or a path (`webhdfs://nn:9870/`, `file:///`) goes.
  const d = fs.description;
  const afterScheme = d.indexOf('://') + 3;
  const base = d.length > afterScheme && d.endsWith('/') ? d.slice(0, -1) : d;
  return `${base}${path.startsWith('/') ? '' : '/'}${path}`;
}

/** The names in a folder: the store's own `listNames` where it has one, else `list`'s names. */
export async function listNames(fs: ArchiveFs, path: string): Promise<string[]> {
  return fs.listNames ? fs.listNames(path) : (await fs.list(path)).map((s) => s.name);
}

/** A file's bytes in chunks: the store's own `readChunks` where it has one, else `readFile` whole. */
export async function* readChunks(fs: ArchiveFs, path: string): AsyncIterable<Uint8Array> {
  if (fs.readChunks) yield* fs.readChunks(path);
  else yield await fs.readFile(path);
}

/** Joins POSIX path segments without doubling slashes; the root keeps its leading slash. */
export function joinPath(...parts: string[]): string {
  const joined = parts.filter((p) => p.length > 0).join('/').replace(/\/{2,}/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/**
 * Creates the small file `target` with `bytes` only if no file has that name, whole or not at all: written in full to
 * `tmp`, then renamed without replacing. False (the temp file removed) when the name was taken, by another writer too.
 */
export async function createExclusively(fs: Pick<ArchiveFs, 'writeFile' | 'rename' | 'delete'>, target: string, bytes: Uint8Array, tmp: string): Promise<boolean> {
  await fs.writeFile(tmp, bytes, { overwrite: true });
  try {
    await fs.rename(tmp, target);
    return true;
  } catch (err) {
    await fs.delete(tmp).catch(() => false);
    if (err instanceof AlreadyExistsError) return false;
    throw err;
  }
}

/**
 * Replaces the small file `target` with `bytes` so that a reader sees the old file or the new one, never part of one:
 * written in full to `tmp` (default: a hidden sibling), then renamed into place. An ArchiveFs cannot rename onto an
 * existing file (WebHDFS), so an existing target is deleted just before the rename: a crash between the two leaves no
 * file, which every caller treats as "rebuild" or "start from the previous one". The temp file never outlives a failure.
 */
export async function writeAtomically(
  fs: Pick<ArchiveFs, 'writeFile' | 'rename' | 'delete'>,
  target: string,
  bytes: Uint8Array,
  tmp = joinPath(target.slice(0, target.lastIndexOf('/') + 1), `.${target.slice(target.lastIndexOf('/') + 1)}.${randomUUID()}.tmp`),
): Promise<void> {
  await fs.writeFile(tmp, bytes, { overwrite: true });
  try {
    await fs.delete(target);
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.delete(tmp).catch(() => false);
    throw err;
  }
}
