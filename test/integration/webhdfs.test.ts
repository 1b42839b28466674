// The WebHDFS client and WebHdfsFs against the real HDFS: a 64 MiB streamed write read back byte for byte, ranges, 1,000-file listings, no-clobber rename, deletes, an unreachable NameNode.

import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import PQueue from 'p-queue';
import { WebHdfsClient } from '../../connectors/hdfs/webhdfs-client.js';
import { WebHdfsFs } from '../../connectors/hdfs/webhdfs-fs.js';
import { openArchiveFs } from '../../connectors/open-archive-fs.js';
import { listNames } from '../../src/archive-fs.js';
import { AlreadyExistsError, ConnectionError, NotFoundError, PartitionConflict } from '../../src/errors.js';
import { FileSink } from '../../src/sink/file-sink.js';
import type { OutputRecord } from '../../src/sink/types.js';

const MiB = 1024 * 1024;

function webhdfsUrl(): string {
  const value = process.env.OXBOW_WEBHDFS_URL;
  assert.ok(value, 'OXBOW_WEBHDFS_URL is not set: run `npm test` (it starts HDFS), or `npm run services -- start` and export the lines it prints');
  return value;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('WebHDFS against the real HDFS', () => {
  let client: WebHdfsClient;
  let fs: WebHdfsFs;
  const dir = `/oxbow-it/webhdfs-${randomUUID()}`;

  before(() => {
    client = new WebHdfsClient({ url: webhdfsUrl(), user: 'oxbow' });
    fs = new WebHdfsFs({ url: webhdfsUrl(), user: 'oxbow' });
  });
  after(async () => {
    if (client) await client.delete(dir, true);
  });

  it('writes 64 MiB from a stream and reads it back byte for byte, and a byte range', { timeout: 300_000 }, async () => {
    const path = `${dir}/big.bin`;
    const chunkSize = MiB;
    const chunks = 64;
    const written = createHash('sha256');
    const kept = new Map<number, Buffer>(); // two chunks kept to check a range that spans them
    async function* produce(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < chunks; i++) {
        const chunk = randomBytes(chunkSize);
        written.update(chunk);
        if (i === 20 || i === 21) kept.set(i, chunk);
        yield chunk;
      }
    }
    await client.create(path, produce());
    assert.equal((await client.getFileStatus(path)).length, chunks * chunkSize);

    const read = createHash('sha256');
    let length = 0;
    for await (const chunk of await client.open(path)) {
      read.update(chunk);
      length += chunk.length;
    }
    assert.equal(length, chunks * chunkSize);
    assert.equal(read.digest('hex'), written.digest('hex'));

    const start = 20 * chunkSize + 12_345;
    const end = 21 * chunkSize + 54_321;
    const expected = Buffer.concat([kept.get(20)!, kept.get(21)!]).subarray(12_345, chunkSize + 54_321);
    const range = await fs.readRange(path, start, end);
    assert.equal(range.length, end - start);
    assert.ok(Buffer.from(range).equals(expected), 'the range holds the bytes written there');
    // A range past the end is cut short, like Blob.slice.
    assert.equal((await fs.readRange(path, chunks * chunkSize - 10, chunks * chunkSize + 100)).length, 10);
    assert.equal((await fs.readRange(path, chunks * chunkSize + 5, chunks * chunkSize + 100)).length, 0);
  });

  it('lists a folder of 1,000 files created with bounded concurrency', { timeout: 300_000 }, async () => {
    const folder = `${dir}/many`;
    const queue = new PQueue({ concurrency: 8 });
    const names = Array.from({ length: 1000 }, (_, i) => `t+0+${String(i * 10).padStart(20, '0')}+${String(i * 10 + 9).padStart(20, '0')}.jsonl`);
    await queue.addAll(names.map((name, i) => () => fs.writeFile(`${folder}/${name}`, bytes(`file ${i}`))));
    const listed = await fs.list(folder);
    assert.equal(listed.length, 1000);
    assert.deepEqual(listed.map((e) => e.name), [...names].sort());
    for (const entry of listed) {
      assert.equal(entry.type, 'file');
      assert.equal(entry.path, `${folder}/${entry.name}`);
      assert.equal(entry.length, `file ${names.indexOf(entry.name)}`.length);
    }
  });

  it('refuses to rename onto an existing file or folder with AlreadyExistsError', async () => {
    await fs.writeFile(`${dir}/r/src`, bytes('src'));
    await fs.writeFile(`${dir}/r/dst`, bytes('dst'));
    await fs.mkdirs(`${dir}/r/folder`);
    const onFile = await fs.rename(`${dir}/r/src`, `${dir}/r/dst`).then(() => null, (e: unknown) => e);
    assert.ok(onFile instanceof AlreadyExistsError, String(onFile));
    assert.equal(onFile.path, `${dir}/r/dst`);
    await assert.rejects(fs.rename(`${dir}/r/src`, `${dir}/r/folder`), AlreadyExistsError);
    // The classic RENAME answers {"boolean": false}; the client says why.
    await assert.rejects(client.rename(`${dir}/r/src`, `${dir}/r/dst`), AlreadyExistsError);
    await assert.rejects(client.rename(`${dir}/r/none`, `${dir}/r/x`), NotFoundError);
    await assert.rejects(fs.rename(`${dir}/r/none`, `${dir}/r/x`), NotFoundError);
    assert.equal(text(await fs.readFile(`${dir}/r/dst`)), 'dst');
    // Into a folder that does not exist yet: created, as for writeFile.
    await fs.rename(`${dir}/r/src`, `${dir}/r/topics/t/partition=0/t+0+0+9.jsonl`);
    assert.equal(text(await fs.readFile(`${dir}/r/topics/t/partition=0/t+0+0+9.jsonl`)), 'src');
    assert.equal(await fs.stat(`${dir}/r/src`), null);
  });

  it('refuses to overwrite unless asked, and appends', async () => {
    await fs.writeFile(`${dir}/w/once`, bytes('one'));
    await assert.rejects(fs.writeFile(`${dir}/w/once`, bytes('two')), AlreadyExistsError);
    await fs.writeFile(`${dir}/w/once`, bytes('two'), { overwrite: true });
    await client.append(`${dir}/w/once`, bytes(' three'));
    assert.equal(text(await fs.readFile(`${dir}/w/once`)), 'two three');
  });

  it('a write whose data source fails returns that error and leaves no partial file', async () => {
    const path = `${dir}/w/broken`;
    async function* failing(): AsyncIterable<Uint8Array> {
      // Enough data that the DataNode has opened the file and received part of it.
      for (let i = 0; i < 8; i++) yield randomBytes(MiB);
      throw new Error('encoder failed');
    }
    await assert.rejects(fs.writeFile(path, failing()), /encoder failed/);
    assert.equal(await fs.stat(path), null);
  });

  it('deletes files and folders and says when nothing was there', async () => {
    await fs.writeFile(`${dir}/d/a/f`, bytes('1'));
    assert.equal(await fs.delete(`${dir}/d/a/f`), true);
    assert.equal(await fs.delete(`${dir}/d/a/f`), false);
    await fs.writeFile(`${dir}/d/a/g`, bytes('1'));
    assert.equal(await fs.delete(`${dir}/d`, { recursive: true }), true);
    assert.equal(await fs.stat(`${dir}/d`), null);
    await assert.rejects(fs.readFile(`${dir}/d/a/g`), NotFoundError);
    await assert.rejects(fs.list(`${dir}/d`), NotFoundError);
  });

  it('opens webhdfs:// URIs through openArchiveFs', async () => {
    const url = new URL(webhdfsUrl());
    const { fs: uriFs, root } = openArchiveFs(`webhdfs://${url.host}${dir}/via-uri?user=oxbow`);
    assert.equal(root, `${dir}/via-uri`);
    await uriFs.writeFile(`${root}/x.txt`, bytes('via uri'));
    assert.equal(text(await uriFs.readFile(`${root}/x.txt`)), 'via uri');
  });

  it('a parallel job\'s output part that another owner\'s restore removes while it is written: the writer stops as fenced, not failed', { timeout: 60_000 }, async () => {
    const folder = `${dir}/fenced-sink`;
    const rec = (i: number): OutputRecord => ({ type: 'session', key: `u${i}`, partition: 1, start: i, end: i + 1, firing: 'on-time', result: { events: 1 } });
    const owner = new FileSink(fs, folder, true);
    // Enough for several 64 KiB chunks, so the CREATE is streaming when the file goes.
    for (let i = 0; i < 5_000; i++) owner.write(rec(i));
    let open: string[] = [];
    for (let tries = 0; open.length === 0 && tries < 200; tries++) {
      open = await listNames(fs, `${folder}/_pending`).catch(() => []);
      if (open.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(open.length, 1, 'the open part exists on HDFS before the other owner restores');
    await new FileSink(fs, folder, true).recover(null, 1);
    for (let i = 5_000; i < 10_000; i++) owner.write(rec(i));
    await assert.rejects(owner.prepare(2), PartitionConflict);
    assert.deepEqual(await listNames(fs, `${folder}/_pending`), [], 'nothing of the fenced writer is left to publish');
    assert.deepEqual((await listNames(fs, folder)).filter((n) => n.startsWith('part-')), []);
  });

  it('an unreachable NameNode (closed loopback port) fails with ConnectionError naming the address', { timeout: 30_000 }, async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const dead = new WebHdfsFs({ url: `http://127.0.0.1:${port}`, user: 'oxbow' });
    const err = await dead.list('/').then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ConnectionError, String(err));
    assert.equal(err.address, `127.0.0.1:${port}`);
    assert.match(err.message, /NameNode at http:\/\/127\.0\.0\.1:\d+ .*check that HDFS is running/);
  });
});
