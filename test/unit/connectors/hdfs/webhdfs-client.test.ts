// WebHdfsClient against a fake NameNode/DataNode: two-step writes, streamed bodies, ranges, rename checks, error mapping, timeouts.

import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { WebHdfsClient } from '../../../../connectors/hdfs/webhdfs-client.js';
import {
  AlreadyExistsError, ConnectionError, NotFoundError, PermissionError, RemoteError, UnavailableError, UsageError,
} from '../../../../src/errors.js';
import { FakeWebHdfs, remote } from './fake-webhdfs.js';


async function* pieces(count: number, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < count; i++) yield new Uint8Array(size).fill(i % 251);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('WebHdfsClient', () => {
  let hdfs: FakeWebHdfs;
  let client: WebHdfsClient;
  before(async () => {
    hdfs = await new FakeWebHdfs().start();
    // env: {} so an OXBOW_WEBHDFS_DATANODES of the machine running the tests does not change the redirect tests.
    client = new WebHdfsClient({ url: hdfs.nameNodeUrl, user: 'etl', retry: { initialDelayMs: 1, retries: 3 }, env: {} });
  });
  after(() => hdfs.stop());
  beforeEach(() => {
    hdfs.seen.length = 0;
    hdfs.inject.clear();
    hdfs.redirectOrigin = undefined;
  });

  it('with a delegation token, every NameNode call carries the token and no user.name', async () => {
    const tokened = new WebHdfsClient({ url: hdfs.nameNodeUrl, user: 'etl', delegation: 'HAAEdGVzdAR0ZXN0AIoB', retry: { initialDelayMs: 1, retries: 3 }, env: {} });
    await tokened.create('/tok/a.txt', new TextEncoder().encode('x'));
    await tokened.listStatus('/tok');
    const toNameNode = hdfs.seen.filter((r) => r.server === 'namenode');
    assert.ok(toNameNode.length >= 3);
    for (const r of toNameNode) {
      assert.equal(r.query.get('delegation'), 'HAAEdGVzdAR0ZXN0AIoB', r.query.get('op') ?? '');
      assert.equal(r.query.has('user.name'), false, r.query.get('op') ?? '');
    }
  });

  it('creates a file in two steps, streaming the body in chunks, as the given user', async () => {
    await client.create('/t/topics/a+0+000+099.parquet', pieces(64, 16 * 1024));
    const stored = hdfs.nodes.get('/t/topics/a+0+000+099.parquet');
    assert.equal(stored?.data.length, 64 * 16 * 1024);
    assert.equal(stored?.data[16 * 1024 * 5], 5);
    const [check, nn, dn] = hdfs.seen;
    assert.equal(check?.query.get('op'), 'GETFILESTATUS', 'asks the NameNode whether the file exists before sending');
    assert.equal(nn?.server, 'namenode');
    assert.equal(nn?.query.get('op'), 'CREATE');
    assert.equal(nn?.query.get('user.name'), 'etl');
    assert.equal(nn?.query.get('overwrite'), 'false');
    assert.equal(dn?.server, 'datanode');
    assert.equal(dn?.method, 'PUT');
    assert.equal(dn?.headers['transfer-encoding'], 'chunked', 'a streamed body has no content-length');
    assert.ok(hdfs.maxChunk < stored!.data.length, 'the DataNode received the body in pieces');
  });

  it('creates from a Uint8Array and appends', async () => {
    await client.create('/t/app.txt', new TextEncoder().encode('one '));
    await client.append('/t/app.txt', pieces(1, 0));
    await client.append('/t/app.txt', (async function* () { yield new TextEncoder().encode('two'); })());
    assert.equal(hdfs.nodes.get('/t/app.txt')?.data.toString(), 'one two');
  });

  it('refuses an existing file before sending a byte', async () => {
    hdfs.put('/t/exists', 'x');
    await assert.rejects(client.create('/t/exists', pieces(2, 10)), AlreadyExistsError);
    assert.equal(hdfs.seen.filter((s) => s.server === 'datanode').length, 0);
  });

  it('maps a DataNode FileAlreadyExistsException during a streamed CREATE to AlreadyExistsError', async () => {
    hdfs.put('/t/exists', 'x');
    // Someone creates the file between the existence check and the write: the DataNode's check is the atomic one.
    hdfs.inject.set('GETFILESTATUS', { status: 404, body: JSON.stringify(remote('FileNotFoundException', 'not there yet')) });
    const err = await client.create('/t/exists', pieces(200, 64 * 1024)).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof AlreadyExistsError, String(err));
    assert.equal(err.path, '/t/exists');
    assert.match(err.message, /already exists/);
    assert.equal(hdfs.nodes.get('/t/exists')?.data.toString(), 'x');
  });

  it('returns the error the data producer threw, not a network error, and removes the partial file', async () => {
    const arrived = new Promise<void>((resolve) => (hdfs.onDataNodeChunk = () => resolve()));
    async function* broken(): AsyncIterable<Uint8Array> {
      yield new Uint8Array(10);
      await arrived; // the DataNode holds a partial file now
      throw new Error('encoder failed');
    }
    await assert.rejects(client.create('/t/broken', broken()), /encoder failed/);
    hdfs.onDataNodeChunk = undefined;
    assert.equal(hdfs.nodes.has('/t/broken'), false, 'no partial file is left behind');
  });

  it('reads whole files and byte ranges across several body chunks', async () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256));
    hdfs.put('/t/range.bin', data);
    assert.deepEqual(Buffer.from(await client.read('/t/range.bin')), data);
    assert.deepEqual(Buffer.from(await client.read('/t/range.bin', { offset: 1234, length: 2500 })), data.subarray(1234, 3734));
    const open = hdfs.seen.filter((s) => s.query.get('op') === 'OPEN' && s.server === 'namenode').pop();
    assert.equal(open?.query.get('offset'), '1234');
    assert.equal(open?.query.get('length'), '2500');
  });

  it('lets a reader stop early without leaving the client stuck', async () => {
    hdfs.put('/t/big.bin', Buffer.alloc(200_000, 7));
    for await (const chunk of await client.open('/t/big.bin')) {
      assert.ok(chunk.length > 0);
      break;
    }
    assert.equal((await client.getFileStatus('/t/big.bin')).length, 200_000);
  });

  it('lists, stats, makes folders and deletes', async () => {
    hdfs.put('/l/a', '1');
    hdfs.put('/l/b', '22');
    assert.equal(await client.mkdirs('/l/sub/deeper'), true);
    const names = (await client.listStatus('/l')).map((s) => `${s.pathSuffix}:${s.type}:${s.length}`).sort();
    assert.deepEqual(names, ['a:FILE:1', 'b:FILE:2', 'sub:DIRECTORY:0']);
    assert.equal((await client.getFileStatus('/l/b')).length, 2);
    assert.equal(await client.delete('/l/a'), true);
    assert.equal(await client.delete('/l/a'), false);
    assert.equal(await client.delete('/l', true), true);
    await assert.rejects(client.listStatus('/l'), NotFoundError);
  });

  it('turns a false RENAME into NotFoundError or AlreadyExistsError by checking which', async () => {
    hdfs.put('/r/src', 's');
    hdfs.put('/r/dst', 'd');
    const taken = await client.rename('/r/src', '/r/dst').then(() => null, (e: unknown) => e);
    assert.ok(taken instanceof AlreadyExistsError && taken.path === '/r/dst', String(taken));
    const missing = await client.rename('/r/none', '/r/x').then(() => null, (e: unknown) => e);
    assert.ok(missing instanceof NotFoundError && missing.path === '/r/none', String(missing));
    const noParent = await client.rename('/r/src', '/r/no/such/x').then(() => null, (e: unknown) => e);
    assert.ok(noParent instanceof NotFoundError && noParent.path === '/r/no/such', String(noParent));
    await client.rename('/r/src', '/r/moved');
    assert.equal(hdfs.nodes.get('/r/moved')?.data.toString(), 's');
  });

  it('renameStrict asks for rename options NONE and maps the server exceptions', async () => {
    hdfs.put('/s/src', 's');
    hdfs.put('/s/dst', 'd');
    await assert.rejects(client.renameStrict('/s/src', '/s/dst'), (e: unknown) => e instanceof AlreadyExistsError && e.path === '/s/dst');
    await assert.rejects(client.renameStrict('/s/none', '/s/x'), NotFoundError);
    await client.renameStrict('/s/src', '/s/new');
    const call = hdfs.seen.filter((s) => s.query.get('op') === 'RENAME').pop();
    assert.equal(call?.query.get('renameoptions'), 'NONE');
    assert.equal(call?.query.get('destination'), '/s/new');
  });

  it('sends + = and spaces in names intact', async () => {
    await client.create('/enc/topics/t/partition=0/t+0+0001+0002 x%.parquet', new Uint8Array([1]));
    assert.ok(hdfs.nodes.has('/enc/topics/t/partition=0/t+0+0001+0002 x%.parquet'));
    await client.rename('/enc/topics/t/partition=0/t+0+0001+0002 x%.parquet', '/enc/a+b c');
    assert.ok(hdfs.nodes.has('/enc/a+b c'));
  });

  describe('error mapping', () => {
    const cases = [
      ['AccessControlException', 403, PermissionError],
      ['SecurityException', 403, PermissionError],
      ['FileNotFoundException', 404, NotFoundError],
      ['FileAlreadyExistsException', 403, AlreadyExistsError],
      ['IllegalArgumentException', 400, RemoteError],
    ] as const;
    for (const [exception, status, type] of cases) {
      it(`${exception} → ${type.name} carrying the server's message`, async () => {
        hdfs.inject.set('GETFILESTATUS', { status, body: JSON.stringify(remote(exception, `server says ${exception}`)) });
        const err = await client.getFileStatus('/x').then(() => null, (e: unknown) => e);
        assert.ok(err instanceof type, String(err));
        assert.match((err as Error).message, new RegExp(`server says ${exception}`));
        if (err instanceof RemoteError) {
          assert.equal(err.remoteException, exception);
          assert.equal(err.status, status);
        }
      });
    }

    for (const exception of ['SafeModeException', 'StandbyException', 'RetriableException']) {
      it(`${exception} is retriable and retried until the NameNode serves`, async () => {
        hdfs.put('/ok', 'x');
        hdfs.inject.set('GETFILESTATUS', { status: 403, body: JSON.stringify(remote(exception, 'Name node is in safe mode.')), times: 2 });
        assert.equal((await client.getFileStatus('/ok')).length, 1);
        assert.equal(hdfs.seen.filter((s) => s.query.get('op') === 'GETFILESTATUS').length, 3);
      });
    }

    it('gives up with UnavailableError (retriable) after the retry budget', async () => {
      hdfs.inject.set('MKDIRS', { status: 403, body: JSON.stringify(remote('SafeModeException', 'Name node is in safe mode.')), times: 10 });
      const err = await client.mkdirs('/m').then(() => null, (e: unknown) => e);
      assert.ok(err instanceof UnavailableError && err.retriable, String(err));
      assert.match(err.message, /safe mode/);
      assert.equal(hdfs.seen.filter((s) => s.query.get('op') === 'MKDIRS').length, 4);
    });

    it('a non-JSON error body becomes RemoteError with the HTTP status; a 503 is retriable', async () => {
      hdfs.inject.set('LISTSTATUS', { status: 500, body: '<html>Internal Server Error</html>' });
      const err = await client.listStatus('/').then(() => null, (e: unknown) => e);
      assert.ok(err instanceof RemoteError && err.status === 500 && /Internal Server Error/.test(err.message), String(err));
      hdfs.inject.set('LISTSTATUS', { status: 503, body: 'busy', times: 10 });
      await assert.rejects(client.listStatus('/'), UnavailableError);
    });

    for (const [exception, message] of [
      ['BlockMissingException', 'Could not obtain block: BP-1:blk_1073741825_1001 file=/ok'],
      ['IOException', 'No active and not excluded nodes contain this block: BP-1:blk_1073741825_1001'],
      ['IOException', 'Cannot obtain block length for LocatedBlock{BP-1:blk_1073741825_1001}'],
    ] as const) {
      it(`a DataNode's ${exception} "${message.slice(0, 30)}…" after a restart is retried until the block is reported`, async () => {
        hdfs.put('/ok', 'x');
        hdfs.inject.set('DN_OPEN', { status: 403, body: JSON.stringify(remote(exception, message)), times: 2 });
        assert.equal(new TextDecoder().decode(await client.read('/ok')), 'x');
        assert.equal(hdfs.seen.filter((s) => s.server === 'namenode' && s.query.get('op') === 'OPEN').length, 3, 'each try asks the NameNode again');
        assert.equal(hdfs.seen.filter((s) => s.server === 'datanode').length, 3);
      });
    }

    it('a block that stays unreported fails with a retriable UnavailableError saying HDFS is still starting', async () => {
      hdfs.put('/ok', 'x');
      hdfs.inject.set('DN_OPEN', { status: 403, body: JSON.stringify(remote('BlockMissingException', 'Could not obtain block: blk_1')), times: 10 });
      const err = await client.read('/ok').then(() => null, (e: unknown) => e);
      assert.ok(err instanceof UnavailableError && err.retriable, String(err));
      assert.match(err.message, /DataNode 127\.0\.0\.1:\d+.*BlockMissingException.*HDFS is still starting.*retried/);
      assert.equal(hdfs.seen.filter((s) => s.server === 'datanode').length, 4);
    });

    it('a DataNode error that retrying cannot fix is not retried', async () => {
      hdfs.inject.set('DN_OPEN', { status: 403, body: JSON.stringify(remote('AccessControlException', 'no')), times: 10 });
      await assert.rejects(client.read('/ok'), PermissionError);
      assert.equal(hdfs.seen.filter((s) => s.server === 'datanode').length, 1);
    });

    it('refuses to follow a redirect to a non-http location', async () => {
      hdfs.inject.set('OPEN', { status: 307, body: '', headers: { location: 'file:///etc/passwd' } });
      const err = await client.read('/x').then(() => null, (e: unknown) => e);
      assert.ok(err instanceof RemoteError && err.remoteException === 'BadRedirect', String(err));
    });
  });

  describe('redirects', () => {
    const untrusted = (e: unknown) => e instanceof UsageError && /not a trusted host|never followed to HTTP/.test(e.message) && !e.retriable;

    it('follows a NameNode on 127.0.0.1 to a DataNode on localhost (loopback is one host) with no configuration', async () => {
      hdfs.put('/t/lo', 'lo');
      hdfs.redirectOrigin = hdfs.dataNodeUrl.replace('127.0.0.1', 'localhost');
      assert.equal(new TextDecoder().decode(await client.read('/t/lo')), 'lo');
    });

    for (const op of ['OPEN', 'CREATE', 'APPEND'] as const) {
      it(`refuses a ${op} redirect to a host that is not trusted, before contacting it, naming it and what to do`, async () => {
        hdfs.put('/t/r', 'r');
        hdfs.redirectOrigin = 'http://dn7.example:9864';
        const call = op === 'OPEN' ? client.read('/t/r') : op === 'CREATE' ? client.create('/t/new', pieces(1, 4)) : client.append('/t/r', pieces(1, 4));
        const err = await call.then(() => null, (e: unknown) => e);
        assert.ok(untrusted(err), String(err));
        assert.match((err as Error).message, new RegExp(`WebHDFS ${op} /t/\\w+: the NameNode at ${hdfs.nameNodeUrl} redirected to dn7\\.example:9864, which is not a trusted host`));
        assert.match((err as Error).message, /--datanodes dn7\.example.*OXBOW_WEBHDFS_DATANODES=dn7\.example/);
        assert.equal(hdfs.seen.filter((s) => s.server === 'namenode' && s.query.get('op') === op).length, 1, 'not retried');
        assert.equal(hdfs.seen.filter((s) => s.server === 'datanode').length, 0);
      });
    }

    it('the same holds for a Location the NameNode sends as JSON (noredirect)', async () => {
      hdfs.inject.set('OPEN', { status: 200, body: JSON.stringify({ Location: 'http://dn7.example:9864/webhdfs/v1/x?op=OPEN' }) });
      await assert.rejects(client.read('/x'), untrusted);
    });

    // 192.0.2.1 is TEST-NET-1: never routed, so a followed redirect ends in a ConnectionError, not in a refusal.
    const testNet = 'http://192.0.2.1:9864';
    it('follows to a host listed in the dataNodes option', async () => {
      hdfs.redirectOrigin = testNet;
      const listed = new WebHdfsClient({ url: hdfs.nameNodeUrl, user: 'etl', dataNodes: ['192.0.2.1'], stallTimeoutMs: 300, env: {} });
      const err = await listed.read('/t/r').then(() => null, (e: unknown) => e);
      assert.ok(err instanceof ConnectionError && err.address === '192.0.2.1:9864', String(err));
    });

    it('follows to a host listed in OXBOW_WEBHDFS_DATANODES when the option is not given', async () => {
      hdfs.redirectOrigin = testNet;
      const fromEnv = new WebHdfsClient({ url: hdfs.nameNodeUrl, user: 'etl', stallTimeoutMs: 300, env: { OXBOW_WEBHDFS_DATANODES: 'dn1,192.0.2.1' } });
      await assert.rejects(fromEnv.read('/t/r'), ConnectionError);
      const optionWins = new WebHdfsClient({ url: hdfs.nameNodeUrl, user: 'etl', dataNodes: ['dn1'], env: { OXBOW_WEBHDFS_DATANODES: '192.0.2.1' } });
      await assert.rejects(optionWins.read('/t/r'), untrusted);
    });

    it('a malformed dataNodes entry fails at construction', () => {
      assert.throws(() => new WebHdfsClient({ url: hdfs.nameNodeUrl, user: 'etl', dataNodes: ['dn1:port'] }), UsageError);
    });

    it('a bad url is refused without echoing its credentials', () => {
      for (const url of ['http://bob:hunter2@[nn:9870', 'ftp://bob:hunter2@nn:9870']) {
        assert.throws(() => new WebHdfsClient({ url, user: 'etl' }), (e: unknown) => e instanceof UsageError && !e.message.includes('hunter2') && e.cause === undefined);
      }
    });
  });

  describe('unreachable services', () => {
    it('a closed NameNode port fails with ConnectionError naming the address and what to check', async () => {
      const port = await closedPort();
      const dead = new WebHdfsClient({ url: `http://127.0.0.1:${port}`, user: 'etl' });
      const err = await dead.listStatus('/').then(() => null, (e: unknown) => e);
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.address, `127.0.0.1:${port}`);
      assert.ok(err.retriable);
      assert.match(err.message, new RegExp(`NameNode at http://127.0.0.1:${port}.*ECONNREFUSED.*dfs.namenode.http-address`));
    });

    it('a DataNode the NameNode redirects to that is down fails with ConnectionError naming the DataNode', async () => {
      const port = await closedPort();
      hdfs.inject.set('CREATE', { status: 307, body: '', headers: { location: `http://127.0.0.1:${port}/webhdfs/v1/x?op=CREATE` } });
      const err = await client.create('/x', pieces(3, 10)).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.address, `127.0.0.1:${port}`);
      assert.match(err.message, /DataNode .*redirected.*dfs.datanode.hostname/);
    });

    it('a NameNode that accepts but never answers fails after the stall timeout', async () => {
      const silent: Server = createServer(() => {});
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as AddressInfo;
      try {
        const stuck = new WebHdfsClient({ url: `http://127.0.0.1:${port}`, user: 'etl', stallTimeoutMs: 200 });
        const err = await stuck.getFileStatus('/').then(() => null, (e: unknown) => e);
        assert.ok(err instanceof ConnectionError, String(err));
        assert.match(err.message, /made no progress for 0.2 s/);
      } finally {
        silent.closeAllConnections();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it('a slow data producer does not count as a stalled DataNode', async () => {
      const patient = new WebHdfsClient({ url: hdfs.nameNodeUrl, user: 'etl', stallTimeoutMs: 100 });
      async function* slow(): AsyncIterable<Uint8Array> {
        for (let i = 0; i < 3; i++) {
          await delay(250); // the producer computing its next chunk, longer than the stall timeout
          yield new Uint8Array(4).fill(i);
        }
      }
      await patient.create('/slow', slow());
      assert.deepEqual([...hdfs.nodes.get('/slow')!.data], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    });
  });
});
