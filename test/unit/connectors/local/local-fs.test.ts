// LocalFs against a real temp folder: the ArchiveFs contract (no-clobber rename, streamed writes, ranges, typed errors).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile as nodeWriteFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFs } from '../../../../connectors/local/local-fs.js';
import { mapFsError } from '../../../../connectors/local/errno.js';
import { AlreadyExistsError, NotFoundError, OxbowError, PermissionError, UnavailableError, UsageError } from '../../../../src/errors.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function* chunks(parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield bytes(p);
}

describe('LocalFs', () => {
  const fs = new LocalFs();
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oxbow-localfs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a stream of chunks into new parent folders and reads it back', async () => {
    const p = `${dir}/a/b/file.bin`;
    await fs.writeFile(p, chunks(['hello ', 'streamed ', 'world']));
    assert.equal(text(await fs.readFile(p)), 'hello streamed world');
    const st = await fs.stat(p);
    assert.equal(st?.type, 'file');
    assert.equal(st?.length, 20);
    assert.equal(st?.name, 'file.bin');
  });

  it('refuses to overwrite unless asked', async () => {
    const p = `${dir}/once.txt`;
    await fs.writeFile(p, bytes('one'));
    await assert.rejects(fs.writeFile(p, bytes('two')), AlreadyExistsError);
    assert.equal(text(await fs.readFile(p)), 'one');
    await fs.writeFile(p, bytes('two'), { overwrite: true });
    assert.equal(text(await fs.readFile(p)), 'two');
  });

  it('removes the partial file when the data stream fails', async () => {
    const p = `${dir}/partial.txt`;
    async function* failing(): AsyncIterable<Uint8Array> {
      yield bytes('half');
      throw new Error('producer broke');
    }
    await assert.rejects(fs.writeFile(p, failing()), /producer broke/);
    assert.equal(await fs.stat(p), null);
  });

  it('reads byte ranges and cuts a range past the end short', async () => {
    const p = `${dir}/range.txt`;
    await fs.writeFile(p, bytes('0123456789'));
    assert.equal(text(await fs.readRange(p, 2, 5)), '234');
    assert.equal(text(await fs.readRange(p, 8, 20)), '89');
    assert.equal((await fs.readRange(p, 4, 4)).length, 0);
    await assert.rejects(fs.readRange(p, 5, 2), UsageError);
    await assert.rejects(fs.readRange(p, -1, 2), UsageError);
    await assert.rejects(fs.readRange(`${dir}/missing`, 0, 1), NotFoundError);
  });

  it('renames a file, never onto an existing one', async () => {
    await fs.writeFile(`${dir}/r/src`, bytes('src'));
    await fs.writeFile(`${dir}/r/dst`, bytes('dst'));
    const err = await fs.rename(`${dir}/r/src`, `${dir}/r/dst`).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof AlreadyExistsError, String(err));
    assert.equal(err.path, `${dir}/r/dst`);
    assert.equal(text(await fs.readFile(`${dir}/r/dst`)), 'dst');
    assert.equal(text(await fs.readFile(`${dir}/r/src`)), 'src');
    await fs.rename(`${dir}/r/src`, `${dir}/r/new/deeper/name`);
    assert.equal(await fs.stat(`${dir}/r/src`), null);
    assert.equal(text(await fs.readFile(`${dir}/r/new/deeper/name`)), 'src');
  });

  it('renames a missing file with NotFoundError naming the source', async () => {
    const err = await fs.rename(`${dir}/nope`, `${dir}/x`).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof NotFoundError, String(err));
    assert.equal(err.path, `${dir}/nope`);
  });

  it('renames folders, never onto an existing one', async () => {
    await fs.writeFile(`${dir}/d1/f`, bytes('1'));
    await fs.mkdirs(`${dir}/d2`);
    await assert.rejects(fs.rename(`${dir}/d1`, `${dir}/d2`), AlreadyExistsError);
    await fs.rename(`${dir}/d1`, `${dir}/d3`);
    assert.equal(text(await fs.readFile(`${dir}/d3/f`)), '1');
  });

  it('lists a folder sorted by name with types and lengths', async () => {
    await fs.writeFile(`${dir}/l/b.txt`, bytes('bb'));
    await fs.writeFile(`${dir}/l/a.txt`, bytes('a'));
    await fs.mkdirs(`${dir}/l/sub`);
    const entries = await fs.list(`${dir}/l/`);
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.length, e.path]),
      [
        ['a.txt', 'file', 1, `${dir}/l/a.txt`],
        ['b.txt', 'file', 2, `${dir}/l/b.txt`],
        ['sub', 'directory', 0, `${dir}/l/sub`],
      ],
    );
    await assert.rejects(fs.list(`${dir}/no-such-folder`), NotFoundError);
    await assert.rejects(fs.list(`${dir}/l/a.txt`), (e: unknown) => e instanceof OxbowError && e.code === 'NOT_A_DIRECTORY');
  });

  it('leaves a dangling symlink out of a listing', async () => {
    await fs.mkdirs(`${dir}/sym`);
    await symlink(`${dir}/sym/nowhere`, `${dir}/sym/dangling`);
    await fs.writeFile(`${dir}/sym/real`, bytes('x'));
    assert.deepEqual((await fs.list(`${dir}/sym`)).map((e) => e.name), ['real']);
  });

  it('deletes files and folders and says when nothing was there', async () => {
    await fs.writeFile(`${dir}/del/x/f`, bytes('1'));
    assert.equal(await fs.delete(`${dir}/del/none`), false);
    await assert.rejects(fs.delete(`${dir}/del/x`), (e: unknown) => e instanceof OxbowError && e.code === 'NOT_EMPTY');
    assert.equal(await fs.delete(`${dir}/del/x/f`), true);
    assert.equal(await fs.delete(`${dir}/del/x`), true);
    await fs.writeFile(`${dir}/del/y/z/f`, bytes('1'));
    assert.equal(await fs.delete(`${dir}/del/y`, { recursive: true }), true);
    assert.deepEqual(await readdir(`${dir}/del`), []);
  });

  it('mkdirs is recursive and idempotent, and refuses a file in the way', async () => {
    await fs.mkdirs(`${dir}/m/1/2/3`);
    await fs.mkdirs(`${dir}/m/1/2/3`);
    assert.equal((await fs.stat(`${dir}/m/1/2/3`))?.type, 'directory');
    await nodeWriteFile(`${dir}/m/file`, 'x');
    await assert.rejects(fs.mkdirs(`${dir}/m/file`), AlreadyExistsError);
  });

  it('readChunks yields the whole file in chunks of at most 64 KiB; a missing file is NotFoundError, a folder NOT_A_FILE', async () => {
    const p = `${dir}/chunked.bin`;
    const data = new Uint8Array(200_000).map((_, i) => (i * 7) % 251);
    await fs.writeFile(p, data);
    const parts: Uint8Array[] = [];
    for await (const c of fs.readChunks(p)) parts.push(c);
    assert.deepEqual(parts.map((c) => c.length), [65_536, 65_536, 65_536, 3_392]);
    assert.deepEqual(Buffer.concat(parts), Buffer.from(await fs.readFile(p)));
    await fs.writeFile(`${dir}/empty.bin`, new Uint8Array(0));
    for await (const c of fs.readChunks(`${dir}/empty.bin`)) assert.fail(`an empty file yields no chunk, got ${c.length} bytes`);
    const drain = async (path: string) => {
      for await (const c of fs.readChunks(path)) void c;
    };
    await assert.rejects(drain(`${dir}/absent.bin`), NotFoundError);
    await assert.rejects(drain(dir), (e: unknown) => e instanceof OxbowError && e.code === 'NOT_A_FILE');
    assert.deepEqual((await fs.listNames(dir)).sort(), (await fs.list(dir)).map((st) => st.name).sort());
    await assert.rejects(fs.listNames(`${dir}/absent`), NotFoundError);
  });

  it('rejects relative paths with a UsageError', async () => {
    await assert.rejects(fs.stat('relative/path'), UsageError);
  });

  it('maps errno codes to typed errors', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: fake`), { code });
    assert.ok(mapFsError(errno('EACCES'), '/x', 'write') instanceof PermissionError);
    assert.ok(mapFsError(errno('EPERM'), '/x', 'write') instanceof PermissionError);
    assert.ok(mapFsError(errno('ENOENT'), '/x', 'read') instanceof NotFoundError);
    assert.ok(mapFsError(errno('EEXIST'), '/x', 'write') instanceof AlreadyExistsError);
    const busy = mapFsError(errno('EMFILE'), '/x', 'read');
    assert.ok(busy instanceof UnavailableError && busy.retriable);
    const other = mapFsError(errno('ENOSPC'), '/x', 'write');
    assert.equal(other.code, 'IO');
    assert.match(other.message, /cannot write \/x: ENOSPC/);
  });
});
