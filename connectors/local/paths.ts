// Checks shared by every ArchiveFs: paths are absolute POSIX paths, byte ranges are sane.

import { posix } from 'node:path';
import { UsageError } from '../../src/errors.js';

/** An absolute path with `.`/`..` resolved and no trailing slash, so messages show the real place. */
export function checkPath(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new UsageError(`path '${String(path)}' must be absolute (start with '/'); open the storage with openArchiveFs(uri) and join paths onto its root`);
  }
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** [start, end) must be integers with 0 <= start <= end; a range past the end of the file is cut short by the reader. */
export function checkRange(path: string, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new UsageError(`cannot read ${path}: byte range [${start}, ${end}) is invalid; start and end must be integers with 0 <= start <= end`);
  }
}
