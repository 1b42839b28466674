// Turns a failed WebHDFS answer (RemoteException JSON, or a bare HTTP error from a proxy) into oxbow's typed errors.

import { AlreadyExistsError, NotFoundError, OxbowError, PermissionError, RemoteError, UnavailableError, UsageError } from '../../src/errors.js';
import type { RemoteExceptionBody } from './types.js';

/** Server exceptions that mean "the NameNode cannot serve now, the same call may succeed later". */
const unavailableExceptions = new Set(['SafeModeException', 'StandbyException', 'RetriableException', 'ObserverRetryOnActiveException']);
/**
 * A read right after a NameNode/DataNode restart: the NameNode knows the file, but no DataNode has reported the block
 * yet (block reports take seconds to minutes). The same OPEN succeeds once they have.
 */
const blockNotReported = /BlockMissingException|No active and not excluded nodes contain this block|Could not obtain block|Cannot obtain block length/i;
const permissionExceptions = new Set(['AccessControlException', 'SecurityException', 'AuthorizationException']);

export interface FailedCall {
  /** The WebHDFS operation, e.g. CREATE. */
  op: string;
  /** The HDFS path it was about. */
  path: string;
  status: number;
  /** The response body text (may be empty or not JSON). */
  body: string;
  /** Where the answer came from, for messages: `NameNode 127.0.0.1:9870`. */
  from: string;
}

export function parseRemoteException(body: string): { exception: string; message: string } | null {
  try {
    const parsed = JSON.parse(body) as Partial<RemoteExceptionBody>;
    const remote = parsed?.RemoteException;
    if (!remote || typeof remote !== 'object') return null;
    const exception = remote.exception ?? remote.javaClassName?.split('.').pop() ?? 'RemoteException';
    // Some servers append the Java stack trace to the message; the first line is the part a user can act on.
    const message = (remote.message ?? '').split('\n')[0]!.trim();
    return { exception, message };
  } catch {
    return null;
  }
}

export function mapWebHdfsError(call: FailedCall): OxbowError {
  const remote = parseRemoteException(call.body);
  const what = `WebHDFS ${call.op} ${call.path}`;
  if (remote) {
    const message = `${what} failed (${call.from}): ${remote.exception}: ${remote.message}`;
    // A RetriableException often wraps the real cause in its message, e.g. "...SafeModeException: Name node is in safe mode".
    if (unavailableExceptions.has(remote.exception) || /SafeModeException|StandbyException/.test(remote.message)) {
      return new UnavailableError(`${message}; the NameNode cannot serve now (safe mode or standby), retry later`);
    }
    if (blockNotReported.test(`${remote.exception}: ${remote.message}`)) {
      return new UnavailableError(`${message}; HDFS is still starting (its DataNodes have not reported this block yet) and the call will be retried; if this persists, check the file with hdfs fsck`);
    }
    if (remote.exception === 'FileNotFoundException') return new NotFoundError(call.path, message);
    if (remote.exception === 'FileAlreadyExistsException') return new AlreadyExistsError(call.path, message);
    if (permissionExceptions.has(remote.exception)) return new PermissionError(`${message}; check the HDFS user (?user=NAME or HADOOP_USER_NAME) and the folder's permissions`);
    return new RemoteError(remote.exception, call.status, message);
  }
  const snippet = call.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  const message = `${what} failed (${call.from}): HTTP ${call.status}${snippet ? `: ${snippet}` : ''}`;
  if (call.status === 401 || call.status === 403) {
    return new PermissionError(`${message}; the server wants other credentials (oxbow speaks simple auth with user.name, not Kerberos/SPNEGO)`);
  }
  // WebHDFS says "not found" with a RemoteException; a bare 404 is another server answering (never a missing file).
  if (call.status === 404 && /Hadoop IPC port/i.test(call.body)) {
    return new UsageError(`${what}: ${call.from} is a Hadoop RPC (IPC) port, not WebHDFS: use the NameNode's HTTP port (dfs.namenode.http-address, 9870 by default; 50070 before Hadoop 3)`);
  }
  if (call.status === 404) return new UsageError(`${message}; this server is not WebHDFS (no /webhdfs/v1 here): check the host and port of the URI (the NameNode's HTTP port, dfs.namenode.http-address)`);
  if (call.status === 502 || call.status === 503 || call.status === 504) return new UnavailableError(`${message}; retry later`);
  return new RemoteError(`HTTP ${call.status}`, call.status, message);
}
