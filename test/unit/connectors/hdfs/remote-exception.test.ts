// RemoteException bodies and bare HTTP errors become the right typed errors, with the server's message and no stack trace.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapWebHdfsError, parseRemoteException } from '../../../../connectors/hdfs/remote-exception.js';
import { AlreadyExistsError, PermissionError, RemoteError, UnavailableError, UsageError } from '../../../../src/errors.js';

const call = (status: number, body: string) => ({ op: 'CREATE', path: '/a/b', status, body, from: 'DataNode 127.0.0.1:9864' });

describe('parseRemoteException', () => {
  it('keeps the first line of the message and falls back to the Java class name', () => {
    const body = JSON.stringify({ RemoteException: { javaClassName: 'org.apache.hadoop.fs.FileAlreadyExistsException', message: '/a/b already exists\n\tat org.apache.X.y(X.java:1)' } });
    assert.deepEqual(parseRemoteException(body), { exception: 'FileAlreadyExistsException', message: '/a/b already exists' });
  });
  it('returns null for bodies that are not a RemoteException', () => {
    assert.equal(parseRemoteException('<html/>'), null);
    assert.equal(parseRemoteException('{"boolean":false}'), null);
    assert.equal(parseRemoteException(''), null);
  });
});

describe('mapWebHdfsError', () => {
  const remote = (exception: string, message: string) => JSON.stringify({ RemoteException: { exception, javaClassName: `x.${exception}`, message } });

  it('names the operation, path, peer, exception and message', () => {
    const err = mapWebHdfsError(call(403, remote('FileAlreadyExistsException', '/a/b for client 127.0.0.1 already exists')));
    assert.ok(err instanceof AlreadyExistsError);
    assert.equal(err.path, '/a/b');
    assert.equal(err.message, 'WebHDFS CREATE /a/b failed (DataNode 127.0.0.1:9864): FileAlreadyExistsException: /a/b for client 127.0.0.1 already exists');
  });

  it('sees a safe mode wrapped in a RetriableException or an IOException message', () => {
    const wrapped = mapWebHdfsError(call(403, remote('IOException', 'org.apache.hadoop.hdfs.server.namenode.SafeModeException: Cannot create file. Name node is in safe mode.')));
    assert.ok(wrapped instanceof UnavailableError && wrapped.retriable);
  });

  it('sees a block not yet reported after a restart as retriable, saying HDFS is still starting', () => {
    for (const [exception, message] of [
      ['BlockMissingException', 'Could not obtain block: BP-1:blk_1073741825_1001 file=/a/b'],
      ['IOException', 'No active and not excluded nodes contain this block: BP-1:blk_1073741825_1001'],
      ['IOException', 'Cannot obtain block length for LocatedBlock{BP-1:blk_1073741825_1001}'],
      ['RemoteException', 'org.apache.hadoop.hdfs.BlockMissingException: Could not obtain block'],
    ] as const) {
      const err = mapWebHdfsError({ ...call(403, remote(exception, message)), op: 'OPEN' });
      assert.ok(err instanceof UnavailableError && err.retriable, `${exception}: ${message}`);
      assert.match(err.message, /^WebHDFS OPEN \/a\/b failed \(DataNode 127\.0\.0\.1:9864\): /);
      assert.match(err.message, /HDFS is still starting.*retried/);
    }
  });

  it('maps bare HTTP statuses', () => {
    assert.ok(mapWebHdfsError(call(401, 'Authentication required')) instanceof PermissionError);
    // A bare 404 is not WebHDFS answering (it says "not found" with a RemoteException): the URI is wrong, not the path.
    const notWebHdfs = mapWebHdfsError(call(404, 'no such servlet'));
    assert.ok(notWebHdfs instanceof UsageError && /not WebHDFS/.test(notWebHdfs.message), notWebHdfs.message);
    const ipc = mapWebHdfsError(call(404, 'It looks like you are making an HTTP request to a Hadoop IPC port. This is not the correct port for the web interface on this daemon.'));
    assert.ok(ipc instanceof UsageError && /Hadoop RPC \(IPC\) port, not WebHDFS.*9870/.test(ipc.message), ipc.message);
    assert.ok(mapWebHdfsError(call(504, '')) instanceof UnavailableError);
    const other = mapWebHdfsError(call(418, "I'm a teapot"));
    assert.ok(other instanceof RemoteError && other.remoteException === 'HTTP 418' && other.status === 418 && !other.retriable);
  });
});
