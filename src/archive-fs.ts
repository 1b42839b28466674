// The storage an archive, a checkpoint or an output lives on: as small as it can be, so the same code runs on the local fs and on HDFS.

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
  /** Where this file system lives, for messages: `file:///data` or `webhdfs://127.0.0.1:9870`. */
  readonly description: string;
  /** Entries of a folder; NotFoundError when it does not exist. */
  list(path: string): Promise<FileStatus[]>;
  /** The status of a path, or null when it does not exist. */
  stat(path: string): Promise<FileStatus | null>;
  /** Bytes [start, end) of a file (Parquet footers, row groups). */
  readRange(path: string, start: number, end: number): Promise<Uint8Array>;
  /** A whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Write a file from a stream of chunks without buffering it whole; parent folders are created. */
  writeFile(path: string, data: Uint8Array | AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<void>;
  /** Atomic rename; AlreadyExistsError when `to` exists, NotFoundError when `from` does not. */
  rename(from: string, to: string): Promise<void>;
  /** Delete a file or folder; false when nothing was there. */
  delete(path: string, options?: { recursive?: boolean }): Promise<boolean>;
  mkdirs(path: string): Promise<void>;
}
