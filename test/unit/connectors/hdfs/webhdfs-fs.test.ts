// WebHdfsFs keeps the ArchiveFs contract over WebHDFS (checked against the fake NameNode): listing, no-clobber rename, ranges, deletes.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebHdfsFs } from '../../../../connectors/hdfs/webhdfs-fs.js';
import { openArchiveFs } from '../../../../connectors/open-archive-fs.js';
import { AlreadyExistsError, ConnectionError, NotFoundError, OxbowError, UsageError } from '../../../../src/errors.js';
import { FakeWebHdfs, remote } from './fake-webhdfs.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('WebHdfsFs', () => {
  let hdfs: FakeWebHdfs;
  let fs: WebHdfsFs;
  before(async () => {
    hdfs = await new FakeWebHdfs().start();
    const opened = openArchiveFs(`webhdfs://${new URL(hdfs.nameNodeUrl).host}/archive?user=etl`);
    assert.ok(opened.fs instanceof WebHdfsFs);
    assert.equal(opened.root, '/archive');
    assert.equal(opened.fs.description, `webhdfs://${new URL(hdfs.nameNodeUrl).host}`);
    fs = opened.fs;
  });
  after(() => hdfs.stop());

  it('writes, stats, lists sorted and reads back', async () => {
    await fs.writeFile('/archive/b.txt', bytes('bb'));
    await fs.writeFile('/archive/a.txt', (async function* () { yield bytes('a'); })());
    await fs.mkdirs('/archive/sub');
    assert.deepEqual((await fs.list('/archive/')).map((e) => [e.name, e.type, e.length, e.path]), [
      ['a.txt', 'file', 1, '/archive/a.txt'],
      ['b.txt', 'file', 2, '/archive/b.txt'],
      ['sub', 'directory', 0, '/archive/sub'],
    ]);
    assert.equal((await fs.stat('/archive/b.txt'))?.length, 2);
    assert.equal(await fs.stat('/archive/none'), null);
    assert.equal(text(await fs.readFile('/archive/b.txt')), 'bb');
    assert.equal(hdfs.seen.find((s) => s.server === 'namenode')?.query.get('user.name'), 'etl');
  });

  it('refuses to list a file and to overwrite without asking', async () => {
    await assert.rejects(fs.list('/archive/a.txt'), (e: unknown) => e instanceof OxbowError && e.code === 'NOT_A_DIRECTORY');
    await assert.rejects(fs.list('/nowhere'), NotFoundError);
    await assert.rejects(fs.writeFile('/archive/a.txt', bytes('x')), AlreadyExistsError);
    await fs.writeFile('/archive/a.txt', bytes('x'), { overwrite: true });
    assert.equal(text(await fs.readFile('/archive/a.txt')), 'x');
  });

  it('reads ranges, cutting one past the end short', async () => {
    await fs.writeFile('/archive/r.txt', bytes('0123456789'));
    assert.equal(text(await fs.readRange('/archive/r.txt', 3, 6)), '345');
    assert.equal(text(await fs.readRange('/archive/r.txt', 8, 50)), '89');
    assert.equal((await fs.readRange('/archive/r.txt', 20, 30)).length, 0);
    assert.equal((await fs.readRange('/archive/r.txt', 4, 4)).length, 0);
  });

  it('renames without replacing, creating a missing destination folder', async () => {
    await fs.writeFile('/archive/+tmp/f', bytes('f'));
    await fs.writeFile('/archive/taken', bytes('t'));
    await assert.rejects(fs.rename('/archive/+tmp/f', '/archive/taken'), AlreadyExistsError);
    await assert.rejects(fs.rename('/archive/+tmp/none', '/archive/x'), (e: unknown) => e instanceof NotFoundError && e.path === '/archive/+tmp/none');
    await fs.rename('/archive/+tmp/f', '/archive/topics/t/partition=0/t+0+0+9.parquet');
    assert.equal(text(await fs.readFile('/archive/topics/t/partition=0/t+0+0+9.parquet')), 'f');
    assert.equal(await fs.stat('/archive/+tmp/f'), null);
  });

  it('deletes, says when nothing was there, and refuses a non-empty folder unless recursive', async () => {
    await fs.writeFile('/archive/d/x', bytes('1'));
    assert.equal(await fs.delete('/archive/d/none'), false);
    await assert.rejects(fs.delete('/archive/d'), (e: unknown) => e instanceof OxbowError && e.code === 'NOT_EMPTY');
    assert.equal(await fs.delete('/archive/d', { recursive: true }), true);
    assert.equal(await fs.stat('/archive/d'), null);
  });

  it('mkdirs refuses a file in the way', async () => {
    await assert.rejects(fs.mkdirs('/archive/b.txt'), AlreadyExistsError);
  });

  it('reads a file whose block is not reported yet once the DataNode has it (after an HDFS restart)', async () => {
    await fs.writeFile('/archive/restart.txt', bytes('back'));
    hdfs.inject.set('DN_OPEN', { status: 403, body: JSON.stringify(remote('BlockMissingException', 'Could not obtain block: blk_1')), times: 1 });
    assert.equal(text(await fs.readFile('/archive/restart.txt')), 'back');
  });

  describe('openArchiveFs passes the trusted DataNode hosts through', () => {
    const uri = () => `webhdfs://${new URL(hdfs.nameNodeUrl).host}/archive?user=etl`;
    // TEST-NET-1, never routed: a followed redirect ends in a ConnectionError, a refused one in a UsageError.
    before(() => (hdfs.redirectOrigin = 'http://192.0.2.1:9864'));
    after(() => (hdfs.redirectOrigin = undefined));
    const refused = (e: unknown) => e instanceof UsageError && /not a trusted host/.test(e.message);

    it('from the webhdfs.dataNodes option', async () => {
      await assert.rejects(openArchiveFs(uri(), { env: {} }).fs.readFile('/archive/b.txt'), refused);
      const opened = openArchiveFs(uri(), { env: {}, webhdfs: { dataNodes: ['192.0.2.1'], stallTimeoutMs: 300 } });
      await assert.rejects(opened.fs.readFile('/archive/b.txt'), ConnectionError);
    });

    it('from OXBOW_WEBHDFS_DATANODES in the env option', async () => {
      const opened = openArchiveFs(uri(), { env: { OXBOW_WEBHDFS_DATANODES: '192.0.2.1' }, webhdfs: { stallTimeoutMs: 300 } });
      await assert.rejects(opened.fs.readFile('/archive/b.txt'), ConnectionError);
    });
  });
});
