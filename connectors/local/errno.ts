// Turns Node's fs errors (errno codes) into oxbow's typed errors, so callers of a local ArchiveFs see the same classes as on HDFS.

import { AlreadyExistsError, NotFoundError, OxbowError, PermissionError, UnavailableError } from '../../src/errors.js';

interface ErrnoLike {
  code?: unknown;
  message?: unknown;
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as ErrnoLike | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when `err` is a Node fs error with this errno code. */
export function hasErrno(err: unknown, code: string): boolean {
  return errnoCode(err) === code;
}

/**
 * Map a failed fs call on `path` to an oxbow error. `doing` says what was attempted ("read", "rename x to y"),
 * so the message reads "cannot <doing>: <reason>".
 */
export function mapFsError(err: unknown, path: string, doing: string): OxbowError {
  if (err instanceof OxbowError) return err;
  const code = errnoCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ENOENT':
      return new NotFoundError(path, `cannot ${doing}: ${path} does not exist`, { cause: err });
    case 'EEXIST':
      return new AlreadyExistsError(path, `cannot ${doing}: ${path} already exists`, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new PermissionError(`cannot ${doing}: permission denied on ${path}; check the owner and mode of the folder`, { cause: err });
    case 'EMFILE':
    case 'ENFILE':
    case 'EAGAIN':
    case 'EBUSY':
      // Running out of file handles or a busy file passes; retrying later can succeed.
      return new UnavailableError(`cannot ${doing} ${path} now (${code}); retry later or raise the open-files limit (ulimit -n)`, { cause: err });
    case 'ENOTDIR':
      return new NotFoundError(path, `cannot ${doing}: a parent of ${path} is a file, not a folder`, { cause: err });
    default:
      return new OxbowError('IO', `cannot ${doing} ${path}: ${reason}`, { cause: err });
  }
}
